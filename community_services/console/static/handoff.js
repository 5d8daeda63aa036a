// Linli handoff page: the conversation with a resident at a kiosk, live (the board's Server-Sent Events),
// replies without a reload (Enter sends), and the status when the resident goes back to the assistant or leaves.
// No framework. Resident text is only ever set with textContent.
(function () {
  "use strict";
  var root = document.getElementById("handoff");
  if (!root) { return; }
  var reference = root.dataset.reference;
  var csrf = root.dataset.csrf;
  var me = root.dataset.me;
  var lastId = Number(root.dataset.lastMessageId) || 0;
  var list = document.getElementById("messages");
  var none = document.getElementById("no-messages");
  var statusLine = document.getElementById("handoff-status");
  var connection = document.getElementById("connection");
  var form = document.getElementById("reply-form");
  var text = document.getElementById("reply-text");
  var send = document.getElementById("reply-send");
  var formMessage = document.getElementById("reply-message");
  var endButton = document.getElementById("end-button");
  var base = "/console/handoffs/" + encodeURIComponent(reference);
  var SENDERS = { resident: "Resident", assistant: "Assistant", staff: "Staff", system: "" };

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content) { node.textContent = content; }
    return node;
  }
  function timeOf(iso) {
    var t = el("time", "at", String(iso || "").slice(11, 16));
    t.setAttribute("datetime", iso || "");
    return t;
  }
  function nearBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }
  function append(m) {
    if (!m || typeof m.id !== "number" || document.getElementById("msg-" + m.id)) { return; }
    var stick = nearBottom();
    var li = el("li", "msg from-" + m.sender);
    li.id = "msg-" + m.id;
    li.dataset.id = String(m.id);
    if (m.sender === "system") {
      var line = el("p", "text");
      line.appendChild(el("span", "visually-hidden", "Note: "));
      line.appendChild(document.createTextNode(m.text + " "));
      line.appendChild(timeOf(m.at));
      li.appendChild(line);
    } else {
      var meta = el("p", "meta");
      meta.appendChild(el("span", "sender", m.sender === "staff" ? (m.name || "Staff") : SENDERS[m.sender] || m.sender));
      if (m.sender === "resident" && m.via) { meta.appendChild(document.createTextNode(" ")); meta.appendChild(el("span", "via", "(" + m.via + ")")); }
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(timeOf(m.at));
      li.appendChild(meta);
      li.appendChild(el("p", "text", m.text));
    }
    // keep the order by id (a reply's answer and its stream event may arrive either way round)
    var before = null;
    Array.prototype.some.call(list.children, function (other) {
      if (Number(other.dataset.id) > m.id) { before = other; return true; }
      return false;
    });
    list.insertBefore(li, before);
    if (m.id > lastId) { lastId = m.id; }
    none.hidden = true;
    if (stick || m.sender === "staff") { list.scrollTop = list.scrollHeight; }
  }
  function setStatus(words, status) {
    if (words) { statusLine.textContent = words; }
    if (status) {
      statusLine.className = "handoff-status status-" + status;
      root.dataset.status = status;
    }
    if (status === "ended") {
      text.disabled = true;
      send.disabled = true;
      if (endButton) { endButton.textContent = "Close this request"; }
    }
  }
  function reload() {
    return fetch(base + "/messages?after=" + lastId, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (view) {
        view.messages.forEach(append);
        setStatus(view.status_line, view.status);
      });
  }
  list.scrollTop = list.scrollHeight;

  // --- reply: Enter sends, Shift+Enter is a new line ---
  text.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!text.value.trim()) { formMessage.textContent = "Write a message first."; return; }
    send.disabled = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      return r.json().catch(function () { return { detail: "The office system answered " + r.status + "." }; })
        .then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      if (res.status === 201) {
        formMessage.textContent = "";
        text.value = "";
        append(res.data.message);
      } else {
        formMessage.textContent = res.data.detail;
        if (res.status === 409) { reload(); }
      }
    }, function () {
      formMessage.textContent = "Could not reach the office system. Try again.";
    }).then(function () {
      if (root.dataset.status !== "ended") { send.disabled = false; }
      text.focus();
    });
  });

  // --- live ---
  var source = new EventSource("/console/board/events?last_event_id=" + encodeURIComponent(root.dataset.lastEventId));
  function on(type, handler) {
    source.addEventListener(type, function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.reference !== reference) { return; }
      handler(data);
    });
  }
  on("handoff.message", function (d) { append(d.message); });
  on("handoff.joined", function (d) {
    setStatus(d.staff_name === me ? "You are talking with the resident." : d.staff_name + " is talking with the resident.", "joined");
  });
  on("handoff.ended", function (d) { setStatus(d.status_line || "The conversation has ended.", "ended"); });
  on("handoff.resolved", function () {
    var endForm = document.getElementById("end-form");
    if (endForm) {
      var closed = el("p", "", "This request is closed.");
      closed.id = "closed-line";
      endForm.replaceWith(closed);
    }
  });
  source.addEventListener("stream.gap", function () { reload(); });
  source.addEventListener("open", function () {
    connection.textContent = "Live: new messages appear here by themselves.";
    document.body.dataset.live = "open";
    reload().catch(function () {});  // anything said between the page load and the stream
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      connection.textContent = "Live updates stopped: your login has probably expired. Reload the page and log in again.";
      connection.setAttribute("role", "alert");
      document.body.dataset.live = "closed";
    } else {
      connection.textContent = "Connection lost; trying again…";
      document.body.dataset.live = "reconnecting";
    }
  });
}());

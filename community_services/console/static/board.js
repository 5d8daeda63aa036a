// Linli duty board: live rows (Server-Sent Events), waiting times, chime, notifications, "I'm going", resolve.
// No framework. Resident text is only ever set with textContent.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var list = document.getElementById("requests");
  var empty = document.getElementById("empty");
  var template = document.getElementById("request-template");
  var announcer = document.getElementById("announcer");
  var connection = document.getElementById("connection");
  var banner = document.getElementById("escalation-banner");
  var soundButton = document.getElementById("enable-alerts");
  var soundState = document.getElementById("sound-state");
  var csrf = board.dataset.csrf;
  var body = document.body;
  body.dataset.chimes = "0";
  body.dataset.loudChimes = "0";
  var audio = null;
  var loudTimer = null;
  var STORE = "linli-board-alerts";

  // --- sound and notifications ---
  function ensureAudio() {
    if (!audio) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return null; }
      try { audio = new Ctx(); } catch (e) { return null; }
    }
    if (audio.state === "suspended") { audio.resume().catch(function () {}); }
    return audio;
  }
  function tone(freq, start, length, volume) {
    var ctx = ensureAudio();
    if (!ctx) { return; }
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    var t = ctx.currentTime + start;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(volume, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + length + 0.05);
  }
  function chime() {
    body.dataset.chimes = String(Number(body.dataset.chimes) + 1);
    tone(880, 0, 0.35, 0.3);
    tone(660, 0.4, 0.5, 0.3);
  }
  function loudChime() {
    body.dataset.loudChimes = String(Number(body.dataset.loudChimes) + 1);
    tone(990, 0, 0.25, 0.6);
    tone(990, 0.3, 0.25, 0.6);
    tone(990, 0.6, 0.25, 0.6);
  }
  function notify(item) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    if (localStorage.getItem(STORE) !== "on") { return; }
    try {
      new Notification(item.label + " " + item.reference, { body: whereText(item), tag: item.key });
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }
  function showSoundState() {
    var on = localStorage.getItem(STORE) === "on";
    var perm = ("Notification" in window) ? Notification.permission : "unsupported";
    soundState.textContent = on ? "Sound is on. Notifications: " + (perm === "granted" ? "on" : perm === "denied" ? "blocked by the browser" : "not allowed yet") + "."
                                : "Browsers allow sound only after a click.";
    soundButton.textContent = on ? "Test the chime" : "Turn on sound and notifications";
  }
  soundButton.addEventListener("click", function () {
    localStorage.setItem(STORE, "on");
    ensureAudio();
    tone(880, 0, 0.3, 0.2);
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().then(showSoundState, showSoundState);
    }
    showSoundState();
  });
  if (localStorage.getItem(STORE) === "on") { ensureAudio(); }
  showSoundState();

  // --- rows ---
  var base = {};  // key -> {waited: seconds at arrival, at: performance.now() at arrival}
  function whereText(item) {
    if (item.location) { return item.location + " (kiosk " + item.kiosk_id + ")"; }
    return "At a kiosk (not recorded for requests sent later)";
  }
  function normalize(data) {
    if (data.key) { return data; }
    var kinds = { fall: "Fall", medical: "Medical", fire: "Fire", help: "Help", button: "Emergency button" };
    return {
      key: "alert:" + data.reference, kind: "alert", reference: data.reference,
      label: "Emergency: " + (kinds[String(data.kind).toLowerCase()] || data.kind),
      kiosk_id: data.kiosk_id, location: data.location, details: data.details, created_at: data.created_at,
      waited_seconds: data.waited_seconds || 0, acknowledged_by: data.acknowledged_by || null,
      escalated: Boolean(data.escalated_at) && !data.acknowledged_by
    };
  }
  function rowOf(key) { return document.getElementById(key); }
  function waitedText(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) { return Math.floor(m / 60) + " h " + (m % 60) + " min"; }
    return m > 0 ? m + " min " + s + " s" : s + " s";
  }
  function tick() {
    var now = performance.now();
    Array.prototype.forEach.call(list.children, function (li) {
      var b = base[li.id];
      if (!b) { return; }
      li.querySelector(".waited").textContent = waitedText(b.waited + Math.floor((now - b.at) / 1000));
    });
  }
  function fill(li, item) {
    li.querySelector(".label").textContent = item.label;
    li.querySelector(".ref").textContent = item.reference;
    li.querySelector(".where").textContent = whereText(item);
    li.querySelector(".details").textContent = item.details || "—";
    setTaken(li, item.acknowledged_by);
    li.classList.toggle("escalated", Boolean(item.escalated));
    var status = li.querySelector(".conversation-status");
    status.textContent = item.status_line || "";
    status.hidden = !item.status_line;
    var open = li.querySelector(".open-conversation");
    open.hidden = !item.href;
    if (item.href) { open.querySelector("a").href = item.href; }
    open.querySelector(".visually-hidden").textContent = "with " + item.reference;
  }
  function build(item) {
    var li = template.content.querySelector("li").cloneNode(true);
    li.id = item.key;
    li.dataset.key = item.key;
    li.dataset.kind = item.kind;
    li.dataset.reference = item.reference;
    var path = "/console/board/" + encodeURIComponent(item.kind) + "/" + encodeURIComponent(item.reference);
    li.querySelector(".going-form").action = path + "/going";
    li.querySelector(".resolve-form").action = path + "/resolve";
    li.querySelectorAll(".going .visually-hidden, .resolve-form button .visually-hidden").forEach(function (s) {
      s.textContent = (s.parentNode.classList.contains("going") ? "to " : "") + item.reference;
    });
    var note = li.querySelector("textarea");
    note.id = "note-" + item.key;
    var label = li.querySelector(".resolve-form label");
    label.htmlFor = note.id;
    label.textContent = "Note on " + item.reference + (item.kind === "handoff" ? " (the resident hears it with their reference)" : "");
    li.querySelectorAll("input[name=csrf_token]").forEach(function (i) { i.value = csrf; });
    fill(li, item);
    wire(li);
    return li;
  }
  function setTaken(li, name) {
    li.querySelector(".who-going").textContent = name || "Nobody yet";
    li.classList.toggle("taken", Boolean(name));
    if (name) { li.classList.remove("escalated"); }
  }
  function place(li, waited) {
    // waiting longest first: before the first row that has waited less
    var now = performance.now();
    var before = null;
    Array.prototype.some.call(list.children, function (other) {
      var b = base[other.id];
      if (b && b.waited + (now - b.at) / 1000 < waited) { before = other; return true; }
      return false;
    });
    list.insertBefore(li, before);
  }
  function upsert(item, isNew) {
    var li = rowOf(item.key);
    if (li) {
      fill(li, item);
      if (typeof item.waited_seconds === "number" && item.waited_seconds > 0) {
        base[item.key] = { waited: item.waited_seconds, at: performance.now() };
      }
    } else {
      li = build(item);
      base[item.key] = { waited: item.waited_seconds, at: performance.now() };
      place(li, item.waited_seconds);
      if (isNew) {
        chime();
        notify(item);
        announcer.textContent = "New request: " + item.label + ", " + whereText(item) + ".";
      }
    }
    li.dataset.arrived = String(performance.now());
    refresh();
    tick();
    return li;
  }
  function remove(key) {
    var li = rowOf(key);
    if (li) {
      if (li.contains(document.activeElement)) { list.focus(); }
      li.remove();
    }
    delete base[key];
    refresh();
  }
  function refresh() {
    empty.hidden = list.children.length > 0;
    var loud = list.querySelector(".escalated") !== null;
    banner.hidden = !loud;
    if (loud && !loudTimer) {
      loudChime();
      loudTimer = setInterval(loudChime, 3000);
    } else if (!loud && loudTimer) {
      clearInterval(loudTimer);
      loudTimer = null;
    }
  }
  function reloadAll() {
    return fetch("/console/board/items", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var keep = {};
        data.items.forEach(function (item) { keep[item.key] = true; });
        Array.prototype.slice.call(list.children).forEach(function (li) { if (!keep[li.id]) { remove(li.id); } });
        data.items.forEach(function (item) {
          var fresh = !rowOf(item.key);
          upsert(item, fresh);
          base[item.key] = { waited: item.waited_seconds, at: performance.now() };
        });
      });
  }

  // --- actions ---
  function say(li, text, isError) {
    var p = li.querySelector(".row-message");
    p.textContent = text;
    p.classList.toggle("error", Boolean(isError));
  }
  function post(form) {
    return fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      return r.json().catch(function () { return { detail: "The office system answered " + r.status + "." }; })
        .then(function (data) { return { status: r.status, data: data }; });
    });
  }
  function wire(li) {
    li.querySelector(".going-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(ev.target).then(function (res) {
        if (res.data.acknowledged_by) { setTaken(li, res.data.acknowledged_by); refresh(); }
        say(li, res.data.detail, res.status !== 200);
        // a live handoff: the one who joined goes to the conversation
        if (res.status === 200 && res.data.href) { window.location.assign(res.data.href); }
      }, function () { say(li, "Could not reach the office system. Try again.", true); });
    });
    li.querySelector(".resolve-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(ev.target).then(function (res) {
        if (res.status === 200) {
          announcer.textContent = res.data.detail;
          remove(li.id);
        } else {
          say(li, res.data.detail, true);
          if (res.status === 409) { reloadAll(); }
        }
      }, function () { say(li, "Could not reach the office system. Try again.", true); });
    });
  }
  Array.prototype.forEach.call(list.children, function (li) {
    base[li.id] = { waited: Number(li.dataset.waited), at: performance.now() };
    wire(li);
  });
  list.tabIndex = -1;
  refresh();
  tick();
  setInterval(tick, 1000);

  // --- live ---
  var source = new EventSource("/console/board/events?last_event_id=" + encodeURIComponent(board.dataset.lastEventId));
  function on(type, handler) {
    source.addEventListener(type, function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      handler(data);
    });
  }
  on("alert.raised", function (d) { upsert(normalize(d), true); });
  on("handoff.raised", function (d) { upsert(d, true); });
  on("alert.escalated", function (d) {
    var item = normalize(d);
    item.escalated = true;
    var li = upsert(item, !rowOf(item.key));
    li.classList.add("escalated");
    announcer.textContent = "Urgent: " + item.label + " " + item.reference + " has waited too long.";
    refresh();
  });
  on("alert.acknowledged", function (d) {
    var li = rowOf("alert:" + d.reference);
    if (li) { setTaken(li, d.acknowledged_by); refresh(); }
  });
  on("handoff.acknowledged", function (d) {
    var li = rowOf(d.key);
    if (li) { setTaken(li, d.acknowledged_by); }
  });
  on("handoff.joined", function (d) {
    var li = rowOf(d.key);
    if (li) { fill(li, d); }
  });
  on("handoff.ended", function (d) {
    var li = rowOf(d.key);
    if (li) {
      fill(li, d);
      announcer.textContent = d.reference + ": " + (d.status_line || "The conversation has ended.");
    }
  });
  on("alert.resolved", function (d) { remove("alert:" + d.reference); });
  on("handoff.resolved", function (d) { remove(d.key); });
  on("stream.gap", function () { reloadAll(); });
  source.addEventListener("open", function () {
    connection.textContent = "Live: new requests appear here by themselves.";
    connection.className = "message ok";
    body.dataset.live = "open";
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      connection.textContent = "Live updates stopped: your login has probably expired. Reload the page and log in again.";
      connection.className = "message error";
      connection.setAttribute("role", "alert");
      body.dataset.live = "closed";
    } else {
      connection.textContent = "Connection lost; trying again…";
      connection.className = "message error";
      body.dataset.live = "reconnecting";
    }
  });
}());

// Linli console, an urgent notice's page: which kiosks have shown it, live (the console's event stream,
// event "notice.receipt"). No framework; kiosk names are set with textContent only.
(function () {
  "use strict";
  var section = document.getElementById("notice-kiosks");
  if (!section || !window.EventSource) { return; }
  var noticeId = Number(section.dataset.notice);
  var revision = Number(section.dataset.revision);
  var rows = document.getElementById("kiosk-rows");
  var count = document.getElementById("shown-count");
  var liveState = document.getElementById("live-state");
  var noKiosks = document.getElementById("no-kiosks");
  var lastId = section.dataset.lastEventId;

  function hhmmss(iso) {
    var time = String(iso).split("T")[1] || "";
    return time.slice(0, 8);
  }
  function rowFor(kioskId) {
    for (var i = 0; i < rows.rows.length; i++) {
      if (rows.rows[i].dataset.kiosk === kioskId) { return rows.rows[i]; }
    }
    var tr = document.createElement("tr");
    tr.dataset.kiosk = kioskId;
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = kioskId;
    var where = document.createElement("td");
    where.className = "text";
    var shown = document.createElement("td");
    shown.className = "shown-at";
    shown.textContent = "not yet";
    tr.appendChild(th); tr.appendChild(where); tr.appendChild(shown);
    rows.appendChild(tr);
    if (noKiosks) { noKiosks.hidden = true; }
    return tr;
  }
  function recount() {
    var shown = 0;
    for (var i = 0; i < rows.rows.length; i++) {
      if (rows.rows[i].classList.contains("shown")) { shown++; }
    }
    count.textContent = shown + " of " + rows.rows.length + " kiosks have shown it.";
  }
  function markShown(kioskId, shownAt) {
    var tr = rowFor(kioskId);
    tr.classList.add("shown");
    tr.querySelector(".shown-at").textContent = "shown at " + hhmmss(shownAt);
    recount();
  }
  function reload() {
    fetch("/console/notices/" + noticeId + "/kiosks", {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.kiosks.forEach(function (k) {
          var tr = rowFor(k.kiosk_id);
          tr.cells[1].textContent = k.location;
          tr.classList.toggle("shown", Boolean(k.shown_at));
          tr.querySelector(".shown-at").textContent = k.shown;
        });
        recount();
      });
  }
  var source = new EventSource("/console/board/events?last_event_id=" + encodeURIComponent(lastId));
  source.addEventListener("open", function () {
    liveState.textContent = "This list updates by itself while the page is open.";
  });
  source.addEventListener("error", function () {
    liveState.textContent = "Live updates paused: reconnecting. If this stays, reload the page (your login may have expired).";
  });
  source.addEventListener("notice.receipt", function (event) {
    var data = JSON.parse(event.data);
    if (data.notice_id === noticeId && data.revision === revision) { markShown(data.kiosk_id, data.shown_at); }
  });
  source.addEventListener("stream.gap", reload);
}());

// Linli console: a red banner on every console page while an emergency alert has waited too long (escalated
// and nobody going). The duty board has its own banner and stream, so this does nothing there.
(function () {
  "use strict";
  if (document.getElementById("board")) { return; }
  var main = document.getElementById("main");
  if (!main || !window.EventSource) { return; }
  var banner = document.createElement("p");
  banner.className = "banner";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  var link = document.createElement("a");
  link.href = "/console/board";
  banner.appendChild(link);
  main.insertBefore(banner, main.firstChild);
  function check() {
    fetch("/console/board/items", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        var loud = data.items.filter(function (i) { return i.escalated; });
        banner.hidden = loud.length === 0;
        link.textContent = loud.length === 1
          ? "Urgent: emergency alert " + loud[0].reference + " has waited too long. Open the duty board."
          : "Urgent: " + loud.length + " emergency alerts have waited too long. Open the duty board.";
        document.body.dataset.escalated = String(loud.length);
      }, function () {});
  }
  check();
  var source = new EventSource("/console/board/events");
  ["alert.escalated", "alert.acknowledged", "alert.resolved", "stream.gap"].forEach(function (type) {
    source.addEventListener(type, check);
  });
}());

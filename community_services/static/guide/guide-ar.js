/* The phone guide page's camera view (docs/ar.md "AR on the phone").
 *
 * Without this script, or without a camera, the page is the step list and the map, as before. With both, a big
 * button opens the back camera; each frame the community's marker posts are found (js-aruco2, vendored), the
 * phone's place and heading worked out from the post's corners (guide-pose.js), and the kiosk's rule
 * (guide-turns.js) says which way: ahead, left, right or around. The decision is in the DOM
 * (#ar[data-state], #ar[data-direction]) for the tests and for screen readers' live region.
 * Everything the page needs comes from the server in #guide-ar-data (JSON): nothing is fetched from elsewhere.
 */
(function () {
  "use strict";

  var section = document.getElementById("ar");
  var dataEl = document.getElementById("guide-ar-data");
  if (!section || !dataEl || !window.AR || !window.LinliTurns || !window.LinliPose) return;
  var data = JSON.parse(dataEl.textContent);
  var T = window.LinliTurns, P = window.LinliPose;

  var startButton = document.getElementById("ar-start");
  var stopButton = document.getElementById("ar-stop");
  var view = document.getElementById("ar-view");
  var video = document.getElementById("ar-video");
  var canvas = document.getElementById("ar-canvas");
  var wordsEl = document.getElementById("ar-words");
  var message = document.getElementById("ar-message");
  var work = document.createElement("canvas");  // the frame the detector reads (never shown)
  var workCtx = work.getContext("2d", {willReadFrequently: true});
  var ctx = canvas.getContext("2d");

  // DICT_4X4_50 is the first 50 codes of OpenCV's DICT_4X4_1000 (which the vendored dictionary file holds).
  // tau 2: at most one wrong bit, as OpenCV corrects for this dictionary; the library's own guess (4) would
  // take a stranger's square for a post more often.
  window.AR.DICTIONARIES.ARUCO_4X4_50 = {
    nBits: 16, tau: 2, codeList: window.AR.DICTIONARIES.ARUCO_4X4_1000.codeList.slice(0, 50)
  };
  var detector = new window.AR.Detector({dictionaryName: "ARUCO_4X4_50"});
  var tracker = new T.TurnTracker();
  var stream = null, running = false, frames = 0, since = 0, detectMs = 0;

  function set(name, value) { section.setAttribute("data-" + name, String(value)); }

  function show(el, on) { if (el) el.hidden = !on; }

  function say(key) {
    var w = data.words[key] || "";
    if (wordsEl.textContent !== w) wordsEl.textContent = w;
  }

  // Not a secure context (plain http beyond this phone) or no camera API: the page stays as it was.
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    set("state", "absent");
    return;
  }
  section.hidden = false;
  set("state", "off");

  function fallBack(state) {
    // Refused or no camera: say so once, in plain words, and point to the steps and the map below.
    stop();
    set("state", state);
    show(startButton, false);
    message.textContent = data.words[state] || data.words.absent;
    show(message, true);
  }

  function start() {
    set("state", "starting");
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {facingMode: {ideal: "environment"}, width: {ideal: 640}, height: {ideal: 480}}
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.muted = true;
      video.setAttribute("playsinline", "");
      return video.play();
    }).then(function () {
      show(startButton, false);
      show(view, true);
      set("state", "searching");
      say("searching");
      tracker.reset();
      running = true;
      since = performance.now();
      frames = 0;
      next();
    }).catch(function (err) {
      var name = err && err.name;
      fallBack(name === "NotAllowedError" || name === "SecurityError" ? "refused" : "absent");
    });
  }

  function stop() {
    running = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    show(view, false);
    show(startButton, true);
    set("state", "off");
  }

  function frameSize() {
    // At most 640 px on the long side: enough for a 20 cm post at a few metres, and it keeps a mid-range
    // phone at 15 frames a second or more (bench/phone_ar.py).
    var w = video.videoWidth, h = video.videoHeight, s = Math.min(1, 640 / Math.max(w, h));
    return [Math.round(w * s), Math.round(h * s)];
  }

  function decide(markers, k) {
    for (var i = 0; i < markers.length; i++) {
      var post = data.posts[String(markers[i].id)];
      if (!post) continue;  // a square that is not one of ours
      var cam = P.cameraFromMarker(markers[i].corners, post, k);
      if (!cam) continue;
      var xy = [cam.x, cam.y];
      var wp = T.nextWaypoint(data.route.points, xy);
      if (wp === null) return {state: "arrived", direction: "arrived", bearing: 0, post: markers[i].id};
      var bearing = T.bearingTo(xy, cam.heading, data.route.points[wp]);
      var edges = T.viewEdges(k.fx, k.cx, k.width);
      var turn = tracker.update(bearing, edges, T.floorTurn(data.route.floors, wp))[0];
      return {state: "tracking", direction: turn, bearing: bearing, post: markers[i].id, waypoint: wp,
              edges: edges};
    }
    return null;
  }

  function next() {
    // once per new camera frame where the browser says when one arrives (no work on a frame already read:
    // a phone's battery); else once per screen refresh
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(function () { loop(performance.now()); });
    else window.requestAnimationFrame(loop);
  }

  function loop(now) {
    if (!running) return;
    if (video.readyState >= 2 && video.videoWidth > 0) {
      var size = frameSize();
      if (work.width !== size[0] || work.height !== size[1]) {
        work.width = canvas.width = size[0];
        work.height = canvas.height = size[1];
      }
      var t0 = performance.now();
      workCtx.drawImage(video, 0, 0, size[0], size[1]);
      var markers = detector.detect(workCtx.getImageData(0, 0, size[0], size[1]));
      var k = P.defaultIntrinsics(size[0], size[1]);
      var found = decide(markers, k);
      detectMs = performance.now() - t0;  // the frame read, detection, pose and rule
      frames += 1;
      draw(found, size[0], size[1]);
      set("frame-ms", (performance.now() - t0).toFixed(1));
      if (found) {
        set("state", found.state);
        set("direction", found.direction);
        set("bearing", found.bearing.toFixed(1));
        set("post", found.post);
        say(found.direction);
      } else {
        // no post in view: the last instruction is kept (as the kiosk keeps it), the arrow is not drawn
        set("state", "searching");
        say("searching");
      }
      set("markers", markers.map(function (m) { return m.id; }).join(" "));
      set("detect-ms", detectMs.toFixed(1));
      if (now - since >= 1000) {
        set("fps", (frames * 1000 / (now - since)).toFixed(1));
        frames = 0;
        since = now;
      }
    }
    next();
  }

  // --- drawing: one big yellow arrow with a black outline (the kiosk's colours), sized for older eyes ----

  function arrow(cx, cy, angleDeg, len) {
    // an arrow pointing up (before rotation), centred on (cx, cy)
    var w = len * 0.28, head = len * 0.45, hw = len * 0.5;
    var pts = [[-w / 2, len / 2], [-w / 2, -len / 2 + head], [-hw / 2, -len / 2 + head], [0, -len / 2],
               [hw / 2, -len / 2 + head], [w / 2, -len / 2 + head], [w / 2, len / 2]];
    var a = angleDeg * Math.PI / 180, c = Math.cos(a), s = Math.sin(a);
    ctx.beginPath();
    pts.forEach(function (p, i) {
      var x = cx + p[0] * c - p[1] * s, y = cy + p[0] * s + p[1] * c;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }

  function uTurn(cx, cy, r) {
    ctx.beginPath();
    ctx.lineWidth = r * 0.35;
    ctx.strokeStyle = "#000";
    ctx.arc(cx, cy, r, Math.PI, 0, false);
    ctx.stroke();
    ctx.lineWidth = r * 0.22;
    ctx.strokeStyle = "#ffd700";
    ctx.stroke();
    ctx.lineWidth = Math.max(3, r * 0.06);
    ctx.strokeStyle = "#000";
    arrow(cx - r, cy + r * 0.35, 180, r * 0.9);
  }

  function draw(found, w, h) {
    ctx.clearRect(0, 0, w, h);
    if (!found || found.state !== "tracking") return;
    var len = Math.min(w, h) * 0.38;
    ctx.fillStyle = "#ffd700";
    ctx.strokeStyle = "#000";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(3, len * 0.05);
    var d = found.direction;
    if (d === "left") arrow(len * 0.6, h / 2, -90, len);
    else if (d === "right") arrow(w - len * 0.6, h / 2, 90, len);
    else if (d === "around") uTurn(w / 2, h - len * 0.9, len * 0.45);
    else {
      // ahead (or up/down with the way in view): from the bottom centre, turned towards the waypoint
      var b = Math.max(-found.edges[0], Math.min(found.edges[1], found.bearing));
      arrow(w / 2, h - len * 0.7, b, len);
    }
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () { stop(); say(""); });
  window.addEventListener("pagehide", stop);  // the camera light goes off when the resident leaves the page
})();

/* Which way, always — the kiosk's rule, ported for the phone page (docs/ar.md "AR on the phone").
 *
 * The kiosk decides its instruction in ar_overlays/turns.py (classify, next_waypoint, TurnTracker, floor_turn,
 * bearing_to, view_edges); this file is the same rule, line for line, in plain JavaScript, because a phone runs
 * no Python. Keep the two alike: the constants below are the kiosk's, and
 * tests/community_services/test_guide_turns_parity.py runs both on the same inputs (node), frame by frame.
 *
 *   ahead  — the next waypoint is in the picture            left / right — beyond that edge of the picture
 *   around — behind the camera plane (> 90° off the heading)
 *   up_stairs / down_stairs / up_lift / down_lift — in view, and the leg to it changes floor
 *
 * No DOM here: the page (guide-ar.js) and node can both load it.
 */
(function (root) {
  "use strict";

  var ARRIVE_M = 2.0;      // within this of a waypoint, head for the next one
  var MARGIN_DEG = 5.0;    // a new instruction counts only this far inside its region (no flicker at an edge)
  var HOLD_FRAMES = 3;     // ... and only after it held this many frames in a row
  var BEHIND_DEG = 90.0;   // more than this off the heading is behind an upright camera

  function headingOf(dx, dy) {  // compass degrees of a world vector (x east, y north)
    var h = Math.atan2(dx, dy) * 180 / Math.PI;
    return ((h % 360) + 360) % 360;
  }

  function headingDifference(a, b) {  // signed b - a in (-180, 180]; positive: b is to the right
    var d = (((b - a) % 360) + 360) % 360;
    return d > 180 ? d - 360 : d;
  }

  // Degrees from the optical axis to the picture's left and right edges (camera intrinsics fx, cx, width).
  function viewEdges(fx, cx, width) {
    return [Math.atan2(cx + 0.5, fx) * 180 / Math.PI, Math.atan2(width - 0.5 - cx, fx) * 180 / Math.PI];
  }

  // Metres from xy to point p. Not Math.hypot: V8's is off in the last bit about a third of the time, enough to
  // decide "reached" differently from the kiosk (numpy's hypot) exactly on the 2 m circle, e.g. 1.2 m and 1.6 m
  // away; the plain square root agrees with the kiosk there (tests/community_services/test_guide_turns_parity.py).
  function distance(p, xy) {
    var dx = p[0] - xy[0], dy = p[1] - xy[1];
    return Math.sqrt(dx * dx + dy * dy);
  }

  // Index of the route point to head for: the end of the segment nearest xy, or the one after it once reached;
  // null at the destination.
  function nextWaypoint(points, xy, arriveM) {
    var arrive = arriveM === undefined ? ARRIVE_M : arriveM;
    var n = points.length, k, best = -1, bestD = Infinity;
    if (n === 0) return null;
    if (n === 1) return distance(points[0], xy) < arrive ? null : 0;
    for (var i = 0; i < n - 1; i++) {
      var ax = points[i][0], ay = points[i][1];
      var abx = points[i + 1][0] - ax, aby = points[i + 1][1] - ay;
      var den = Math.max(abx * abx + aby * aby, 1e-12);
      var t = Math.min(1, Math.max(0, ((xy[0] - ax) * abx + (xy[1] - ay) * aby) / den));
      var cx = ax + abx * t - xy[0], cy = ay + aby * t - xy[1];
      var d = cx * cx + cy * cy;
      if (d < bestD) { bestD = d; best = i; }  // first minimum wins, as numpy's argmin
    }
    k = best + 1;
    while (k < n && distance(points[k], xy) < arrive) k++;
    return k < n ? k : null;
  }

  function classify(bearing, edges, floor) {
    if (Math.abs(bearing) > BEHIND_DEG) return "around";
    if (bearing < -edges[0]) return "left";
    if (bearing > edges[1]) return "right";
    return floor || "ahead";
  }

  // floors: {change: [0, +1, ...], lift: [false, true, ...]} per leg (point k-1 -> k), from the server.
  function floorTurn(floors, waypoint) {
    var step = waypoint < floors.change.length ? floors.change[waypoint] : 0;
    if (!step) return null;
    var lift = waypoint < floors.lift.length ? floors.lift[waypoint] : false;
    if (lift) return step > 0 ? "up_lift" : "down_lift";
    return step > 0 ? "up_stairs" : "down_stairs";
  }

  function bearingTo(xy, heading, target) {
    return headingDifference(heading, headingOf(target[0] - xy[0], target[1] - xy[1]));
  }

  function TurnTracker(marginDeg, hold) {
    this.marginDeg = marginDeg === undefined ? MARGIN_DEG : marginDeg;
    this.hold = hold === undefined ? HOLD_FRAMES : hold;
    this.reset();
  }
  TurnTracker.prototype.reset = function () {
    this.current = null;
    this._candidate = null;
    this._count = 0;
  };
  // [the instruction now, whether it changed in this frame]
  TurnTracker.prototype.update = function (bearing, edges, floor) {
    var seen = classify(bearing, edges, floor);
    if (this.current === null) {
      this.current = seen; this._candidate = null; this._count = 0;
      return [seen, true];
    }
    var clear = classify(bearing - this.marginDeg, edges, floor) === seen &&
                classify(bearing + this.marginDeg, edges, floor) === seen;
    if (seen === this.current || !clear) {
      this._candidate = null; this._count = 0;
      return [this.current, false];
    }
    if (seen !== this._candidate) { this._candidate = seen; this._count = 0; }
    this._count += 1;
    if (this._count < this.hold) return [this.current, false];
    this.current = seen; this._candidate = null; this._count = 0;
    return [seen, true];
  };

  root.LinliTurns = {
    ARRIVE_M: ARRIVE_M, MARGIN_DEG: MARGIN_DEG, HOLD_FRAMES: HOLD_FRAMES, BEHIND_DEG: BEHIND_DEG,
    headingOf: headingOf, headingDifference: headingDifference, viewEdges: viewEdges,
    nextWaypoint: nextWaypoint, classify: classify, floorTurn: floorTurn, bearingTo: bearingTo,
    TurnTracker: TurnTracker
  };
})(typeof globalThis !== "undefined" ? globalThis : this);

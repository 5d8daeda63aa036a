/* Where the phone is, from one marker post's four corners (docs/ar.md "AR on the phone").
 *
 * The kiosk solves the pose with OpenCV (ar_overlays/pose.py: IPPE on the square, refined). A phone page has no
 * OpenCV, and the arrow only needs the camera's ground position and compass heading, so here the homography of
 * the marker's plane is decomposed (Zhang's method): H ~ K [r1 r2 t]. Same frames as the kiosk
 * (ar_overlays/geometry.py): world x east, y north, z up; marker x to the viewer's right, y up, z out of the
 * printed face, which looks towards compass `facing`; corners TL, TR, BR, BL as ArUco gives them.
 * No DOM here: the page and node can both load it.
 */
(function (root) {
  "use strict";

  // An uncalibrated phone camera, as the kiosk's default_calibration: fx = fy = 0.9 * width, centred.
  function defaultIntrinsics(width, height) {
    return {fx: 0.9 * width, fy: 0.9 * width, cx: width / 2, cy: height / 2, width: width, height: height};
  }

  // Solve the 8x8 system A h = b (Gaussian elimination, partial pivoting); null when singular.
  function solve8(a, b) {
    var n = 8, i, j, k;
    for (i = 0; i < n; i++) a[i].push(b[i]);
    for (i = 0; i < n; i++) {
      var p = i;
      for (j = i + 1; j < n; j++) if (Math.abs(a[j][i]) > Math.abs(a[p][i])) p = j;
      if (Math.abs(a[p][i]) < 1e-12) return null;
      var tmp = a[i]; a[i] = a[p]; a[p] = tmp;
      for (j = i + 1; j < n; j++) {
        var f = a[j][i] / a[i][i];
        for (k = i; k <= n; k++) a[j][k] -= f * a[i][k];
      }
    }
    var x = new Array(n);
    for (i = n - 1; i >= 0; i--) {
      var s = a[i][n];
      for (j = i + 1; j < n; j++) s -= a[i][j] * x[j];
      x[i] = s / a[i][i];
    }
    return x;
  }

  function norm(v) { return Math.hypot(v[0], v[1], v[2]); }
  function scale(v, s) { return [v[0] * s, v[1] * s, v[2] * s]; }
  function cross(a, b) { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

  // corners: [{x, y}] x4 (TL, TR, BR, BL, pixels); post: {at: [x, y], facing, height, size}; k: intrinsics.
  // Returns {x, y, z, heading} of the camera in the world, or null for a corner set that is no plausible view
  // (the kiosk's rule: camera upright within 60° and at a hand's height, 0.2 to 3.5 m).
  function cameraFromMarker(corners, post, k) {
    var s = post.size / 2;
    var local = [[-s, s], [s, s], [s, -s], [-s, -s]];
    var a = [], b = [], i;
    for (i = 0; i < 4; i++) {
      var X = local[i][0], Y = local[i][1];
      var u = (corners[i].x - k.cx) / k.fx, v = (corners[i].y - k.cy) / k.fy;
      a.push([X, Y, 1, 0, 0, 0, -X * u, -Y * u]); b.push(u);
      a.push([0, 0, 0, X, Y, 1, -X * v, -Y * v]); b.push(v);
    }
    var h = solve8(a, b);
    if (!h) return null;
    var h1 = [h[0], h[3], h[6]], h2 = [h[1], h[4], h[7]], h3 = [h[2], h[5], 1];
    var lambda = 2 / (norm(h1) + norm(h2));
    if (h3[2] * lambda < 0) lambda = -lambda;  // the marker is in front of the camera (t_z > 0)
    var r1 = scale(h1, lambda), r2 = scale(h2, lambda), t = scale(h3, lambda);
    r1 = scale(r1, 1 / norm(r1));  // nearest rotation, enough for a heading: Gram-Schmidt
    r2 = [r2[0] - dot(r1, r2) * r1[0], r2[1] - dot(r1, r2) * r1[1], r2[2] - dot(r1, r2) * r1[2]];
    r2 = scale(r2, 1 / norm(r2));
    var r3 = cross(r1, r2);
    // R (marker -> camera) has columns r1 r2 r3; the camera centre in the marker frame is -R^T t
    var cm = [-dot(r1, t), -dot(r2, t), -dot(r3, t)];
    var forward = [r1[2], r2[2], r3[2]];  // the camera's z axis in the marker frame: R^T e3
    var down = [r1[1], r2[1], r3[1]];     // the camera's y axis (image down)
    if (-down[1] <= 0.5) return null;     // marker y is world up: the camera must be upright
    var f = post.facing * Math.PI / 180, fx = Math.sin(f), fy = Math.cos(f);
    // marker axes in the world: x = (-cos f, sin f, 0), y = (0, 0, 1), z = (sin f, cos f, 0)
    function toWorld(m) { return [-fy * m[0] + fx * m[2], fx * m[0] + fy * m[2], m[1]]; }
    var c = toWorld(cm), fw = toWorld(forward);
    var z = c[2] + post.height;
    if (z < 0.2 || z > 3.5) return null;
    var heading = ((Math.atan2(fw[0], fw[1]) * 180 / Math.PI) % 360 + 360) % 360;
    return {x: c[0] + post.at[0], y: c[1] + post.at[1], z: z, heading: heading};
  }

  root.LinliPose = {defaultIntrinsics: defaultIntrinsics, cameraFromMarker: cameraFromMarker};
})(typeof globalThis !== "undefined" ? globalThis : this);

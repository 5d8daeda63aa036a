"""Phone AR benchmark: marker detection frames per second in headless chromium at 640×480, and the size of the
guide page's JavaScript (docs/ar.md "AR on the phone").

    .venv/bin/python -m bench.phone_ar [--seconds 5] [--out bench/results/phone_ar.json]

The real guide listener (``community_services.guide_app``) is served over HTTPS with a throw-away self-signed
certificate; Debian's chromium opens the route page with a FAKE CAMERA playing a generated clip (a YUV4MPEG2
file of frames from ``ar_overlays.testing``: the Sunny Garden North Gate post seen from 1.8 m), presses
"Show the way with the camera", and then times the page's own detector in the page: js-aruco2's ``detect`` +
the pose + the kiosk's rule on the current 640×480 frame, back to back. Twice: at this machine's speed, and with
chromium's CPU throttled 4× (the figure Lighthouse uses for a mid-range phone). The page's own loop is capped by
the camera (30 fps here), so its rate is reported too but is not the measure.

The clip and server helpers are shared with ``tests/community_services/test_guide_phone_ar.py``.
"""

from __future__ import annotations

import argparse
import gzip
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import Bench, finish, git_revision, machine
from bench.stats import now_iso

TARGETS = {"detect_fps_640x480_throttled_4x": 15.0}
CHROMIUM = Path("/usr/bin/chromium")
KEY = b"the-phone-ar-bench-key-000000000000000"
CLIP_SIZE = (640, 480)


@dataclass(frozen=True)
class View:
    """Where the fake camera stands (metres, world frame) and looks (compass degrees), and the post it sees."""

    post_id: str
    camera_at: tuple[float, float, float]
    heading: float


AHEAD = View("post-north-gate", (1.38, -4.31, 1.4), 172.0)
"""1.8 m from the North Gate post (aruco 1), 20° off its axis: the way to the Service Centre is ahead."""
SIDEWAYS = View("post-north-gate", (0.84, -4.62, 1.4), 128.0)
"""1.8 m from the same post, 40° off its axis: the police office is to the left, the Service Centre to the right,
the North Gate behind. Both views were chosen so the answer stays the same 0.4 m and 6° either way (a pose
from an uncalibrated phone is that rough)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--ignore-certificate-errors"]


# --- the fake camera's clip ---------------------------------------------------------------------------------------


def write_y4m(path: Path, frames_bgr: Sequence[np.ndarray], fps: int = 30) -> Path:
    """YUV4MPEG2, 4:2:0 (what chromium's ``--use-file-for-fake-video-capture`` plays, in a loop): a text header,
    then each frame as ``FRAME\\n`` and its Y, U and V planes."""
    import cv2

    h, w = frames_bgr[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames_bgr:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())  # Y then U then V: the y4m order
    return path


def marker_clip(path: Path, view: View = AHEAD, *, frames: int = 15, with_marker: bool = True) -> Path:
    """A 640×480 clip of the map's marker post ``view.post_id`` seen from ``view.camera_at`` towards
    ``view.heading``, a hand's tremor (±1° heading, ±2 cm) and sensor noise on each frame; ``with_marker=False``:
    the same street, no post."""
    from ar_overlays.testing import add_noise, render_marker, textured_background
    from wayfinding.community_map import MarkerPost, default_map_path, load_map

    post = load_map(default_map_path()).node(view.post_id)
    assert isinstance(post, MarkerPost)
    camera_at, heading = view.camera_at, view.heading
    rng = np.random.default_rng(7)
    shots = []
    for i in range(frames):
        if not with_marker:
            shots.append(add_noise(textured_background(CLIP_SIZE, seed=i), 3.0, seed=i))
            continue
        at = (camera_at[0] + rng.uniform(-0.02, 0.02), camera_at[1] + rng.uniform(-0.02, 0.02), camera_at[2])
        shot = render_marker(post, camera_at=at, heading=heading + rng.uniform(-1, 1), size=CLIP_SIZE, seed=3)
        shots.append(add_noise(shot.frame, 3.0, seed=i))
    return write_y4m(path, shots)


def fake_camera_args(clip: Path | None, *, grant: bool = True) -> list[str]:
    """Chromium's fake camera playing ``clip``; ``grant``: answer the permission prompt with yes (without it the
    headless browser refuses the camera, as a resident who says no)."""
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
    if clip is not None:
        args.append(f"--use-file-for-fake-video-capture={clip}")
    if grant:
        args.append("--use-fake-ui-for-media-stream")
    return args


# --- the guide listener over HTTPS --------------------------------------------------------------------------------


@contextmanager
def serve_guide_https(folder: Path, key: bytes = KEY) -> Iterator[str]:
    """The phones' listener (``create_guide_app``) with uvicorn over TLS on a free loopback port, with a
    certificate made by ``assistant.tls.make_certificate`` (what ``linli tls make`` writes); yields its base URL."""
    import uvicorn

    from assistant.tls import make_certificate
    from community_services.api.guide import GuideSettings
    from community_services.guide_app import create_guide_app
    from community_services.rate_limit import TokenBuckets
    from wayfinding.community_map import default_map_path

    cert, cert_key = folder / "cert.pem", folder / "key.pem"
    make_certificate(cert, cert_key, names=["localhost"], ips=["127.0.0.1"])
    app = create_guide_app(GuideSettings(map_path=default_map_path(), key=key))
    app.state.guide.per_address = TokenBuckets(1000.0, 10_000)  # many pages from one "phone" in a test run
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ssl_certfile=str(cert),
                                           ssl_keyfile=str(cert_key)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the guide listener did not start")
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def page_url(base: str, to: str, at: str = AHEAD.post_id, lang: str | None = None, key: bytes = KEY) -> str:
    from wayfinding.guide_links import GuideLink

    return GuideLink("sunny-garden", at=at, to=to, lang=lang).to_url(base, key)


# --- measuring ----------------------------------------------------------------------------------------------------

DETECT_LOOP_JS = """async (seconds) => {
  // the page's own detector, pose and rule on the frame in view, back to back (not capped by the camera)
  const video = document.getElementById('ar-video');
  const c = document.createElement('canvas'); c.width = 640; c.height = 480;
  const g = c.getContext('2d', {willReadFrequently: true});
  const detector = new AR.Detector({dictionaryName: 'ARUCO_4X4_50'});
  const k = LinliPose.defaultIntrinsics(640, 480);
  const posts = JSON.parse(document.getElementById('guide-ar-data').textContent).posts;
  const times = [], whole = []; let seen = 0; const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    g.drawImage(video, 0, 0, 640, 480);
    const pixels = g.getImageData(0, 0, 640, 480);
    const t1 = performance.now();
    const markers = detector.detect(pixels);
    const post = markers.length ? posts[markers[0].id] : null;
    if (post && LinliPose.cameraFromMarker(markers[0].corners, post, k)) seen += 1;
    const t2 = performance.now();
    times.push(t2 - t1); whole.push(t2 - t0);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  times.sort((a, b) => a - b);
  return {frames: times.length, seen, p50: times[Math.floor(times.length / 2)],
          p95: times[Math.floor(times.length * 0.95)], mean: mean(times), frame_mean: mean(whole)};
}"""


def script_sizes() -> dict[str, dict[str, int]]:
    """Bytes of each script the page loads, raw and gzipped (level 6, what a compressing proxy would send)."""
    from community_services.api.guide import PAGE_SCRIPTS, STATIC_FILES

    sizes = {}
    for name in PAGE_SCRIPTS:
        data = STATIC_FILES[name][0].read_bytes()
        sizes[name] = {"bytes": len(data), "gzip": len(gzip.compress(data, 6))}
    return sizes


def measure_in_chromium(b: Bench, base: str, clip: Path, seconds: float, throttle: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=fake_camera_args(clip))
        context = browser.new_context(viewport={"width": 412, "height": 915}, ignore_https_errors=True)
        page = context.new_page()
        if throttle > 1:
            context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        page.goto(page_url(base, "community-service-centre"))
        page.click("#ar-start")
        page.wait_for_selector("#ar[data-state=tracking]", timeout=20_000)
        time.sleep(min(3.0, seconds))  # the page's loop settles; its fps is counted per second
        loop_fps = float(page.get_attribute("#ar", "data-fps") or 0)
        detect = page.evaluate(DETECT_LOOP_JS, seconds)
        direction = page.get_attribute("#ar", "data-direction")
        browser.close()
    detect["fps"] = round(1000.0 / detect["mean"], 1) if detect["mean"] > 0 else 0.0
    detect["frame_fps"] = round(1000.0 / detect["frame_mean"], 1) if detect["frame_mean"] > 0 else 0.0
    detect["page_loop_fps"] = loop_fps
    detect["direction"] = direction
    return detect


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.phone_ar", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="seconds of back-to-back detection per setting")
    p.add_argument("--out", type=Path, default=Path("bench/results/phone_ar.json"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    b = Bench(args)
    root = Path(__file__).resolve().parents[1]
    b.results["meta"] = {"started": now_iso(), "root": str(root), "git": git_revision(root), "machine": machine(),
                         "targets": TARGETS, "library": "js-aruco2 2.0.0 (npm)"}
    with b.section("JavaScript size"):
        sizes = script_sizes()
        total = sum(s["bytes"] for s in sizes.values())
        zipped = sum(s["gzip"] for s in sizes.values())
        b.results["scripts"] = {"files": sizes, "bytes": total, "gzip": zipped}
        b.row(f"page JavaScript ({len(sizes)} files)", f"{total / 1024:.1f} KiB", "", None)
        b.row("page JavaScript, gzip", f"{zipped / 1024:.1f} KiB", "", None)
    with tempfile.TemporaryDirectory(prefix="phone-ar-bench-") as tmp:
        folder = Path(tmp)
        clip = marker_clip(folder / "clip.y4m")
        with serve_guide_https(folder) as base:
            for throttle in (1.0, 4.0):
                label = "this machine" if throttle == 1 else f"CPU throttled {throttle:g}× (mid-range phone)"
                with b.section(f"Detection, {label}"):
                    r = measure_in_chromium(b, base, clip, args.seconds, throttle)
                    key = "detect_640x480" if throttle == 1 else f"detect_640x480_throttled_{throttle:g}x"
                    b.results[key] = r
                    target = TARGETS.get(f"detect_fps_640x480_throttled_{throttle:g}x")
                    b.row(f"detect+pose fps 640×480, {label}", f"{r['fps']:.1f} (p50 {r['p50']:.1f} ms, "
                          f"p95 {r['p95']:.1f} ms; found {r['seen']}/{r['frames']})",
                          f"≥ {target:g}" if target else "", r["fps"] >= target if target else None)
                    b.row(f"with reading the frame (drawImage + getImageData), {label}", f"{r['frame_fps']:.1f} fps",
                          "", None)
                    b.row(f"the page's own loop (camera 30 fps), {label}", f"{r['page_loop_fps']:.1f} fps", "", None)
    b.note("frames are synthetic (a 20 cm marker 1.8 m away, σ=3 noise); the guide sends its files uncompressed "
           "(gzip shown for reference) and phones keep them a year (hashed URLs)")
    return finish(b, args.out)


if __name__ == "__main__":
    sys.exit(main())

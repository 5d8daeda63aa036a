"""AR navigation benchmark: per-frame cost of marker detection + pose + drawing (the kiosk's camera loop), the same
with the edge indicator ("Which way, always": the way is behind the camera) against the path without it, the 2D
map fallback, QR decoding and route computation on a 1,000-node map.

    .venv/bin/python -m bench.ar [--frames 200] [--out bench/results/ar.json]

Frames are synthetic (ar_overlays/testing.py): the Sunny Garden marker post ``post-lane-45`` (20 cm ArUco)
seen from 1.5–4 m at varying angles, with sensor noise, rendered before timing. Everything runs on one core
(CPU affinity + ``cv2.setNumThreads(1)``), as the target says; time is wall time per call.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_overlays.camera import check_frame, default_calibration
from ar_overlays.detect import MarkerDetector, QrScanner
from ar_overlays.draw import draw_route_ar
from ar_overlays.overlay import OverlayPipeline
from ar_overlays.pose import best_pose
from ar_overlays.testing import add_noise, render_marker, textured_background, warp_image_into_frame
from assistant.places.community import default_map_path, load_map
from bench.report import Bench, finish, git_revision, machine
from bench.stats import now_iso, summary_ms
from wayfinding.community_map import CommunityMap
from wayfinding.route import Route

TARGETS = {"ar_frame_p95_ms_1280x720": 10.0, "ar_edge_frame_p95_ms_1280x720": 10.0}
POST_ID = "post-lane-45"


def timed(fn: Callable[[], Any], n: int, warm: int = 5) -> list[float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def marker_frames(m: CommunityMap, size: tuple[int, int], n: int) -> list[np.ndarray]:
    post = next(p for p in m.markers if p.id == POST_ID)
    rng = random.Random(1)
    frames = []
    for k in range(n):
        # the post's face looks north (facing 0): the camera stands north of it, looking roughly south
        dist, side = rng.uniform(1.5, 4.0), rng.uniform(-1.5, 1.5)
        cam = (post.at[0] + side, post.at[1] + dist, rng.uniform(1.2, 1.7))
        bearing = float(np.degrees(np.arctan2(post.at[0] - cam[0], post.at[1] - cam[1]))) % 360
        shot = render_marker(post, cam, bearing + rng.uniform(-12, 12), rng.uniform(-10, 5), size=size, seed=k)
        frames.append(add_noise(shot.frame, 5, seed=k))
    return frames


def measure_ar(b: Bench, m: CommunityMap, route: Route, size: tuple[int, int], n: int) -> None:
    w, h = size
    frames = marker_frames(m, size, n)
    pipeline = OverlayPipeline(m)
    modes: dict[str, int] = {}
    it = iter(range(10**9))

    def one() -> None:
        result = pipeline.process(frames[next(it) % n], route)
        modes[result.mode] = modes.get(result.mode, 0) + 1

    s = summary_ms(timed(one, n))
    # the parts, each over the same frames
    det = MarkerDetector()
    cal = default_calibration(w, h)
    posts = {p.aruco: p for p in m.markers}
    detections = [det.detect(f) for f in frames]
    poses = [best_pose(d, posts, cal) for d in detections]
    k = iter(range(10**9))
    parts = {
        "detect": summary_ms(timed(lambda: det.detect(frames[next(k) % n]), n)),
        "pose": summary_ms(timed(lambda: best_pose(detections[next(k) % n], posts, cal), n)),
    }
    found = [(f, p) for f, p in zip(frames, poses, strict=True) if p is not None]
    canvas = [f.copy() for f, _ in found[:50]]
    parts["draw"] = summary_ms(timed(lambda: draw_route_ar(canvas[(j := next(k)) % len(canvas)],
                                                            found[j % len(canvas)][1], cal, route), n))
    key = f"ar_{w}x{h}"
    b.results[key] = {"frame": s, "parts": parts, "modes": modes, "frames": n}
    target = TARGETS["ar_frame_p95_ms_1280x720"] if (w, h) == (1280, 720) else None
    b.row(f"AR frame {w}×{h}: detect + pose + draw, one core, p50 / p95",
          f"{s['p50']} / {s['p95']} ms (AR in {modes.get('ar', 0)}/{sum(modes.values())})",
          f"p95 ≤ {target:.0f} ms" if target else "", s["p95"] <= target if target else None)
    b.row(f"  of which detect / pose / draw p50 ({w}×{h})",
          f"{parts['detect']['p50']} / {parts['pose']['p50']} / {parts['draw']['p50']} ms")


def measure_edge(b: Bench, m: CommunityMap, size: tuple[int, int], n: int) -> None:
    """The per-frame path with the edge indicator (turn state + the U-arrow and its words) against the path before
    it (detect + pose + ribbon drawing, exactly what ``process`` did), interleaved over the same frames in the same
    run, so the ratio is not skewed by the machine's load drifting between two separate runs."""
    from wayfinding.routing import Router

    w, h = size
    frames = marker_frames(m, size, n)
    # the cameras stand north of post-lane-45 looking south; this way goes north: behind every one of them
    route = Router(m).route("north-gate", start="post-lane-45")
    pipeline = OverlayPipeline(m)
    detector = MarkerDetector(dictionary=m.marker_dictionary)
    posts = {p.aruco: p for p in m.markers}
    cal = default_calibration(w, h)
    turns: dict[str, int] = {}

    def previous(frame: np.ndarray) -> None:
        frame = check_frame(frame)
        pose = best_pose(detector.detect(frame), posts, cal)
        if pose is not None:
            draw_route_ar(frame.copy(), pose, cal, route)

    def with_edge(frame: np.ndarray) -> None:
        result = pipeline.process(frame, route)
        key = result.turn.turn.value if result.turn is not None else result.mode
        turns[key] = turns.get(key, 0) + 1

    for k in range(5):  # warm both (label images, cached arrow shapes)
        previous(frames[k % n])
        with_edge(frames[k % n])
    turns.clear()
    old: list[float] = []
    new: list[float] = []
    for k in range(n):
        for fn, out in ((previous, old), (with_edge, new)) if k % 2 == 0 else ((with_edge, new), (previous, old)):
            t0 = time.perf_counter()
            fn(frames[k])
            out.append(time.perf_counter() - t0)
    s_old, s_new = summary_ms(old), summary_ms(new)
    ratio = {q: round(s_new[q] / s_old[q], 2) if s_old[q] else None for q in ("p50", "p95")}
    key = f"ar_edge_{w}x{h}"
    b.results[key] = {"frame": s_new, "previous": s_old, "ratio": ratio, "turns": turns, "frames": n}
    target = TARGETS["ar_edge_frame_p95_ms_1280x720"] if (w, h) == (1280, 720) else None
    b.row(f"AR frame with the edge indicator at {w}×{h}, one core, p50 / p95",
          f"{s_new['p50']} / {s_new['p95']} ms ({', '.join(f'{k} {v}' for k, v in sorted(turns.items()))})",
          f"p95 ≤ {target:.0f} ms" if target else "", s_new["p95"] <= target if target else None)
    b.row(f"  the path before it (detect + pose + ribbon), same frames, p50 / p95 ({w}×{h})",
          f"{s_old['p50']} / {s_old['p95']} ms; ratio {ratio['p50']} / {ratio['p95']}")


def measure_map_mode(b: Bench, m: CommunityMap, route: Route, size: tuple[int, int], n: int) -> None:
    w, h = size
    frames = [add_noise(textured_background(size, seed=k), 5, seed=k) for k in range(20)]
    pipeline = OverlayPipeline(m)
    pipeline.process(frames[0], route)  # first call renders and caches the map
    it = iter(range(10**9))
    s = summary_ms(timed(lambda: pipeline.process(frames[next(it) % len(frames)], route), n))
    b.results[f"map_mode_{w}x{h}"] = s
    b.row(f"No marker → 2D map frame {w}×{h} p50 / p95", f"{s['p50']} / {s['p95']} ms",
          f"p95 ≤ {TARGETS['ar_frame_p95_ms_1280x720']:.0f} ms" if (w, h) == (1280, 720) else "",
          s["p95"] <= TARGETS["ar_frame_p95_ms_1280x720"] if (w, h) == (1280, 720) else None)


def measure_qr(b: Bench, n: int) -> None:
    import qrcode

    url = "http://192.168.1.20:8700/guide/sunny-garden?at=post-lane-45&to=community-clinic&sig=AbCdEfGhIjKlMnOpQrStUv"
    buf = io.BytesIO()
    qrcode.make(url, box_size=10, border=4).save(buf, format="PNG")
    code = np.asarray(cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE), np.uint8)
    rng = random.Random(2)
    frames = []
    for k in range(20):  # a poster held up at 40-60 cm: the code 250-400 px wide, a little slanted
        side, cx, cy = rng.uniform(250, 400), rng.uniform(400, 880), rng.uniform(250, 470)
        quad = np.array([[cx - side / 2 + rng.uniform(-20, 20), cy - side / 2 + rng.uniform(-20, 20)],
                         [cx + side / 2 + rng.uniform(-20, 20), cy - side / 2 + rng.uniform(-20, 20)],
                         [cx + side / 2 + rng.uniform(-20, 20), cy + side / 2 + rng.uniform(-20, 20)],
                         [cx - side / 2 + rng.uniform(-20, 20), cy + side / 2 + rng.uniform(-20, 20)]])
        frames.append(add_noise(warp_image_into_frame(code, quad, size=(1280, 720), seed=k), 4, seed=k))
    scanner = QrScanner()
    read = sum(1 for f in frames if [q.text for q in scanner.scan(f)] == [url])
    it = iter(range(10**9))
    s = summary_ms(timed(lambda: scanner.scan(frames[next(it) % len(frames)]), n, warm=2))
    empty = [textured_background((1280, 720), seed=k) for k in range(5)]
    e = summary_ms(timed(lambda: scanner.scan(empty[next(it) % len(empty)]), max(10, n // 3), warm=1))
    b.results["qr"] = {"with_code": s, "no_code": e, "read": read, "of": len(frames)}
    b.row("QR poster code in a 1280×720 frame: decode p50 / p95", f"{s['p50']} / {s['p95']} ms (read {read}/20)")
    b.row("QR scan of a frame with no code p50 / p95", f"{e['p50']} / {e['p95']} ms")


def measure_routing(b: Bench) -> None:
    try:
        from wayfinding.routing import Router
        from wayfinding.synthetic_map import grid_map
    except ImportError as e:
        b.note(f"routing not measured: {e}")
        return
    t0 = time.perf_counter()
    m = grid_map(1000, seed=0)
    built_map = time.perf_counter() - t0
    t0 = time.perf_counter()
    router = Router(m)
    built = time.perf_counter() - t0
    rng = random.Random(3)
    places = [p.id for p in m.places]
    targets = [(rng.choice(places), rng.random() < 0.5) for _ in range(60)]
    it = iter(range(10**9))

    def one() -> None:
        to, step_free = targets[next(it) % len(targets)]
        router.route(to, step_free=step_free)

    s = summary_ms(timed(one, 60, warm=2))
    b.results["routing_1000"] = {"nodes": 1000, "paths": len(m.paths), "map_s": round(built_map, 3),
                                 "router_build_ms": round(built * 1000, 1), "route": s}
    b.row("Route on a 1,000-node map (half step-free) p50 / p95", f"{s['p50']} / {s['p95']} ms",
          f"router build {built * 1000:.0f} ms")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.ar", description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=200, help="frames per AR measurement")
    p.add_argument("--out", type=Path, default=Path("bench/results/ar.json"))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    b = Bench(args)
    root = Path(__file__).resolve().parents[1]
    b.results["meta"] = {"started": now_iso(), "root": str(root), "git": git_revision(root), "machine": machine(),
                         "targets": TARGETS, "opencv": cv2.__version__}
    cv2.setNumThreads(1)
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})  # "on one core"
    try:
        m = load_map(default_map_path())
        from wayfinding.routing import Router

        route = Router(m).route("community-clinic")
        b.say(f"route kiosk → {route.goal_name}: {route.length_m:.0f} m, {len(route.points)} points")
        for size in ((1280, 720), (640, 480)):
            with b.section(f"AR {size[0]}x{size[1]}"):
                measure_ar(b, m, route, size, args.frames)
        with b.section("AR edge indicator 1280x720"):
            measure_edge(b, m, (1280, 720), args.frames)
        for size in ((1280, 720), (640, 480)):
            with b.section(f"Map mode {size[0]}x{size[1]}"):
                measure_map_mode(b, m, route, size, args.frames)
        with b.section("QR"):
            measure_qr(b, 40)
        with b.section("Routing"):
            measure_routing(b)
    except KeyboardInterrupt:
        b.note("interrupted")
    finally:
        os.sched_setaffinity(0, affinity)
    b.note("frames are synthetic (a 20 cm marker 1.5–4 m away, σ=5 noise); real camera frames add blur and clutter")
    return finish(b, args.out)


if __name__ == "__main__":
    sys.exit(main())

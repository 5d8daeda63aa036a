"""A loopback control channel for driving the real app in tests and benchmarks (off unless asked for).

``LINLI_KIOSK_CONTROL_PORT=N`` with ``LINLI_KIOSK_CONTROL_TOKEN=secret`` starts a tiny HTTP server on
127.0.0.1:N. Every request must carry ``Authorization: Bearer <secret>`` (another local account, or a web page
in a browser on the kiosk, must not drive it) and a ``Host`` of 127.0.0.1:N or localhost:N (a DNS-rebinding page
names another host). Screenshots are written only as ``<var>/screenshots/<name>.png``. Each command runs on the UI
thread (scheduled with ``Clock``) and the HTTP thread waits for its result, so tests see the app exactly
as a resident would after the tap: ``GET /state``, ``POST /tap {"id"}``, ``POST /tap_text {"text"}``,
``POST /type {"text"}``, ``POST /screenshot {"name"}`` (returns the file's path), ``POST /call {"name", "args"}``
(an allowed App
method, e.g. ``set_text_step``, or a screen's as ``screen.method``, e.g. ``conversation.scroll_messages``),
``POST /audit`` (accessibility problems of what is on screen).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.uix.label import Label
from kivy.uix.widget import Widget

log = logging.getLogger(__name__)
ALLOWED_CALLS = {"set_language", "set_text_step", "toggle_contrast", "go_home", "show", "reset_conversation",
                 "emergency", "talk", "repeat", "slower", "conversation.scroll_messages"}


def on_ui_thread(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    done = threading.Event()
    box: dict[str, Any] = {}

    def run(_dt: float) -> None:
        try:
            box["value"] = fn()
        except Exception as e:  # reported to the test, not raised in the UI loop
            box["error"] = f"{type(e).__name__}: {e}"
        finally:
            done.set()

    Clock.schedule_once(run, 0)
    if not done.wait(timeout):
        raise TimeoutError("the UI thread did not answer")
    if "error" in box:
        raise RuntimeError(box["error"])
    return box.get("value")


def _widgets(root: Widget) -> list[Widget]:
    return list(root.walk(restrict=False))


def find(app: Any, widget_id: str) -> Widget:
    """A widget by its kv id, searched in the root, every screen and any open overlay."""
    from kivy.core.window import Window

    for top in [app.root, *app.root.ids.sm.screens, *Window.children]:
        for w in _widgets(top):
            if widget_id in getattr(w, "ids", {}):
                return w.ids[widget_id]
    raise KeyError(f"no widget with id {widget_id!r}")


def state(app: Any) -> dict[str, Any]:
    from kivy.core.window import Window

    current = app.root.ids.sm.current_screen
    visible = [current, app.root.children[0]] + [w for w in Window.children if w is not app.root]
    texts = [w.text for top in visible for w in _widgets(top) if isinstance(w, Label) and w.text]
    conv = app.root.ids.sm.get_screen("conversation")
    guide = app.root.ids.sm.get_screen("guide")
    bubbles = [{"who": b.who, "text": b.text} for b in reversed(conv.ids.messages.children)]
    return {"screen": current.name, "texts": texts, "bubbles": bubbles, "partial": conv.partial_text,
            "overlays": [type(w).__name__ for w in Window.children if w is not app.root],
            "guide": {"picture": guide.picture_mode, "to": guide.route_to, "step_free_offer": guide.step_free_offer,
                      "qr": guide.qr_path},
            "body_px": app.body_px, "text_step": app.text_step, "theme": app.theme_name, "language": app.language,
            "interactive_s": (app.interactive_at - app.started_at) if app.interactive_at else None}


MISSING_GLYPH = "\U0010fffd"
"""A private-use character no font has: drawn as the font's "missing" box (tofu), or as nothing."""


def tofu(text: str) -> list[str]:
    """The characters of ``text`` the kiosk's default font draws exactly like a character it lacks (tofu)."""
    from kivy.core.text import Label as CoreLabel

    def drawn(chars: str) -> tuple[tuple[int, int], bytes]:
        label = CoreLabel(text=chars, font_size=48)
        label.refresh()
        width, height = label.texture.size
        return (int(width), int(height)), bytes(label.texture.pixels)

    box = drawn(MISSING_GLYPH)
    return [c for c in dict.fromkeys(text) if not c.isspace() and drawn(c) == box]


def clipped(app: Any) -> list[dict[str, Any]]:
    """Labels on screen (the current screen, the bars, overlays) whose text is drawn larger than the label:
    cut off at the edge, or running over its neighbour."""
    from kivy.core.window import Window

    current = app.root.ids.sm.current_screen
    visible = [current, app.root.children[0]] + [w for w in Window.children if w is not app.root]
    found = []
    for top in visible:
        for w in _widgets(top):
            if not isinstance(w, Label) or not w.text or w.opacity == 0 or w.width <= 1:
                continue
            tw, th = w.texture_size
            if tw > w.width + 1 or th > w.height + 1:
                found.append({"text": w.text[:80], "texture": [tw, th], "size": [w.width, w.height]})
    return found


def tap(app: Any, widget_id: str) -> None:
    widget = find(app, widget_id)
    widget.dispatch("on_press")
    widget.dispatch("on_release")


def bench_scroll(app: Any, messages: int, seconds: float, done: Callable[[list[float]], None]) -> None:
    """Fill the conversation with ``messages`` bubbles, then scroll it top to bottom over ``seconds``,
    recording every frame's interval (with ``maxfps`` 0 that is the frame's own cost)."""
    import time

    for i in range(messages):
        app.conversation.add_bubble(f"Message {i}: the kitchen tap in Building 5, flat 302 is dripping again.",
                    "resident" if i % 2 else "linli")
    app.show("conversation")
    scroll = app.root.ids.sm.get_screen("conversation").ids.scroll
    from kivy.core.window import Window

    frames: list[float] = []
    draw: list[float] = []
    original_flip = Window.flip

    def timed_flip() -> None:  # the swap waits for Mesa to finish rasterising the frame
        t = time.perf_counter()
        original_flip()
        draw.append(time.perf_counter() - t)

    Window.flip = timed_flip
    start = time.perf_counter()
    last = [start]

    def step(_dt: float) -> bool:
        now = time.perf_counter()
        frames.append(now - last[0])
        last[0] = now
        progress = (now - start) / seconds
        scroll.scroll_y = max(0.0, 1.0 - progress)
        if progress >= 1.0:
            Window.flip = original_flip
            done([*frames[1:], -1.0, *draw[1:]])  # -1 separates frame intervals from the swap times
            return False
        return True

    Clock.schedule_interval(step, 0)


def tap_text(app: Any, text: str) -> None:
    """Tap the visible button whose label is ``text`` (options from the dialogue have no kv id)."""
    from kivy.core.window import Window
    from kivy.uix.button import Button

    current = app.root.ids.sm.current_screen
    for top in [current, app.root.children[0], *[w for w in Window.children if w is not app.root]]:
        for w in _widgets(top):
            if isinstance(w, Button) and w.text.strip().lower() == text.strip().lower():
                w.dispatch("on_press")
                w.dispatch("on_release")
                return
    raise KeyError(f"no button reading {text!r}")


def type_text(app: Any, text: str) -> None:
    field = find(app, "typed")
    field.text = text
    app.conversation.send_typed(field)


def screenshot(path: str) -> str:
    """Kivy numbers screenshots (name0001.png...); this keeps exactly the name asked for."""
    import os

    from kivy.core.window import Window

    saved = Window.screenshot(name=path)
    if saved and saved != path:
        os.replace(saved, path)
    return path


def call(app: Any, name: str, args: list[Any]) -> Any:
    """An allowed call: ``name`` is the App's method, or ``screen.method`` for a screen's."""
    screen, _, method = name.rpartition(".")
    target = app.screen(screen) if screen else app
    return getattr(target, method)(*args)


SHOT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,80}")


def shot_path(folder: Path, name: object) -> Path:
    """``<folder>/<name>.png`` for a plain name; anything that could leave the folder is refused."""
    if not isinstance(name, str) or not SHOT_NAME.fullmatch(name) or name.startswith("."):
        raise ValueError("a screenshot name is letters, digits, '.', '_' or '-' (at most 80)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


class _Handler(BaseHTTPRequestHandler):
    app: Any = None
    token = ""
    port = 0
    shots = Path("screenshots")

    def _allowed(self) -> bool:
        """The secret, and a loopback Host (refused with 401/403 before anything is read or run)."""
        if self.headers.get("Host") not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):
            self._reply(403, {"ok": False, "error": "wrong Host"})
            return False
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            self._reply(401, {"ok": False, "error": "the control channel's secret is missing or wrong"})
            return False
        return True

    def log_message(self, *_: Any) -> None:  # the kiosk log is not for test traffic
        pass

    def _reply(self, code: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self._allowed():
            return
        if self.path == "/state":
            self._reply(200, on_ui_thread(lambda: state(self.app)))
        else:
            self._reply(404, {"error": "unknown"})

    def do_POST(self) -> None:  # noqa: N802
        if not self._allowed():
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            app = self.app
            if self.path == "/tap":
                result: Any = on_ui_thread(lambda: tap(app, body["id"]))
            elif self.path == "/tap_text":
                result = on_ui_thread(lambda: tap_text(app, body["text"]))
            elif self.path == "/type":
                result = on_ui_thread(lambda: type_text(app, body["text"]))
            elif self.path == "/screenshot":
                target = shot_path(self.shots, body.get("name"))
                result = on_ui_thread(lambda: screenshot(str(target)))
            elif self.path == "/tofu":
                result = on_ui_thread(lambda: tofu(str(body.get("text", ""))))
            elif self.path == "/clipped":
                result = on_ui_thread(lambda: clipped(app))
            elif self.path == "/call" and body.get("name") in ALLOWED_CALLS:
                result = on_ui_thread(lambda: call(app, body["name"], body.get("args", [])))
            elif self.path == "/bench_scroll":
                finished = threading.Event()
                box: dict[str, list[float]] = {}

                def done(frames: list[float]) -> None:
                    box["frames"] = frames
                    finished.set()

                on_ui_thread(lambda: bench_scroll(app, int(body.get("messages", 200)),
                                                  float(body.get("seconds", 3.0)), done))
                finished.wait(float(body.get("seconds", 3.0)) + 60)
                result = box.get("frames", [])
            elif self.path == "/audit":
                from kiosk_app.accessibility import audit

                def run_audit() -> list[str]:
                    from kivy.core.window import Window

                    from kiosk_app import theme

                    palette = theme.colors(app.theme_name)
                    # overlays (emergency, "still there?") are children of the Window, not of the root
                    tops = [app.root, *[w for w in Window.children if w is not app.root]]
                    return [str(p) for top in tops for p in audit(top, Window.height, palette)]

                result = on_ui_thread(run_audit)
            else:
                self._reply(404, {"error": "unknown"})
                return
            self._reply(200, {"ok": True, "result": result})
        except Exception as e:
            self._reply(400, {"ok": False, "error": f"{type(e).__name__}: {e}"})


def start_control(app: Any, port: int, token: str, shots: Path) -> ThreadingHTTPServer:
    if not token:
        raise ValueError("the control channel needs a secret")
    handler = type("Handler", (_Handler,), {"app": app, "token": token, "port": port, "shots": shots})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="linli-kiosk-control", daemon=True).start()
    log.info("kiosk control channel on 127.0.0.1:%d", port)
    return server

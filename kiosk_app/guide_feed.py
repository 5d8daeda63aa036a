"""Pictures for the Guide screen, made off the UI thread: the camera with the way drawn on it, or the map.

With a camera (``LINLI_CAMERA``: an index, a video or an image file) one thread reads frames, draws
the route onto them while the Guide screen is shown, and looks for QR posters every few frames even
when it is not — a resident can hold a poster up to the kiosk at any time. A household card's code
(``LINLI-CARD:…``, ``docs/resident-verification.md``) is handed on as it is: only the office can check it.
Without a camera, the guide map (``wayfinding.guide_map``) is drawn once per route, at the size the Guide screen
shows it and in the conversation's language, and handed on with the labels it drew (for the accessibility
audit). A broken map or camera is logged and the words of the way stay on screen; nothing here may stop the kiosk.
When the camera's instruction changes ("Turn left", docs/ar.md "Which way, always") it is handed on once, to be
said aloud.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ar_overlays.camera import Calibration, CameraError, load_calibration, open_camera
from ar_overlays.detect import QrScanner
from ar_overlays.overlay import OverlayPipeline
from ar_overlays.turns import TurnInstruction
from assistant.places.community import default_map_path, keys_cache, load_map
from assistant.shared.errors import LinliError
from wayfinding.community_map import CommunityMap
from wayfinding.guide_links import GuideLink, GuideLinkError, parse_guide_url
from wayfinding.guide_map import MapPicture, render_guide_map
from wayfinding.key_ring import RingCache
from wayfinding.route import Route

log = logging.getLogger(__name__)

MAP_SIZE = (960, 720)
"""Pixels of the map picture until the Guide screen says the size it shows it at."""


@dataclass(frozen=True)
class MapRequest:
    """How to draw the map: at the size shown, labels in the conversation's language, glyphs at least
    ``text_px`` high (the screen's body text size: 30 px at 1080p by default)."""

    size: tuple[int, int] = MAP_SIZE
    lang: str | None = None
    text_px: float = 30.0


@dataclass(frozen=True)
class FeedSettings:
    camera: str | None
    """``LINLI_CAMERA``; ``None``: no camera, the map only."""
    var_dir: Path
    map_path: Path | None = None
    calibration: Path | None = None
    """``LINLI_CAMERA_CALIBRATION``: the camera's calibration file (else a default for its picture size)."""
    fps: float = 10.0
    scan_every: int = 5
    """Look for a QR poster in every n-th frame (decoding is slower than drawing)."""
    same_poster_s: float = 10.0
    """A poster still held up is not opened again within this time."""


CARD_PREFIX = "LINLI-CARD:"
"""What a household card's QR code starts with (the office's ``households.CARD_SCHEME``)."""
MAX_CARD = 200


class GuideFeed:
    def __init__(self, settings: FeedSettings, on_frame: Callable[[np.ndarray, str, MapPicture | None], None],
                 on_poster: Callable[[GuideLink], None], on_card: Callable[[str], None] | None = None,
                 on_turn: Callable[[TurnInstruction], None] | None = None) -> None:
        """``on_frame(rgb, mode, picture)``, ``on_poster(link)``, ``on_card(code)`` and ``on_turn(instruction)`` are
        called from the feed's thread; ``picture`` is the guide map with its labels (``None`` for camera frames);
        ``on_turn`` once per change of an instruction that has words."""
        self.settings = settings
        self._on_frame = on_frame
        self._on_poster = on_poster
        self._on_card = on_card
        self._on_turn = on_turn
        self.language = "en"
        """The language of the words drawn on the camera picture (the app sets the conversation's)."""
        self._route: Route | None = None
        self._request = MapRequest()
        self._shown = 0
        """Counts ``show`` calls: a map drawn for an older route is not shown over a newer one."""
        self._active = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._map: CommunityMap | None = None
        self._keys: RingCache | None = None
        self.mode = "none"
        """What the last picture was: ``ar``, ``map`` or ``none``."""
        self.problem: str | None = None
        self._map_only = not settings.camera
        """No camera, or it failed: the picture is the map, drawn once per route."""
        self._thread: threading.Thread | None = None
        if settings.camera:
            self._thread = threading.Thread(target=self._camera_loop, name="linli-guide-camera", daemon=True)
            self._thread.start()

    # UI thread -----------------------------------------------------------------------------------------
    def show(self, route: Route | None, request: MapRequest | None = None) -> None:
        """The route to draw (``None``: the map without a route); ``request``: how (else as last time)."""
        with self._lock:
            self._route = route
            if request is not None:
                self._request = request
            self._shown += 1
            shown = self._shown
        if self._map_only:
            threading.Thread(target=self._draw_map_once, args=(route, shown), name="linli-guide-map",
                             daemon=True).start()

    def set_active(self, active: bool) -> None:
        """Draw camera frames only while the Guide screen is shown."""
        self._active = active

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    # feed threads --------------------------------------------------------------------------------------
    def community_map(self) -> CommunityMap | None:
        """The map, loaded once; ``None`` when it cannot be used (the reason is in ``problem``)."""
        if self._map is None:
            try:
                self._map = load_map(self.settings.map_path or default_map_path())
            except LinliError as e:
                self.problem = e.message
                log.error("the guide has no map: %s", e)
        return self._map

    def _draw_map_once(self, route: Route | None, shown: int) -> None:
        community_map = self.community_map()
        if community_map is None:
            return
        with self._lock:
            request = self._request
        try:
            picture = render_guide_map(community_map, route, request.size, lang=request.lang,
                                       min_text_px=request.text_px)
        except Exception:  # a drawing bug must not take the words of the way with it
            log.exception("could not draw the map")
            return
        with self._lock:
            if shown != self._shown:
                return
            self.mode = "map"
            self._on_frame(picture.rgb, "map", picture)

    def _camera_loop(self) -> None:
        community_map = self.community_map()
        try:
            camera = open_camera(self.settings.camera or "0")
        except CameraError as e:
            self.problem = e.message
            log.error("the guide has no camera: %s", e)
            self._map_only = True
            with self._lock:
                route, shown = self._route, self._shown
            self._draw_map_once(route, shown)
            return
        calibration: Calibration | None = None
        if self.settings.calibration is not None:
            try:
                calibration = load_calibration(self.settings.calibration)
            except CameraError as e:  # drawn a little off is better than not drawn
                self.problem = e.message
                log.error("camera calibration not used: %s", e)
        pipeline = OverlayPipeline(community_map, calibration) if community_map is not None else None
        scanner = QrScanner()
        seen: dict[str, float] = {}
        period = 1.0 / self.settings.fps
        count = 0
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    frame = camera.read()
                except CameraError as e:
                    self.problem = e.message
                    log.warning("camera: %s", e)
                    self._stop.wait(1.0)
                    continue
                count += 1
                if count % self.settings.scan_every == 1 or self.settings.scan_every == 1:
                    self._look_for_posters(scanner, frame, seen)
                with self._lock:
                    route = self._route
                if self._active and pipeline is not None:
                    pipeline.language = self.language
                    result = pipeline.process(frame, route)
                    self.mode = result.mode
                    self._on_frame(result.frame[:, :, ::-1].copy(), result.mode, None)
                    turn = result.turn
                    if result.turn_changed and turn is not None and turn.words and self._on_turn is not None:
                        self._on_turn(turn)
                self._stop.wait(max(0.0, period - (time.monotonic() - began)))
        except Exception:
            log.exception("the guide camera stopped")
        finally:
            camera.close()

    def _look_for_posters(self, scanner: QrScanner, frame: np.ndarray, seen: dict[str, float]) -> None:
        now = time.monotonic()
        for found in scanner.scan(frame):
            if now - seen.get(found.text, -1e9) < self.settings.same_poster_s:
                continue
            seen[found.text] = now
            if found.text.startswith(CARD_PREFIX):
                if self._on_card is not None and len(found.text) <= MAX_CARD and found.text.isprintable():
                    self._on_card(found.text)
                continue
            community_map = self.community_map()
            if community_map is None:
                continue
            if self._keys is None:
                try:
                    self._keys = keys_cache(self.settings.var_dir)
                except LinliError as e:  # no key, no poster is trusted; the camera keeps drawing the way
                    if self.problem != e.message:
                        self.problem = e.message
                        log.error("QR posters cannot be checked: %s", e)
                    continue
            try:
                link = parse_guide_url(found.text, self._keys.get(), community=community_map.community)
            except GuideLinkError as e:  # a stranger's sticker or a damaged code: never followed
                log.warning("a QR code was refused: %s", e.message)
                continue
            self._on_poster(link)

"""The guide screen: the way in words (one step a line), the camera or map picture with the way drawn on it,
a QR code that opens the same way on a phone, and the offer of a way without steps."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from assistant.shared.events import Reply, ShowRoute, navigate
from wayfinding.route import Route

from . import kiosk

log = logging.getLogger(__name__)


class GuideScreen(Screen):
    route_text = StringProperty("")
    qr_path = StringProperty("")
    route_to = StringProperty("")
    """The place of the route shown (a facility slug)."""
    step_free_offer = BooleanProperty(False)
    """The way shown uses stairs: offer the way without steps."""
    picture_mode = StringProperty("none")
    """What the picture shows: ``ar`` (camera + route), ``map`` or ``none``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turn_texts: list[str] = []
        self._turn_route: ShowRoute | None = None

    # the dialogue's turn ---------------------------------------------------------------------------------
    def new_turn(self) -> None:
        """The resident said something: the next way shown is made of the next answer's words."""
        self._turn_texts, self._turn_route = [], None

    def take_reply(self, reply: Reply) -> None:
        """Collect the turn's words; a route in the reply brings this screen up. The words of the way may come
        before or after the route itself, so the way is shown again with every reply of its turn."""
        if reply.text:
            self._turn_texts.append(reply.text)
        for item in reply.data:
            if isinstance(item, ShowRoute):
                self._turn_route = item
                self.manager.current = self.name
        if self._turn_route is not None:
            self.show_route("\n\n".join(self._turn_texts), self._turn_route)

    def show_route(self, text: str, route: ShowRoute) -> None:
        self.route_text = text
        self.route_to = route.to
        parsed: Route | None = None
        if route.shape is not None:
            try:
                parsed = Route.from_dict(route.shape)
            except ValueError:
                log.warning("a route without a usable shape came from the dialogue")
        if parsed is not None and parsed.text() in text:  # one step a line: easier to follow while walking
            steps = "\n".join(f"{n}. {step.text}" for n, step in enumerate(parsed.steps, 1))
            self.route_text = text.replace(parsed.text(), steps)
        self.step_free_offer = bool(parsed and parsed.uses_stairs and not parsed.step_free)
        feed = kiosk().guide_feed
        if feed is not None:
            feed.show(parsed)
        try:
            import qrcode

            path = Path(tempfile.gettempdir()) / f"linli-route-{os.getpid()}-{self.route_to or 'place'}.png"
            # the signed link opens the same way on the phone; without it the words travel instead
            qrcode.make(route.guide_url or f"Linli: {text}").save(str(path))
            self.qr_path = ""  # the same file name again: make Kivy reload it
            self.qr_path = str(path)
        except Exception:  # the words are the guide; the QR code is a bonus
            log.exception("could not make the route QR code")

    def clear(self) -> None:
        """Privacy: no way of the last resident stays on screen."""
        self.route_text, self.route_to, self.step_free_offer, self.qr_path = "", "", False, ""
        self.new_turn()
        feed = kiosk().guide_feed
        if feed is not None:
            feed.show(None)

    # resident actions ------------------------------------------------------------------------------------
    def ask_step_free(self) -> None:
        if self.route_to:
            app = kiosk()
            app.start(navigate(self.route_to, step_free=True), app.tx["step_free"])

    # the picture (camera frames or the map, from kiosk_app/guide_feed.py) ---------------------------------
    def show_picture(self, rgb: Any, mode: str) -> None:
        height, width = rgb.shape[:2]
        image = self.ids.overlay
        texture = image.texture
        if texture is None or tuple(texture.size) != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.flip_vertical()  # numpy rows run top-down, OpenGL's bottom-up
        texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        image.texture = texture
        image.canvas.ask_update()
        self.picture_mode = mode

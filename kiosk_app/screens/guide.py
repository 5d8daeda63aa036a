"""The guide screen: the map (or the camera) with the way drawn on it gets most of the screen; beside it the
goal, the way in words one step a row with its pictogram, a QR code that opens the same way on a phone, and the
offer of a way without steps (design: docs/kiosk.md, "The guide map").

On a walk of several stops (a heritage walk, ``ShowRoute.tour``) the stop's story stands above the way to it, the
QR code opens the stop's phone page (the walk goes on on the phone), and a big "Next stop" button asks the dialogue
for the next stop; after the last one it is "Finish the walk", and the dialogue's closing words stay here."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from assistant.shared.events import Reply, ShowRoute, TourStep, navigate, take_tour
from kiosk_app.guide_feed import MapRequest
from wayfinding.guide_map import MapPicture
from wayfinding.icons import IconError, load_icons
from wayfinding.map_picture import format_distance
from wayfinding.route import Route

from . import kiosk

log = logging.getLogger(__name__)

NEXT_STEP_BG = (1.0, 0.824, 0.0, 1.0)
"""The step to do now: the yellow of the next leg on the map (``wayfinding.guide_map.NEXT_YELLOW``)."""
NEXT_STEP_FG = (0.102, 0.102, 0.102, 1.0)
"""Its text: near-black on that yellow is 13:1, in both themes."""


class StepRow(BoxLayout):
    """One step of the way: its pictogram and its sentence; the current one in the next leg's yellow."""

    icon = StringProperty("")
    text = StringProperty("")
    current = BooleanProperty(False)
    highlight = ListProperty(list(NEXT_STEP_BG))
    highlight_fg = ListProperty(list(NEXT_STEP_FG))
    linli_bg = ListProperty([1, 1, 1, 1])


class GuideScreen(Screen):
    route_text = StringProperty("")
    """The turn's words with the way one numbered step a line (what is said, and what tests read)."""
    intro_text = StringProperty("")
    """The words shown above the step rows: the reply without its steps (all of it when the way has no shape)."""
    goal_text = StringProperty("")
    """The goal and how far ("Community Clinic  110 m"), over the steps."""
    steps = ListProperty([])
    """(pictogram path, "1. sentence") per step of the way shown."""
    qr_path = StringProperty("")
    route_to = StringProperty("")
    """The place of the route shown (a facility slug)."""
    step_free_offer = BooleanProperty(False)
    """The way shown uses stairs: offer the way without steps."""
    picture_mode = StringProperty("none")
    """What the picture shows: ``ar`` (camera + route), ``map`` or ``none``."""
    story_text = StringProperty("")
    """On a walk: the stop's story (the reply says it too), over the way; after the last stop, the closing words."""
    tour_button = StringProperty("")
    """The walk's button: "Next stop", "Finish the walk" on the last stop; ``""``: no walk, no button."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turn_texts: list[str] = []
        self._turn_route: ShowRoute | None = None
        self._route: Route | None = None
        self._tour: TourStep | None = None
        self._finishing = False
        """The resident pressed "Finish the walk": the next answer without a way is the walk's closing words."""
        self._redraw = Clock.create_trigger(self._redraw_map, 0.15)

    def on_kv_post(self, base_widget: Any) -> None:
        # the map is drawn at the size it is shown: a new size (window, layout) is a new drawing
        self.ids.overlay.bind(size=lambda *_: self._redraw())

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
        elif self._finishing and self._turn_texts:
            self._show_walk_done("\n\n".join(self._turn_texts))

    def show_route(self, text: str, route: ShowRoute) -> None:
        self.route_text = text
        self.intro_text = text
        self.route_to = route.to
        self._show_tour(route.tour)
        parsed: Route | None = None
        if route.shape is not None:
            try:
                parsed = Route.from_dict(route.shape)
            except ValueError:
                log.warning("a route without a usable shape came from the dialogue")
        rows: list[tuple[str, str]] = []
        if parsed is not None and parsed.text() in text:  # one step a line: easier to follow while walking
            numbered = [f"{n}. {step.text}" for n, step in enumerate(parsed.steps, 1)]
            self.route_text = text.replace(parsed.text(), "\n".join(numbered))
            self.intro_text = " ".join(text.replace(parsed.text(), "").split())
            rows = [(self._step_icon(step), line) for step, line in zip(parsed.steps, numbered, strict=True)]
        if route.tour is not None and route.tour.story:  # shown on its own, large, above the way
            self.intro_text = " ".join(self.intro_text.replace(route.tour.story, "").split())
        self.goal_text = f"{parsed.goal_name}   {format_distance(parsed.length_m)}" if parsed is not None else ""
        self._show_steps(rows)
        # a walk's leg starts at the stop before, not at the kiosk: the kiosk's way without steps would not fit it
        self.step_free_offer = bool(parsed and parsed.uses_stairs and not parsed.step_free and route.tour is None)
        self._route = parsed
        feed = kiosk().guide_feed
        if feed is not None:
            feed.show(parsed, self.map_request())
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
        self.route_text, self.intro_text, self.goal_text = "", "", ""
        self.route_to, self.step_free_offer, self.qr_path = "", False, ""
        self._show_tour(None)
        self._show_steps([])
        self._route = None
        self.new_turn()
        feed = kiosk().guide_feed
        if feed is not None:
            feed.show(None, self.map_request())

    @staticmethod
    def _step_icon(step: Any) -> str:
        try:
            return str(load_icons().step(step))
        except IconError:  # a step without its picture still has its words
            log.exception("the step pictograms are not usable")
            return ""

    def _show_steps(self, rows: list[tuple[str, str]]) -> None:
        """One row a step; the first is the one to do now (its leg is the yellow one on the map)."""
        self.steps = rows
        box = self.ids.steps_box
        for child in [c for c in box.children if isinstance(c, StepRow)]:
            box.remove_widget(child)
        for n, (icon, line) in enumerate(rows):
            box.add_widget(StepRow(icon=icon, text=line, current=n == 0))

    # a walk of several stops ----------------------------------------------------------------------------
    def _show_tour(self, step: TourStep | None) -> None:
        self._tour, self._finishing = step, False
        self.story_text = step.story if step is not None else ""
        tx = kiosk().tx
        self.tour_button = "" if step is None else tx["tour_finish" if step.stop >= step.count else "tour_next"]

    def _show_walk_done(self, text: str) -> None:
        """The dialogue's closing words of the walk, where its stories were; the way and the button go."""
        self._show_tour(None)
        self.story_text = text
        self.route_text, self.intro_text, self.goal_text, self.route_to, self.step_free_offer = text, "", "", "", False
        self._show_steps([])
        self._route = None
        feed = kiosk().guide_feed
        if feed is not None:
            feed.show(None, self.map_request())

    def next_stop(self) -> None:
        """The walk's button: the next stop's way and story (or, after the last, the end of the walk)."""
        step = self._tour
        if step is None:
            return
        app = kiosk()
        app.start(take_tour(step.tour, step.stop + 1), self.tour_button)
        self._finishing = step.stop >= step.count

    # resident actions ------------------------------------------------------------------------------------
    def ask_step_free(self) -> None:
        if self.route_to:
            app = kiosk()
            app.start(navigate(self.route_to, step_free=True), app.tx["step_free"])

    # the picture (camera frames or the map, from kiosk_app/guide_feed.py) ---------------------------------
    def map_request(self) -> MapRequest:
        """Draw the map at the picture's size on screen, in the conversation's language, glyphs ≥ body text."""
        app = kiosk()
        width, height = (max(64, int(v)) for v in self.ids.overlay.size)
        return MapRequest(size=(width, height), lang=getattr(app, "language", None),
                          text_px=float(getattr(app, "body_px", 30.0)))

    def _redraw_map(self, _dt: float = 0) -> None:
        feed = kiosk().guide_feed
        if feed is not None and self.picture_mode != "ar":
            feed.show(self._route, self.map_request())

    def show_picture(self, rgb: Any, mode: str, picture: MapPicture | None = None) -> None:
        height, width = rgb.shape[:2]
        image = self.ids.overlay
        texture = image.texture
        if texture is None or tuple(texture.size) != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.flip_vertical()  # numpy rows run top-down, OpenGL's bottom-up
        texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        image.texture = texture
        image.canvas.ask_update()
        # the text drawn into the picture, for the accessibility audit (kiosk_app/accessibility.py)
        image.linli_picture = picture
        self.picture_mode = mode
        if picture is not None and picture.next_steps:  # the rows of the steps the yellow leg covers
            rows = [c for c in reversed(self.ids.steps_box.children) if isinstance(c, StepRow)]
            for n, row in enumerate(rows):
                row.current = n < picture.next_steps

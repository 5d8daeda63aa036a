"""The kiosk: one App, a ScreenManager, one .kv per screen with its behaviour next to it in ``screens/``;
slow work in ``Backend`` threads.

The app keeps only what every screen shares: the backend and its events, the idle timer, the emergency
overlay, the style and the language, and moving between screens. Events from the backend (any thread) are
handed to the UI thread with ``Clock.schedule_once``; the UI never waits on the network, the recogniser or
the synthesiser.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, DictProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, Screen

from assistant.shared.config import Settings
from assistant.shared.events import (
    Alert,
    Button,
    ConfirmEmergency,
    Error,
    Event,
    HandoffEnded,
    HandoffJoined,
    HandoffMessage,
    HandoffOpened,
    HelpComing,
    Reply,
    StartIntent,
    Transcript,
    UrgentNotice,
    UrgentNoticeEnded,
    UserText,
    VoiceState,
    navigate,
    show_card,
)
from foundation.language import normalise
from kiosk_app import theme
from kiosk_app.backend import Backend
from kiosk_app.guide_feed import FeedSettings, GuideFeed
from kiosk_app.idle import IdlePolicy
from kiosk_app.screens.conversation import ConversationScreen
from kiosk_app.screens.guide import GuideScreen
from kiosk_app.screens.home import HomeScreen
from kiosk_app.screens.settings import SettingsScreen
from kiosk_app.texts import texts
from kiosk_app.widgets import BigButton, Bubble, EmergencyButton, Tile  # noqa: F401 - used by the .kv rules
from wayfinding.errors import WayfindingError
from wayfinding.guide_links import GuideLink
from wayfinding.map_picture import draw_map
from wayfinding.route import Route
from wayfinding.routing import Router

log = logging.getLogger(__name__)
KV_DIR = Path(__file__).parent / "screens"
KV_FILES = ("widgets.kv", "root.kv", "home.kv", "conversation.kv", "guide.kv", "settings.kv")


class KioskRoot(BoxLayout):
    pass


class EmergencyView(ModalView):
    message = StringProperty("")


class StillThereView(ModalView):
    pass


class UrgentNoticeView(ModalView):
    """An urgent notice over any screen (``KioskApp._show_urgent_notice``)."""

    notice_id = NumericProperty(0)
    heading = StringProperty("")
    title_text = StringProperty("")
    body_text = StringProperty("")
    assembly = StringProperty("")
    """Fire, gas: where to go (``notice_assembly``); ``""`` otherwise."""
    route_text = StringProperty("")
    """The way to the assembly point from this kiosk, one step a line."""
    has_map = BooleanProperty(False)

    def show_map(self, rgb: Any) -> None:
        height, width = rgb.shape[:2]
        texture = Texture.create(size=(width, height), colorfmt="rgb")
        texture.flip_vertical()  # numpy rows run top-down, OpenGL's bottom-up
        texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        self.ids.notice_map.texture = texture
        self.has_map = True


MAP_SIZE = (960, 720)


class KioskApp(App):
    title = "Linli 邻里"
    # style, from kiosk_app.theme (one place for sizes and colours)
    body_px = NumericProperty(30)
    title_px = NumericProperty(40)
    tile_px = NumericProperty(36)
    button_h = NumericProperty(dp(72))
    c_bg = ListProperty([1, 1, 1, 1])
    c_surface = ListProperty([1, 1, 1, 1])
    c_text = ListProperty([0, 0, 0, 1])
    c_muted = ListProperty([0, 0, 0, 1])
    c_button_bg = ListProperty([0, 0, 0, 1])
    c_button_fg = ListProperty([1, 1, 1, 1])
    c_emergency_bg = ListProperty([0.5, 0, 0, 1])
    c_emergency_fg = ListProperty([1, 1, 1, 1])
    c_resident_bg = ListProperty([0, 0, 0, 1])
    c_resident_fg = ListProperty([1, 1, 1, 1])
    c_linli_bg = ListProperty([1, 1, 1, 1])
    c_linli_fg = ListProperty([0, 0, 0, 1])
    c_outline = ListProperty([0, 0, 0, 1])
    text_step = StringProperty("normal")
    theme_name = StringProperty("standard")
    language = StringProperty("en")
    """The conversation's language: the screen's words, every turn's ``locale``, the voice, the speech model."""
    tx = DictProperty(texts("en"))
    other_language = StringProperty("")
    """The home screen's language button: the next offered language, named in itself ("中文")."""

    def __init__(self, settings: Settings, *, voice: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.want_voice = voice
        self.backend: Backend | None = None
        self.idle = IdlePolicy(idle_seconds=settings.kiosk_idle_seconds, confirm_seconds=settings.kiosk_confirm_seconds)
        self.still_there: StillThereView | None = None
        self.emergency_view: EmergencyView | None = None
        self.notice_view: UrgentNoticeView | None = None
        self.urgent_notices: dict[int, UrgentNotice] = {}
        """Urgent notices in force, by id (the newest revision)."""
        self.unseen_notices: set[int] = set()
        """Notices nobody has dismissed with OK yet: the idle reset waits for them."""
        self.form_active = False
        self.guide_feed: GuideFeed | None = None
        self.listening = False
        self.speaking = False
        self.started_at = time.monotonic()
        self.interactive_at: float | None = None
        self.handoff: str | None = None
        """The handoff a person from the office is in (docs/handoff.md): the "Back to the assistant" button
        stays among the options while it is set."""
        self.languages = settings.language_list
        """``LINLI_LANGUAGES``: the languages this kiosk offers, the default among them."""
        self.default_language = normalise(settings.default_language) or self.languages[0]
        self.set_language(self.default_language)

    # building ------------------------------------------------------------------------------------------
    def build(self) -> KioskRoot:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        self.apply_style()
        root = self._kiosk_root = KioskRoot()
        sm = root.ids.sm
        sm.transition = NoTransition()  # no motion: clearer for older eyes, and nothing half-drawn
        for screen in (HomeScreen(), ConversationScreen(), GuideScreen(), SettingsScreen()):
            sm.add_widget(screen)
        Window.bind(on_resize=lambda *_: self.apply_style(), on_touch_down=self._on_any_touch)
        Clock.schedule_interval(self._tick_idle, 1.0)
        return root

    def on_start(self) -> None:
        self.backend = Backend(self.settings, self._from_backend_thread, on_language=self._from_words_thread)
        self.backend.language = self.language
        self.backend.start_heartbeat()
        self.backend.start_broadcasts()
        self._start_guide_feed()
        if self.want_voice:
            self.backend.start_voice()
        Clock.schedule_once(self._mark_interactive, 0)

    def on_stop(self) -> None:
        if self.guide_feed is not None:
            self.guide_feed.close()
        if self.backend is not None:
            self.backend.close()

    def _start_guide_feed(self) -> None:
        feed_settings = FeedSettings(camera=self.settings.camera, var_dir=self.settings.var_dir,
                                     calibration=self.settings.camera_calibration)
        self.guide_feed = GuideFeed(
            feed_settings,
            on_frame=lambda rgb, mode, picture: Clock.schedule_once(
                lambda _dt: self.guide.show_picture(rgb, mode, picture), 0),
            on_poster=lambda link: Clock.schedule_once(lambda _dt: self._open_poster(link), 0),
            on_card=lambda code: Clock.schedule_once(lambda _dt: self.card_shown(code), 0),
            on_turn=lambda turn: Clock.schedule_once(lambda _dt: self.say_turn(turn.words), 0),
        )
        self.guide_feed.language = self.language
        self._kiosk_root.ids.sm.bind(current=self._on_screen_change)
        self.guide_feed.show(None, self.guide.map_request())

    def _on_screen_change(self, _sm: Any, name: str) -> None:
        if self.guide_feed is not None:
            self.guide_feed.set_active(name == "guide")

    def _mark_interactive(self, _dt: float) -> None:
        self.interactive_at = time.monotonic()

    def screen(self, name: str) -> Screen:
        return self._kiosk_root.ids.sm.get_screen(name)

    @property
    def conversation(self) -> ConversationScreen:
        screen: ConversationScreen = self.screen("conversation")
        return screen

    @property
    def guide(self) -> GuideScreen:
        screen: GuideScreen = self.screen("guide")
        return screen

    def show(self, name: str) -> None:
        self._kiosk_root.ids.sm.current = name

    # style -----------------------------------------------------------------------------------------------
    def apply_style(self) -> None:
        style = theme.style(Window.height, self.text_step, self.theme_name)
        self.body_px, self.title_px, self.tile_px = style.body_px, style.title_px, style.tile_px
        self.button_h = max(style.button_h_px, dp(theme.TOUCH_MIN_DP) + dp(12))
        c = style.colors
        self.c_bg, self.c_surface, self.c_text, self.c_muted = c.background, c.surface, c.text, c.muted
        self.c_button_bg, self.c_button_fg = c.button_bg, c.button_fg
        self.c_emergency_bg, self.c_emergency_fg = c.emergency_bg, c.emergency_fg
        self.c_resident_bg, self.c_resident_fg = c.resident_bg, c.resident_fg
        self.c_linli_bg, self.c_linli_fg = c.linli_bg, c.linli_fg
        self.c_outline = c.outline

    def set_text_step(self, step: str) -> None:
        self.text_step = step
        self.apply_style()

    def toggle_contrast(self) -> None:
        self.theme_name = "high_contrast" if self.theme_name == "standard" else "standard"
        self.apply_style()

    def set_language(self, language: str) -> None:
        """The 中文 / English button, Chinese words typed, or the idle reset: the whole conversation follows
        (the backend sends it as every turn's ``locale``; the voice and the speech model switch too)."""
        self.language = language
        self.tx = texts(language)
        following = self._next_language()
        self.other_language = texts(following)["language_name"] if following != language else ""
        view = self.notice_view
        if view is not None and int(view.notice_id) in self.urgent_notices:  # its words in the new language
            seen = int(view.notice_id) not in self.unseen_notices
            self._show_urgent_notice(self.urgent_notices[int(view.notice_id)], speak=False)
            if seen:
                self.unseen_notices.discard(int(view.notice_id))
        if self.backend is not None:  # what the backend says by itself ("Do you need help right now?")
            self.backend.language = language
        if self.guide_feed is not None:  # the words on the camera picture ("Turn left", "向左转")
            self.guide_feed.language = language

    def _next_language(self) -> str:
        offered = self.languages
        at = offered.index(self.language) if self.language in offered else -1
        return offered[(at + 1) % len(offered)]

    def next_language(self) -> None:
        """The home screen's language button."""
        self.set_language(self._next_language())

    def _from_words_thread(self, language: str) -> None:
        """The resident typed words in another offered language (a backend thread): the screen follows."""
        Clock.schedule_once(lambda _dt: self.set_language(language) if language != self.language else None, 0)

    # resident actions (every screen) -------------------------------------------------------------------
    def start_conversation(self, command: StartIntent, shown: str) -> None:
        """A tile or a poster: start ``command``'s intent, with ``shown`` in the conversation."""
        self.show("conversation")
        self.start(command, shown)

    def start(self, command: StartIntent, shown: str) -> None:
        if self.backend is not None:
            self.backend.start(command, shown)

    def send(self, text: str, source: Literal["text", "button"], shown: str = "") -> None:
        """Typed words, or the payload of a button the dialogue offered (passed on as it came)."""
        if self.backend is not None:
            self.backend.send_text(text, source=source, shown=shown)

    def talk(self) -> None:
        self.show("conversation")
        if self.backend is not None:
            self.backend.talk()

    def repeat(self) -> None:
        if self.backend is not None:
            self.backend.repeat()

    def slower(self) -> None:
        if self.backend is not None:
            self.backend.slower()

    def go_home(self) -> None:
        self.show("home")

    def emergency(self) -> None:
        """No confirmation step: the alert is raised at once (a backend thread), the calm message follows."""
        if self.backend is not None:
            self.backend.emergency()

    def still_here(self) -> None:
        self.idle.touch()
        if self.still_there is not None:
            self.still_there.dismiss()
            self.still_there = None

    # events ----------------------------------------------------------------------------------------------
    def _from_backend_thread(self, event: Event) -> None:
        Clock.schedule_once(lambda _dt: self.on_event(event), 0)

    def on_event(self, event: Event) -> None:
        conv, guide = self.conversation, self.guide
        if isinstance(event, Transcript):
            self.idle.activity()
            conv.partial_text = "" if event.final else event.text
        elif isinstance(event, UserText):
            self.idle.activity()
            conv.add_bubble(event.shown or event.text, "resident")
            conv.set_options(self._options(()))
            guide.new_turn()
        elif isinstance(event, Reply):
            if event.text:
                conv.add_bubble(event.text, "linli")
            if event.text or event.buttons:  # a reply of data only (an alert, a question's timer) keeps them
                conv.set_options(self._options(event.buttons))
            guide.take_reply(event)  # a route brings the guide up
            self._check_form()
        elif isinstance(event, ConfirmEmergency):
            # "Do you need help right now?" with its two big buttons, wherever the resident was: silence sends
            # the alert (the backend's timer); the conversation stays open while it waits
            self.idle.activity()
            self.show("conversation")
        elif isinstance(event, Alert):
            self._show_emergency(event)
        elif isinstance(event, HelpComing):
            self._show_help_coming(event)
        elif isinstance(event, HandoffOpened | HandoffJoined | HandoffMessage | HandoffEnded):
            self._on_handoff(event)
        elif isinstance(event, UrgentNotice):
            self._show_urgent_notice(event)
        elif isinstance(event, UrgentNoticeEnded):
            self._end_urgent_notice(event.notice_id)
        elif isinstance(event, Error):
            conv.add_bubble(event.message, "linli")
        elif isinstance(event, VoiceState):
            self.listening = event.state == "listening"
            conv.set_listening(self.listening)
            self.speaking = event.state == "speaking"
            if event.state in ("listening", "speaking"):
                self.idle.activity()
            if event.state == "unavailable" and event.detail:
                conv.add_bubble(self.tx["voice_unavailable"].format(reason=event.detail), "linli")

    def _options(self, buttons: tuple[Button, ...]) -> tuple[Button, ...]:
        """The dialogue's buttons, and "Back to the assistant" while a person from the office is talking."""
        if self.handoff is None:
            return buttons
        return (*buttons, Button(self.tx["back_to_assistant"], "/back_to_assistant"))

    def _on_handoff(self, event: HandoffOpened | HandoffJoined | HandoffMessage | HandoffEnded) -> None:
        """A person from the office talks through the kiosk: their words shown and spoken (plain text, no
        markup: a staff member types what they like)."""
        conv = self.conversation
        if isinstance(event, HandoffOpened):
            self.handoff = event.reference
            conv.set_options(self._options(()))
            return
        if event.reference != self.handoff:
            return  # an earlier conversation's news (the resident has gone)
        if isinstance(event, HandoffEnded):
            self.handoff = None  # the assistant's reply says so ("You are back with Linli ...")
            conv.set_options(())
            return
        self.idle.activity()  # a person talking with the resident keeps the conversation open
        self.show("conversation")
        if isinstance(event, HandoffJoined):
            said = self.tx["handoff_joined"].format(name=event.staff_name)
            conv.add_bubble(said, "linli")
        else:
            conv.add_bubble(self.tx["staff_says"].format(name=event.staff_name, text=event.text), "linli")
            said = self.tx["staff_says_spoken"].format(name=event.staff_name, text=event.text)
        if self.backend is not None:
            self.backend.announce(said)

    def _open_poster(self, link: GuideLink) -> None:
        """A genuine poster held up to the kiosk camera: its place's way, as if the resident had asked."""
        self.idle.activity()
        if link.to:
            self.start_conversation(navigate(link.to, step_free=link.step_free),
                                    self.tx["way_to"].format(place=self._place_name(link.to)))
        elif link.at:
            self.show("conversation")
            self.conversation.add_bubble(self.tx["poster_here"].format(place=self._place_name(link.at)), "linli")

    def card_shown(self, code: str) -> None:
        """A household card held up to the camera: it answers "card or phone number?" in the conversation (the
        office checks it; the kiosk shows only that a card was read, never its code)."""
        self.idle.activity()
        self.show("conversation")
        self.start(show_card(code), self.tx["card_shown"])

    def say_turn(self, words: str) -> None:
        """The camera guide's instruction changed ("Turn left"): say it once, while the Guide screen is shown
        (the feed only draws then; a late one after leaving the screen is dropped)."""
        if self.backend is not None and self._kiosk_root.ids.sm.current == "guide":
            self.backend.announce(words)

    def _place_name(self, node: str) -> str:
        community_map = self.guide_feed.community_map() if self.guide_feed is not None else None
        return community_map.label(node) if community_map is not None else node.replace("-", " ")

    def _show_emergency(self, alert: Alert) -> None:
        # not stored: neither the office system nor the outbox took it — the resident must call
        key = "emergency_failed" if not alert.stored else "emergency_queued" if alert.queued else "emergency_sent"
        self._open_emergency_view(self.tx[key].format(place=self.settings.kiosk_location, ref=alert.reference))

    def _show_help_coming(self, event: HelpComing) -> None:
        """Show and say who is coming. The name is staff's text: the label shows it as it is (no markup)."""
        self.idle.activity()
        name = event.staff_name
        self._open_emergency_view(self.tx["help_coming_screen"].format(name=name, ref=event.reference))
        if self.backend is not None:
            self.backend.announce(self.tx["help_coming"].format(name=name))

    def _open_emergency_view(self, message: str) -> None:
        if self.emergency_view is None:
            self.emergency_view = EmergencyView()
            self.emergency_view.bind(on_dismiss=lambda *_: setattr(self, "emergency_view", None))
            self.emergency_view.open()
        self.emergency_view.message = message

    # urgent notices from the office -----------------------------------------------------------------------
    def _show_urgent_notice(self, notice: UrgentNotice, *, speak: bool = True) -> None:
        """Over any screen, in large type, said aloud; fire and gas with the way to the assembly point. The
        office is told once the screen has drawn it (two frames later)."""
        self.idle.activity()
        self.urgent_notices[notice.notice_id] = notice
        self.unseen_notices.add(notice.notice_id)
        if self.still_there is not None:  # the notice answers for the resident's attention
            self.still_there.dismiss()
            self.still_there = None
        view = self.notice_view
        if view is None:
            view = self.notice_view = UrgentNoticeView()
            view.bind(on_dismiss=lambda *_: setattr(self, "notice_view", None))
            view.open(animation=False)  # no motion (docs/kiosk.md), and drawn at once
        tx = self.tx
        view.notice_id = notice.notice_id
        view.heading = tx.get(f"notice_heading_{notice.kind}", tx["notice_heading_other"])
        view.title_text, view.body_text = notice.title, notice.body
        view.assembly, view.route_text, view.has_map = "", "", False
        place = self._assembly_place() if notice.safety else None
        if place is not None:
            view.assembly = tx["notice_assembly"].format(place=place)
            self._plan_assembly_route(view, notice.notice_id)
        elif notice.safety:
            view.assembly = tx["notice_no_route"]
        if speak and self.backend is not None:
            spoken = tx["notice_spoken"].format(title=notice.title.rstrip(". "), body=notice.body)
            if place is not None:
                spoken += " " + tx["notice_spoken_assembly"].format(place=place)
            self.backend.announce(spoken)
        backend = self.backend
        if speak and backend is not None:
            Clock.schedule_once(lambda _dt: Clock.schedule_once(lambda _dt2: backend.notice_shown(notice), 0), 0)

    def _assembly_place(self) -> str | None:
        community_map = self.guide_feed.community_map() if self.guide_feed is not None else None
        if community_map is None or community_map.assembly_point is None:
            return None
        name_zh = getattr(community_map.nodes.get(community_map.assembly_point), "name_zh", None)
        if self.language.startswith("zh") and isinstance(name_zh, str) and name_zh:
            return name_zh
        return community_map.label(community_map.assembly_point)

    def _plan_assembly_route(self, view: UrgentNoticeView, notice_id: int) -> None:
        """The way from this kiosk's map node to the assembly point, step-free, and its map picture (a thread)."""
        feed = self.guide_feed
        start = self.settings.kiosk_map_node or None

        def plan() -> None:
            community_map = feed.community_map() if feed is not None else None
            if community_map is None or community_map.assembly_point is None:
                return
            try:
                route: Route = Router(community_map).route(community_map.assembly_point, start=start,
                                                           step_free=True)
                picture = draw_map(community_map, route, size=MAP_SIZE)[:, :, ::-1].copy()
            except (WayfindingError, KeyError, ValueError):
                log.exception("no way to the assembly point from %s", start or "the map's start")
                return
            steps = "\n".join(f"{n}. {step.text}" for n, step in enumerate(route.steps, 1))

            def show(_dt: float) -> None:
                if self.notice_view is view and view.notice_id == notice_id:
                    view.route_text = steps
                    view.show_map(picture)

            Clock.schedule_once(show, 0)

        threading.Thread(target=plan, name="linli-assembly-route", daemon=True).start()

    def notice_read(self) -> None:
        """The OK button: this notice is seen; the next one not yet seen comes up, if any."""
        view = self.notice_view
        if view is not None:
            self.unseen_notices.discard(int(view.notice_id))
            view.dismiss(animation=False)
            self.notice_view = None
        self.idle.touch()
        waiting = sorted(self.unseen_notices & set(self.urgent_notices))
        if waiting:
            self._show_urgent_notice(self.urgent_notices[waiting[-1]], speak=False)

    def _end_urgent_notice(self, notice_id: int) -> None:
        """Withdrawn or over: no longer shown."""
        self.urgent_notices.pop(notice_id, None)
        self.unseen_notices.discard(notice_id)
        view = self.notice_view
        if view is not None and int(view.notice_id) == notice_id:
            view.dismiss(animation=False)
            self.notice_view = None
            waiting = sorted(self.unseen_notices & set(self.urgent_notices))
            if waiting:
                self._show_urgent_notice(self.urgent_notices[waiting[-1]], speak=False)

    def _check_form(self) -> None:
        backend = self.backend
        if backend is None:
            return

        def check() -> None:
            active = backend.form_in_progress()
            Clock.schedule_once(lambda _dt: setattr(self, "form_active", active), 0)

        threading.Thread(target=check, name="linli-form-check", daemon=True).start()

    # idle ------------------------------------------------------------------------------------------------
    def _on_any_touch(self, *_: Any) -> None:
        self.idle.touch()

    def _tick_idle(self, _dt: float) -> None:
        if self.unseen_notices & set(self.urgent_notices):
            # an urgent notice in force that nobody has read yet stays up: no idle reset hides it
            self.idle.activity()
            return
        if self.backend is not None and self.backend.watching_help:
            # a resident who called for help waits (maybe on the floor) to hear who is coming: no idle reset
            # until someone took the alert (or the watch gave up, after 30 minutes)
            self.idle.activity()
            return
        on_home = self._kiosk_root.ids.sm.current == "home" and self.conversation.empty
        typing = self.conversation.unsent_words  # unsent words count as half done
        # a half-done form, unsent words or a person from the office talking: ask before forgetting
        half_done = self.form_active or typing or self.handoff is not None
        action = self.idle.tick(time.monotonic(), form_in_progress=half_done, speaking=self.speaking,
                                listening=self.listening, on_home=on_home)
        if action.name == "ASK" and self.still_there is None:
            self.still_there = StillThereView()
            self.still_there.open()
        elif action.name == "RESET":
            self.reset_conversation()

    def reset_conversation(self) -> None:
        """Privacy: clear the screen and the dialogue, back home."""
        if self.still_there is not None:
            self.still_there.dismiss()
            self.still_there = None
        self.conversation.clear()
        self.guide.clear()
        self.form_active = False
        self.handoff = None  # the backend tells the office the resident left
        if self.backend is not None:
            self.backend.new_conversation()
        self.set_language(self.default_language)  # the next resident is greeted in the community's language
        self.show("home")
        if self.urgent_notices and self.notice_view is None:  # still in force: shown again for the next resident
            newest = max(self.urgent_notices)
            self._show_urgent_notice(self.urgent_notices[newest], speak=False)
            self.unseen_notices.discard(newest)  # seen already: the next idle reset may go ahead

"""The kiosk's backend: everything slow, off the UI thread, with results published as shared events.

Pure Python (no Kivy), so it is tested without a screen. Threads, each for one kind of job:

* ``kiosk-turns`` — dialogue turns, one at a time and in order (plus the privacy reset of a conversation,
  queued behind that conversation's turns so nothing of it survives the reset);
* ``kiosk-voice-open`` / ``kiosk-mic`` — loading the speech model, then feeding the microphone;
* ``kiosk-controls`` — talk button, so a recogniser finishing an utterance never stalls a tap;
* ``kiosk-emergency`` — one per press, never queued behind a slow dialogue turn, works with Rasa down;
* ``kiosk-help-watch`` — after an alert, asks the office who is coming (``HelpComing``), until someone does;
* ``kiosk-handoff-watch`` — while a person from the office talks through the kiosk, fetches their words
  (``HandoffJoined`` / ``HandoffMessage`` / ``HandoffEnded``; see docs/handoff.md);
* ``kiosk-broadcast-watch`` — after ``start_broadcasts()``, asks the office every second for urgent notices
  (``UrgentNotice``) and posts the receipt of each one the screen has shown (``notice_shown``);
* ``kiosk-heartbeat`` — after ``start_heartbeat()``, tells the office every half minute that this kiosk is alive,
  the model Rasa runs (its ``/status`` ``model_file``) and the outbox's backlog and refused items.

``on_event`` is called from these threads; a Kivy controller hands events to the UI thread itself
(``Clock.schedule_once``). No method raises for an ordinary failure: failures arrive as ``Error`` or
``VoiceState("unavailable", ...)`` events with a message a resident can read.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from assistant.dialogue.rasa_client import ConversationClient, clean_text
from assistant.dialogue.wire import intent_message
from assistant.safety.net import Outcome, SafetyNet
from assistant.safety.words import words
from assistant.shared.config import Settings
from assistant.shared.errors import DialogueUnavailable, InputError, LinliError
from assistant.shared.events import (
    Alert,
    ConfirmEmergency,
    Error,
    Event,
    HandoffEnded,
    HandoffOpened,
    Reply,
    StartIntent,
    UrgentNotice,
    UserText,
    VoiceState,
)
from assistant.shared.stack_status import STATUS_FILE
from assistant.skill_runtime.broadcast_watch import BroadcastWatch
from assistant.skill_runtime.handoff_watch import HandoffWatch
from assistant.skill_runtime.heartbeat import Heartbeat
from assistant.skill_runtime.help_watch import HelpWatch
from assistant.skill_runtime.retention import forget_conversation, local_outbox
from assistant.speech.audio_io import AudioSource, ClipSource, MicrophoneSource, read_audio
from assistant.speech.settings import SpeechSettings, load_speech_settings
from assistant.speech.speaker import FileSpeaker
from assistant.speech.voice_app import VoiceParts, open_voice
from foundation.language import normalise

from .emergency import raise_emergency
from .texts import texts

log = logging.getLogger(__name__)

UNAVAILABLE = words("en")["dialogue_down"]
NO_ANSWER = words("en")["no_reply"]
"""A turn the dialogue answered with nothing (its action server was down): never silence."""
FAILED = texts("en")["turn_failed"]
VOICE_OFF = texts("en")["voice_off"]
VOICE_NOT_STARTED = texts("en")["voice_not_started"]
VOICE_GETTING_READY = texts("en")["voice_getting_ready"]
VOICE_BROKEN = texts("en")["voice_broken"]
"""The English of what the backend says by itself; the words it uses are the screen language's (texts.yml)."""
TRACKER_TIMEOUT = 2.0
"""The idle timer asks about forms; it must get a quick answer or none."""

Source = Literal["text", "button", "system"]
"""``system``: a turn the kiosk sends by itself (the end of a handoff), shown to nobody as the resident's."""
BACK_TO_ASSISTANT = StartIntent("back_to_assistant")
STANDALONE = (Alert, ConfirmEmergency, HandoffOpened, HandoffEnded)
"""Reply data that is also published as an event of its own (the screen acts on it)."""


class _SerialWorker:
    """One daemon thread running jobs in submission order (daemon: a hung Rasa call must not block exit)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((job, future))
        return future

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as e:  # kept in the future; the jobs themselves publish errors
                future.set_exception(e)

    def close(self, timeout: float) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)


class _KindDialogue:
    """The voice session's view of the dialogue: the same resident-safe message when Rasa is down."""

    def __init__(self, client: ConversationClient) -> None:
        self._client = client

    def send(self, sender_id: str, message: str | StartIntent,
             metadata: dict[str, Any] | None = None) -> list[Reply]:
        try:
            replies = self._client.send(sender_id, message, metadata)
        except DialogueUnavailable as e:  # in the conversation's language, as the client knows it now
            raise DialogueUnavailable(words(self._client.language or "en")["dialogue_down"]) from e
        return replies

    def understand(self, text: str) -> tuple[str, float] | None:
        return self._client.understand(text)


def new_sender_id(settings: Settings) -> str:
    return f"{settings.kiosk_id}-{uuid.uuid4().hex[:8]}"


class Backend:
    def __init__(self, settings: Settings, on_event: Callable[[Event], None], *,
                 speech: SpeechSettings | None = None, voice: bool = True,
                 confirm_seconds: float | None = None, on_language: Callable[[str], None] | None = None) -> None:
        """``confirm_seconds``: how long "Do you need help right now?" waits before the alert is sent (``None``:
        what the question says, 15 s; the tests use 1 s); ``on_language(code)``: the resident's own words
        switched the conversation's language (typed Chinese); called from a backend thread."""
        self.settings = settings
        self.default_language = normalise(settings.default_language) or "en"
        """``LINLI_DEFAULT_LANGUAGE``: the language of a new conversation (after the idle reset)."""
        self._on_event = on_event
        self._on_language = on_language
        self._speech = speech
        self._voice_enabled = voice
        # the one client every turn goes through (typed, tapped, spoken, the safety net's): it puts the
        # conversation's language in each turn's metadata and notices words in another offered language
        self._client = ConversationClient(settings.rasa_url, settings.rasa_token, language=self.default_language,
                                          languages=settings.language_list, on_language=self._words_switched)
        self._probe = ConversationClient(settings.rasa_url, settings.rasa_token, timeout=TRACKER_TIMEOUT)
        self._lock = threading.Lock()
        self._sender = new_sender_id(settings)
        self._last_replies: list[Reply] = []
        self._closed = threading.Event()
        self._turns = _SerialWorker("kiosk-turns")
        self._controls = _SerialWorker("kiosk-controls")
        self._emergencies: list[threading.Thread] = []
        # every turn (typed, tapped, and with voice said) goes through this: never silent, and an emergency is
        # recognised with Rasa or the action server down (docs/emergency-triage.md)
        self._net = SafetyNet(self._client, raise_alert=self._raise_alert, present=self._present,
                              words=lambda: texts(self.language), confirm_seconds=confirm_seconds)
        self._help = HelpWatch(settings.services_url, settings.kiosk_token, settings.outbox_path, self._publish)
        self._handoff = HandoffWatch(settings.services_url, settings.kiosk_token, self._from_handoff_watch)
        self._heartbeat = Heartbeat(settings.services_url, settings.kiosk_token, settings.kiosk_id,
                                    settings.kiosk_location, settings.outbox_path, self.model_in_use,
                                    interval=settings.kiosk_heartbeat_seconds,
                                    stack_status=settings.var_dir / STATUS_FILE)
        self._broadcasts = BroadcastWatch(settings.services_url, settings.kiosk_token, settings.kiosk_id,
                                          settings.kiosk_building_list, self._publish,
                                          interval=settings.kiosk_broadcast_seconds)
        # voice: set by the opener thread, read by any thread (attribute reads are atomic)
        self._voice_thread: threading.Thread | None = None
        self._parts: VoiceParts | None = None
        self._mic: AudioSource | None = None
        self._mic_thread: threading.Thread | None = None
        self._voice_problem: str | None = None

    # language -----------------------------------------------------------------------------------------
    @property
    def language(self) -> str:
        """The conversation's language: sent as every turn's ``locale``, the words this backend says by itself,
        the voice and the speech model."""
        return self._client.language or self.default_language

    @language.setter
    def language(self, code: str) -> None:
        """The screen's 中文 / English button (the app), or the idle reset."""
        chosen = normalise(code) or self.default_language
        if chosen == self._client.language:
            return
        self._client.language = chosen
        self._voice_follows(chosen)

    def _words_switched(self, code: str) -> None:
        """The resident typed (or said) words in another offered language: the conversation is in it now (the
        client has switched before sending the turn); the voice and the screen follow."""
        self._voice_follows(code)
        if self._on_language is not None:
            try:
                self._on_language(code)
            except Exception:  # a broken UI handler must not stop the turn
                log.exception("kiosk language handler failed")

    def _voice_follows(self, code: str) -> None:
        parts = self._parts
        if parts is None:
            return
        parts.session.set_language(code, hear=False)  # the words and the voice at once: the next answer is in it

        def load_model() -> None:  # a model takes seconds to load: off the UI and the turns' threads
            problem = parts.session.set_language(code)
            if problem is not None:
                self._publish(VoiceState("unavailable", problem))

        self._controls.submit(load_model)

    # events -------------------------------------------------------------------------------------------
    def _publish(self, event: Event) -> None:
        if isinstance(event, Alert) and event.stored and not self._closed.is_set():
            # the button, a typed turn or a spoken one: learn who is coming (``HelpComing`` is published)
            self._help.watch(event)
        elif isinstance(event, HandoffOpened) and not self._closed.is_set():
            self._handoff.watch(event.reference)  # a person will talk through the kiosk: fetch their words
        try:
            self._on_event(event)
        except Exception:  # a broken UI handler must not stop a turn, and never an alert
            log.exception("kiosk event handler failed for %s", event.type)

    def _from_handoff_watch(self, event: Event) -> None:
        if isinstance(event, HandoffEnded) and event.by == "staff":
            # staff closed it at the console: clear Rasa's handoff state with a turn of our own; its reply
            # ("... ended the conversation. You are back with Linli") is what the resident sees and hears
            self.start(BACK_TO_ASSISTANT, "", source="system")
        self._publish(event)

    @property
    def handoff(self) -> str | None:
        """The reference of the handoff a person from the office is in (``None``: the assistant answers)."""
        return self._handoff.reference

    def announce(self, text: str) -> None:
        """Say ``text`` aloud when voice is on ("Wang Fang is coming to you now."); shown by the screen anyway."""
        parts = self._parts
        if parts is not None:
            parts.session.announce(text)

    @property
    def watching_help(self) -> bool:
        """True while an alert's status is being watched for who is coming."""
        return self._help.watching

    # health -------------------------------------------------------------------------------------------
    def start_heartbeat(self) -> None:
        """Report this kiosk to the office's console now and every ``kiosk_heartbeat_seconds`` (a daemon thread)."""
        if not self._closed.is_set():
            self._heartbeat.start()

    def start_broadcasts(self) -> None:
        """Watch for urgent notices from the office (a daemon thread); each arrives as an ``UrgentNotice`` event."""
        if not self._closed.is_set():
            self._broadcasts.start()

    def notice_shown(self, notice: UrgentNotice) -> None:
        """The screen has shown ``notice``: the office is told (by the watch's thread, retried until it takes it)."""
        self._broadcasts.confirm(notice.notice_id, notice.revision)

    def model_in_use(self) -> str | None:
        """The file name of the model Rasa has loaded (its ``/status`` ``model_file``); raises if Rasa is down."""
        model_file = self._probe.status().get("model_file")
        return Path(model_file).name if isinstance(model_file, str) and model_file else None

    # state --------------------------------------------------------------------------------------------
    @property
    def sender_id(self) -> str:
        return self._sender

    @property
    def voice_ready(self) -> bool:
        """True when the microphone is live and typed turns are answered aloud."""
        return self._parts is not None and self._mic is not None

    @property
    def speaking(self) -> bool:
        parts = self._parts
        return parts is not None and parts.session.speaking

    @property
    def listening(self) -> bool:
        parts = self._parts
        return parts is not None and self._mic is not None and parts.session.listening

    # dialogue -----------------------------------------------------------------------------------------
    def send_text(self, text: str, source: Source = "text", shown: str = "") -> None:
        """A typed question or a tapped button's payload (``shown``: the words on the button); replies
        arrive as events."""
        try:
            cleaned = clean_text(text)
        except InputError as e:  # empty or too long: say so, don't send
            self._publish(Error(e.code, e.message))
            return
        parts = self._parts
        if parts is not None:  # spoken too, and in order with spoken turns
            parts.session.submit_text(cleaned, source, shown)
            return
        sender = self._sender  # at the time of the tap: a reset after it must not move the turn
        self._turns.submit(lambda: self._turn(sender, cleaned, source, shown))

    def start(self, command: StartIntent, shown: str, source: Source = "button") -> None:
        """A tile, a poster or the step-free button: start its intent directly (``shown``: the words the
        resident sees for it); replies arrive as events."""
        parts = self._parts
        if parts is not None:
            parts.session.submit_text(command, source, shown)
            return
        sender = self._sender
        self._turns.submit(lambda: self._turn(sender, command, source, shown))

    def _turn(self, sender: str, message: str | StartIntent, source: Source, shown: str) -> None:
        text = intent_message(message) if isinstance(message, StartIntent) else message
        if source != "system":
            self._publish(UserText(sender, text, source, shown))
        try:
            outcome = self._net.turn(sender, message, source)
        except Exception:  # the net never raises for the dialogue; this is belt and braces
            log.exception("kiosk dialogue turn failed")
            outcome = Outcome([], Error("dialogue_failed", texts(self.language)["turn_failed"]))
        self._present(outcome, sender)

    def _present(self, outcome: Outcome, sender: str | None = None) -> None:
        """Publish a turn's replies (and the data the screen acts on), or its error; also the unanswered
        question's alert, which arrives on the timer's thread (then said aloud too when voice is on)."""
        if outcome.error is not None:
            self._publish(outcome.error)
        if outcome.replies:
            with self._lock:
                if sender is None or sender == self._sender:
                    self._last_replies = outcome.replies
        for reply in outcome.replies:
            self._publish(reply)
            for item in reply.data:  # decoded once by the conversation client (assistant/dialogue/wire.py)
                if isinstance(item, STANDALONE):  # an alert also when not stored: the screen must say "call 120"
                    self._publish(item)
        parts = self._parts
        if sender is None and parts is not None:  # not a turn of the voice session's: say it here
            for said in [r.text for r in outcome.replies if r.text] or ([outcome.error.message] if outcome.error
                                                                       else []):
                parts.session.announce(said)

    def _raise_alert(self, details: str, kind: str) -> Alert:
        """The direct path for an emergency the dialogue could not raise (the net publishes the alert)."""
        return raise_emergency(self.settings, details, kind)

    @property
    def safety(self) -> SafetyNet:
        """The turn logic: never silent, the local detector, the confirm question's timer."""
        return self._net

    def form_in_progress(self) -> bool:
        """True if a form (repair report, feedback, booking...) is half done. Blocks up to 2 s."""
        try:
            tracker = self._probe.tracker(self._sender)
        except Exception:  # Rasa down or slow: nothing we know of is half done
            return False
        loop = tracker.get("active_loop") or {}
        return isinstance(loop, dict) and bool(loop.get("name"))

    def new_conversation(self) -> None:
        """Privacy reset: a new sender id now; the old conversation is forgotten in Rasa after its turns."""
        self._help.stop()  # the resident has gone: nobody to tell who is coming
        self._net.cancel()  # a question still waiting belongs to the old conversation (90 s > its 15 s anyway)
        talking = self._handoff.stop()
        if talking is not None:  # a person was talking with them: the console shows they left
            self._handoff.resident_left(talking)
        with self._lock:
            old, self._sender = self._sender, new_sender_id(self.settings)
            self._last_replies = []
            new = self._sender
        self.language = self.default_language  # the next resident is greeted in the community's language
        parts = self._parts
        if parts is not None:
            parts.session.sender_id = new  # at once: a turn typed right after belongs to the new conversation
            self._controls.submit(lambda: parts.session.new_conversation(new))
        self._turns.submit(lambda: self._forget(old))

    def _forget(self, sender: str) -> None:
        try:
            self._client.reset(sender)
        except Exception:  # Rasa down: its tracker is not reachable to read either; logged for the admin
            log.warning("could not reset conversation %s in Rasa", sender, exc_info=True)
        # Rasa has saved the restart (the call returns after it) and never hears of this id again: erase the
        # conversation's rows from the tracker database and its outbox items (docs/privacy.md). With Rasa down
        # the rows go all the same; the retention sweep is the safety net for anything missed here.
        try:
            s = self.settings
            with local_outbox(s.outbox_path, s.services_url, s.kiosk_token) as outbox:
                forget_conversation(s.tracker_db_path, outbox, sender)
        except Exception:
            log.warning("could not erase conversation %s; the retention sweep removes it later", sender,
                        exc_info=True)

    # voice --------------------------------------------------------------------------------------------
    def start_voice(self) -> None:
        """Load the speech model and open the microphone in the background; typing works meanwhile."""
        if not self._voice_enabled:
            self._voice_problem = texts(self.language)["voice_off"]
            self._publish(VoiceState("unavailable", self._voice_problem))
            return
        if self._voice_thread is not None or self._closed.is_set():
            return
        self._voice_thread = threading.Thread(target=self._open_voice, name="kiosk-voice-open", daemon=True)
        self._voice_thread.start()

    def _open_voice(self) -> None:
        self._publish(VoiceState("idle", texts(self.language)["voice_getting_ready_short"]))
        try:
            # the speech model and the voice of the conversation's language (a locale of LINLI_SPEECH_LOCALE
            # the kiosk does not offer, e.g. "ko" on a test kiosk, is kept as configured)
            speech = self._speech or load_speech_settings()
            if normalise(speech.locale) in self.settings.language_list and speech.locale != self.language:
                speech = replace(speech, locale=self.language, model=None)
            speaker: bool | FileSpeaker = True
            if self.settings.speech_output is not None:  # the hardware edge as files (tests, demos)
                speaker = FileSpeaker(self.settings.speech_output)
            parts = open_voice(self.settings, speech, _KindDialogue(self._client), self._publish, speaker=speaker,
                               net=self._net)
        except LinliError as e:  # no model, no espeak, bad settings: the hint names the fix
            reason = f"{e.message} {e.hint or ''}".strip()
            self._voice_unavailable(texts(self.language)["voice_not_available"].format(reason=reason), e)
            return
        except Exception as e:
            self._voice_unavailable(texts(self.language)["voice_broken"], e)
            return
        parts.session.sender_id = self._sender
        self._parts = parts
        if self._closed.is_set():
            self._parts = None
            parts.close()
            return
        try:
            mic = self._audio_source(speech, self.settings.speech_input)
        except LinliError as e:  # replies are still spoken; only the talk button explains itself
            self._voice_unavailable(texts(self.language)["microphone_missing"].format(reason=e.message), e)
            return
        self._mic = mic
        self._mic_thread = threading.Thread(target=self._listen, args=(parts, mic), name="kiosk-mic", daemon=True)
        self._mic_thread.start()

    @staticmethod
    def _audio_source(speech: SpeechSettings, path: Path | None) -> AudioSource:
        """The microphone, or ``LINLI_SPEECH_INPUT``: an audio file heard as if spoken live (a demo kiosk
        without a microphone, and the tests — the hardware edge)."""
        if path is not None:
            return ClipSource(read_audio(path), block_seconds=speech.block_seconds, realtime=True)
        return MicrophoneSource(block_seconds=speech.block_seconds)

    def _listen(self, parts: VoiceParts, mic: AudioSource) -> None:
        problem: BaseException | None = None
        try:
            parts.session.run(mic, self._closed)
        except Exception as e:
            problem = e
        if isinstance(mic, ClipSource) and problem is None:
            return  # the file is over; that is not a broken microphone
        if not self._closed.is_set():  # the stream ended by itself: unplugged, or a device error
            self._mic = None
            self._voice_unavailable(texts(self.language)["microphone_stopped"],
                                    problem or RuntimeError("microphone stream ended"))

    def _voice_unavailable(self, message: str, error: BaseException) -> None:
        log.warning("kiosk voice unavailable: %s", error, exc_info=not isinstance(error, LinliError))
        self._voice_problem = message
        self._publish(VoiceState("unavailable", message))

    def talk(self) -> None:
        """The talk button: start or end listening, or stop the assistant talking."""
        parts = self._parts
        if parts is not None and self._mic is not None:
            self._controls.submit(parts.session.tap)
            return
        if self._voice_problem is not None:
            message = self._voice_problem
        elif self._voice_thread is not None:
            message = texts(self.language)["voice_getting_ready"]
        else:
            message = texts(self.language)["voice_not_started"]
        self._publish(VoiceState("unavailable", message))

    def repeat(self) -> None:
        """Say the last answer again; without voice, show it again."""
        parts = self._parts
        if parts is not None:
            parts.session.repeat()
            return
        with self._lock:
            replies = list(self._last_replies)
        for reply in replies:
            self._publish(reply)

    def slower(self) -> int | None:
        """Speak more slowly; returns the new rate in words per minute, or None without voice."""
        parts = self._parts
        return parts.session.slower() if parts is not None else None

    def faster(self) -> int | None:
        """Undo a "slower": one step up, never above the configured default rate."""
        parts = self._parts
        return parts.session.faster() if parts is not None else None

    def change_volume(self, delta: float) -> float | None:
        """Louder (+) or quieter (−); returns the new volume (0.1–1.0), or None without voice."""
        parts = self._parts
        return parts.session.set_volume(parts.session.volume + delta) if parts is not None else None

    # emergency ----------------------------------------------------------------------------------------
    def emergency(self, details: str = "") -> Future[Alert]:
        """Raise the alert now, on its own thread; the ``Alert`` event is published and also in the future."""
        future: Future[Alert] = Future()

        def run() -> None:
            alert = raise_emergency(self.settings, details)  # never raises
            self._publish(alert)
            future.set_result(alert)

        thread = threading.Thread(target=run, name="kiosk-emergency", daemon=True)
        with self._lock:
            self._emergencies = [t for t in self._emergencies if t.is_alive()] + [thread]
        thread.start()
        parts = self._parts
        if parts is not None:  # a calm overlay, not a long answer read over it
            parts.session.stop_speaking()
        return future

    # lifecycle ----------------------------------------------------------------------------------------
    def wait_idle(self, timeout: float = 60.0) -> bool:
        """True once every queued turn (typed and, with voice, spoken) is answered. For tests and shutdown."""
        try:
            self._turns.submit(lambda: None).result(timeout)
        except TimeoutError:
            return False
        parts = self._parts
        return parts.session.wait_idle(timeout) if parts is not None else True

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()  # also stops the microphone loop
        self._help.stop()
        self._net.cancel()
        self._heartbeat.stop()
        self._handoff.stop()
        self._broadcasts.stop()
        with self._lock:
            emergencies = list(self._emergencies)
        for thread in emergencies:  # an alert being written must finish before the process ends
            thread.join(timeout=15)
        if self._voice_thread is not None:  # still loading after this, it closes what it opened itself
            self._voice_thread.join(timeout=5)
        mic, parts = self._mic, self._parts
        if mic is not None:
            mic.close()
        if self._mic_thread is not None:
            self._mic_thread.join(timeout=5)
        if parts is not None:
            parts.close()
        self._controls.close(timeout=5)
        self._turns.close(timeout=5)
        self._client.close()
        self._probe.close()

"""Putting the voice parts together: used by ``linli voice``, ``linli run --voice`` and the kiosk."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.dialogue.rasa_client import ConversationClient
from assistant.safety.direct_alert import raise_emergency
from assistant.safety.net import SafetyNet
from assistant.shared.config import Settings
from assistant.shared.errors import LinliError, SpeechError, SpeechModelError
from assistant.shared.events import (
    Alert,
    Error,
    Event,
    HandoffEnded,
    HandoffJoined,
    HandoffMessage,
    HandoffOpened,
    HelpComing,
    Reply,
    StartIntent,
    VoiceState,
)
from assistant.skill_runtime.handoff_watch import HandoffWatch
from assistant.skill_runtime.handoff_watch import spoken as handoff_spoken
from assistant.skill_runtime.help_watch import HELP_COMING_SPOKEN, HelpWatch
from foundation.language import normalise

from .asr import NoRecognizer, Recognizer
from .audio_io import AudioSource, ClipSource, MicrophoneSource, read_audio, to_asr_clip
from .model_files import resolve_model
from .settings import SpeechSettings
from .speaker import SoundDeviceSpeaker, Speaker
from .terminal_ui import TerminalUI
from .tts import Synthesizer
from .vocabulary import skill_phrases
from .voice_session import Dialogue, VoiceSession
from .words import speech_words

log = logging.getLogger(__name__)

WARM_UP = {
    "ko": ["안녕하세요 도와주세요", "수도관이 새고 있어요", "병원 예약을 하고 싶어요", "오늘 공지사항을 알려 주세요"],
    "en": ["hello can you help me", "my kitchen tap is leaking", "I want to see a doctor tomorrow"],
    "zh-CN": ["你好 请帮帮我", "我家厨房漏水了", "我想预约医生"],
}
"""A few sentences decoded at start-up so the recogniser's graph cache is warm for the first resident."""


def make_recognizer(settings: Settings, speech: SpeechSettings) -> Recognizer:
    model_dir = resolve_model(speech.locale, speech.model, settings)
    return Recognizer(model_dir, speech.endpoint, settings.models_dir / "speech" / "tuned")


def recognizer_for(settings: Settings, speech: SpeechSettings) -> Callable[[str], Recognizer]:
    """Loads the speech model of another language (the catalogue's default for it, ``assets/speech/models.yml``);
    an operator's ``--model`` is kept for its own locale."""

    def load(language: str) -> Recognizer:
        return make_recognizer(settings, replace(speech, locale=language,
                                                 model=speech.model if language == speech.locale else None))

    return load


def missing_model_words(language: str, error: SpeechModelError) -> str:
    """What the terminal tells the resident (and the staff: the command) when the model is not installed."""
    return speech_words(language)["no_speech_model"].format(command=error.hint or error.message)


def warm_up(recognizer: Recognizer, synthesizer: Synthesizer, locale: str) -> None:
    for sentence in WARM_UP.get(locale, WARM_UP["en"]):
        recognizer.transcribe(to_asr_clip(synthesizer.synthesize(sentence)))
    recognizer.reset()


def open_speaker(enabled: bool | Speaker, on_event: Callable[[Event], None]) -> Speaker | None:
    """The sound card's speaker; ``False``: none; a ``Speaker`` (e.g. ``FileSpeaker``): that one."""
    if not isinstance(enabled, bool):
        return enabled
    if not enabled:
        return None
    try:
        return SoundDeviceSpeaker()
    except SpeechError as e:
        on_event(Error(e.code, f"{e.message} Replies are shown as text."))
        return None


def safe_phrases(settings: Settings) -> list[str]:
    try:
        return skill_phrases(settings.root / "skills", settings.root / "nlu_data")
    except LinliError as e:  # biasing is an extra; broken skills are reported by `linli skill validate`
        log.warning("no vocabulary biasing: %s", e.message)
        return []


@dataclass
class VoiceParts:
    session: VoiceSession
    synthesizer: Synthesizer

    def close(self) -> None:
        self.session.close()
        if self.session.speaker is not None:
            self.session.speaker.close()
        self.synthesizer.close()


def open_voice(
    settings: Settings,
    speech: SpeechSettings,
    dialogue: Dialogue,
    on_event: Callable[[Event], None],
    *,
    speaker: bool | Speaker = True,
    output_dir: Path | None = None,
    warm: bool = True,
    net: SafetyNet | None = None,
    confirm_seconds: float | None = None,
    typing_without_model: bool = False,
) -> VoiceParts:
    """Load the model, the voice and the speaker. Raises SpeechError with the fixing command if one is missing
    (``typing_without_model``: a missing speech model does not raise, the session hears nothing and answers
    typed words; ``session.recognizer`` is then a :class:`NoRecognizer` whose ``reason`` says why).

    ``net``: the kiosk's turn logic, shared with its typed turns; else the session makes its own, raising an
    emergency the dialogue cannot raise on the direct path (services API, else the outbox)."""

    def raise_alert(details: str, kind: str) -> Alert:
        return raise_emergency(settings, details, kind)

    recognizer: Recognizer
    try:
        recognizer = make_recognizer(settings, speech)
    except SpeechModelError as e:
        if not typing_without_model:
            raise
        recognizer = NoRecognizer(missing_model_words(speech.locale, e))
    synthesizer = Synthesizer(speech)
    try:
        if warm:
            warm_up(recognizer, synthesizer, speech.locale)
        session = VoiceSession(
            recognizer=recognizer,
            synthesizer=synthesizer,
            speaker=open_speaker(speaker, on_event),
            dialogue=dialogue,
            settings=speech,
            on_event=on_event,
            output_dir=output_dir,
            phrases=safe_phrases(settings),
            raise_alert=raise_alert,
            net=net,
            confirm_seconds=confirm_seconds,
            recognizer_for=recognizer_for(settings, speech),
        )
    except BaseException:
        synthesizer.close()
        raise
    return VoiceParts(session, synthesizer)


KEYS_HELP = speech_words("en")["keys_help"]


def follow_language(dialogue: Dialogue, session: VoiceSession, settings: Settings, ui: TerminalUI) -> None:
    """The terminal's conversation language: ``--locale`` first, sent as every turn's ``locale``; Chinese (or
    English) words typed or recognised switch it — the voice, the speech model and the terminal's own words
    follow before the answer is spoken (the client calls back on the turn's thread, ahead of the speech)."""
    if not isinstance(dialogue, ConversationClient):
        return
    dialogue.language = normalise(session.language)
    dialogue.languages = settings.language_list

    def switched(language: str) -> None:
        ui.language = language
        problem = session.set_language(language)
        if problem is not None:
            ui.handle(VoiceState("unavailable", problem))

    dialogue.on_language = switched


def keyboard_loop(session: VoiceSession, stop: threading.Event, read: Callable[[], str] = input) -> None:
    """The terminal's buttons: Enter is the talk button; anything longer than a key is a typed question."""
    while not stop.is_set():
        try:
            line = read().strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line == "":
            session.tap()
        elif line.lower() == "q":
            break
        elif line.lower() == "r":
            session.repeat()
        elif line.lower() == "s":
            session.slower()
        elif line.isdigit() and session.press(int(line)):
            pass  # a button of the last answer ("Yes, send help")
        else:
            session.submit_text(line)
    stop.set()


def run_voice_terminal(
    settings: Settings,
    speech: SpeechSettings,
    dialogue: Dialogue,
    *,
    input_file: Path | None = None,
    output_dir: Path | None = None,
    realtime: bool = False,
    speaker: bool = True,
    ui: TerminalUI | None = None,
    read: Callable[[], str] = input,
    confirm_seconds: float | None = None,
) -> int:
    ui = ui or TerminalUI(language=speech.locale)
    if input_file is not None:
        # a file is someone speaking: listen all the time, no wake phrase
        from dataclasses import replace

        speech = replace(speech, mode="always", wake_phrase=None)
        clip = read_audio(input_file)  # bad files fail here, before any model is loaded
    ui.handle(VoiceState("idle", speech_words(speech.locale)["getting_ready"]))
    announce: list[Callable[[str], None]] = []

    def tell_help_coming(event: HelpComing) -> None:
        language = sessions[0].language if sessions else speech.locale  # the conversation's, as it is now
        words = HELP_COMING_SPOKEN.get(language, HELP_COMING_SPOKEN["en"]).format(name=event.staff_name)
        ui.handle(Reply(words))  # printed as the assistant's line
        for say in announce:
            say(words)

    help_watch = HelpWatch(settings.services_url, settings.kiosk_token, settings.outbox_path, tell_help_coming)

    def from_handoff(event: Event) -> None:
        """A person from the office talks through this terminal (docs/handoff.md): say their words."""
        if isinstance(event, HandoffJoined | HandoffMessage):
            words = handoff_spoken(event, sessions[0].language if sessions else speech.locale)
            ui.handle(Reply(words))
            for say in announce:
                say(words)
        elif isinstance(event, HandoffEnded) and event.by == "staff":
            for session_ in sessions:  # clear the dialogue's handoff state; its reply says we are back
                session_.submit_text(StartIntent("back_to_assistant"), "system")

    handoff_watch = HandoffWatch(settings.services_url, settings.kiosk_token, from_handoff)
    sessions: list[VoiceSession] = []

    def handle(event: Event) -> None:
        ui.handle(event)
        if isinstance(event, Alert):  # raised by this terminal's dialogue: learn who is coming, and say it
            help_watch.watch(event)
        elif isinstance(event, HandoffOpened):
            handoff_watch.watch(event.reference)

    parts = open_voice(settings, speech, dialogue, handle, speaker=speaker, output_dir=output_dir,
                       confirm_seconds=confirm_seconds, typing_without_model=input_file is None)
    session = parts.session
    follow_language(dialogue, session, settings, ui)
    announce.append(session.announce)
    sessions.append(session)
    stop = threading.Event()
    try:
        if input_file is not None:
            session.run(ClipSource(clip, block_seconds=speech.block_seconds, realtime=realtime))
            return 0
        source: AudioSource | None = None
        if isinstance(session.recognizer, NoRecognizer):  # nothing to hear with: typing only, said plainly
            ui.handle(VoiceState("unavailable", session.recognizer.reason))
        else:
            try:
                source = MicrophoneSource(block_seconds=speech.block_seconds)
            except SpeechError as e:
                ui.handle(VoiceState("unavailable", e.message))
                ui.handle(VoiceState("unavailable", speech_words(session.language)["no_microphone"]))
        if source is None:
            keyboard_loop(session, stop, read)
            session.wait_idle()
            return 0
        print(speech_words(session.language)["keys_help"], flush=True)
        feeder = threading.Thread(target=session.run, args=(source, stop), name="linli-mic", daemon=True)
        feeder.start()
        keyboard_loop(session, stop, read)
        source.close()
        feeder.join(timeout=5)
        return 0
    finally:
        help_watch.stop()
        handoff_watch.stop()
        parts.close()
        if ui.live:
            sys.stdout.write("\n")

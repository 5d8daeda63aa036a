"""The voice loop: listen → recognise → ask the dialogue → speak, with barge-in.

Audio is fed from one thread (``feed``/``run``); dialogue calls, synthesis and playback run on a worker
thread so the recogniser keeps listening while the assistant talks (that is what makes barge-in work).
Everything the UI needs is published as events (``Transcript``, ``UserText``, ``Reply``, ``Alert``,
``Speak``, ``VoiceState``, ``Error``); the kiosk reuses this class as it is, and changes the voice only through
its methods (``slower``, ``faster``, ``set_rate``, ``set_volume``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.dialogue.wire import intent_message
from assistant.safety.net import Outcome, SafetyNet
from assistant.safety.words import words
from assistant.shared.errors import LinliError, SpeechModelError
from assistant.shared.events import (
    Alert,
    Button,
    ConfirmEmergency,
    Error,
    Event,
    HandoffEnded,
    HandoffOpened,
    Reply,
    Speak,
    SpeechRate,
    StartIntent,
    Transcript,
    UserText,
    VoiceState,
)

from .asr import Recognizer, join_cjk
from .audio_io import AudioSource, write_wav
from .clip import AudioClip
from .settings import SLOWER_STEP, VOICE_FOR_LOCALE, SpeechSettings
from .speaker import Speaker
from .tts import Synthesizer, split_sentences
from .vocabulary import button_phrases
from .words import speech_words

log = logging.getLogger(__name__)

FOLLOW_UP_SECONDS = 10.0
"""After a wake phrase, the resident may go on talking without repeating it for this long after a reply."""


class Dialogue(Protocol):
    def send(self, sender_id: str, message: str | StartIntent,
             metadata: dict[str, Any] | None = None) -> list[Reply]: ...


@dataclass
class TurnTiming:
    """Monotonic clock readings for one voice turn (the benchmark reads these)."""

    heard_at: float
    """When the final transcript was produced."""
    replied_at: float | None = None
    """When the dialogue answered."""
    first_audio_at: float | None = None
    """When the first reply sample went to the speaker."""


def normalise(text: str) -> str:
    """For matching a wake phrase: case and spacing vary between recognisers (Korean spacing especially)."""
    return "".join(text.lower().split())


class VoiceSession:
    def __init__(
        self,
        *,
        recognizer: Recognizer,
        synthesizer: Synthesizer,
        speaker: Speaker | None,
        dialogue: Dialogue,
        settings: SpeechSettings,
        on_event: Callable[[Event], None] = lambda event: None,
        output_dir: Path | None = None,
        sender_id: str | None = None,
        phrases: Sequence[str] = (),
        raise_alert: Callable[[str, str], Alert] | None = None,
        net: SafetyNet | None = None,
        confirm_seconds: float | None = None,
        recognizer_for: Callable[[str], Recognizer] | None = None,
    ) -> None:
        """``recognizer_for(language)``: loads the speech model of another language when the conversation
        switches to it (raises ``SpeechModelError`` when it is not installed); ``None``: the recogniser stays.
        ``raise_alert(details, kind)``: the direct alert path for an emergency the dialogue cannot raise
        (``None``: none, the resident is told to call 120); ``net``: a front end's own turn logic to share (the
        kiosk's), else one is made here; ``confirm_seconds``: overrides the 15 s of "Do you need help right now?"."""
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.speaker = speaker
        self.dialogue = dialogue
        self.settings = settings
        self.sender_id = sender_id or f"voice-{uuid.uuid4().hex[:10]}"
        self.output_dir = output_dir
        self.timings: list[TurnTiming] = []
        self._emit_to = on_event
        self._phrases = list(phrases)
        self._pending_grammar: list[str] | None = None
        self._grammar_asked: list[str] | None = None
        self._wake_list = [settings.wake_phrase or ""]
        self._jobs: queue.Queue[tuple[str, str | StartIntent, str, str] | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._asr = threading.RLock()
        """The Vosk recogniser is not thread-safe: the audio thread and the talk button share it."""
        self._speaking = threading.Event()
        self._cancel_speech = threading.Event()
        self._listening = settings.mode == "always" and not settings.wake_phrase
        self._awake_until = 0.0
        self._last_audio: list[AudioClip] = []
        self._reply_count = 0
        self._closed = False
        self._last_buttons: tuple[Button, ...] = ()
        self.language = settings.locale
        """The words this session says by itself (``assistant/safety/words.py``, ``assets/speech/words.yml``),
        the voice it speaks with and the speech model it listens with (:meth:`set_language`)."""
        self._recognizer_for = recognizer_for
        self._heard_language = settings.locale
        """The language of the recogniser loaded now."""
        self.net = net or SafetyNet(dialogue, raise_alert=raise_alert, present=self._present_later,
                                    words=lambda: words(self.language), confirm_seconds=confirm_seconds)
        self._worker = threading.Thread(target=self._work, name="linli-voice-turns", daemon=True)
        self._worker.start()
        self._emit(VoiceState("listening" if self._listening else "idle"))

    # events ----------------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        try:
            self._emit_to(event)
        except Exception:  # a broken UI handler must not stop the resident's turn
            log.exception("event handler failed for %s", event.type)

    # controls (any thread) -------------------------------------------------------------------------------
    @property
    def listening(self) -> bool:
        return self._listening

    @property
    def speaking(self) -> bool:
        return self._speaking.is_set()

    def tap(self) -> None:
        """The talk button: stops the assistant talking; in push-to-talk, starts or ends listening."""
        was_speaking = self.speaking
        self.stop_speaking()
        if self.settings.mode != "push_to_talk":
            if self.settings.wake_phrase:  # a tap is as good as saying the wake phrase
                self._awake_until = time.monotonic() + FOLLOW_UP_SECONDS
            return
        with self._asr:
            if self._listening and not was_speaking:
                self._finish_utterance()
                return
            self.recognizer.reset()
            self._listening = True
        self._emit(VoiceState("listening"))

    def stop_speaking(self) -> None:
        if self.speaking:
            self._cancel_speech.set()
            if self.speaker is not None:
                self.speaker.stop()

    def submit_text(self, text: str | StartIntent, source: str = "text", shown: str = "") -> None:
        """A typed or tapped turn (or a tile's command) goes through the same queue as a spoken one and is
        answered aloud; ``shown``: the words on a tapped button."""
        self._enqueue("text", text, source, shown)

    def announce(self, text: str) -> None:
        """Say ``text`` (not a reply of the dialogue: "Wang Fang is coming to you now."), in order with turns."""
        self._enqueue("say", text, "")

    def press(self, number: int) -> bool:
        """The ``number``-th (from 1) button of the last answer, as if tapped (the terminal's digit keys)."""
        buttons = self._last_buttons
        if not 1 <= number <= len(buttons):
            return False
        self.submit_text(buttons[number - 1].payload, "button", buttons[number - 1].title)
        return True

    def repeat(self) -> None:
        """Say the last answer again, from the audio already made (no dialogue round trip)."""
        self.stop_speaking()
        self._enqueue("repeat", "", "")

    # the voice (the kiosk's settings screen and the dialogue's "slower, please") -------------------------
    @property
    def rate(self) -> int:
        """The speech rate now, in words per minute."""
        return self.synthesizer.rate

    def set_rate(self, wpm: int) -> int:
        """Speak at ``wpm`` words per minute from the next sentence on; returns the rate set."""
        return self.synthesizer.set_rate(wpm)

    def slower(self) -> int:
        """One step slower (never below the minimum rate); returns the new rate."""
        return self.synthesizer.slower()

    def faster(self) -> int:
        """Undo a "slower": one step up, never above the configured rate; returns the new rate."""
        return self.set_rate(min(self.settings.rate_wpm, round(self.synthesizer.rate / SLOWER_STEP)))

    @property
    def volume(self) -> float:
        return self.synthesizer.volume

    def set_volume(self, volume: float) -> float:
        """The loudness from 0.1 (never silent: a resident must not lose the voice by tapping) to 1.0;
        returns the volume set."""
        self.synthesizer.volume = min(1.0, max(0.1, volume))
        return self.synthesizer.volume

    def set_language(self, language: str, *, hear: bool = True) -> str | None:
        """The conversation is in ``language`` now (the kiosk's 中文 button, Chinese words typed or heard):
        the session's own words and the voice follow at once, the speech model when it is installed. Returns
        ``None``, or what to tell the resident when the model is missing (they can still type; the old model
        keeps listening). Blocks while a model loads: call it off the UI thread (``hear=False``: the words and
        the voice only, at once; the model in a second call)."""
        self.language = language
        if self.settings.voice is None or language != self.settings.locale:  # an operator's voice, for its locale
            try:
                self.synthesizer.voice = VOICE_FOR_LOCALE.get(language, VOICE_FOR_LOCALE["en"])
            except LinliError as e:  # the voice is not installed: keep speaking with the one we have
                log.warning("no %s voice: %s", language, e.message)
        if not hear or self._recognizer_for is None or language == self._heard_language:
            return None
        try:
            recognizer = self._recognizer_for(language)
        except SpeechModelError as e:
            log.warning("no %s speech model: %s %s", language, e.message, e.hint or "")
            return speech_words(language)["no_speech_model"].format(command=e.hint or e.message)
        with self._asr:  # between two blocks of audio: nothing half heard in the old language is kept
            self.recognizer, self._heard_language = recognizer, language
            self._grammar_asked = None
        return None

    def new_conversation(self, sender_id: str | None = None) -> None:
        """Privacy reset (the kiosk's idle timer): a new dialogue id, the normal rate, nothing half heard."""
        self.stop_speaking()
        self.sender_id = sender_id or f"voice-{uuid.uuid4().hex[:10]}"
        self.synthesizer.reset_rate()
        with self._asr:
            self.recognizer.reset()
        self._last_audio = []
        self._pending_grammar = None
        self._awake_until = 0.0
        self._last_buttons = ()
        self.net.cancel()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True when every queued turn has been answered and spoken."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stop_speaking()
        self._jobs.put(None)
        self._worker.join(timeout=10)

    # audio (one thread; the talk button may reset the recogniser from another, under self._asr) -------------
    def run(self, source: AudioSource, stop: threading.Event | None = None) -> None:
        """Feed every block of ``source``; at its end, finish the last utterance and wait for the answer."""
        try:
            for block in source.blocks():
                if stop is not None and stop.is_set():
                    break
                self.feed(block)
        finally:
            source.close()
        with self._asr:
            if self._listening:
                self._finish_utterance()
        self.wait_idle()

    def feed(self, pcm: bytes) -> None:
        if not self._listening and not self._wake_word_mode():
            return
        if self.speaking and not self.settings.barge_in:
            return  # half duplex: without barge-in the kiosk must not hear itself
        with self._asr:
            if not self.recognizer.heard_speech:
                self._apply_grammar()
            for event in self.recognizer.accept(pcm):
                self._on_transcript(event)

    def _apply_grammar(self) -> None:
        """Between utterances: the wake phrase while asleep, else the offered buttons and the skills' phrases."""
        if self._wake_word_mode() and not self._awake():
            wanted = self._wake_list
        elif self._pending_grammar is not None:
            wanted = self._pending_grammar
        else:
            wanted = self._phrases
        # called for every block between utterances: compare the list itself, not a sorted copy of ~800 phrases
        if wanted is not self._grammar_asked:
            self._grammar_asked = wanted
            self.recognizer.set_grammar(wanted or None)

    def _wake_word_mode(self) -> bool:
        return self.settings.mode == "always" and bool(self.settings.wake_phrase)

    @property
    def awake(self) -> bool:
        """False while a wake phrase is awaited."""
        return self._awake()

    def _awake(self) -> bool:
        return not self._wake_word_mode() or time.monotonic() < self._awake_until

    def _finish_utterance(self) -> None:
        for event in self.recognizer.finish():
            self._on_transcript(event)
        if self.settings.mode == "push_to_talk" and self._listening:
            self._listening = False
            self._emit(VoiceState("idle"))

    def _on_transcript(self, event: Transcript) -> None:
        if not event.final:
            if self._awake():  # partials of people not addressing the kiosk are not shown (privacy)
                if self.speaking and self.settings.barge_in:
                    self.stop_speaking()
                self._emit(event)
            return
        text = join_cjk(event.text)
        event = Transcript(text, final=True)
        if not self._awake():
            rest = self._after_wake_phrase(text)
            if rest is None:
                return
            text = rest
            if not text:  # the wake phrase alone: listen to what comes next
                self._emit(VoiceState("listening"))
                return
            event = Transcript(text, final=True)
        if self.speaking and self.settings.barge_in:
            self.stop_speaking()
        self._emit(event)
        self.timings.append(TurnTiming(heard_at=time.monotonic()))
        if self.settings.mode == "push_to_talk":
            self._listening = False
        self._enqueue("text", text, "voice")

    def _after_wake_phrase(self, text: str) -> str | None:
        """None if ``text`` does not start with the wake phrase; else what follows it (maybe empty)."""
        wake = normalise(self.settings.wake_phrase or "")
        squashed = normalise(text)
        at = squashed.find(wake)
        if not wake or at < 0:
            return None
        self._awake_until = time.monotonic() + FOLLOW_UP_SECONDS
        rest = squashed[at + len(wake):]
        if not rest:
            return ""
        # give back the words after the phrase with their spacing
        words, seen = text.split(), ""
        for i, word in enumerate(words):
            seen += word.lower()
            if len(seen) >= at + len(wake):
                return " ".join(words[i + 1:])
        return rest

    # turns (worker thread) -------------------------------------------------------------------------------
    def _enqueue(self, kind: str, text: str | StartIntent, source: str, shown: str = "") -> None:
        if self._closed:
            return
        self._idle.clear()
        self._jobs.put((kind, text, source, shown))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                self._idle.set()
                return
            kind, text, source, shown = job
            try:
                if kind == "repeat":
                    self._speak_clips(self._last_audio)
                elif kind == "say" and isinstance(text, str):
                    self._say([text], None)
                else:
                    self._turn(text, source, shown)
            except Exception:  # the loop must survive anything one turn does
                log.exception("voice turn failed")
                self._emit(Error("voice_turn_failed", speech_words(self.language)["turn_failed"]))
            finally:
                if self._jobs.empty():
                    self._idle.set()
                    self._emit(VoiceState("listening" if self._listening or self.settings.mode == "always" else "idle"))

    def _turn(self, message: str | StartIntent, source: str, shown: str = "") -> None:
        text = intent_message(message) if isinstance(message, StartIntent) else message
        if source != "system":  # "system": a turn the front end sent by itself (the end of a handoff)
            self._emit(UserText(self.sender_id, text, source, shown))  # type: ignore[arg-type]
        self._emit(VoiceState("thinking"))
        timing = self.timings[-1] if source == "voice" and self.timings else None
        # the source travels as Rasa metadata: a handoff tells staff whether words were said or typed. The net
        # never leaves a turn silent and recognises an emergency with the dialogue down (docs/emergency-triage.md)
        outcome = self.net.turn(self.sender_id, message, source)
        if timing is not None:
            timing.replied_at = time.monotonic()
        self._say(self._show(outcome), timing)
        if self._wake_word_mode():
            self._awake_until = time.monotonic() + FOLLOW_UP_SECONDS

    def _show(self, outcome: Outcome) -> list[str]:
        """Publish an outcome's events; returns what to say."""
        if outcome.error is not None:
            self._emit(outcome.error)
        for reply in outcome.replies:
            self._emit(reply)
            for item in reply.data:
                if isinstance(item, (Alert, ConfirmEmergency, HandoffOpened, HandoffEnded)):  # an alert also
                    self._emit(item)  # when not stored: the screen says "call 120"
                elif isinstance(item, SpeechRate):
                    self.slower()
        if outcome.replies:
            self._last_buttons = tuple(b for r in outcome.replies for b in r.buttons)
            self._pending_grammar = [*button_phrases(outcome.replies), *self._phrases]
        said = [r.text for r in outcome.replies if r.text]
        return said or ([outcome.error.message] if outcome.error is not None else [])

    def _present_later(self, outcome: Outcome) -> None:
        """The unanswered question's alert (the timer's thread): shown now, said in order with the turns."""
        self.stop_speaking()
        for text in self._show(outcome):
            self.announce(text)

    def _say(self, texts: list[str], timing: TurnTiming | None) -> None:
        """Synthesise sentence by sentence so the first one plays while the rest is still to be made."""
        self._cancel_speech.clear()
        clips: list[AudioClip] = []
        spoken_any = False
        for sentence in (s for text in texts for s in split_sentences(text)):
            if self._cancel_speech.is_set():
                break
            clip = self.synthesizer.synthesize(sentence)
            clips.append(clip)
            if not spoken_any:
                spoken_any = True
                self._emit(Speak(" ".join(texts), self.synthesizer.rate))

            def first_sample(t: TurnTiming | None = timing) -> None:
                if t is not None and t.first_audio_at is None:
                    t.first_audio_at = time.monotonic()

            self._play(clip, first_sample)
        if clips:
            self._last_audio = clips
            self._save(clips)

    def _speak_clips(self, clips: list[AudioClip]) -> None:
        self._cancel_speech.clear()
        for clip in clips:
            if self._cancel_speech.is_set() or not self._play(clip, None):
                break

    def _play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None) -> bool:
        if self.speaker is None:  # no speaker: the reply is on screen and in --output files
            if on_first_sample:
                on_first_sample()
            return True
        self._speaking.set()
        self._emit(VoiceState("speaking"))
        try:
            return self.speaker.play(clip, on_first_sample=on_first_sample)
        except LinliError as e:
            self._emit(Error(e.code, e.message))
            return False
        finally:
            self._speaking.clear()

    def _save(self, clips: list[AudioClip]) -> None:
        if self.output_dir is None:
            return
        self._reply_count += 1
        joined = AudioClip(np.concatenate([c.samples for c in clips]), clips[0].rate)
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            write_wav(self.output_dir / f"reply-{self._reply_count:03d}.wav", joined)
        except (OSError, LinliError) as e:
            self._emit(Error("output_failed", f"Could not save the reply audio: {e}"))

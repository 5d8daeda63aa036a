"""Text to speech: pyttsx3 on espeak-ng, synthesised into memory on one worker thread.

We never call ``engine.say()``: pyttsx3 2.99's espeak driver plays through ``os.system("aplay …")``, which blocks
and cannot be stopped (no barge-in). Instead each job is ``save_to_file`` + ``runAndWait`` into a private temp
folder, read back as an :class:`AudioClip`, and played by our own stoppable speaker.

Two driver traps are handled in ``_Worker._attempt``: ``runAndWait()`` returns ~10 ms after espeak starts, not
when the WAV is written (we wait for the "finished-utterance" event), and properties set while espeak's own
thread is busy are dropped by the driver's ``espeak_Cancel()`` (we wait for espeak to be idle).

espeak-ng is a process-wide singleton (initialised once, never torn down) and pyttsx3 is not thread-safe, so
every ``Synthesizer`` in the process shares ONE worker thread that owns the engine; callers send it jobs
through a queue and wait for the result. The worker stops when the last ``Synthesizer`` is closed.
"""

from __future__ import annotations

import html
import itertools
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import types
import unicodedata
import wave
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from assistant.shared.errors import AudioOutputError, ConfigError
from assistant.speech.audio_io import write_wav
from assistant.speech.clip import AudioClip
from assistant.speech.settings import MIN_RATE_WPM, SLOWER_STEP, SpeechSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

DRIVER_RATE = 22_050
"""Sample rate of the WAVs pyttsx3 2.99's espeak driver writes (hard-coded there)."""
MAX_RATE_WPM = 400
MAX_CHARS = 2_000
"""Longer text is cut at a sentence boundary: a kiosk reply should never be minutes of speech."""
JOB_TIMEOUT = 30.0
"""espeak synthesises ~100× faster than real time; a job this slow means the driver is stuck."""
_IDLE_TIMEOUT = 5.0
_MIN_FRAGMENT = 12
"""split_sentences joins pieces shorter than this (wide CJK characters count 2) to the next one."""

_UNAVAILABLE_HINT = "Install espeak-ng (`apt-get install espeak-ng`)."


# ---------------------------------------------------------------------------------------------------------
# Text hygiene and sentence splitting (pure functions)

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](url) → text
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # <b>, </speak>, <br/>: espeak would read the brackets out
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_LINE_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}|>+|[-•·*+](?=[ \t]))[ \t]*", re.MULTILINE)  # headings, quotes, bullets
_INLINE_MARKUP = re.compile(r"[*_`~|]+")
_LINE_END = re.compile(r"(?<=[^\W_])[ \t]*\n+")  # a line without end punctuation: make espeak pause there
_SPACES = re.compile(r"\s+")
_BOUNDARY = re.compile(
    r"[.!?…]+[\"'”’)\]]*(?=\s|$)"  # Latin end marks only before a space: keeps 3.5 and e.g. together
    r"|[。！？]+[\"'”’」』）)\]]*"  # CJK end marks need no space after them
    r"|\n"
)


def _is_speakable(text: str) -> bool:
    """Letters, digits or symbols (emoji are symbols); punctuation and spaces alone say nothing."""
    return any(unicodedata.category(ch)[0] in "LNS" for ch in text)


def _strip_controls(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append(" ")  # tabs, newlines, NUL, ESC …
        elif cat[0] != "C":
            out.append(ch)
        # Cf (zero-width, bidi marks), Cs (lone surrogates would break UTF-8 encoding in the driver),
        # Co (private use), Cn (unassigned) are dropped.
    return "".join(out)


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in _BOUNDARY.finditer(head)]
    cut = ends[-1] if ends and ends[-1] >= max_chars // 2 else head.rfind(" ")
    if cut < max_chars // 2:
        cut = max_chars
    log.warning("Speech text of %d characters cut to %d at a sentence boundary.", len(text), cut)
    return head[:cut].rstrip()


def clean_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """What espeak is given: markup and control characters removed, whitespace collapsed, length capped.

    Returns "" when nothing speakable is left.
    """
    if not isinstance(text, str):
        raise TypeError(f"speech text must be str, not {type(text).__name__}")
    text = _MD_LINK.sub(r"\1", text)
    text = html.unescape(_TAG.sub(" ", text))
    text = _URL.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_MARKUP.sub("", text)
    text = _INLINE_MARKUP.sub(" ", text)
    text = _LINE_END.sub(". ", text)
    text = _SPACES.sub(" ", _strip_controls(text)).strip()
    if not _is_speakable(text):
        return ""
    return _cap(text, max_chars)


def _weight(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences so the first can play while the rest is synthesised.

    Splits after . ! ? … (before a space), after 。！？, and at line breaks; joins pieces shorter than
    ``_MIN_FRAGMENT`` ("Yes.", "Dr.", "好的。") to the next, so espeak is not started for a word. Never returns
    empty strings; whitespace inside a sentence is collapsed.
    """
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        pieces.append(text[start : m.end()])
        start = m.end()
    pieces.append(text[start:])

    out: list[str] = []
    for raw in pieces:
        piece = _SPACES.sub(" ", raw).strip()
        if not piece:
            continue
        if out and _weight(out[-1]) < _MIN_FRAGMENT:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    if len(out) > 1 and _weight(out[-1]) < _MIN_FRAGMENT:
        last = out.pop()
        out[-1] = f"{out[-1]} {last}"
    return out


# ---------------------------------------------------------------------------------------------------------
# The worker: the only code that touches pyttsx3 / espeak

_engine: Any = None
"""The pyttsx3 engine, created once and reused by later workers: freeing it would unhook espeak's callback
(DriverProxy.__del__ → SetSynthCallback(None)), possibly after a newer engine had set its own."""


def _load_engine() -> Any:
    global _engine
    if _engine is None:
        import pyttsx3
        import pyttsx3.drivers.espeak as driver  # loads libespeak-ng; fails here when it is missing

        # The driver print()s "Audio saved to …" on every save, from espeak's thread. Silence that one module
        # rather than sys.stdout, which other threads use for the terminal UI.
        driver.print = lambda *args, **kwargs: None
        # Its module-level logging.debug() would call logging.basicConfig() and put a stderr handler on the
        # root logger (making the app's own basicConfig a no-op); route it to a named logger instead.
        driver.logging = types.SimpleNamespace(debug=logging.getLogger("pyttsx3").debug)
        _engine = pyttsx3.init("espeak")
    return _engine


def _wait_idle() -> None:
    """Wait until espeak's own thread has nothing queued.

    In the driver's (asynchronous) retrieval mode property changes are queued to espeak's thread, and
    pyttsx3's end of loop calls espeak_Cancel() if espeak is still busy: that silently drops the queued
    rate/volume change (measured: 138 of 200 jobs came out at the previous rate) or even the synthesis.
    """
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + _IDLE_TIMEOUT
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise AudioOutputError("Speech synthesis is stuck.", hint="Restart Linli.")
        time.sleep(0.001)


def _read_wav(path: Path) -> AudioClip:
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise AudioOutputError("Speech synthesis produced audio in an unexpected format.")
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    return AudioClip(np.frombuffer(frames, dtype="<i2").astype(np.int16), rate)


class _Worker:
    """One thread, one engine; jobs are functions of the engine, results come back through futures."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._ready: Future[dict[str, str]] = Future()
        self._lock = threading.Lock()
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="linli-tts", daemon=True)
        self._names = itertools.count()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="linli-tts-"))
        self.voices: dict[str, str] = {}
        """Accepted voice names (lower case: id, id without family, display name) → espeak voice id."""
        self.broken = False

    def start(self) -> None:
        self._thread.start()
        try:
            self.voices = self._ready.result(timeout=JOB_TIMEOUT)
        except Exception as e:
            self.broken = True
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            log.warning("Speech output could not start: %s", e, exc_info=True)
            raise AudioOutputError("Speech output is not available.", hint=_UNAVAILABLE_HINT) from e

    def _run(self) -> None:
        try:
            engine = _load_engine()
            voices: dict[str, str] = {}
            for v in engine.getProperty("voices"):
                for alias in (v.id, v.id.rsplit("/", 1)[-1], v.name):
                    voices.setdefault(str(alias).lower(), v.id)
        except BaseException as e:  # reported to the constructor's thread
            self._ready.set_exception(e)
            return
        self._ready.set_result(voices)
        try:
            while (item := self._jobs.get()) is not None:
                fn, fut = item
                if fut.set_running_or_notify_cancel():
                    try:
                        fut.set_result(fn(engine))
                    except Exception as e:  # the worker survives and serves the next job
                        fut.set_exception(e)
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def call(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(engine)`` on the worker; its exception is re-raised here as AudioOutputError."""
        fut: Future[T] = Future()
        with self._lock:
            if self.broken:
                raise AudioOutputError("Speech output stopped working.", hint="Restart Linli.")
            if not self._accepting:
                raise AudioOutputError("Speech output is closed.")
            self._jobs.put((fn, fut))
        try:
            return fut.result(timeout=JOB_TIMEOUT)
        except TimeoutError as e:
            self.broken = True  # the engine thread is stuck: no later job could run either
            raise AudioOutputError("Speech synthesis stopped responding.", hint="Restart Linli.") from e
        except AudioOutputError:
            raise
        except Exception as e:
            log.warning("Speech synthesis failed: %s", e, exc_info=True)
            raise AudioOutputError("Speech could not be synthesised.") from e

    def stop(self) -> bool:
        """Finish queued jobs and end the thread; False if it is stuck."""
        with self._lock:
            self._accepting = False
            self._jobs.put(None)
        self._thread.join(timeout=JOB_TIMEOUT)
        return not self._thread.is_alive()

    def synthesize(self, engine: Any, text: str, voice: str, rate: int, volume: float) -> AudioClip:
        """Runs on the worker thread. Retries once if espeak reports the utterance as cut short."""
        for attempt in (1, 2):
            clip = self._attempt(engine, text, voice, rate, volume)
            if clip is not None:
                return clip
            log.warning("espeak did not finish an utterance (attempt %d).", attempt)
        raise AudioOutputError("Speech could not be synthesised.")

    def _attempt(self, engine: Any, text: str, voice: str, rate: int, volume: float) -> AudioClip | None:
        path = self.tmpdir / f"{next(self._names)}.wav"
        errors: list[BaseException] = []
        finished: list[bool] = []
        done = threading.Event()

        def on_error(**kw: Any) -> None:
            errors.append(kw.get("exception") or RuntimeError("pyttsx3 reported an error"))

        def on_finished(**kw: Any) -> None:  # called on espeak's thread
            finished.append(bool(kw.get("completed")))
            done.set()

        tokens = [engine.connect("error", on_error), engine.connect("finished-utterance", on_finished)]
        try:
            _wait_idle()
            # Errors in these are swallowed by pyttsx3 into "error" notifications, collected above.
            engine.setProperty("voice", voice)
            engine.setProperty("rate", rate)
            engine.setProperty("volume", volume)
            _wait_idle()
            engine.save_to_file(text, str(path))
            # runAndWait() does NOT wait for the audio: the driver ends its loop ~10 ms after starting espeak,
            # finished or not. The WAV is written on espeak's thread when the utterance ends.
            engine.runAndWait()
            if not done.wait(JOB_TIMEOUT / 2):
                self.broken = True  # espeak is still writing into the driver's state
                raise AudioOutputError("Speech synthesis stopped responding.", hint="Restart Linli.")
            _wait_idle()
        finally:
            for token in tokens:
                engine.disconnect(token)
        try:
            if errors:
                raise AudioOutputError("Speech could not be synthesised.") from errors[0]
            return _read_wav(path) if finished == [True] and path.exists() else None
        finally:
            path.unlink(missing_ok=True)


_workers_lock = threading.Lock()
_worker: _Worker | None = None
_users = 0


def _acquire_worker() -> _Worker:
    global _worker, _users
    with _workers_lock:
        if _worker is not None and _worker.broken:
            raise AudioOutputError("Speech output stopped working.", hint="Restart Linli.")
        if _worker is None:
            worker = _Worker()
            worker.start()
            _worker = worker
        _users += 1
        return _worker


def _release_worker(worker: _Worker) -> None:
    global _worker, _users
    with _workers_lock:
        _users -= 1
        if _users == 0 and _worker is worker and worker.stop():
            _worker = None  # a stuck worker stays registered (broken) so no second thread drives espeak


# ---------------------------------------------------------------------------------------------------------
# Public API


def _check_rate(rate: int | float) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise ConfigError(f"Speech rate must be between {MIN_RATE_WPM} and {MAX_RATE_WPM} words per minute.")
    return int(round(rate))


def _check_volume(volume: float) -> float:
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0.0 <= volume <= 1.0:
        raise ConfigError("Speech volume must be between 0.0 and 1.0.")
    return float(volume)


class Synthesizer:
    """Speech synthesis with a resident's rate, volume and voice. Thread-safe; jobs run one at a time."""

    def __init__(
        self,
        settings: SpeechSettings | None = None,
        *,
        rate: int | None = None,
        volume: float | None = None,
        voice: str | None = None,
    ) -> None:
        s = settings or SpeechSettings()
        self._default_rate = _check_rate(s.rate_wpm if rate is None else rate)
        self._rate = self._default_rate
        self._volume = _check_volume(s.volume if volume is None else volume)
        self._lock = threading.Lock()
        self._closed = False
        self._worker = _acquire_worker()
        try:
            self._voice = self._resolve_voice(voice or s.voice_name)
        except BaseException:
            self.close()
            raise

    # -- settings

    def _resolve_voice(self, name: str) -> str:
        voice_id = self._worker.voices.get(str(name).strip().lower())
        if voice_id is None:
            raise AudioOutputError(
                f"The speech voice {name!r} is not installed.",
                hint="See the installed voices with `espeak-ng --voices`.",
            )
        return voice_id

    @property
    def rate(self) -> int:
        """Words per minute."""
        return self._rate

    @rate.setter
    def rate(self, wpm: int) -> None:
        self.set_rate(wpm)

    def set_rate(self, wpm: int) -> int:
        self._rate = _check_rate(wpm)
        return self._rate

    def slower(self) -> int:
        """Slower, please: the rate times SLOWER_STEP, not below MIN_RATE_WPM. Returns the new rate."""
        return self.set_rate(max(MIN_RATE_WPM, round(self._rate * SLOWER_STEP)))

    def reset_rate(self) -> int:
        return self.set_rate(self._default_rate)

    @property
    def volume(self) -> float:
        """0.0–1.0."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = _check_volume(value)

    @property
    def voice(self) -> str:
        """The espeak-ng voice id in use (e.g. ``gmw/en``, ``sit/cmn``, ``ko``)."""
        return self._voice

    @voice.setter
    def voice(self, name: str) -> None:
        self._voice = self._resolve_voice(name)

    # -- synthesis

    def synthesize(self, text: str, rate: int | None = None) -> AudioClip:
        """Speech for ``text`` at DRIVER_RATE; blocks until done. Nothing speakable → an empty clip."""
        worker = self._live_worker()
        clean = clean_text(text)
        wpm = self._rate if rate is None else _check_rate(rate)
        if not clean:
            return AudioClip(np.zeros(0, dtype=np.int16), DRIVER_RATE)
        return worker.call(partial(worker.synthesize, text=clean, voice=self._voice, rate=wpm, volume=self._volume))

    def synthesize_to_file(self, text: str, path: str | os.PathLike[str], rate: int | None = None) -> Path:
        """Write the speech as a WAV file atomically: the file appears complete or not at all."""
        target = Path(path)
        if not target.parent.is_dir():
            raise AudioOutputError(f"Cannot save speech to {target}: the folder {target.parent} does not exist.")
        clip = self.synthesize(text, rate)
        try:
            write_wav(target, clip)
        except AudioOutputError as e:
            raise AudioOutputError(f"Cannot save speech to {target}: {e.message}") from e
        return target

    # -- lifecycle

    def _live_worker(self) -> _Worker:
        if self._closed:
            raise AudioOutputError("Speech output is closed.")
        return self._worker

    def close(self) -> None:
        """Release the worker (it stops with the last Synthesizer). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _release_worker(self._worker)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

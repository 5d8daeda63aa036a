"""Streaming speech recognition with Vosk: partial and final transcripts, endpointing, grammars.

One recogniser is kept alive for the whole session: Vosk composes the small models' lookahead graph lazily
and caches it inside the recogniser, so a fresh recogniser per utterance decodes 3–5× slower
(docs/voice.md). Grammar recognisers are cached per phrase list for the same reason.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.shared.errors import SpeechModelError
from assistant.shared.events import Transcript

from .clip import ASR_RATE, AudioClip
from .endpoint import QuietEndpointer, tuned_model_dir
from .settings import EndpointSettings

log = logging.getLogger(__name__)

SILENCE_PEAK = 64
"""Blocks quieter than this (about −54 dBFS at the peak) before any speech are not decoded: a lobby kiosk
listening all day must not spend a core on digital silence. A real microphone's noise floor is above it."""
GRAMMAR_CONFIDENCE = 0.85
"""A grammar result is taken over the open one only if every word is at least this confident ..."""
GARBAGE_WORDS = ("[unk]", "<UNK>", "<unk>")
"""... and it is exactly one of the phrases, not the model's garbage word (added to every grammar so other
speech has somewhere to go: a grammar otherwise forces any sound onto its phrases at confidence 1.0)."""
_GRAMMAR_CACHE = 8
_models: dict[Path, Any] = {}
_models_lock = threading.Lock()


def _vosk() -> Any:
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's log lines are for developers, not for the kiosk's terminal
    return vosk


def load_model(model_dir: Path) -> Any:
    """A ``vosk.Model``, loaded once per folder per process (≈1 s and ≈300 MB each)."""
    key = model_dir.resolve()
    with _models_lock:
        model = _models.get(key)
        if model is None:
            try:
                model = _vosk().Model(str(key))
            except Exception as e:  # vosk raises a bare Exception("Failed to create a model")
                raise SpeechModelError(
                    f"The speech model in {model_dir} could not be loaded; it may be incomplete or damaged.",
                    hint="Run `linli models verify` and, if it reports a problem, `linli models download NAME`.",
                ) from e
            _models[key] = model
        return model


@dataclass(frozen=True)
class Word:
    text: str
    conf: float
    start: float
    end: float


@dataclass(frozen=True)
class Recognition:
    """One finished utterance."""

    text: str
    words: tuple[Word, ...]
    source: str
    """``open`` or ``grammar``: which recogniser's result was taken."""

    @property
    def confidence(self) -> float:
        return min((w.conf for w in self.words), default=0.0)


def _peak(pcm: bytes) -> int:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    return int(np.abs(samples.astype(np.int32)).max()) if len(samples) else 0


def _parse(raw: str) -> Recognition:
    data = json.loads(raw)
    words = tuple(
        Word(str(w.get("word", "")), float(w.get("conf", 0.0)), float(w.get("start", 0.0)), float(w.get("end", 0.0)))
        for w in data.get("result", ())
    )
    return Recognition(str(data.get("text", "")).strip(), words, "open")


class Recognizer:
    """Feed 16 kHz mono PCM blocks, get ``Transcript`` events back."""

    def __init__(self, model_dir: Path, endpoint: EndpointSettings, work_dir: Path) -> None:
        self.model_dir = model_dir
        self._model = load_model(tuned_model_dir(model_dir, endpoint, work_dir))
        self._quiet = QuietEndpointer(endpoint.quiet_end)
        self._open = self._new_recognizer(None)
        self._grammars: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._garbage = next((w for w in GARBAGE_WORDS if self.knows(w)), None)
        self._grammar: tuple[str, ...] | None = None
        self._grammar_results: list[Recognition] = []
        self._last_partial = ""
        self._sound = False
        self.last_recognition: Recognition | None = None
        """The last non-empty utterance, with word confidences (which recogniser won, for logs and tests)."""
        self.heard_speech = False
        """True once the current utterance has a non-empty partial (used for barge-in)."""

    def _new_recognizer(self, phrases: Sequence[str] | None) -> Any:
        vosk = _vosk()
        if phrases is None:
            rec = vosk.KaldiRecognizer(self._model, ASR_RATE)
        else:
            rec = vosk.KaldiRecognizer(self._model, ASR_RATE, json.dumps(list(phrases), ensure_ascii=False))
        rec.SetWords(True)
        return rec

    # vocabulary -----------------------------------------------------------------------------------------
    def knows(self, word: str) -> bool:
        return bool(word) and self._model.vosk_model_find_word(word) != -1

    def usable_phrases(self, phrases: Iterable[str]) -> tuple[list[str], list[str]]:
        """Split phrases into those whose every word the model knows and those it cannot recognise."""
        usable: list[str] = []
        dropped: list[str] = []
        for phrase in dict.fromkeys(p.strip().lower() for p in phrases if p and p.strip()):
            (usable if all(self.knows(w) for w in phrase.split()) else dropped).append(phrase)
        return usable, dropped

    def set_grammar(self, phrases: Iterable[str] | None) -> int:
        """Bias the next utterances towards ``phrases`` (None: open vocabulary). Returns phrases in use."""
        if phrases is None:
            self._grammar = None
            return 0
        usable, dropped = self.usable_phrases(phrases)
        if dropped:
            log.info("grammar: %d phrase(s) not in the model's vocabulary were left out", len(dropped))
        key = tuple(sorted(usable))
        if not key:
            self._grammar = None
            return 0
        if key not in self._grammars:
            self._grammars[key] = self._new_recognizer([*key, self._garbage] if self._garbage else key)
            while len(self._grammars) > _GRAMMAR_CACHE:
                self._grammars.popitem(last=False)
        self._grammars.move_to_end(key)
        self._grammar = key
        return len(key)

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return self._grammar

    # streaming ------------------------------------------------------------------------------------------
    def accept(self, pcm: bytes) -> list[Transcript]:
        """Feed one block. Returns a partial when it changed, a final at an endpoint (never an empty one)."""
        if not pcm:
            return []
        if not self._sound:
            if _peak(pcm) < SILENCE_PEAK:
                return []
            self._sound = True  # from here on every block is decoded, so the endpointer sees the silence
        grammar_rec = self._grammars.get(self._grammar) if self._grammar else None
        if grammar_rec is not None and grammar_rec.AcceptWaveform(pcm):
            self._grammar_results.append(_parse(grammar_rec.Result()))
        if self._open.AcceptWaveform(pcm):
            return self._final(_parse(self._open.Result()))
        partial = str(json.loads(self._open.PartialResult()).get("partial", "")).strip()
        if self._quiet.update(pcm, self.heard_speech):
            return self.finish()
        if partial and partial != self._last_partial:
            self._last_partial = partial
            self.heard_speech = True
            return [Transcript(partial, final=False)]
        return []

    def finish(self) -> list[Transcript]:
        """End the utterance now (second tap, end of file): the final transcript if anything was said."""
        return self._final(_parse(self._open.FinalResult()))

    def reset(self) -> None:
        """Drop what was heard so far (e.g. audio that arrived while nobody asked to listen)."""
        self._open.Reset()
        for rec in self._grammars.values():
            rec.Reset()
        self._grammar_results.clear()
        self._quiet.reset()
        self._last_partial = ""
        self._sound = False
        self.heard_speech = False

    def _final(self, open_result: Recognition) -> list[Transcript]:
        chosen = self._choose(open_result)
        self.reset()
        if chosen.text:
            self.last_recognition = chosen
        return [Transcript(chosen.text, final=True)] if chosen.text else []

    def _choose(self, open_result: Recognition) -> Recognition:
        grammar_rec = self._grammars.get(self._grammar) if self._grammar else None
        if grammar_rec is None:
            return open_result
        results = [*self._grammar_results, _parse(grammar_rec.FinalResult())]
        words = tuple(w for r in results for w in r.words)
        text = " ".join(r.text for r in results if r.text)
        exactly_a_phrase = text in (self._grammar or ()) and all(w.text != self._garbage for w in words)
        if exactly_a_phrase and words and min(w.conf for w in words) >= GRAMMAR_CONFIDENCE:
            return Recognition(text, words, "grammar")
        return open_result

    def transcribe(self, clip: AudioClip, block_seconds: float = 0.05) -> list[Transcript]:
        """Every event for a whole clip, as if it were streamed (tests, warm-up, file input)."""
        if clip.rate != ASR_RATE:
            raise ValueError("transcribe needs 16 kHz audio (audio_io.to_asr_clip converts)")
        pcm = clip.pcm_bytes()
        step = max(2, int(block_seconds * ASR_RATE) * 2)
        events: list[Transcript] = []
        for i in range(0, len(pcm), step):
            events.extend(self.accept(pcm[i : i + step]))
        events.extend(self.finish())
        return events


_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]) +"
                      r"(?=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef])")


def join_cjk(text: str) -> str:
    """Vosk's Chinese models put a space between words ("我 家 厨房 漏水 了"); Chinese is written without
    them, so the resident sees their words as typed and the dialogue gets the same text from speech as from
    the keyboard. Spaces next to Latin letters or digits stay ("三号楼 502")."""
    return _CJK_GAP.sub("", text)


class NoRecognizer(Recognizer):
    """No speech model for the language (not installed): nothing is heard, typing still works. The terminal
    says so with the command that installs the model; the microphone is not opened."""

    def __init__(self, reason: str) -> None:  # no model to load: Recognizer.__init__ is not called
        self.reason = reason
        self.model_dir = Path()
        self.last_recognition = None
        self.heard_speech = False

    def knows(self, word: str) -> bool:
        return False

    def set_grammar(self, phrases: Iterable[str] | None) -> int:
        return 0

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return None

    def accept(self, pcm: bytes) -> list[Transcript]:
        return []

    def finish(self) -> list[Transcript]:
        return []

    def reset(self) -> None:
        self.heard_speech = False

    def transcribe(self, clip: AudioClip, block_seconds: float = 0.05) -> list[Transcript]:
        return []

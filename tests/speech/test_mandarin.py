"""Mandarin at the voice terminal: espeak-ng's Mandarin voice (real, measured by the WAV it writes), the Chinese
speech model found through the catalogue (a fixture folder stands for it; missing: the install command is
said and typing goes on), and a recogniser's Chinese words on their way to the dialogue with the locale.

Fakes only at the hardware edge: the recogniser (what a microphone and Vosk would hear) and Rasa's HTTP
answer (httpx.MockTransport); the conversation client, the safety net and the session are the real ones.
"""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError
from assistant.shared.events import Event, Transcript, UserText
from assistant.speech.asr import NoRecognizer, join_cjk
from assistant.speech.model_files import resolve_model
from assistant.speech.settings import VOICE_FOR_LOCALE, SpeechSettings
from assistant.speech.terminal_ui import TerminalUI
from assistant.speech.tts import Synthesizer
from assistant.speech.voice_app import follow_language, open_voice, recognizer_for
from assistant.speech.voice_session import VoiceSession
from assistant.speech.words import speech_words

from .conftest import TINY_MODEL, write_tree

CN_MODEL = "vosk-model-small-cn-0.22"
SAY = "您好，我跟你说，那个三号楼五零二的水龙头漏水了，麻烦你下礼拜三下午两点半来看看。"
LISTEN_PATH = Path("/tmp/linli-mandarin-sample.wav")
"""One real Mandarin sentence by espeak-ng, kept for a person to listen to."""


class HeardRecognizer:
    """The hardware edge: what Vosk's Chinese model gives for a sentence (words with spaces between them)."""

    heard_speech = False

    def __init__(self, said: str = "") -> None:
        self.said = said

    def reset(self) -> None:
        pass

    def set_grammar(self, phrases: Any) -> None:
        pass

    def accept(self, pcm: bytes) -> list[Transcript]:
        return [Transcript(self.said, final=True)] if self.said else []

    def finish(self) -> list[Transcript]:
        return []


def rasa(seen: list[dict[str, Any]], answer: str) -> ConversationClient:
    """The real client against Rasa's REST channel answering ``answer`` (only the HTTP is fake)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=[{"text": answer}])

    return ConversationClient("http://rasa.test", "t", transport=httpx.MockTransport(handler),
                              languages=("en", "zh-CN"))


@pytest.fixture
def synth() -> Iterator[Synthesizer]:
    s = Synthesizer(SpeechSettings(locale="en", rate_wpm=150))
    yield s
    s.close()


# --- espeak-ng speaks Mandarin -----------------------------------------------------------------------------

def test_the_mandarin_voice_speaks_a_chinese_sentence_of_plausible_length() -> None:
    with Synthesizer(SpeechSettings(locale="zh-CN", rate_wpm=150)) as synth:
        assert synth.voice == "sit/cmn"  # "latin as English": an English word in an answer stays English
        path = synth.synthesize_to_file(SAY, LISTEN_PATH)
        short = synth.synthesize("好的。")
    with wave.open(str(path), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
    # 39 syllables at an older listener's pace: a voice that skipped the characters (reading them as
    # "Chinese letter" or nothing) would be far shorter or far longer
    assert 5.0 < seconds < 20.0, seconds
    assert len(short.samples) / short.rate < 2.0
    print(f"Mandarin sample for listening: {path}")


def test_the_voice_follows_the_sessions_language(synth: Synthesizer) -> None:
    session = VoiceSession(recognizer=HeardRecognizer(), synthesizer=synth, speaker=None,  # type: ignore[arg-type]
                           dialogue=rasa([], ""), settings=SpeechSettings(locale="en"))
    try:
        assert synth.voice == VOICE_FOR_LOCALE["en"]
        assert session.set_language("zh-CN") is None  # no model loader: nothing to load, nothing to say
        assert (session.language, synth.voice) == ("zh-CN", "sit/cmn")
        clip = synth.synthesize("请问您要去哪里？")
        assert 0.8 < len(clip.samples) / clip.rate < 5.0
    finally:
        session.close()


# --- the Chinese speech model ------------------------------------------------------------------------------

def test_the_catalogue_finds_the_installed_chinese_model(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    folder = write_tree(settings.models_dir / "speech" / CN_MODEL, TINY_MODEL)
    assert resolve_model("zh-CN", None, settings) == folder


def test_a_missing_chinese_model_names_the_command_that_installs_it(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    with pytest.raises(SpeechModelError) as e:
        resolve_model("zh-CN", None, settings)
    assert e.value.hint == f"Run `linli models download {CN_MODEL}`."
    with pytest.raises(SpeechModelError):  # the loader the session uses goes the same way
        recognizer_for(settings, SpeechSettings(locale="en"))("zh-CN")


def test_switching_to_chinese_without_the_model_says_so_and_keeps_listening(tmp_path: Path,
                                                                           synth: Synthesizer) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    old = HeardRecognizer()
    session = VoiceSession(recognizer=old, synthesizer=synth, speaker=None,  # type: ignore[arg-type]
                           dialogue=rasa([], ""), settings=SpeechSettings(locale="en"),
                           recognizer_for=recognizer_for(settings, SpeechSettings(locale="en")))
    try:
        problem = session.set_language("zh-CN")
        assert problem is not None and f"linli models download {CN_MODEL}" in problem
        assert problem.startswith("不好意思")  # told in the language the resident just chose
        assert session.recognizer is old and synth.voice == "sit/cmn"
    finally:
        session.close()


def test_the_terminal_opens_without_a_model_for_typing(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    parts = open_voice(settings, SpeechSettings(locale="zh-CN"), rasa([], ""), lambda e: None, speaker=False,
                       warm=False, typing_without_model=True)
    try:
        recognizer = parts.session.recognizer
        assert isinstance(recognizer, NoRecognizer)
        assert f"linli models download {CN_MODEL}" in recognizer.reason
        assert recognizer.reason == speech_words("zh-CN")["no_speech_model"].format(
            command=f"Run `linli models download {CN_MODEL}`.")
    finally:
        parts.close()
    with pytest.raises(SpeechModelError):  # the kiosk and a file input still refuse: they need to hear
        open_voice(settings, SpeechSettings(locale="zh-CN"), rasa([], ""), lambda e: None, speaker=False,
                   warm=False)


# --- Chinese words heard, onward -----------------------------------------------------------------------------

@pytest.mark.parametrize(("heard", "written"), [
    ("我 家 厨房 漏水 了", "我家厨房漏水了"),
    ("三 号楼 502", "三号楼 502"),
    ("我要 report", "我要 report"),
    ("hello there", "hello there"),
])
def test_vosk_spaces_between_chinese_words_go(heard: str, written: str) -> None:
    assert join_cjk(heard) == written


def test_chinese_heard_goes_to_rasa_with_the_locale_and_switches_the_terminal(synth: Synthesizer,
                                                                             tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    client = rasa(seen, "好的，请问是哪里漏水？")
    events: list[Event] = []
    out = io.StringIO()
    ui = TerminalUI(out, live=False)
    session = VoiceSession(recognizer=HeardRecognizer("我 家 厨房 漏水 了"), synthesizer=synth, speaker=None,
                           dialogue=client, settings=SpeechSettings(locale="en", mode="always"),
                           on_event=lambda e: (events.append(e), ui.handle(e)), output_dir=tmp_path)
    follow_language(client, session, Settings(var_dir=tmp_path / "var"), ui)
    try:
        session.feed(b"\x00\x01" * 800)
        assert session.wait_idle(30)
    finally:
        session.close()
    [body] = seen
    assert body["message"] == "我家厨房漏水了"
    assert body["metadata"] == {"source": "voice", "locale": "zh-CN"}
    assert [e.text for e in events if isinstance(e, UserText)] == ["我家厨房漏水了"]
    assert session.language == "zh-CN" and synth.voice == "sit/cmn"  # the answer was said in Mandarin
    # the words heard are shown as written; the terminal speaks Chinese from this answer on
    assert "我家厨房漏水了\nLinli: 好的，请问是哪里漏水？" in out.getvalue() and ui.language == "zh-CN"
    [reply] = list(tmp_path.glob("reply-*.wav"))
    with wave.open(str(reply), "rb") as w:
        assert w.getnframes() / w.getframerate() > 1.0


def test_the_voice_terminals_locale_goes_on_every_turn(synth: Synthesizer, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    client = rasa(seen, "好的。")
    session = VoiceSession(recognizer=HeardRecognizer(), synthesizer=synth, speaker=None,  # type: ignore[arg-type]
                           dialogue=client, settings=SpeechSettings(locale="zh-CN"))
    follow_language(client, session, Settings(var_dir=tmp_path / "var"), TerminalUI(io.StringIO(), live=False))
    try:
        session.submit_text("3")
        session.submit_text("/affirm", "button")
        assert session.wait_idle(30)
    finally:
        session.close()
    assert [b["metadata"] for b in seen] == [{"source": "text", "locale": "zh-CN"},
                                             {"source": "button", "locale": "zh-CN"}]


def test_the_terminals_own_words_exist_in_chinese() -> None:
    en, zh = speech_words("en"), speech_words("zh-CN")
    assert set(zh) == set(en)
    assert all(zh[key] != en[key] for key in en), "a sentence left in English"
    assert "{text}" in zh["you_said"] and "{command}" in zh["no_speech_model"]

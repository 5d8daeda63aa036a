"""The ``linli`` command: run, chat, voice, kiosk, train, skill …, models …, map validate | route, qr."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.shared.config import Settings, load_settings
from assistant.shared.errors import LinliError
from foundation import redact
from foundation.private_files import private_umask
from wayfinding.errors import WayfindingError

if TYPE_CHECKING:
    from assistant.speech.settings import SpeechSettings


def _say(message: str) -> None:
    print(message, flush=True)


def build_and_train(settings: Settings, *, force: bool = False) -> Path:
    from assistant.dialogue import engine
    from assistant.skill_runtime.build import build_project
    from assistant.skill_runtime.published_words import publish_project_words

    _say("Checking the skills...")
    result = build_project(settings.root, settings.build_dir, knowledge_dir=settings.knowledge_dir)
    _say(f"{len(result.skills)} skills OK: {', '.join(result.skills)}")
    publish_project_words(result.project, settings.words_path)
    model, _ = engine.train(settings, result.project, result.fingerprint, progress=_say, force=force)
    return model


def cmd_train(args: argparse.Namespace) -> int:
    build_and_train(load_settings(), force=args.force)
    return 0


def cmd_skill_validate(args: argparse.Namespace) -> int:
    from assistant.skill_runtime.language_gaps import language_gaps
    from assistant.skill_runtime.loader import load_skills
    from assistant.skill_runtime.locales import load_core_locales

    settings = load_settings()
    nlu_data = settings.root / "nlu_data"
    skills = load_skills(settings.root / "skills", nlu_data)
    core_locales = load_core_locales(nlu_data)
    _say(f"{len(skills)} skills are valid: {', '.join(s.name for s in skills)}")
    missing = language_gaps(nlu_data, skills, core_locales, settings.language_list)
    for line in missing:
        _say(f"  {line}")
    if missing:
        _say(f"{len(missing)} response(s) or intent(s) are not yet written in every language of the community "
             f"({', '.join(settings.language_list)}); residents hear English there meanwhile.")
        return 1 if args.strict else 0
    _say(f"Every response and intent is written in {', '.join(settings.language_list)}.")
    return 0


def cmd_skill_new(args: argparse.Namespace) -> int:
    from assistant.skill_runtime.scaffold import new_skill

    folder = new_skill(load_settings().root / "skills", args.name)
    _say(f"Created {folder}. Edit skill.yml, then run `linli skill validate` and `linli train`.")
    return 0


def cmd_skill_test(args: argparse.Namespace) -> int:
    from assistant.dialogue.conversation_tests import run_skill_tests
    from assistant.dialogue.rasa_client import ConversationClient
    from assistant.skill_runtime.loader import load_skills
    from assistant.skill_runtime.locales import load_core_locales

    settings = load_settings()
    skills = load_skills(settings.root / "skills", settings.root / "nlu_data")
    if args.name:
        skills = [s for s in skills if s.name in args.name]
    with ConversationClient(args.url or settings.rasa_url, settings.rasa_token) as client:
        if not client.health():
            raise LinliError("The assistant is not running.", hint="Start it with `linli run` first.")
        outcomes = run_skill_tests(client, skills, core_locales=load_core_locales(settings.root / "nlu_data"))
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        _say(f"{'PASS' if o.passed else 'FAIL'} {o.skill}: {o.test}")
        for p in o.problems:
            _say(f"     {p}")
    _say(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.chat import chat_loop
    from assistant.dialogue.rasa_client import ConversationClient

    settings = load_settings()
    with ConversationClient(args.url or settings.rasa_url, settings.rasa_token) as client:
        if not client.health():
            raise LinliError("The assistant is not running.", hint="Start everything with `linli run`.")
        chat_loop(client)
    return 0


def _speech_settings(args: argparse.Namespace) -> SpeechSettings:
    from assistant.speech.settings import load_speech_settings

    return load_speech_settings(
        locale=getattr(args, "locale", None),
        model=getattr(args, "model", None),
        mode=getattr(args, "mode", None),
        wake_phrase=getattr(args, "wake_phrase", None),
        rate_wpm=getattr(args, "rate", None),
        volume=getattr(args, "volume", None),
        voice=getattr(args, "tts_voice", None),
        quiet_end=getattr(args, "quiet_end", None),
        end_silence=getattr(args, "end_silence", None),
        pause_silence=getattr(args, "pause_silence", None),
        max_utterance=getattr(args, "max_utterance", None),
        barge_in=False if getattr(args, "no_barge_in", False) else None,
    )


def _voice(settings: Settings, args: argparse.Namespace, client: object) -> int:
    from assistant.speech.voice_app import run_voice_terminal

    return run_voice_terminal(
        settings,
        _speech_settings(args),
        client,  # type: ignore[arg-type]
        input_file=getattr(args, "input", None),
        output_dir=getattr(args, "output", None),
        realtime=getattr(args, "realtime", False),
        speaker=not getattr(args, "no_speaker", False),
    )


def cmd_voice(args: argparse.Namespace) -> int:
    from assistant.dialogue.rasa_client import ConversationClient
    from assistant.speech.audio_io import read_audio
    from assistant.speech.model_files import resolve_model

    settings = load_settings()
    speech = _speech_settings(args)  # bad flags, files and models are reported before anything starts
    if args.input is not None:
        read_audio(args.input)
        # an audio file needs a model to be heard; at the microphone a missing model (the Chinese one cannot be
        # bundled) is said with the command that installs it, and the terminal goes on by typing
        resolve_model(speech.locale, speech.model, settings)
    with ConversationClient(args.url or settings.rasa_url, settings.rasa_token) as client:
        if not client.health():
            raise LinliError("The assistant is not running.", hint="Start everything with `linli run --voice`.")
        return _voice(settings, args, client)


def _kiosk_possible() -> bool:
    from kiosk_app.main import display_available

    return display_available()


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk_app.main import run_kiosk

    return run_kiosk(load_settings(), voice=False if args.no_voice else None, fullscreen=args.fullscreen or None)


READY_WAIT = 300.0
"""Seconds ``linli run`` waits for every part to be up before it opens the front end anyway (degraded)."""


def _log_to(path: Path, also: Callable[[str], None] | None) -> Callable[[str], None]:
    """Lines to ``path`` with the time (and to ``also``, e.g. the terminal)."""
    def write(line: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
        except OSError:
            pass
        if also is not None:
            also(line)
    return write


def refuse_unsafe(settings: Settings) -> None:
    """``linli run``'s must-fix checks (``linli doctor`` has them all): an unsafe configuration starts nothing."""
    from assistant.doctor import before_run

    problems = before_run(settings)
    if problems:
        raise LinliError("Linli will not start, because:\n" + "\n".join(f"  - {p.text}" for p in problems),
                         hint="`linli doctor` checks the whole deployment.")


def cmd_run(args: argparse.Namespace) -> int:
    from assistant.chat import chat_loop
    from assistant.dialogue.rasa_client import ConversationClient
    from assistant.run_lock import RunLock
    from assistant.stack import Stack
    from assistant.supervisor import Supervisor

    settings = load_settings()
    refuse_unsafe(settings)  # before the lock, training or anything else: an unsafe box starts nothing
    lock = RunLock(settings)
    lock.acquire()  # a second `linli run` stops here, before training or starting anything
    model = build_and_train(settings)
    stack = Stack(settings, progress=_say)
    settings = stack.settings  # with a reload secret even when none was configured
    if settings.uses_tls(settings.host) and not settings.services_url_override:
        os.environ["SSL_CERT_FILE"] = str(settings.tls_cert)  # the kiosk here trusts the office listener's cert
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    watcher = None

    def model_in_use() -> Path:  # a restarted Rasa gets the model a live reload swapped in, not the first one
        return (watcher.current_model if watcher is not None else None) or model

    # every change of a part's state goes to var/logs/supervisor.log; on the terminal while nothing else uses it
    # (and always when a part keeps failing: that must not go unseen)
    log_path = settings.var_dir / "logs" / "supervisor.log"
    quiet = _log_to(log_path, None)
    shown = {"all": True}

    def progress(line: str) -> None:
        (_log_to(log_path, _say) if shown["all"] or "in a row" in line or "in use" in line else quiet)(line)

    quiet_log = logging.getLogger("linli.supervisor")  # its lines reach the terminal once, through progress
    quiet_log.propagate = False
    quiet_log.addHandler(logging.NullHandler())
    supervisor = Supervisor.for_stack(stack, model_in_use, progress=progress)
    try:
        supervisor.start()
        if supervisor.wait_ready(READY_WAIT):
            _say(f"Linli is ready. Logs are in {settings.var_dir / 'logs'}.")
        else:
            _say(f"Linli is not ready: {supervisor.status().summary()}. It keeps trying (see "
                 f"{log_path}); the kiosk's emergency button works meanwhile.")
        shown["all"] = args.no_frontend
        if not args.no_reload:
            from assistant.dialogue.reload_watcher import SkillWatcher, log_to_file

            # skill edits go live without a restart; progress in var/logs/reload.log (and here if no frontend)
            watcher = SkillWatcher(settings, stack, model=model,
                                   progress=log_to_file(settings, _say if args.no_frontend else None))
            watcher.start()
        if args.no_frontend:
            _say("Press Ctrl-C to stop.")
            while True:
                signal.pause()
        elif args.voice:
            with ConversationClient(settings.rasa_url, settings.rasa_token) as client:
                _voice(settings, args, client)
        elif not args.chat and _kiosk_possible():
            from kiosk_app.main import run_kiosk

            run_kiosk(settings)
        else:
            if not args.chat:
                _say("No screen was found for the kiosk, so here is the text chat (`linli run --chat`).")
            with ConversationClient(settings.rasa_url, settings.rasa_token) as client:
                chat_loop(client)
    except KeyboardInterrupt:
        _say("")
    finally:
        _say("Stopping...")
        if watcher is not None:
            watcher.stop()
        supervisor.stop()
        stack.stop_all()
        lock.release()
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    from assistant.dialogue.reload_watcher import Reloader, running_model

    settings = load_settings()
    model = running_model(settings)
    if model is None:
        raise LinliError("The assistant is not running, so there is nothing to reload.",
                         hint="`linli run` starts it (and reloads changed skills by itself).")
    status = Reloader(settings, current_model=model, progress=_say).run()
    _say(f"Reload {status['state']}" + (f" in {status['seconds']} s" if "seconds" in status else "")
         + (f": model {status['model']}" if status.get("model") else ""))
    return 0 if status["state"] == "swapped" else 1


def _voice_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("speech (defaults from LINLI_SPEECH_* / LINLI_TTS_*)")
    g.add_argument("--locale", help="speech model and voice language: ko, en, zh-CN")
    g.add_argument("--model", help="speech model name (`linli models list`) or folder")
    g.add_argument("--mode", choices=["push_to_talk", "always"], help="listen after Enter, or all the time")
    g.add_argument("--wake-phrase", help="in always mode, only answer after this phrase")
    g.add_argument("--rate", type=int, help="speech rate in words per minute (default 155)")
    g.add_argument("--volume", type=float, help="speech volume 0.0–1.0")
    g.add_argument("--tts-voice", help="espeak-ng voice (default: the locale's)")
    g.add_argument("--quiet-end", type=float, help="seconds of quiet after speech that end an utterance (0.6)")
    g.add_argument("--end-silence", type=float, help="recogniser: silence that ends a finished sentence (0.5)")
    g.add_argument("--pause-silence", type=float, help="seconds of pause allowed in an unfinished sentence (1.0)")
    g.add_argument("--max-utterance", type=float, help="longest utterance in seconds (20)")
    g.add_argument("--no-barge-in", action="store_true", help="do not stop speaking when the resident speaks")
    g.add_argument("--no-speaker", action="store_true", help="do not play replies (show them; keep --output files)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="linli", description="Linli, the community assistant")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start services, actions and Rasa, then the kiosk (or --voice / --chat)")
    run.add_argument("--no-frontend", action="store_true", help="only the back end (for a separate kiosk)")
    run.add_argument("--no-reload", action="store_true",
                     help="do not watch skills/ (by default a saved skill change is trained and swapped in live)")
    run.add_argument("--voice", action="store_true", help="the voice terminal instead of the kiosk")
    run.add_argument("--chat", action="store_true", help="the text chat instead of the kiosk")
    _voice_options(run)
    run.set_defaults(func=cmd_run)
    voice = sub.add_parser("voice", help="voice terminal (speech in and out) for a running assistant")
    voice.add_argument("--input", type=Path, metavar="FILE", help="take speech from an audio file, not the microphone")
    voice.add_argument("--output", type=Path, metavar="DIR", help="also keep every spoken reply as a WAV file here")
    voice.add_argument("--realtime", action="store_true", help="play --input at real speed, as if spoken live")
    voice.add_argument("--url", help="Rasa server URL (default from settings)")
    _voice_options(voice)
    voice.set_defaults(func=cmd_voice)
    kiosk = sub.add_parser("kiosk", help="the touchscreen kiosk for a running assistant")
    kiosk.add_argument("--no-voice", action="store_true", help="touch only (no microphone or speaker)")
    kiosk.add_argument("--fullscreen", action="store_true", help="fill the screen (also LINLI_KIOSK_FULLSCREEN=1)")
    kiosk.set_defaults(func=cmd_kiosk)
    from assistant.speech.models_cli import add_models_commands

    add_models_commands(sub)
    from ar_overlays.map_cli import add_map_commands

    add_map_commands(sub)
    from assistant.knowledge.kb_cli import add_kb_commands

    add_kb_commands(sub)
    from ar_overlays.qr_cli import add_qr_parser

    add_qr_parser(sub)
    from assistant.settings_cli import add_settings_parser

    add_settings_parser(sub)
    from assistant.privacy_cli import add_privacy_parser

    add_privacy_parser(sub)

    from assistant.doctor import add_doctor_parser
    from assistant.tls import add_tls_parser

    add_doctor_parser(sub)
    add_tls_parser(sub)
    from community_services.staff_cli import add_staff_commands

    add_staff_commands(sub)
    from community_services.cards_cli import add_cards_commands

    add_cards_commands(sub)
    chat = sub.add_parser("chat", help="text conversation with a running assistant")
    chat.add_argument("--url", help="Rasa server URL (default from settings)")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("reload", help="validate, train and swap changed skills into the running assistant now"
                   ).set_defaults(func=cmd_reload)
    train = sub.add_parser("train", help="build the skills into a Rasa project and train it if changed")
    train.add_argument("--force", action="store_true", help="train even if nothing changed")
    train.set_defaults(func=cmd_train)
    skill = sub.add_parser("skill", help="author skills").add_subparsers(dest="skill_command", required=True)
    new = skill.add_parser("new", help="scaffold a new skill")
    new.add_argument("name")
    new.set_defaults(func=cmd_skill_new)
    validate = skill.add_parser("validate", help="check every skill file and list what is missing in a language")
    validate.add_argument("--strict", action="store_true",
                          help="exit 1 when a response or intent is missing in one of the community's languages")
    validate.set_defaults(func=cmd_skill_validate)
    test = skill.add_parser("test", help="run the skills' conversation tests against a running assistant")
    test.add_argument("name", nargs="*")
    test.add_argument("--url")
    test.set_defaults(func=cmd_skill_test)
    return p


def main(argv: list[str] | None = None) -> int:
    private_umask()  # logs, the outbox and anything else `linli` (run, kiosk, voice) creates: mode 600
    logging.basicConfig(level=logging.WARNING)
    redact.install()  # the kiosk, the voice terminal and `linli run` log through this process
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LinliError, WayfindingError) as e:  # wayfinding's own errors: an unknown place in `linli map route`
        print(f"linli: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `linli settings | head`: the reader has all it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

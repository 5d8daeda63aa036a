"""Rasa engine management: train a model and serve it, always in ``.venv-rasa`` via subprocess.

Nothing here imports rasa; we run its command line and talk to it over HTTP.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.shared.config import LOOPBACK, Settings, declared
from assistant.shared.errors import EngineError, LinliError

Progress = Callable[[str], None]

log = logging.getLogger(__name__)


def _quiet(_: str) -> None:
    pass


def rasa_executable(settings: Settings) -> Path:
    exe = settings.rasa_venv / "bin" / "rasa"
    if not exe.exists():
        raise EngineError(
            f"Rasa is not installed in {settings.rasa_venv}.",
            hint="Run `make install` (it creates .venv-rasa with Python 3.10 and installs rasa==3.6.21).",
        )
    return exe


LAUNCHER = Path(__file__).resolve().parents[2] / "rasa_runtime" / "linli_rasa.py"


def rasa_command(settings: Settings) -> list[str]:
    """Rasa's command line through our launcher (``rasa_runtime/linli_rasa.py``): the same arguments as
    ``rasa``, with the launcher's fixes, and ``rasa_runtime/`` importable — the model's config names our
    ``handoff_policy.HandoffPolicy``, so training, serving and ``rasa test`` must all be able to load it."""
    return [str(rasa_executable(settings).with_name("python")), str(LAUNCHER)]


SECRET_VARIABLES = frozenset(f.metadata["env"] for f in declared() if f.metadata.get("secret")) | {
    "LINLI_SMTP_PASSWORD", "LINLI_ESCALATION_WEBHOOK"}
"""Variables that hold secrets (the kiosk side's and the office's): never passed to a child that does not need them."""
RASA_TOKEN_HANDOFF = "LINLI_RASA_SERVE_TOKEN"
"""The variable that hands Rasa's token to ``rasa_runtime/linli_rasa.py``, which takes it out of its environment
and gives it to Rasa's argument parser inside the process: never on a command line (``/proc/<pid>/cmdline`` is
readable by every local user)."""


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without any secret variable (a child gets back only the ones it needs)."""
    return {k: v for k, v in env.items() if k not in SECRET_VARIABLES and k != RASA_TOKEN_HANDOFF}


def rasa_env(settings: Settings) -> dict[str, str]:
    """Rasa's environment: the parent's without any secret (Rasa gets its own token from ``serve_command`` only)."""
    env = without_secrets(os.environ)
    env.update({
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "MPLCONFIGDIR": str(settings.var_dir / "mpl"),
        "PYTHONWARNINGS": "ignore",
    })
    env.pop("PYTHONPATH", None)
    return env


def model_path(settings: Settings, fingerprint: str, *, finetuned: bool = False) -> Path:
    return settings.models_dir / f"linli-{fingerprint}{'-ft' if finetuned else ''}.tar.gz"


def train(settings: Settings, project: Path, fingerprint: str, *, progress: Progress = _quiet,
          force: bool = False, finetune_from: Path | None = None,
          epoch_fraction: float = 0.5, niceness: int = 0) -> tuple[Path, bool]:
    """Train the project unless a model for this fingerprint exists. Returns (model, trained_now).

    ``finetune_from``: continue training that model (``rasa train --finetune``) for ``epoch_fraction`` of
    the configured epochs instead of starting afresh. Rasa refuses when the labels or the domain (apart
    from responses) changed; the result is kept apart (``-ft``) so a full training is never replaced.
    ``niceness``: a background training (live reload) yields the CPU to the running kiosk, speech and Rasa.
    """
    target = model_path(settings, fingerprint)
    if target.exists() and not force:
        progress(f"Model is up to date ({target.name}); nothing to train.")
        return target, False
    if finetune_from is not None:
        target = model_path(settings, fingerprint, finetuned=True)
        if target.exists() and not force:
            progress(f"Model is up to date ({target.name}); nothing to train.")
            return target, False
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.models_dir, prefix=".train-") as out:
        cmd = [*rasa_command(settings), "train", "--config", "config.yml", "--domain", "domain.yml",
               "--data", "data", "--out", out, "--fixed-model-name", "model", "--force"]
        if finetune_from is not None:
            cmd += ["--finetune", str(finetune_from), "--epoch-fraction", str(epoch_fraction)]
        progress("Training the assistant (about a minute or two)...")
        started = time.monotonic()
        nice = shutil.which("nice") if niceness else None  # not preexec_fn: unsafe with the reloader's threads
        if nice:
            cmd = [nice, "-n", str(niceness), *cmd]
        proc = subprocess.Popen(cmd, cwd=project, env=rasa_env(settings), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        tail: list[str] = []
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-40:]
            if _is_progress_line(line):
                progress("  " + line.split("  - ", 1)[-1].replace("\x1b[92m", "").replace("\x1b[0m", ""))
        if proc.wait() != 0:
            raise EngineError("Training failed:\n" + "\n".join(tail),
                              hint="Run `linli skill validate`; the Rasa output above names the problem.")
        produced = Path(out) / "model.tar.gz"
        if not produced.exists():
            raise EngineError("Training finished but produced no model:\n" + "\n".join(tail))
        shutil.move(str(produced), target)
        progress(f"Trained in {time.monotonic() - started:.0f} s → {target.name}")
    return target, True


def _is_progress_line(line: str) -> bool:
    """Rasa prints a progress bar per epoch; show only one line per trained component."""
    return "Starting to train component" in line or "Your Rasa model is trained" in line


def write_runtime_files(settings: Settings, run_dir: Path) -> tuple[Path, Path]:
    """endpoints.yml (action server, SQLite tracker store) and credentials.yml (REST channel)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = {
        "action_endpoint": {"url": settings.actions_url},
        "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(settings.tracker_db_path)},
        # answers in the resident's language from the published words (rasa_runtime/linli_nlg.py)
        "nlg": {"type": "linli_nlg.LinliNLG", "words": str(settings.words_path),
                "default_language": settings.default_language},
    }
    credentials = {"rest": None}
    _publish_words(settings)
    ep, cr = run_dir / "endpoints.yml", run_dir / "credentials.yml"
    ep.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    cr.write_text(yaml.safe_dump(credentials), encoding="utf-8")
    return ep, cr


def _publish_words(settings: Settings) -> None:
    """The words of the skills as they are now, for Rasa's answers (a broken skill keeps the words published
    before: `linli skill validate` says what is wrong)."""
    from assistant.skill_runtime.published_words import publish_words_from_sources

    try:
        publish_words_from_sources(settings.root, settings.words_path)
    except LinliError as e:
        log.warning("The words were not published (%s); Rasa answers with the words published before.", e)


@dataclass(frozen=True)
class RasaCommand:
    argv: list[str]
    env: dict[str, str]
    cwd: Path


def serve_command(settings: Settings, model: Path) -> RasaCommand:
    """Rasa on loopback only (whatever ``LINLI_HOST`` says), no CORS (no browser talks to it), and its token in
    the environment for the launcher, not on the command line (docs/security.md, "Network boundaries")."""
    if not settings.rasa_token:
        raise EngineError("Rasa has no token, so its HTTP API would be open to every local program.",
                          hint="Set LINLI_RASA_TOKEN, or let `linli run` make one in var/tokens.json.")
    run_dir = settings.var_dir / "run"
    endpoints, credentials = write_runtime_files(settings, run_dir)
    argv = [
        # PUT /model (the live reload's swap) loads only models from here (rasa_runtime/linli_rasa.py)
        *rasa_command(settings), "--linli-models-dir", str(settings.models_dir.resolve()),
        "run", "--model", str(model), "--enable-api",
        "--interface", LOOPBACK, "--port", str(settings.rasa_port),
        "--endpoints", str(endpoints), "--credentials", str(credentials),
        "--log-file", str(settings.var_dir / "logs" / "rasa.log"),
    ]
    (settings.var_dir / "logs").mkdir(parents=True, exist_ok=True)
    return RasaCommand(argv=argv, env=rasa_env(settings) | {RASA_TOKEN_HANDOFF: settings.rasa_token}, cwd=run_dir)

"""Live skill reload, the side run by ``linli run``: a changed ``skills/`` folder reaches the running
assistant without a restart.

:class:`SkillWatcher` (started by ``linli run``) polls ``skills/`` by content hash. When a change has
settled (``debounce`` seconds without a further change) it hands the new state to :class:`Reloader`:

1. validate + build (a broken skill is *rejected*: its ``file:line`` goes to the status file and the log,
   and the running model stays);
2. train in the background (``rasa train --finetune`` from the running model when only examples or
   responses changed; a full training when labels, slots, forms or actions changed);
3. the action server reloads the skill actions (``POST /linli/reload-skills``, served by
   :mod:`assistant.dialogue.action_server_reload` in the action server's process);
4. Rasa swaps the model in (``PUT /model``). Our launcher (``rasa_runtime/linli_rasa.py``) loads it in a
   worker thread, so the old model keeps answering until the new one is ready. Conversations live in the
   tracker store, so one in progress simply continues on the new model.

The outcome of each run is written to ``var/reload-status.json`` (``rejected``, ``failed`` or ``swapped``;
``training`` and then ``loading`` while it works; :mod:`assistant.dialogue.reload_protocol` reads and writes
it). Only one run at a time: changes made during a run start one more run after it. ``knowledge/`` is
watched too: the action server answers a changed entry at once by itself, and the retrained model then
also routes its questions to the knowledge base (``knowledge_question``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

from assistant.dialogue.reload_protocol import RELOAD_ROUTE, now_iso, write_status
from assistant.shared.config import Settings
from assistant.shared.errors import BuildError, EngineError, LinliError, SkillError

log = logging.getLogger("linli.reload")
Progress = Callable[[str], None]
TrainFn = Callable[[Path, str, "Path | None"], Path]
"""(built project, its fingerprint, model to finetune or None) → trained model file."""
ReloadActionsFn = Callable[[], None]
SwapFn = Callable[[Path], None]

IGNORED_DIRS = frozenset({"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
MODEL_NAME = re.compile(r"^linli-([0-9a-f]{16})(-ft)?\.tar\.gz$")


def ignored(name: str) -> bool:
    """Editor droppings and byte code: saving a file in vim or emacs must not look like two changes."""
    return (name.endswith((".swp", ".swo", ".swx", ".swpx", "~", ".pyc", ".pyo", ".tmp"))
            or name.startswith(".#") or name in (".DS_Store", "4913"))


def sources_fingerprint(settings: Settings) -> str:
    """What the watcher compares: the skills and the knowledge entries (both are training data)."""
    both = skills_fingerprint(settings.root / "skills") + skills_fingerprint(settings.knowledge_dir)
    return hashlib.sha256(both.encode()).hexdigest()[:16]


def skills_fingerprint(skills_dir: Path) -> str:
    """Hash of every file's path and content under ``skills_dir`` (editor temp files left out)."""
    digest = hashlib.sha256()
    if not skills_dir.is_dir():
        return digest.hexdigest()[:16]
    for dirpath, dirnames, filenames in os.walk(skills_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not ignored(d))
        for name in sorted(filenames):
            if ignored(name):
                continue
            path = Path(dirpath) / name
            try:
                content = path.read_bytes()
            except OSError:  # deleted between listing and reading: the next poll sees the new state
                continue
            digest.update(str(path.relative_to(skills_dir)).encode())
            digest.update(b"\0")
            digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def label_signature(project: Path) -> str | None:
    """What Rasa's finetuning needs unchanged: the config and the domain without its responses."""
    try:
        domain = yaml.safe_load((project / "domain.yml").read_text("utf-8")) or {}
        config = (project / "config.yml").read_bytes()
    except (OSError, yaml.YAMLError):
        return None
    domain.pop("responses", None)
    digest = hashlib.sha256(json.dumps(domain, sort_keys=True, default=str).encode())
    digest.update(config)
    return digest.hexdigest()[:16]


def model_fingerprint(model: Path | None) -> str | None:
    match = MODEL_NAME.match(model.name) if model is not None else None
    return match.group(1) if match else None


BACKGROUND_NICENESS = 10
"""A live reload's training runs at a lower CPU priority: on two cores it would otherwise take the CPU
from the residents' conversations (speech recognition, the dialogue) for the minute or two it runs."""
KEEP_MODELS = 5
"""Model files a reload leaves in ``var/models`` (about 20 MB each): the newest few, so an admin who saves
often does not fill the disk, and a change that is undone finds its model still there (no training)."""


def prune_models(models_dir: Path, keep: set[Path], newest: int = KEEP_MODELS) -> list[Path]:
    """Delete Linli model files beyond the ``newest`` (by modification time), never one in ``keep``."""
    def mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    models = sorted((p for p in models_dir.glob("linli-*.tar.gz") if MODEL_NAME.match(p.name)),
                    key=mtime, reverse=True)
    protected = {p.resolve() for p in keep}
    removed = []
    for path in models[newest:]:
        if path.resolve() in protected:
            continue
        try:
            path.unlink()
        except OSError:  # in use elsewhere or already gone: the next reload tries again
            continue
        removed.append(path)
    return removed


# --- the default steps: the real engine, the real action server, the real Rasa server ----------------

def engine_trainer(settings: Settings, progress: Progress) -> TrainFn:
    from assistant.dialogue import engine

    def train(project: Path, fingerprint: str, finetune_from: Path | None) -> Path:
        return engine.train(settings, project, fingerprint, progress=progress, finetune_from=finetune_from,
                            niceness=BACKGROUND_NICENESS)[0]
    return train


def action_server_reloader(settings: Settings, timeout: float = 60) -> ReloadActionsFn:
    def reload_actions() -> None:
        url = settings.actions_url.removesuffix("/webhook") + RELOAD_ROUTE
        try:
            r = httpx.post(url, headers={"Authorization": f"Bearer {settings.reload_token}"}, timeout=timeout)
        except httpx.HTTPError as e:
            raise EngineError(f"The action server could not be reached to reload the skills: {e}") from e
        if r.status_code != 200:
            try:
                detail = str(r.json().get("error", r.text))
            except ValueError:
                detail = r.text
            raise EngineError(f"The action server refused the new skill actions: {detail}")
    return reload_actions


def rasa_swapper(settings: Settings, timeout: float = 300) -> SwapFn:
    def swap(model: Path) -> None:
        try:
            r = httpx.put(f"{settings.rasa_url}/model", params={"token": settings.rasa_token},
                          json={"model_file": str(model.resolve())}, timeout=timeout)
        except httpx.HTTPError as e:
            raise EngineError(f"The dialogue engine could not be reached to load the new model: {e}") from e
        if r.status_code not in (200, 204):
            raise EngineError(f"The dialogue engine did not load {model.name} (HTTP {r.status_code}): {r.text[:500]}")
    return swap


def running_model(settings: Settings, timeout: float = 5) -> Path | None:
    """The model file the running Rasa server has loaded (``GET /status``), or None."""
    try:
        r = httpx.get(f"{settings.rasa_url}/status", params={"token": settings.rasa_token}, timeout=timeout)
        name = r.json().get("model_file") if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else settings.models_dir / path.name


# --- one reload ------------------------------------------------------------------------------------

class Reloader:
    """Validate → build → train → reload actions → swap, once. Every step can be replaced (tests)."""

    def __init__(self, settings: Settings, *, current_model: Path | None, progress: Progress | None = None,
                 train: TrainFn | None = None, reload_actions: ReloadActionsFn | None = None,
                 swap: SwapFn | None = None) -> None:
        self.settings = settings
        self.current_model = current_model
        self.progress: Progress = progress or log.info
        self.train = train or engine_trainer(settings, self.progress)
        self.reload_actions = reload_actions or action_server_reloader(settings)
        self.swap = swap or rasa_swapper(settings)

    def _old_signature(self) -> str | None:
        """The label signature of the running model's build, if the build folder still holds it."""
        build = self.settings.build_dir
        try:
            built_fp = (build / "fingerprint").read_text("utf-8").strip()
        except OSError:
            return None
        if self.current_model is None or built_fp != model_fingerprint(self.current_model):
            return None
        return label_signature(build)

    def run(self) -> dict[str, Any]:
        from assistant.skill_runtime.build import build_project
        from assistant.skill_runtime.published_words import publish_project_words

        s, say = self.settings, self.progress
        started = time.monotonic()

        def took() -> float:
            return round(time.monotonic() - started, 1)

        old_signature = self._old_signature()
        say("Skills changed: checking them...")
        try:
            result = build_project(s.root, s.build_dir, knowledge_dir=s.knowledge_dir)
        except (SkillError, BuildError) as e:
            say(f"The changed skills were rejected; the assistant keeps running as before.\n{e}")
            return write_status(s, "rejected", message=str(e), model=_name(self.current_model))
        except Exception as e:  # an admin's file can break the build in any way: report, keep running
            log.exception("building the skills failed")
            return write_status(s, "rejected", message=f"{type(e).__name__}: {e}", model=_name(self.current_model))

        # the wording is live at once, before any training (it is not part of the model: docs/languages.md)
        publish_project_words(result.project, s.words_path)
        model = self.current_model
        if model is not None and model_fingerprint(model) == result.fingerprint and model.exists():
            training = "none (the model is unchanged)"
        else:
            can_finetune = (model is not None and model.exists() and old_signature is not None
                            and old_signature == label_signature(result.project))
            write_status(s, "training", training="finetune" if can_finetune else "full",
                         skills=list(result.skills), model=_name(self.current_model))
            try:
                model, training = self._train(result.project, result.fingerprint, model if can_finetune else None)
            except LinliError as e:
                say(f"Training failed; the assistant keeps the running model.\n{e}")
                return write_status(s, "failed", step="train", message=str(e), model=_name(self.current_model),
                                    seconds=took())
        try:
            self.reload_actions()
            if model != self.current_model:
                assert model is not None
                say(f"Loading the new model {model.name} into the running assistant "
                    "(it keeps answering with the old one meanwhile)...")
                write_status(s, "loading", model=_name(self.current_model), new_model=model.name,
                             training=training, skills=list(result.skills))
                self.swap(model)
        except LinliError as e:
            say(f"The new skills could not be switched on; the assistant keeps the running model.\n{e}")
            return write_status(s, "failed", step="swap", message=str(e), model=_name(self.current_model),
                                seconds=took())
        previous, self.current_model = self.current_model, model
        say(f"The new skills are live ({training} training, {took():.0f} s): {', '.join(result.skills)}")
        if model is not None:
            removed = prune_models(model.parent, {m for m in (model, previous) if m is not None})
            if removed:
                say(f"Removed {len(removed)} old model file(s) from {model.parent}")
        return write_status(s, "swapped", model=_name(model), training=training, skills=list(result.skills),
                            seconds=took())

    def _train(self, project: Path, fingerprint: str, finetune_from: Path | None) -> tuple[Path, str]:
        if finetune_from is not None:
            self.progress(f"Only examples or responses changed: finetuning {finetune_from.name}...")
            try:
                return self.train(project, fingerprint, finetune_from), "finetune"
            except EngineError as e:
                self.progress(f"Finetuning was refused, training afresh instead ({str(e).splitlines()[0]})")
                return self.train(project, fingerprint, None), "full (finetune refused)"
        self.progress("The skills' labels changed: training a new model...")
        return self.train(project, fingerprint, None), "full"


def _name(model: Path | None) -> str | None:
    return model.name if model is not None else None


# --- the watcher -----------------------------------------------------------------------------------

class HasSettings(Protocol):
    """What the watcher takes from the running stack (``assistant.stack.Stack``, a layer above): its settings."""

    @property
    def settings(self) -> Settings: ...


class SkillWatcher(threading.Thread):
    """Polls ``skills/`` every ``interval`` s; a change that settled for ``debounce`` s starts a reload.

    Never two reloads at once: a change seen during a run is kept (``queued``) and, once the run ends,
    starts exactly one more run with whatever the folder then holds.
    """

    def __init__(self, settings: Settings, stack: HasSettings | None = None, *, interval: float = 2.0,
                 debounce: float = 3.0, model: Path | None = None, progress: Progress | None = None,
                 train: TrainFn | None = None, reload_actions: ReloadActionsFn | None = None,
                 swap: SwapFn | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name="linli-skill-watcher", daemon=True)
        self.settings = stack.settings if stack is not None else settings
        self.skills_dir = self.settings.root / "skills"
        self.interval, self.debounce, self.clock = interval, debounce, clock
        self.reloader = Reloader(self.settings, current_model=model, progress=progress, train=train,
                                 reload_actions=reload_actions, swap=swap)
        self._seen = sources_fingerprint(self.settings)
        self._applied = self._seen
        """The state last handed to a reload (at start: what ``linli run`` trained)."""
        self._changed_at: float | None = None
        self._lock = threading.Lock()
        self._busy = False
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.queued = False
        self.runs = 0
        self.history: list[dict[str, Any]] = []

    @property
    def current_model(self) -> Path | None:
        return self.reloader.current_model

    @property
    def busy(self) -> bool:
        return self._busy

    def poll(self, now: float | None = None) -> bool:
        """One look at the folder. Returns True when it started a reload."""
        now = self.clock() if now is None else now
        fp = sources_fingerprint(self.settings)
        if fp != self._seen:
            self._seen, self._changed_at = fp, now
            return False
        if fp == self._applied or self._changed_at is None or now - self._changed_at < self.debounce:
            return False
        with self._lock:
            if self._busy:
                self.queued = True
                return False
            self._busy, self.queued = True, False
        self._applied = fp
        self._worker = threading.Thread(target=self._work, name="linli-skill-reload", daemon=True)
        self._worker.start()
        return True

    def _work(self) -> None:
        try:
            self.history.append(self.reloader.run())
        except Exception as e:  # never let the watcher die: the next change gets another chance
            log.exception("skill reload failed")
            self.history.append(write_status(self.settings, "failed", message=f"{type(e).__name__}: {e}"))
        finally:
            self.runs += 1
            with self._lock:
                self._busy = False

    def wait_idle(self, timeout: float) -> bool:
        """Until no reload runs and no settled change waits (tests and ``linli reload``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            worker = self._worker
            if worker is not None and worker.is_alive():
                worker.join(min(0.2, max(0.0, deadline - time.monotonic())))
                continue
            if not self._busy and self._seen == self._applied == sources_fingerprint(self.settings):
                return True
            time.sleep(0.05)
        return False

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.poll()
            except Exception:
                log.exception("watching the skills failed")

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


def log_to_file(settings: Settings, also: Progress | None = None) -> Progress:
    """Progress lines go to ``var/logs/reload.log`` (and to ``also``, e.g. the terminal)."""
    path = settings.var_dir / "logs" / "reload.log"

    def progress(line: str) -> None:
        log.info(line)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{now_iso()} {line}\n")
        except OSError:
            pass
        if also is not None:
            also(line)
    return progress

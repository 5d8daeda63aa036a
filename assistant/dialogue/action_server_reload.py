"""The action server's side of a live skill reload: swap the skill actions in place.

Runs in the action server (:mod:`assistant.dialogue.action_server` adds the route at start). ``linli run``'s
:mod:`assistant.dialogue.reload_watcher` calls the route after a changed skill was built and trained.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.dialogue.reload_protocol import RELOAD_ROUTE
from assistant.shared.config import Settings
from assistant.shared.errors import SkillError

log = logging.getLogger("linli.reload")


def _stamp(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class SkillActionsReloader:
    """Reloads the skills' Python and replaces the executor's registry in one assignment.

    rasa-sdk's ``create_app(executor)`` keeps that one executor object for the life of the server and
    looks every action up in ``executor.actions`` per request, so replacing the dict switches every
    following request to the new actions, while a request already running finishes on the old one.
    A reload that fails (a broken skill) leaves the old actions in place.

    ``build`` makes an executor from the loaded skills: the action server passes its ``build_executor``
    (passed in rather than imported, so this module and the action server do not import each other).
    """

    def __init__(self, executor: Any, settings: Settings, build: Callable[[list[Any]], Any]) -> None:
        self.executor = executor
        self.settings = settings
        self.skills_dir = settings.root / "skills"
        self._build = build
        self._lock = threading.Lock()
        self._stamps: dict[str, str | None] = {}
        self.remember_modules()

    def _skill_modules(self) -> dict[str, Path]:
        import sys

        root = self.skills_dir.resolve()
        found: dict[str, Path] = {}
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if not file:
                continue
            path = Path(file).resolve()
            if path.is_relative_to(root) and path != root / "__init__.py":
                found[name] = path
        return found

    def remember_modules(self) -> None:
        self._stamps = {name: _stamp(path) for name, path in self._skill_modules().items()}

    def forget_changed_modules(self) -> list[str]:
        """Drop changed or deleted skill modules so the next import reads them afresh."""
        import sys

        dropped = []
        for name, path in self._skill_modules().items():
            if _stamp(path) != self._stamps.get(name):
                sys.modules.pop(name, None)
                dropped.append(name)
        return dropped

    def reload(self) -> dict[str, Any]:
        from assistant.skill_runtime.loader import load_skills

        with self._lock:
            dropped = self.forget_changed_modules()
            skills = load_skills(self.skills_dir, self.settings.root / "nlu_data")  # SkillError: nothing changes
            fresh = self._build(skills)
            self.executor.actions = fresh.actions
            self.remember_modules()
            log.info("skill actions reloaded: %d skills, %d actions (fresh modules: %s)", len(skills),
                     len(fresh.actions), ", ".join(dropped) or "none")
            return {"skills": [s.name for s in skills], "actions": sorted(fresh.actions)}


LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def add_reload_route(app: Any, reloader: SkillActionsReloader, token: str) -> None:
    """``POST /linli/reload-skills``: loopback only, with ``Authorization: Bearer <LINLI_RELOAD_TOKEN>`` (its own
    secret, compared in constant time; an empty secret refuses everyone)."""
    from sanic import response

    @app.post(RELOAD_ROUTE)
    async def reload_skills(request: Any) -> Any:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if request.ip not in LOOPBACK or not token or not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "forbidden"}, status=403)
        try:
            return response.json(reloader.reload())
        except SkillError as e:
            log.warning("skill reload rejected; keeping the old actions:\n%s", e)
            return response.json({"error": str(e)}, status=422)
        except Exception as e:  # keep serving the old actions whatever the new code does
            log.exception("skill reload failed; keeping the old actions")
            return response.json({"error": f"{type(e).__name__}: {e}"}, status=500)

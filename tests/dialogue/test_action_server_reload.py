"""The action server's side of a live reload: skill actions swapped in place, the old ones kept on error.

The skills are loaded by the real loader from a temporary project root; the executor is rasa-sdk's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.dialogue.action_server_reload import SkillActionsReloader
from assistant.shared.config import Settings
from assistant.shared.errors import SkillError

from .helpers import project_root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    root = project_root(tmp_path)
    return Settings(root=root, var_dir=root / "var", rasa_token="r")


ACTIONS = '''\
from rasa_sdk import Action

from .wording import ANSWER


class ActionParkingHours(Action):
    def name(self) -> str:
        return "action_parking_hours"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=ANSWER)
        return []
'''


def _with_action(root: Path, answer: str) -> None:
    folder = root / "skills" / "parking_info"
    (folder / "__init__.py").write_text("")
    (folder / "wording.py").write_text(f"ANSWER = {answer!r}\n")
    (folder / "actions.py").write_text(ACTIONS)
    yml = folder / "skill.yml"
    if "action_parking_hours" not in yml.read_text():
        yml.write_text(yml.read_text().replace("rules:", "actions:\n  - action_parking_hours\nrules:"))


def _say(executor: Any) -> str:
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    executor.actions["action_parking_hours"](dispatcher, None, {})
    return str(dispatcher.messages[0]["text"])


def _build(skills: list[Any]) -> Any:
    from rasa_sdk.executor import ActionExecutor

    ex = ActionExecutor()
    for s in skills:
        for cls in s.action_classes.values():
            ex.register_action(cls)
    return ex


def test_action_reload_swaps_changed_code_in_place_and_keeps_old_actions_on_error(settings: Settings) -> None:
    from assistant.skill_runtime.loader import load_skills

    _with_action(settings.root, "Free for two hours.")
    executor = SimpleNamespace(actions=_build(load_skills(settings.root / "skills",
                                                          settings.root / "nlu_data")).actions)
    reloader = SkillActionsReloader(executor, settings, build=_build)
    assert _say(executor) == "Free for two hours."

    (settings.root / "skills" / "parking_info" / "wording.py").write_text("ANSWER = 'Free for three hours.'\n")
    result = reloader.reload()
    assert result["skills"] == ["parking_info"] and "action_parking_hours" in result["actions"]
    assert _say(executor) == "Free for three hours."          # a helper module changed, not actions.py

    before = executor.actions
    (settings.root / "skills" / "parking_info" / "actions.py").write_text("def broken(:\n")
    with pytest.raises(SkillError, match=r"parking_info/actions.py:1"):
        reloader.reload()
    assert executor.actions is before and _say(executor) == "Free for three hours."

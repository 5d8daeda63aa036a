"""`linli skill new` makes a skill that validates, trains and passes its own conversation test.

Trained on its own with the core data (not the 12 demo skills) so it costs well under a minute."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.dialogue import engine
from assistant.dialogue.conversation_tests import run_skill_tests
from assistant.dialogue.rasa_client import ConversationClient
from assistant.shared.config import PROJECT_ROOT, Settings
from assistant.skill_runtime.build import build_project
from assistant.skill_runtime.loader import load_skills
from assistant.skill_runtime.scaffold import new_skill
from assistant.stack import Stack, free_ports


def test_new_skill_trains_and_passes_its_own_test(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(PROJECT_ROOT / "nlu_data", root / "nlu_data")
    (root / "skills").mkdir(parents=True)
    (root / "skills" / "__init__.py").write_text("")
    new_skill(root / "skills", "parking_info")

    result = build_project(root, root / "build" / "rasa_project")
    assert result.skills == ("parking_info",)
    services, actions, rasa = free_ports(3)
    settings = Settings(root=root, var_dir=root / "var", services_port=services, actions_port=actions,
                        rasa_port=rasa, kiosk_token="k", staff_token="s", rasa_token="r")
    model, trained = engine.train(settings, result.project, result.fingerprint)
    assert trained and model.exists()

    stack = Stack(settings)
    try:
        stack.start_all(model)
        with ConversationClient(settings.rasa_url, "r") as chat:
            outcomes = run_skill_tests(chat, load_skills(root / "skills", root / "nlu_data", import_actions=False))
        assert outcomes and all(o.passed for o in outcomes), [o.problems for o in outcomes]
    finally:
        stack.stop_all()

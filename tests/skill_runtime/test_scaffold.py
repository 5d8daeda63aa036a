"""scaffold: ``linli skill new NAME`` makes a folder the loader accepts, or refuses clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.shared.errors import SkillError
from assistant.skill_runtime.build import build_project
from assistant.skill_runtime.loader import load_skills
from assistant.skill_runtime.scaffold import MAX_NAME, new_skill

from .helpers import NLU_DATA


def test_new_skill_creates_a_folder_that_loads(skills_dir: Path) -> None:
    folder = new_skill(skills_dir, "parking_info")
    assert folder == skills_dir / "parking_info"
    assert sorted(p.name for p in folder.iterdir()) == ["__init__.py", "actions.py", "skill.yml"]
    [skill] = load_skills(skills_dir, NLU_DATA)
    assert skill.name == "parking_info"
    assert skill.spec.help == "tell you about parking info"
    assert list(skill.spec.intents) == ["parking_info"]
    assert set(skill.action_classes) == {"action_parking_info"}
    assert skill.action_classes["action_parking_info"].__name__ == "ActionParkingInfo"
    assert skill.spec.tests and skill.spec.tests[0].turns[0].expect == ["what I know about parking info"]


def test_new_skill_action_answers(skills_dir: Path) -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    new_skill(skills_dir, "bike_storage")
    [skill] = load_skills(skills_dir, NLU_DATA)
    dispatcher = CollectingDispatcher()
    tracker = Tracker("t", {}, {}, [], False, None, {}, "action_listen")
    events = skill.action_classes["action_bike_storage"]().run(dispatcher, tracker, {})
    assert events == []
    # the action names a response of its own skill.yml (words are data), never a sentence of its own
    assert dispatcher.messages[0]["response"] == "utter_bike_storage_more" and not dispatcher.messages[0]["text"]
    assert "Community Service Centre" in skill.spec.responses["utter_bike_storage_more"][0].text


def test_two_new_skills_build_together(skills_dir: Path, tmp_path: Path) -> None:
    new_skill(skills_dir, "bike_storage")
    new_skill(skills_dir, "pet_rules")
    root = tmp_path / "root"
    (root / "nlu_data").mkdir(parents=True)
    for name in ("domain.yml", "rules.yml", "config.yml", "nlu.yml"):
        (root / "nlu_data" / name).write_bytes((NLU_DATA / name).read_bytes())
    result = build_project(root, root / "build" / "rasa_project", skills_dir=skills_dir)
    assert result.skills == ("bike_storage", "pet_rules")


def test_new_skill_creates_a_missing_skills_dir(tmp_path: Path) -> None:
    folder = new_skill(tmp_path / "new_dir" / "skills", "parking_info")
    assert (folder / "skill.yml").is_file()


@pytest.mark.parametrize("name", ["Parking", "parking-info", "9lives", "p", "", "parking info", "../escape",
                                  "a/b", "停车", "a" * 50])
def test_invalid_names_are_refused(skills_dir: Path, name: str) -> None:
    with pytest.raises(SkillError) as err:
        new_skill(skills_dir, name)
    assert repr(name) in str(err.value)
    assert err.value.hint and "parking_info" in err.value.hint
    assert sorted(p.name for p in skills_dir.iterdir()) == ["__init__.py"]


def test_existing_folder_is_not_overwritten(skills_dir: Path) -> None:
    folder = skills_dir / "parking_info"
    folder.mkdir()
    (folder / "skill.yml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(SkillError, match="already exists"):
        new_skill(skills_dir, "parking_info")
    assert (folder / "skill.yml").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in folder.iterdir()) == ["skill.yml"]


def test_existing_file_of_that_name_is_refused(skills_dir: Path) -> None:
    (skills_dir / "parking_info").write_text("a file", encoding="utf-8")
    with pytest.raises(SkillError, match="already exists"):
        new_skill(skills_dir, "parking_info")


def test_longest_allowed_name_still_loads(skills_dir: Path) -> None:
    name = "a" * MAX_NAME
    new_skill(skills_dir, name)
    assert [s.name for s in load_skills(skills_dir, NLU_DATA)] == [name]
    with pytest.raises(SkillError, match="not a valid skill name"):
        new_skill(skills_dir, "b" * (MAX_NAME + 1))


@pytest.mark.parametrize("name", ["help", "greet", "cancel", "out_of_scope"])
def test_core_intent_names_are_refused(skills_dir: Path, name: str) -> None:
    with pytest.raises(SkillError, match="built-in intent"):
        new_skill(skills_dir, name)
    assert not (skills_dir / name).exists()

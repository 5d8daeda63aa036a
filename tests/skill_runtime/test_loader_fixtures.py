"""One broken skill per admin mistake (tests/fixtures/skills/): the error names file and line, nothing is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.shared.errors import SkillError
from assistant.skill_runtime.build import build_project
from assistant.skill_runtime.loader import load_skills

from .helpers import FIXTURES, NLU_DATA, copy_fixture, marked_line

CASES: dict[str, tuple[str, str]] = {
    # case: (file holding the marked line, text the message must contain)
    "bad_yaml": ("skill.yml", "this is not valid YAML (mapping values are not allowed here)"),
    "unknown_key": ("skill.yml", "unknown key 'rule'"),
    "duplicate_key": ("skill.yml", "the key 'utter_parking' appears twice"),
    "missing_utter_ask": ("skill.yml", "form 'parking_form' has no question for 'visit_day'; add a response "
                                       "'utter_ask_visit_day'"),
    "action_not_defined": ("skill.yml", "action 'action_parking_fees' is listed but actions.py has no rasa_sdk "
                                        "Action whose name() returns 'action_parking_fees'"),
    "action_not_listed": ("skill.yml", "actions.py defines 'action_parking_fees' but skill.yml does not list it"),
    "not_utf8": ("skill.yml", "the file is not UTF-8 text"),
    "wrong_name": ("skill.yml", "name 'parking_info' must equal the folder name 'wrong_name'"),
    "too_few_examples": ("skill.yml", "intents.ask_parking.examples: List should have at least 8 items"),
    "unknown_intent_in_rule": ("skill.yml", "unknown intent 'ask_parking_fees'"),
    "undeclared_entity": ("skill.yml", "entity 'visit_day' is not declared; add it under 'entities:'"),
    "bad_python": ("actions.py", "cannot import (KeyError: 'west_gate')"),
}


def test_every_fixture_folder_has_a_case() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_error_names_file_and_line(case: str, skills_dir: Path) -> None:
    filename, message = CASES[case]
    folder = copy_fixture(case, skills_dir)
    path = folder / filename
    with pytest.raises(SkillError) as err:
        load_skills(skills_dir, NLU_DATA)
    text = str(err.value)
    assert text.startswith("1 problem in the skills; nothing was built:"), text  # the fixture has one mistake
    assert f"{path}:{marked_line(path)}: " in text, text
    assert message in text, text


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_builds_nothing(case: str, skills_dir: Path, project_root: Path) -> None:
    copy_fixture(case, skills_dir)
    out = project_root / "build" / "rasa_project"
    with pytest.raises(SkillError):
        build_project(project_root, out, skills_dir=skills_dir)
    assert not (project_root / "build").exists()


def test_fixture_leaves_an_existing_build_untouched(skills_dir: Path, project_root: Path) -> None:
    out = project_root / "build" / "rasa_project"
    (out / "data").mkdir(parents=True)
    (out / "domain.yml").write_text("previous build\n", encoding="utf-8")
    (out / "fingerprint").write_text("abc\n", encoding="utf-8")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for case in sorted(CASES):
        copy_fixture(case, skills_dir)
    with pytest.raises(SkillError) as err:
        build_project(project_root, out, skills_dir=skills_dir)
    assert all(f"{skills_dir / case}/" in str(err.value) for case in CASES)  # all reported together
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["rasa_project"]

"""loader: find, validate and import skills; every problem in every skill reported at once with file:line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from assistant.shared.errors import SkillError
from assistant.skill_runtime.loader import CoreDomain, load_skills, skill_folders

from .helpers import EXAMPLES, NLU_DATA, MakeSkill, action_class


def problems(err: pytest.ExceptionInfo[SkillError]) -> list[str]:
    """The listed problems of a load_skills error, one per line (the summary and "→ hint" lines left out)."""
    return [line.strip() for line in str(err.value).splitlines()[1:] if not line.strip().startswith("→")]


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing ``text`` (for building the expected ``file:line``)."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {path}")


def load_error(skills_dir: Path, nlu_data: Path = NLU_DATA) -> pytest.ExceptionInfo[SkillError]:
    with pytest.raises(SkillError) as err:
        load_skills(skills_dir, nlu_data)
    return err


# --- finding and loading ---------------------------------------------------------------------------

def test_core_domain_is_read_from_the_real_nlu_data() -> None:
    core = CoreDomain.read(NLU_DATA)
    assert {"greet", "cancel", "help", "human_handoff"} <= core.intents
    assert "utter_cancelled" in core.responses
    assert "action_stop_form" in core.actions
    assert "speech_rate" in core.slots


def test_minimal_skill_loads(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info")
    [skill] = load_skills(skills_dir, NLU_DATA)
    assert skill.name == "parking_info"
    assert skill.folder == folder
    assert skill.source.path == folder / "skill.yml"
    assert skill.spec.intents["ask_parking_info"].examples == list(EXAMPLES)
    assert skill.action_classes == {}


def test_missing_or_empty_skills_dir_has_no_skills(tmp_path: Path, skills_dir: Path) -> None:
    assert load_skills(tmp_path / "nope", NLU_DATA) == []
    assert load_skills(skills_dir, NLU_DATA) == []


def test_private_hidden_and_non_skill_folders_are_skipped(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info")
    make_skill("_draft")
    (skills_dir / ".hidden").mkdir()
    (skills_dir / ".hidden" / "skill.yml").write_text("broken: [", encoding="utf-8")
    (skills_dir / "notes").mkdir()
    (skills_dir / "notes" / "readme.txt").write_text("not a skill", encoding="utf-8")
    (skills_dir / "skill.yml").write_text("a file, not a folder", encoding="utf-8")
    assert [p.name for p in skill_folders(skills_dir)] == ["parking_info"]
    assert [s.name for s in load_skills(skills_dir, NLU_DATA)] == ["parking_info"]


def test_skills_come_back_sorted_by_folder(skills_dir: Path, make_skill: MakeSkill) -> None:
    for name in ("zebra_crossing", "alpha_info", "mid_info"):
        make_skill(name)
    assert [s.name for s in load_skills(skills_dir, NLU_DATA)] == ["alpha_info", "mid_info", "zebra_crossing"]


def test_skills_may_use_core_responses_actions_slots_and_intents(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", """
        slots:
          visitor_phone:
            type: text
            mappings:
              - type: from_text
                not_intent: [cancel, help]
                conditions:
                  - active_loop: parking_form
        forms:
          parking_form:
            required_slots: [visitor_phone, speech_rate]
        responses:
          utter_ask_visitor_phone:
            - text: What is the visitor's phone number?
              buttons:
                - {title: Stop, payload: /cancel}
                - {title: Restart, payload: /restart}
                - {title: With an entity, payload: '/ask_parking_info{"plate": "A1"}'}
          utter_ask_speech_rate:
            - text: Shall I speak slower?
        rules:
          - rule: greet then park
            steps:
              - intent: greet
              - action: utter_greet
              - intent: ask_parking_info
              - action: parking_form
              - active_loop: parking_form
          - rule: after the form
            condition:
              - active_loop: parking_form
            steps:
              - action: parking_form
              - active_loop: null
              - action: action_help
              - action: action_listen
        stories:
          - story: fallback
            steps:
              - intent: nlu_fallback
              - action: action_fallback_ladder
    """)
    [skill] = load_skills(skills_dir, NLU_DATA)
    assert list(skill.spec.forms) == ["parking_form"]


def test_entities_slots_and_forms_of_other_skills_are_visible(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("contact_info", """
        entities: [phone_number]
        slots:
          phone:
            type: text
            mappings:
              - type: from_entity
                entity: phone_number
        responses:
          utter_ask_phone:
            - text: What is your phone number?
    """)
    make_skill("parking_info", """
        slots:
          plate:
            type: text
            mappings:
              - type: from_entity
                entity: phone_number
        forms:
          parking_form:
            required_slots: [plate, phone]
        responses:
          utter_ask_plate:
            - text: What is the number plate?
    """, examples=(*EXAMPLES[:-1], "call me on [13800138000](phone_number) about parking"))
    assert [s.name for s in load_skills(skills_dir, NLU_DATA)] == ["contact_info", "parking_info"]


# --- strict action registration ---------------------------------------------------------------------

def test_actions_are_imported_and_registered_by_name(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", """
        actions: [action_parking_spaces, validate_parking_form]
    """, actions=action_class("action_parking_spaces") + '''

from rasa_sdk.forms import FormValidationAction


class ValidateParkingForm(FormValidationAction):
    def name(self):
        return "validate_parking_form"
''')
    [skill] = load_skills(skills_dir, NLU_DATA)
    assert set(skill.action_classes) == {"action_parking_spaces", "validate_parking_form"}
    cls = skill.action_classes["action_parking_spaces"]
    assert cls.__module__ == f"{skills_dir.name}.{folder.name}.actions"
    assert cls().name() == "action_parking_spaces"


def test_helpers_and_imported_actions_are_not_registered(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", """
        actions: [action_parking_spaces]
    """, actions=action_class("action_parking_spaces") + '''

from rasa_sdk.forms import FormValidationAction  # imported, not defined here: not this skill's action


class NotAnAction:
    def name(self):
        return "action_sneaky"


class _Base(FormValidationAction):
    pass  # no name(): cannot be instantiated as an action, so it is skipped
''')
    [skill] = load_skills(skills_dir, NLU_DATA)
    assert set(skill.action_classes) == {"action_parking_spaces"}


def test_listed_action_without_actions_py(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", """
        actions:
          - action_parking_spaces
    """)
    err = load_error(skills_dir)
    line = line_of(folder / "skill.yml", "- action_parking_spaces")
    assert problems(err) == [f"{folder / 'skill.yml'}:{line}: action 'action_parking_spaces' is listed but "
                             "parking_info/actions.py does not exist."]


def test_action_whose_name_differs_is_both_missing_and_unlisted(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", """
        actions:
          - action_parking_spaces
    """, actions=action_class("action_parking_space"))
    found = problems(load_error(skills_dir))
    path = folder / "skill.yml"
    assert len(found) == 2
    assert found[0].startswith(f"{path}:{line_of(path, '- action_parking_spaces')}: action 'action_parking_spaces'"
                               " is listed but actions.py has no rasa_sdk Action")
    assert found[1].startswith(f"{path}:{line_of(path, 'actions:')}: actions.py defines 'action_parking_space'")


def test_action_whose_name_raises_counts_as_missing(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", "actions: [action_parking_spaces]", actions='''
from rasa_sdk import Action


class ActionParkingSpaces(Action):
    def name(self):
        raise RuntimeError("oops")
''')
    [problem] = problems(load_error(skills_dir))
    assert "'action_parking_spaces' is listed but actions.py has no rasa_sdk Action" in problem


def test_actions_are_not_imported_when_asked_not_to(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", "actions: [action_parking_spaces]", actions="raise RuntimeError('imported')\n")
    [skill] = load_skills(skills_dir, NLU_DATA, import_actions=False)
    assert skill.action_classes == {}


def test_syntax_error_in_actions_names_its_line(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", "actions: [action_parking_spaces]",
                        actions="from rasa_sdk import Action\n\n\nclass Broken(Action)\n    pass\n")
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{folder / 'actions.py'}:4: cannot import (SyntaxError")


def test_failing_helper_import_points_at_the_import_line(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", "actions: [action_parking_spaces]",
                        actions="from rasa_sdk import Action\nimport no_such_module_for_linli_tests\n")
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{folder / 'actions.py'}:2: cannot import (ModuleNotFoundError")


def test_loading_again_picks_up_edited_actions(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", "actions: [action_parking_spaces]",
                        actions=action_class("action_parking_spaces"))
    [first] = load_skills(skills_dir, NLU_DATA)
    module = f"{skills_dir.name}.parking_info.actions"
    assert module in sys.modules
    (folder / "actions.py").write_text(action_class("action_parking_spaces", "ActionRenamedForTheTest"),
                                       encoding="utf-8")
    sys.modules.pop(module)  # a fresh import, not a bytecode-cached reload within the same second
    [second] = load_skills(skills_dir, NLU_DATA)
    assert second.action_classes["action_parking_spaces"].__name__ == "ActionRenamedForTheTest"
    assert first.action_classes["action_parking_spaces"] is not second.action_classes["action_parking_spaces"]


# --- cross-checks ---------------------------------------------------------------------------------

def test_intent_defined_in_core_is_an_error(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("greetings", intent="greet")
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{folder / 'skill.yml'}:5: intent 'greet' is already defined in nlu_data/domain.yml")


def test_intent_defined_by_two_skills_names_both_files(skills_dir: Path, make_skill: MakeSkill) -> None:
    first = make_skill("parking_a", intent="ask_parking")
    second = make_skill("parking_b", intent="ask_parking")
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{second / 'skill.yml'}:5: intent 'ask_parking' is already defined in "
                              f"{first / 'skill.yml'}")


CROSS_CASES = {
    "slot entity": ("""
        slots:
          plate:
            type: text
            mappings:
              - type: from_entity  # HERE
                entity: plate
    """, "slot 'plate' maps from entity 'plate', which is not declared"),
    "mapping intent": ("""
        slots:
          plate:
            type: text
            mappings:
              - type: from_text  # HERE
                intent: inform_plate
    """, "unknown intent 'inform_plate' in slot 'plate'"),
    "mapping not_intent": ("""
        slots:
          plate:
            type: text
            mappings:
              - type: from_text  # HERE
                not_intent: [cancel, stop_it]
    """, "unknown intent 'stop_it' in slot 'plate'"),
    "condition form": ("""
        slots:
          plate:
            type: text
            mappings:
              - type: from_text  # HERE
                conditions:
                  - active_loop: plate_form
    """, "unknown form 'plate_form' in a condition"),
    "form slot": ("""
        forms:
          parking_form:
            required_slots:
              - plate  # HERE
        responses:
          utter_ask_plate:
            - text: What is the number plate?
    """, "form 'parking_form' needs slot 'plate', which is not defined"),
    "button intent": ("""
        responses:
          utter_parking:
            - text: By the East Gate.
              buttons:
                - title: Thanks
                  payload: /thank
                - title: More  # HERE
                  payload: /more_parking
    """, "button payload '/more_parking' names unknown intent 'more_parking'"),
    "interrupt intent": ("""
        interrupts:
          emergency: utter_greet  # HERE
    """, "interrupt intent 'emergency' is not an intent of this skill"),
    "interrupt action": ("""
        interrupts:
          ask_parking_info: action_call_guard  # HERE
    """, "interrupt action 'action_call_guard' is not defined"),
    "rule action": ("""
        rules:
          - rule: parking
            steps:
              - intent: ask_parking_info
              - action: utter_parking  # HERE
    """, "unknown action or response 'utter_parking'"),
    "rule form": ("""
        rules:
          - rule: parking
            steps:
              - intent: ask_parking_info
              - active_loop: parking_form  # HERE
    """, "unknown form 'parking_form'"),
    "story intent": ("""
        stories:
          - story: parking
            steps:
              - intent: ask_parking_info
              - action: utter_greet
              - intent: ask_parking_fees  # HERE
              - action: utter_greet
    """, "unknown intent 'ask_parking_fees'"),
}


@pytest.mark.parametrize("case", list(CROSS_CASES))
def test_cross_check_names_file_and_line(case: str, skills_dir: Path, make_skill: MakeSkill) -> None:
    extra, message = CROSS_CASES[case]
    folder = make_skill("parking_info", extra)
    path = folder / "skill.yml"
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{path}:{line_of(path, '# HERE')}: ")
    assert message in problem


def test_form_without_question_suggests_both_fixes(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", """
        slots:
          plate: {type: text, mappings: [{type: from_text}]}
        forms:
          parking_form: {required_slots: [plate]}
    """)
    [problem] = problems(load_error(skills_dir))
    assert "add a response 'utter_ask_plate' (or an action 'action_ask_plate')" in problem


def test_an_action_ask_counts_as_the_question(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", """
        slots:
          plate: {type: text, mappings: [{type: from_text}]}
        forms:
          parking_form: {required_slots: [plate]}
        actions: [action_ask_plate]
    """, actions=action_class("action_ask_plate"))
    assert load_skills(skills_dir, NLU_DATA)[0].spec.forms


def test_schema_errors_point_at_the_key_line(skills_dir: Path, make_skill: MakeSkill) -> None:
    folder = make_skill("parking_info", """
        slots:
          gate:
            type: categorical
            mappings:
              - type: custom
          plate:
            type: text
            mappings:
              - type: from_entity
        responses:
          parking_answer:
            - text: By the gate.
    """)
    path = folder / "skill.yml"
    found = problems(load_error(skills_dir))
    assert len(found) == 3
    assert f"{path}:{line_of(path, 'gate:')}: slots.gate: Value error, a categorical slot needs 'values'" in found
    assert (f"{path}:{line_of(path, '- type: from_entity')}: slots.plate.mappings.0: Value error, a from_entity "
            "mapping needs 'entity'") in found
    assert any(p.startswith(f"{path}:{line_of(path, 'responses:')}: responses: ") and "utter_" in p for p in found)


def test_missing_key_points_at_the_start_of_the_mapping(skills_dir: Path) -> None:
    folder = skills_dir / "parking_info"
    folder.mkdir()
    (folder / "skill.yml").write_text("# comment\nname: parking_info\ndescription: Parking.\nhelp: parking\n",
                                      encoding="utf-8")
    [problem] = problems(load_error(skills_dir))
    assert problem == f"{folder / 'skill.yml'}:2: intents: 'intents' is required"


@pytest.mark.parametrize("text", ["", "- a list\n- not a mapping\n", "just text\n"])
def test_skill_file_must_be_a_mapping(skills_dir: Path, text: str) -> None:
    folder = skills_dir / "parking_info"
    folder.mkdir()
    (folder / "skill.yml").write_text(text, encoding="utf-8")
    [problem] = problems(load_error(skills_dir))
    assert problem.startswith(f"{folder / 'skill.yml'}:1: a skill file must be a mapping")


# --- all-or-nothing -------------------------------------------------------------------------------

def test_every_problem_of_every_skill_in_one_error(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("good_one")
    bad_yaml = make_skill("bad_yaml_one")
    (bad_yaml / "skill.yml").write_text("name: bad_yaml_one\nhelp: [\n", encoding="utf-8")
    wrong = make_skill("wrong_refs", """
        rules:
          - rule: r
            steps:
              - intent: nope_intent
              - action: utter_nope
    """, actions=action_class("action_unlisted"))
    err = load_error(skills_dir)
    found = problems(err)
    assert str(err.value).splitlines()[0] == "4 problems in the skills; nothing was built:"
    assert len(found) == 4
    assert "→ Check the indentation" in str(err.value)  # the YAML hint is kept
    assert sum(str(bad_yaml / "skill.yml") in p for p in found) == 1
    assert sum(str(wrong / "skill.yml") in p for p in found) == 3
    assert all(re.match(r"^/.+\.yml:\d+: ", p) for p in found)
    assert err.value.code == "skill_error"


def test_single_problem_is_not_pluralised(skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info", "actions: [action_missing]")
    assert str(load_error(skills_dir).value).startswith("1 problem in the skills; nothing was built:")


def test_broken_core_domain_is_reported_first(tmp_path: Path, skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info")
    nlu = tmp_path / "nlu_data"
    nlu.mkdir()
    (nlu / "domain.yml").write_text("intents:\n  - greet\n  - greet: {use_entities: []}\nintents: []\n",
                                    encoding="utf-8")
    err = load_error(skills_dir, nlu)
    assert str(err.value).startswith(f"The core domain is broken: {nlu / 'domain.yml'}:4:")


def test_second_skills_tree_with_the_same_name_is_not_shadowed(tmp_path: Path) -> None:
    """A staging or test copy named `skills` loads its own actions, not the project's package."""
    import importlib

    from assistant.skill_runtime.scaffold import new_skill

    importlib.import_module("skills")  # the project's skills package claims the name first
    other = tmp_path / "skills"
    other.mkdir()
    (other / "__init__.py").write_text("")
    new_skill(other, "parking_info")
    loaded = load_skills(other, NLU_DATA)
    assert [s.name for s in loaded] == ["parking_info"]
    assert list(loaded[0].action_classes) == ["action_parking_info"]

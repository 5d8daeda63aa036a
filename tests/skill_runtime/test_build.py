"""build: nlu_data/ + skills → one Rasa project, with generated form rules, written atomically, fingerprinted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.shared.errors import BuildError, SkillError
from assistant.skill_runtime.build import (
    PAUSE_INTENTS,
    QUESTION_INTENTS,
    STOP_FORM_ACTION,
    BuildResult,
    build_project,
    form_rules,
    project_fingerprint,
)

from .helpers import EXAMPLES, MakeSkill, action_class

CONTACT = """
    entities: [phone_number]
    slots:
      phone:
        type: text
        mappings:
          - type: from_entity
            entity: phone_number
      contact_kind:
        type: categorical
        values: [resident, visitor]
        mappings:
          - type: custom
    forms:
      contact_form:
        required_slots: [phone]
    responses:
      utter_ask_phone:
        - text: What is your phone number?
    rules:
      - rule: start contact
        steps:
          - intent: ask_contact_info
          - action: contact_form
          - active_loop: contact_form
      - rule: end contact
        condition:
          - active_loop: contact_form
        steps:
          - action: contact_form
          - active_loop: null
          - action: utter_ok
"""

PARKING = """
    entities: [plate]
    synonyms:
      east_gate: [east entrance, east door]
    lookups:
      plate: [A12345, B54321]
    regexes:
      plate: ['[A-Z]\\d{5}']
    slots:
      phone:
        type: text
        mappings:
          - type: from_text
            conditions:
              - active_loop: parking_form
                requested_slot: phone
      contact_kind:
        type: categorical
        values: [guard]
        mappings:
          - type: custom
      plate:
        type: text
        mappings:
          - type: from_text
            not_intent: deny
            conditions:
              - active_loop: parking_form
                requested_slot: plate
    forms:
      parking_form:
        required_slots: [plate, phone]
    responses:
      utter_ask_plate:
        - text: What is the number plate?
    actions: [action_call_guard]
    interrupts:
      guard_now: action_call_guard
    rules:
      - rule: start parking
        steps:
          - intent: ask_parking_info
          - action: parking_form
          - active_loop: parking_form
    stories:
      - story: parking or thanks
        steps:
          - intent: ask_parking_info
          - or:
              - intent: affirm
              - intent: thank
"""

GUARD_EXAMPLES = tuple(f"{ex} guard" for ex in EXAMPLES)


@pytest.fixture
def two_skills(make_skill: MakeSkill) -> tuple[Path, Path]:
    contact = make_skill("contact_info", CONTACT)
    parking = make_skill("parking_info", PARKING, actions=action_class("action_call_guard"))
    # the interrupt intent belongs to the parking skill: add it as a second intent
    text = (parking / "skill.yml").read_text(encoding="utf-8")
    extra_intent = "  guard_now:\n    examples:\n" + "".join(f"      - {ex}\n" for ex in GUARD_EXAMPLES)
    text = text.replace("entities: [plate]", extra_intent + "entities: [plate]", 1)
    (parking / "skill.yml").write_text(text, encoding="utf-8")
    return contact, parking


@pytest.fixture
def built(project_root: Path, skills_dir: Path, two_skills: tuple[Path, Path]) -> BuildResult:
    return build_project(project_root, project_root / "build" / "rasa_project", skills_dir=skills_dir)


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_by_name(project: Path) -> dict[str, dict[str, Any]]:
    data = read(project / "data" / "generated" / "form_rules.yml")
    assert data["version"] == "3.1"
    return {r["rule"]: r for r in data["rules"]}


# --- the merged project ---------------------------------------------------------------------------

def test_build_writes_the_project_files(built: BuildResult, project_root: Path) -> None:
    out = project_root / "build" / "rasa_project"
    assert built.project == out
    assert built.skills == ("contact_info", "parking_info")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "config.yml",
        "data/core/nlu.yml",
        "data/core/nlu.zh-CN.yml",
        "data/core/rules.yml",
        "data/generated/form_rules.yml",
        "data/knowledge/nlu.yml",
        "data/skills/contact_info/nlu.yml",
        "data/skills/contact_info/rules.yml",
        "data/skills/parking_info/nlu.yml",
        "data/skills/parking_info/rules.yml",
        "data/skills/parking_info/stories.yml",
        "domain.yml",
        "fingerprint",
        "skills.json",
        "words.json",
    ]
    assert (out / "config.yml").read_bytes() == (project_root / "nlu_data" / "config.yml").read_bytes()
    assert (out / "data/core/nlu.yml").read_bytes() == (project_root / "nlu_data" / "nlu.yml").read_bytes()
    assert (out / "fingerprint").read_text(encoding="utf-8") == built.fingerprint + "\n"
    # nothing left beside it: no temporary or old folders
    assert sorted(p.name for p in out.parent.iterdir()) == ["rasa_project"]


def test_domain_merges_core_and_skills(built: BuildResult) -> None:
    domain = read(built.project / "domain.yml")
    core = read(built.project.parent.parent / "nlu_data" / "domain.yml")
    assert domain["intents"][: len(core["intents"])] == core["intents"]
    assert domain["intents"][len(core["intents"]):] == ["ask_contact_info", "ask_parking_info", "guard_now"]
    assert domain["entities"] == [*core["entities"], "phone_number", "plate"]
    assert set(domain["forms"]) == {"contact_form", "parking_form"}
    assert {"utter_greet", "utter_cancelled", "utter_ask_phone", "utter_ask_plate"} <= set(domain["responses"])
    assert domain["actions"].count(STOP_FORM_ACTION) == 1
    assert "action_call_guard" in domain["actions"]
    assert domain["session_config"] == core["session_config"]
    assert domain["slots"]["plate"]["influence_conversation"] is False


def test_slot_shared_by_two_skills_is_merged(built: BuildResult) -> None:
    slots = read(built.project / "domain.yml")["slots"]
    phone = slots["phone"]
    assert phone["type"] == "text"
    assert [m["type"] for m in phone["mappings"]] == ["from_entity", "from_text"]
    assert phone["mappings"][0] == {"type": "from_entity", "entity": "phone_number"}
    assert phone["mappings"][1]["conditions"] == [{"active_loop": "parking_form", "requested_slot": "phone"}]
    assert slots["contact_kind"]["values"] == ["guard", "resident", "visitor"]
    assert "speech_rate" in slots  # the core slot is still there


def test_shared_slot_with_equal_mappings_is_not_duplicated(project_root: Path, skills_dir: Path,
                                                         make_skill: MakeSkill) -> None:
    slot = """
        slots:
          visit_note:
            type: text
            mappings:
              - type: custom
    """
    make_skill("first_info", slot)
    make_skill("second_info", slot)
    result = build_project(project_root, project_root / "build" / "p", skills_dir=skills_dir)
    assert read(result.project / "domain.yml")["slots"]["visit_note"]["mappings"] == [{"type": "custom"}]


def test_shared_slot_with_two_types_is_a_build_error_and_builds_nothing(
        project_root: Path, skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("first_info", "slots: {visit_note: {type: text, mappings: [{type: custom}]}}")
    make_skill("second_info", "slots: {visit_note: {type: bool, mappings: [{type: custom}]}}")
    out = project_root / "build" / "rasa_project"
    out.mkdir(parents=True)
    (out / "domain.yml").write_text("previous\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"'visit_note' is a text slot elsewhere but a bool slot in skill "
                                         r"'second_info'"):
        build_project(project_root, out, skills_dir=skills_dir)
    assert [p.name for p in out.iterdir()] == ["domain.yml"]
    assert (out / "domain.yml").read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["rasa_project"]


def test_free_text_mappings_get_not_intent_guards(built: BuildResult) -> None:
    slots = read(built.project / "domain.yml")["slots"]
    guards = ["cancel", *PAUSE_INTENTS, "human_handoff", "guard_now"]
    phone_text = slots["phone"]["mappings"][1]
    assert phone_text["not_intent"] == guards
    # an existing not_intent (a string) is kept first and not repeated
    assert slots["plate"]["mappings"][0]["not_intent"] == ["deny", *guards]
    # other mapping types are left alone
    assert "not_intent" not in slots["phone"]["mappings"][0]
    assert "not_intent" not in slots["speech_rate"]["mappings"][0]


def test_skill_data_files(built: BuildResult) -> None:
    nlu = read(built.project / "data/skills/parking_info/nlu.yml")
    assert nlu["version"] == "3.1"
    by_kind = {(k, item[k]): item["examples"] for item in nlu["nlu"] for k in ("intent", "synonym", "lookup", "regex")
               if k in item}
    assert by_kind[("intent", "ask_parking_info")] == "".join(f"- {ex}\n" for ex in EXAMPLES)
    assert by_kind[("intent", "guard_now")].startswith("- where can I park my car guard\n")
    assert by_kind[("synonym", "east_gate")] == "- east entrance\n- east door\n"
    assert by_kind[("lookup", "plate")] == "- A12345\n- B54321\n"
    assert by_kind[("regex", "plate")] == "- [A-Z]\\d{5}\n"

    rules = read(built.project / "data/skills/contact_info/rules.yml")["rules"]
    assert rules[1] == {"rule": "end contact", "condition": [{"active_loop": "contact_form"}],
                        "steps": [{"action": "contact_form"}, {"active_loop": None}, {"action": "utter_ok"}]}
    stories = read(built.project / "data/skills/parking_info/stories.yml")["stories"]
    assert stories[0]["steps"][1] == {"or": [{"intent": "affirm"}, {"intent": "thank"}]}


def test_manifest_lists_skills_for_the_help_answer(built: BuildResult) -> None:
    manifest = json.loads((built.project / "skills.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in manifest] == ["contact_info", "parking_info"]
    assert manifest[1]["intents"] == ["ask_parking_info", "guard_now"]
    assert manifest[1]["help"] == "tell you where visitors can park"


# --- generated form rules ---------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["contact_form", "parking_form"])
def test_every_form_can_be_cancelled(built: BuildResult, form: str) -> None:
    rule = rules_by_name(built.project)[f"cancel inside {form}"]
    assert rule["condition"] == [{"active_loop": form}]
    assert rule["steps"] == [{"intent": "cancel"}, {"action": STOP_FORM_ACTION}, {"active_loop": None},
                             {"action": "utter_cancelled"}]


@pytest.mark.parametrize("form", ["contact_form", "parking_form"])
def test_every_form_pauses_for_help_repeat_slower_and_bot_challenge(built: BuildResult, form: str) -> None:
    rules = rules_by_name(built.project)
    answers = {"help": "action_help", "repeat": "action_repeat", "speak_slower": "action_speak_slower",
               "bot_challenge": "utter_iamabot"}
    for intent, answer in answers.items():
        rule = rules[f"{intent} inside {form}"]
        assert rule["condition"] == [{"active_loop": form}]
        assert rule["steps"] == [{"intent": intent}, {"action": answer}, {"action": form}, {"active_loop": form}]


@pytest.mark.parametrize("form", ["contact_form", "parking_form"])
def test_every_form_is_stopped_by_core_and_skill_interrupts(built: BuildResult, form: str) -> None:
    rules = rules_by_name(built.project)
    for intent, action in (("human_handoff", "action_human_handoff"), ("guard_now", "action_call_guard")):
        assert rules[f"{intent} stops {form}"]["steps"] == [
            {"intent": intent}, {"action": STOP_FORM_ACTION}, {"active_loop": None}, {"action": action}]


def test_generated_rules_only_name_things_the_domain_has(built: BuildResult) -> None:
    domain = read(built.project / "domain.yml")
    known_actions = set(domain["actions"]) | set(domain["responses"]) | set(domain["forms"])
    intents = set(domain["intents"])
    for rule in rules_by_name(built.project).values():
        for step in rule["steps"]:
            if "intent" in step:
                assert step["intent"] in intents
            if "action" in step:
                assert step["action"] in known_actions


def test_form_rules_counts() -> None:
    answers = {"help": "action_help", "repeat": "action_repeat"}  # only the answers the core has
    rules = form_rules(["a_form", "b_form"], answers, {"human_handoff": "action_human_handoff"})
    # per form: cancel + 2 pauses + 1 interrupt
    assert len(rules) == 8
    assert form_rules([], answers, {}) == []


def test_office_questions_inside_a_form_go_to_the_knowledge_base_and_the_form_asks_again() -> None:
    answers = {"out_of_scope": "action_knowledge_answer", "knowledge_question": "action_knowledge_answer"}
    rules = {r["rule"]: r for r in form_rules(["place_form"], answers, {})}
    for intent in QUESTION_INTENTS:
        assert rules[f"{intent} inside place_form"]["steps"] == [
            {"intent": intent}, {"action": "action_knowledge_answer"}, {"action": "place_form"},
            {"active_loop": "place_form"}]


def test_office_questions_are_not_guarded_on_every_free_text_slot(built: BuildResult) -> None:
    """A repair description may sound like an office question: only slots that decline them opt out."""
    slots = read(built.project / "domain.yml")["slots"]
    for slot in slots.values():
        for mapping in slot["mappings"]:
            if mapping.get("type") == "from_text":
                assert not set(QUESTION_INTENTS) & set(mapping.get("not_intent") or []), mapping


def test_no_forms_means_no_generated_rules(project_root: Path, skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("parking_info")
    result = build_project(project_root, project_root / "build" / "p", skills_dir=skills_dir)
    assert rules_by_name(result.project) == {}
    assert not (result.project / "data/skills/parking_info/rules.yml").exists()


# --- fingerprint and atomic replacement --------------------------------------------------------------

def test_fingerprint_is_stable_for_the_same_input(built: BuildResult, project_root: Path, skills_dir: Path) -> None:
    again = build_project(project_root, project_root / "build" / "second", skills_dir=skills_dir)
    assert again.fingerprint == built.fingerprint
    assert len(built.fingerprint) == 16
    assert project_fingerprint(again.project) == again.fingerprint  # the fingerprint file is not hashed


def test_fingerprint_changes_when_an_example_changes(built: BuildResult, project_root: Path, skills_dir: Path,
                                                     two_skills: tuple[Path, Path]) -> None:
    path = two_skills[0] / "skill.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("where do guests park", "where do guests park cars"),
                    encoding="utf-8")
    changed = build_project(project_root, project_root / "build" / "second", skills_dir=skills_dir)
    assert changed.fingerprint != built.fingerprint


def test_fingerprint_changes_with_core_data(built: BuildResult, project_root: Path, skills_dir: Path) -> None:
    config = project_root / "nlu_data" / "config.yml"
    text = config.read_text(encoding="utf-8")
    changed = re.sub(r"epochs: (\d+)", lambda m: f"epochs: {int(m.group(1)) + 1}", text, count=1)
    assert changed != text
    config.write_text(changed, encoding="utf-8")
    assert build_project(project_root, project_root / "build" / "b", skills_dir=skills_dir).fingerprint \
        != built.fingerprint


def test_fingerprint_ignores_help_text(built: BuildResult, project_root: Path, skills_dir: Path,
                                       two_skills: tuple[Path, Path]) -> None:
    path = two_skills[0] / "skill.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("help: tell you", "help: show you"), encoding="utf-8")
    again = build_project(project_root, project_root / "build" / "b", skills_dir=skills_dir)
    assert again.fingerprint == built.fingerprint  # skills.json does not affect training
    assert "show you" in (again.project / "skills.json").read_text(encoding="utf-8")


def test_rebuild_replaces_the_old_project(built: BuildResult, project_root: Path, skills_dir: Path) -> None:
    stale = built.project / "data" / "skills" / "removed_skill" / "nlu.yml"
    stale.parent.mkdir(parents=True)
    stale.write_text("old\n", encoding="utf-8")
    (built.project.with_name("rasa_project.old")).mkdir()  # left by a crash in an earlier build
    again = build_project(project_root, built.project, skills_dir=skills_dir)
    assert not stale.exists()
    assert again.fingerprint == built.fingerprint
    assert sorted(p.name for p in built.project.parent.iterdir()) == ["rasa_project"]


def test_failing_skill_leaves_an_existing_build_untouched(built: BuildResult, project_root: Path,
                                                          skills_dir: Path, make_skill: MakeSkill) -> None:
    before = {p: p.read_bytes() for p in built.project.rglob("*") if p.is_file()}
    make_skill("broken_info", "actions: [action_not_there]")
    with pytest.raises(SkillError, match=r"broken_info/skill\.yml:\d+: action 'action_not_there'"):
        build_project(project_root, built.project, skills_dir=skills_dir)
    assert {p: p.read_bytes() for p in built.project.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in built.project.parent.iterdir()) == ["rasa_project"]


def test_failing_skill_creates_no_build_folder(project_root: Path, skills_dir: Path, make_skill: MakeSkill) -> None:
    make_skill("broken_info", "actions: [action_not_there]")
    with pytest.raises(SkillError):
        build_project(project_root, project_root / "build" / "rasa_project", skills_dir=skills_dir)
    assert not (project_root / "build").exists()


def test_skills_dir_defaults_to_root_skills(project_root: Path) -> None:
    (project_root / "skills").mkdir()
    result = build_project(project_root, project_root / "build" / "rasa_project")
    assert result.skills == ()
    assert (result.project / "domain.yml").is_file()


# --- knowledge questions ----------------------------------------------------------------------------


def test_knowledge_questions_become_examples_of_knowledge_question(
        project_root: Path, skills_dir: Path, two_skills: tuple[Path, Path]) -> None:
    folder = project_root / "knowledge"
    folder.mkdir(exist_ok=True)
    taken = EXAMPLES[0]  # a phrasing a skill already uses stays the skill's (one example, one intent)
    (folder / "office.yml").write_text(
        "entries:\n  - id: choir\n    questions:\n      - When does the choir sing?\n"
        "      - choir [Sundays]\n"
        f"      - {taken}\n    answer: On Sundays at nine.\n", encoding="utf-8")
    built = build_project(project_root, project_root / "build" / "rasa_project", skills_dir=skills_dir,
                          knowledge_dir=folder)
    nlu = read(built.project / "data" / "knowledge" / "nlu.yml")["nlu"]
    assert [item["intent"] for item in nlu] == ["knowledge_question"]
    assert nlu[0]["examples"].splitlines() == ["- When does the choir sing?", "- choir (Sundays)"]
    without = build_project(project_root, project_root / "build" / "other", skills_dir=skills_dir,
                            knowledge_dir=project_root / "nowhere")
    assert read(without.project / "data" / "knowledge" / "nlu.yml")["nlu"] == []
    assert without.fingerprint != built.fingerprint  # a knowledge edit is a training change


def test_a_broken_knowledge_file_stops_the_build_with_its_line(
        project_root: Path, skills_dir: Path, two_skills: tuple[Path, Path]) -> None:
    folder = project_root / "knowledge"
    folder.mkdir(exist_ok=True)
    (folder / "bad.yml").write_text("entries:\n  - id: Not An Id\n    questions: [x]\n    answer: y\n")
    with pytest.raises(BuildError) as e:
        build_project(project_root, project_root / "build" / "rasa_project", skills_dir=skills_dir,
                      knowledge_dir=folder)
    assert "bad.yml:" in e.value.message

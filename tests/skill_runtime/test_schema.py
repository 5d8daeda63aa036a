"""schema: the pydantic shape of skill.yml; strict, snake_case, and close to Rasa's formats."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from assistant.skill_runtime import schema
from assistant.skill_runtime.schema import (
    MIN_EXAMPLES,
    Form,
    Intent,
    ResponseButton,
    ResponseVariant,
    Rule,
    Skill,
    SkillTest,
    Slot,
    SlotMapping,
    Step,
    Story,
    annotated_entities,
)

from .helpers import EXAMPLES


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "name": "parking_info",
        "description": "Tells residents where visitors can park.",
        "help": "tell you where visitors can park",
        "intents": {"ask_parking": {"examples": list(EXAMPLES)}},
        **extra,
    }


def errors(model: type[BaseModel], data: Any) -> list[Any]:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    return list(err.value.errors())


def one_error(model: type[BaseModel], data: Any) -> tuple[tuple[Any, ...], str, str]:
    errs = errors(model, data)
    assert len(errs) == 1, errs
    return tuple(errs[0]["loc"]), errs[0]["type"], errs[0]["msg"]


# --- the whole skill -------------------------------------------------------------------------------

def test_minimal_skill_is_valid_with_empty_defaults() -> None:
    skill = Skill.model_validate(minimal())
    assert skill.name == "parking_info"
    assert skill.version == 1
    assert skill.intents["ask_parking"].examples == list(EXAMPLES)
    assert (skill.entities, skill.slots, skill.forms, skill.responses, skill.actions) == ([], {}, {}, {}, [])
    assert (skill.rules, skill.stories, skill.tests, skill.interrupts) == ([], [], [], {})


def test_full_skill_in_rasa_formats_is_valid() -> None:
    skill = Skill.model_validate(minimal(
        entities=["visit_day", "plate"],
        synonyms={"east_gate": ["east entrance", "east door"]},
        lookups={"plate": ["A12345"]},
        regexes={"plate": [r"[A-Z]\d{5}"]},
        slots={
            "plate": {"type": "text", "mappings": [{"type": "from_entity", "entity": "plate"},
                                                   {"type": "from_text", "not_intent": "cancel",
                                                    "conditions": [{"active_loop": "parking_form",
                                                                    "requested_slot": "plate"}]}]},
            "gate": {"type": "categorical", "values": ["east", "west"],
                     "mappings": [{"type": "from_intent", "intent": "affirm", "value": "east"}]},
            "ok": {"type": "bool", "influence_conversation": True,
                   "mappings": [{"type": "from_trigger_intent", "intent": "ask_parking", "value": True}]},
        },
        forms={"parking_form": {"required_slots": ["plate"], "ignored_intents": ["greet"]}},
        responses={"utter_ask_plate": [{"text": "What is the number plate?",
                                        "buttons": [{"title": "I do not know", "payload": "/deny"}]}],
                   "utter_parking": [{"text": "By the East Gate.", "condition": [{"type": "slot", "name": "ok",
                                                                                  "value": True}]},
                                     {"text": "By the gate.", "custom": {"speech_rate": "slower"}}]},
        actions=["action_parking_spaces", "validate_parking_form"],
        interrupts={"ask_parking": "action_parking_spaces"},
        rules=[{"rule": "start form", "steps": [{"intent": "ask_parking"}, {"action": "parking_form"},
                                                {"active_loop": "parking_form"}]},
               {"rule": "submit", "condition": [{"active_loop": "parking_form"}], "wait_for_user_input": False,
                "steps": [{"action": "parking_form"}, {"active_loop": None}, {"action": "utter_parking"}]}],
        stories=[{"story": "happy", "steps": [{"intent": "ask_parking", "entities": [{"plate": "A12345"}]},
                                              {"action": "utter_parking"},
                                              {"slot_was_set": [{"plate": "A12345"}]},
                                              {"or": [{"intent": "affirm"}, {"intent": "thank"}]},
                                              {"checkpoint": "done"}]}],
        tests=[{"name": "happy path", "turns": [{"user": "where can I park", "expect": ["east gate"]}],
                "services_down": True}],
    ))
    assert skill.stories[0].steps[3].or_ == [{"intent": "affirm"}, {"intent": "thank"}]
    assert skill.rules[1].steps[1].active_loop is None
    assert "active_loop" in skill.rules[1].steps[1].model_fields_set
    assert skill.tests[0].services_down is True


def test_skill_is_frozen() -> None:
    skill = Skill.model_validate(minimal())
    with pytest.raises(ValidationError):
        skill.name = "other"


@pytest.mark.parametrize("key", ["rule", "Intents", "slot", "utterances", "examples"])
def test_unknown_top_level_key_is_an_error(key: str) -> None:
    loc, kind, _ = one_error(Skill, minimal(**{key: []}))
    assert loc == (key,)
    assert kind == "extra_forbidden"


@pytest.mark.parametrize("missing", ["name", "description", "help", "intents"])
def test_required_keys(missing: str) -> None:
    data = minimal()
    del data[missing]
    loc, kind, _ = one_error(Skill, data)
    assert (loc, kind) == ((missing,), "missing")


@pytest.mark.parametrize("name", ["Parking", "parking-info", "1parking", "p", "_parking", "parking info",
                                  "a" * 50, "停车"])
def test_skill_name_must_be_snake_case(name: str) -> None:
    loc, kind, _ = one_error(Skill, minimal(name=name))
    assert (loc, kind) == (("name",), "string_pattern_mismatch")


@pytest.mark.parametrize("name", ["pa", "parking_info", "p2", "a" * 49])
def test_valid_skill_names(name: str) -> None:
    assert Skill.model_validate(minimal(name=name)).name == name


@pytest.mark.parametrize(("field", "value"), [
    ("description", "ab"), ("description", "x" * 301), ("help", "ab"), ("help", "x" * 121),
])
def test_description_and_help_lengths(field: str, value: str) -> None:
    loc, _, _ = one_error(Skill, minimal(**{field: value}))
    assert loc == (field,)


def test_at_least_one_intent() -> None:
    loc, kind, _ = one_error(Skill, minimal(intents={}))
    assert (loc, kind) == (("intents",), "too_short")


@pytest.mark.parametrize("field", ["intents", "slots", "forms", "responses"])
def test_names_of_intents_slots_forms_and_responses_are_snake_case(field: str) -> None:
    bodies = {
        "intents": {"examples": list(EXAMPLES)},
        "slots": {"type": "text", "mappings": [{"type": "from_text"}]},
        "forms": {"required_slots": ["x"]},
        "responses": [{"text": "hi"}],
    }
    data = minimal()
    data[field] = {"utter_Bad-Name": bodies[field]}
    loc, _, msg = one_error(Skill, data)
    assert loc == (field,)
    assert "'utter_Bad-Name' must be snake_case" in msg


def test_response_names_start_with_utter() -> None:
    loc, _, msg = one_error(Skill, minimal(responses={"parking_answer": [{"text": "hi"}]}))
    assert loc == ("responses",)
    assert "must start with 'utter_'" in msg


@pytest.mark.parametrize("name", ["parking", "utter_parking", "Action_x", "action-x", "validate"])
def test_action_names_start_with_action_or_validate(name: str) -> None:
    loc, _, msg = one_error(Skill, minimal(actions=["action_ok", name]))
    assert loc == ("actions",)
    assert repr(name) in msg


# --- intents ---------------------------------------------------------------------------------------

def test_intent_needs_enough_examples() -> None:
    loc, kind, _ = one_error(Intent, {"examples": list(EXAMPLES[: MIN_EXAMPLES - 1])})
    assert (loc, kind) == (("examples",), "too_short")
    assert Intent.model_validate({"examples": list(EXAMPLES[:MIN_EXAMPLES])})


def test_examples_are_stripped() -> None:
    intent = Intent.model_validate({"examples": [f"  {ex} " for ex in EXAMPLES]})
    assert intent.examples == list(EXAMPLES)


@pytest.mark.parametrize(("bad", "message"), [
    ("   ", "example 3 is empty"),
    ("x" * 401, "example 3 is longer than 400 characters"),
    ("WHERE CAN I PARK MY CAR ", "example 3 repeats an earlier example"),
])
def test_bad_examples_are_named_by_position(bad: str, message: str) -> None:
    examples = [EXAMPLES[0], EXAMPLES[1], bad, *EXAMPLES[2:]]
    loc, _, msg = one_error(Intent, {"examples": examples})
    assert loc == ("examples",)
    assert message in msg


def test_example_of_400_characters_is_fine() -> None:
    assert Intent.model_validate({"examples": ["x" * 400, *EXAMPLES]})


def test_examples_must_be_text() -> None:
    loc, _, _ = one_error(Intent, {"examples": [*EXAMPLES, {"text": "a mapping"}]})
    assert loc == ("examples", MIN_EXAMPLES)


# --- slots, mappings, forms ------------------------------------------------------------------------

def test_from_entity_needs_an_entity() -> None:
    _, _, msg = one_error(SlotMapping, {"type": "from_entity"})
    assert "needs 'entity'" in msg


@pytest.mark.parametrize("kind", ["from_intent", "from_trigger_intent"])
def test_from_intent_mappings_need_a_value(kind: str) -> None:
    _, _, msg = one_error(SlotMapping, {"type": kind, "intent": "affirm"})
    assert f"a {kind} mapping needs 'value'" in msg
    assert SlotMapping.model_validate({"type": kind, "intent": "affirm", "value": False}).value is False


def test_mapping_type_is_one_of_rasas() -> None:
    loc, kind, _ = one_error(SlotMapping, {"type": "from_anything"})
    assert (loc, kind) == (("type",), "literal_error")


def test_mapping_accepts_intent_lists_and_conditions() -> None:
    mapping = SlotMapping.model_validate({"type": "from_text", "intent": ["inform", "affirm"], "not_intent": "cancel",
                                          "conditions": [{"active_loop": "f", "requested_slot": "s"}]})
    assert mapping.conditions[0].requested_slot == "s"


def test_condition_needs_active_loop_key() -> None:
    loc, kind, _ = one_error(SlotMapping, {"type": "from_text", "conditions": [{"requested_slot": "s"}]})
    assert (loc, kind) == (("conditions", 0, "active_loop"), "missing")


def test_slot_needs_mappings() -> None:
    loc, kind, _ = one_error(Slot, {"type": "text", "mappings": []})
    assert (loc, kind) == (("mappings",), "too_short")
    loc, kind, _ = one_error(Slot, {"type": "text"})
    assert (loc, kind) == (("mappings",), "missing")


def test_categorical_slot_needs_values() -> None:
    _, _, msg = one_error(Slot, {"type": "categorical", "mappings": [{"type": "custom"}]})
    assert "a categorical slot needs 'values'" in msg


@pytest.mark.parametrize("kind", ["text", "categorical", "bool", "float", "list", "any"])
def test_slot_types(kind: str) -> None:
    body: dict[str, Any] = {"type": kind, "mappings": [{"type": "custom"}]}
    if kind == "categorical":
        body["values"] = ["a"]
    assert Slot.model_validate(body).influence_conversation is False


def test_unknown_slot_type_and_key() -> None:
    loc, kind, _ = one_error(Slot, {"type": "string", "mappings": [{"type": "custom"}]})
    assert (loc, kind) == (("type",), "literal_error")
    loc, kind, _ = one_error(Slot, {"type": "text", "mapping": [], "mappings": [{"type": "custom"}]})
    assert (loc, kind) == (("mapping",), "extra_forbidden")


def test_form_needs_required_slots() -> None:
    loc, kind, _ = one_error(Form, {"required_slots": []})
    assert (loc, kind) == (("required_slots",), "too_short")


# --- responses -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "loc"), [
    ({"text": ""}, ("text",)),
    ({"text": "x" * 401}, ("text",)),
    ({"text": "hi", "buttons": [{"title": "", "payload": "/affirm"}]}, ("buttons", 0, "title")),
    ({"text": "hi", "buttons": [{"title": "x" * 61, "payload": "/affirm"}]}, ("buttons", 0, "title")),
    ({"text": "hi", "buttons": [{"title": "Yes", "payload": ""}]}, ("buttons", 0, "payload")),
    ({"text": "hi", "image": "x.png"}, ("image",)),
])
def test_response_variant_limits(body: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert one_error(ResponseVariant, body)[0] == loc


def test_button_title_of_60_characters_is_fine() -> None:
    assert ResponseButton.model_validate({"title": "x" * 60, "payload": "/affirm"}).title == "x" * 60


# --- rules, stories, steps -------------------------------------------------------------------------

@pytest.mark.parametrize("step", [
    {"intent": "greet"}, {"action": "utter_greet"}, {"active_loop": "f"}, {"active_loop": None},
    {"slot_was_set": [{"plate": "A1"}]}, {"checkpoint": "c"}, {"or": [{"intent": "affirm"}]},
    {"intent": "greet", "entities": [{"plate": "A1"}]}, {"intent": "greet", "user": "hello there"},
])
def test_valid_steps(step: dict[str, Any]) -> None:
    assert Step.model_validate(step)


@pytest.mark.parametrize("step", [{}, {"intent": "greet", "action": "utter_greet"}, {"user": "hello"},
                                  {"action": "a", "active_loop": "f"}])
def test_a_step_is_exactly_one_kind(step: dict[str, Any]) -> None:
    _, _, msg = one_error(Step, step)
    assert "each step is exactly one of" in msg


def test_unknown_step_key() -> None:
    loc, kind, _ = one_error(Step, {"intent": "greet", "entity": "x"})
    assert (loc, kind) == (("entity",), "extra_forbidden")


def test_rule_and_story_need_steps() -> None:
    assert one_error(Rule, {"rule": "r", "steps": []})[:2] == (("steps",), "too_short")
    assert one_error(Rule, {"rule": "", "steps": [{"intent": "greet"}]})[0] == ("rule",)
    assert one_error(Story, {"story": "s", "steps": [{"intent": "greet"}]})[:2] == (("steps",), "too_short")


def test_step_errors_carry_their_position_in_the_skill() -> None:
    data = minimal(rules=[{"rule": "r", "steps": [{"intent": "greet"}, {"intent": "a", "action": "b"}]}])
    loc, _, _ = one_error(Skill, data)
    assert loc == ("rules", 0, "steps", 1)


# --- conversation tests ----------------------------------------------------------------------------

def test_expect_patterns_must_compile() -> None:
    loc, _, msg = one_error(schema.TestTurn, {"user": "hi", "expect": ["fine", "(unclosed"]})
    assert loc == ("expect",)
    assert "'(unclosed' is not a valid regular expression" in msg
    assert one_error(schema.TestTurn, {"user": "hi", "expect_not": ["[z-a]"]})[0] == ("expect_not",)


def test_skill_test_needs_turns() -> None:
    assert one_error(SkillTest, {"name": "t", "turns": []})[:2] == (("turns",), "too_short")
    assert SkillTest.model_validate({"name": "t", "turns": [{"user": "/greet"}]}).services_down is False


# --- entity annotations ----------------------------------------------------------------------------

@pytest.mark.parametrize(("example", "entities"), [
    ("no annotations here", set()),
    ("on [sunday](visit_day)", {"visit_day"}),
    ("at [the north gate](place:north_gate) on [sunday](visit_day)", {"place", "visit_day"}),
    ('car [A12345]{"entity": "plate"}', {"plate"}),
    ('car [A12345]{"entity": "plate", "role": "visitor"}', {"plate"}),
    ("a [bracket] without entity", set()),
])
def test_annotated_entities(example: str, entities: set[str]) -> None:
    assert annotated_entities(example) == entities

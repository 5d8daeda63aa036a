"""The shape of ``skills/<name>/skill.yml``, validated with pydantic.

Close to Rasa's own domain and data formats (so Rasa's docs apply), but one strict file per skill:
unknown keys are errors, names are snake_case, and cross-references are checked by
:mod:`assistant.skill_runtime.loader`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_RE = r"^[a-z][a-z0-9_]{1,48}$"
ENTITY_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\((\w+)(?::[^)]*)?\)|\{\"entity\":\s*\"(\w+)\"[^}]*\})")
MIN_EXAMPLES = 8
"""Fewer examples than this cannot teach an intent to older residents' varied phrasing."""

# Fixed intent names: tests, evaluation and the kiosk rely on them.
CORE_INTENTS = (
    "greet", "goodbye", "thank", "affirm", "deny", "help", "repeat", "speak_slower", "cancel",
    "human_handoff", "bot_challenge", "out_of_scope",
)
SKILL_INTENTS = (
    "emergency_help", "report_repair", "repair_status", "book_appointment", "cancel_appointment",
    "ask_events", "register_event", "garbage_sorting", "facility_hours", "navigate_to",
    "ask_announcements", "give_feedback",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Intent(Strict):
    examples: list[str] = Field(min_length=MIN_EXAMPLES)

    @field_validator("examples")
    @classmethod
    def _examples_are_sentences(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for i, ex in enumerate(value):
            text = ex.strip()
            if not text:
                raise ValueError(f"example {i + 1} is empty")
            if len(text) > 400:
                raise ValueError(f"example {i + 1} is longer than 400 characters")
            key = text.lower()
            if key in seen:
                raise ValueError(f"example {i + 1} repeats an earlier example: {text!r}")
            seen.add(key)
        return [ex.strip() for ex in value]


class Condition(Strict):
    active_loop: str | None
    requested_slot: str | None = None


class SlotMapping(Strict):
    type: Literal["from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"]
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: str | list[str] | None = None
    not_intent: str | list[str] | None = None
    value: Any = None
    action: str | None = None
    conditions: list[Condition] = []

    @model_validator(mode="after")
    def _needs(self) -> SlotMapping:
        if self.type == "from_entity" and not self.entity:
            raise ValueError("a from_entity mapping needs 'entity'")
        if self.type in ("from_intent", "from_trigger_intent") and self.value is None:
            raise ValueError(f"a {self.type} mapping needs 'value'")
        return self


class Slot(Strict):
    type: Literal["text", "categorical", "bool", "float", "list", "any"]
    values: list[str] | None = None
    influence_conversation: bool = False
    initial_value: Any = None
    mappings: list[SlotMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _categorical_values(self) -> Slot:
        if self.type == "categorical" and not self.values:
            raise ValueError("a categorical slot needs 'values'")
        return self


class Form(Strict):
    required_slots: list[str] = Field(min_length=1)
    ignored_intents: list[str] = []


class ResponseButton(Strict):
    title: str = Field(min_length=1, max_length=60)
    payload: str = Field(min_length=1)


class ResponseVariant(Strict):
    text: str = Field(min_length=1, max_length=400)
    buttons: list[ResponseButton] = []
    condition: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None


class Step(Strict):
    intent: str | None = None
    action: str | None = None
    active_loop: str | None = None
    slot_was_set: list[Any] | None = None
    checkpoint: str | None = None
    user: str | None = None
    entities: list[Any] | None = None
    or_: list[dict[str, Any]] | None = Field(default=None, alias="or")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("intent", "action", "active_loop", "slot_was_set", "checkpoint", "or_")
                 if k in self.model_fields_set]
        if len(kinds) != 1:
            raise ValueError("each step is exactly one of: intent, action, active_loop, slot_was_set, or")
        return self


class Rule(Strict):
    rule: str = Field(min_length=1)
    condition: list[dict[str, Any]] | None = None
    conversation_start: bool | None = None
    wait_for_user_input: bool | None = None
    steps: list[Step] = Field(min_length=1)


class Story(Strict):
    story: str = Field(min_length=1)
    steps: list[Step] = Field(min_length=2)


class TestTurn(Strict):
    user: str
    """What the resident says (or a ``/intent`` payload, as a button would send)."""
    expect: list[str] = []
    """Case-insensitive regular expressions; each must match at least one reply of this turn."""
    expect_not: list[str] = []

    @field_validator("expect", "expect_not")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {e}") from e
        return value


class SkillTest(Strict):
    name: str
    turns: list[TestTurn] = Field(min_length=1)
    services_down: bool = False
    """Run this conversation with the services API stopped (outbox paths)."""


class Skill(Strict):
    name: str = Field(pattern=NAME_RE)
    description: str = Field(min_length=3, max_length=300)
    help: str = Field(min_length=3, max_length=120)
    """One short phrase for the "what can you do" answer."""
    version: int = 1
    rank: int = 100
    """Order in the "what can you do" answer: lower comes first."""
    intents: dict[str, Intent] = Field(min_length=1)
    entities: list[str] = []
    synonyms: dict[str, list[str]] = {}
    lookups: dict[str, list[str]] = {}
    regexes: dict[str, list[str]] = {}
    slots: dict[str, Slot] = {}
    forms: dict[str, Form] = {}
    responses: dict[str, list[ResponseVariant]] = {}
    actions: list[str] = []
    interrupts: dict[str, str] = {}
    """intent → action that runs even inside any form, stopping the form first (e.g. an emergency)."""
    rules: list[Rule] = []
    stories: list[Story] = []
    tests: list[SkillTest] = []

    @field_validator("intents", "slots", "forms", "responses")
    @classmethod
    def _snake_case_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.match(NAME_RE, key):
                raise ValueError(f"{key!r} must be snake_case: lower-case letters, digits and _")
        return value

    @field_validator("responses")
    @classmethod
    def _utter_prefix(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not key.startswith("utter_"):
                raise ValueError(f"response {key!r} must start with 'utter_'")
        return value

    @field_validator("actions")
    @classmethod
    def _action_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.match(NAME_RE, name) or not (name.startswith("action_") or name.startswith("validate_")):
                raise ValueError(f"action {name!r} must be snake_case and start with 'action_' or 'validate_'")
        return value


def annotated_entities(example: str) -> set[str]:
    """Entity names used in ``[text](entity)`` annotations of one training example."""
    return {m.group(2) or m.group(3) for m in ENTITY_ANNOTATION.finditer(example)}

"""facilities: finding the place a resident means (against the real services API) and naming it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.shared.config import Settings
from assistant.skill_runtime import context
from assistant.skill_runtime.facilities import (
    MAX_PLACE,
    facility_answer,
    facility_name,
    facility_named_in,
    facility_to_answer,
    is_plural,
    lookup_facility,
    lower_first,
    names_in,
    opening_question,
    place_examples,
    place_text,
    the_name,
)
from community_services.client import ServicesError, ServicesUnavailable
from community_services.schemas import Facility
from community_services.seed import facility_rows

FACILITIES = {row["slug"]: Facility.model_validate(row) for row in facility_rows()}
KNOWN = "Library; Clinic"


class DownServices:
    """The services client while the office system cannot be reached."""

    def get_facility(self, slug: str) -> Facility:
        raise ServicesUnavailable()

    def find_facility(self, text: str) -> Facility | None:
        raise ServicesUnavailable()

    def list_facilities(self) -> list[Facility]:
        raise ServicesUnavailable()


@pytest.fixture
def services_down() -> Iterator[None]:
    context.configure(context.SkillContext(settings=Settings(), services=DownServices(), outbox=None))  # type: ignore[arg-type]
    yield
    context.configure(None)


def tracker(text: str, slots: dict[str, Any] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "navigate_to", "confidence": 1.0}, "entities": []}
    return Tracker("tester", {"requested_slot": None, "place": None, **(slots or {})}, message,
                   [{"event": "user", "text": text}], False, None, {}, "action_listen")


def said(dispatcher: CollectingDispatcher) -> list[tuple[str, dict[str, Any]]]:
    """(response name, its values) of each message; a sentence written in Python would fail these tests."""
    return [(m.get("response") or f"text: {m.get('text')}",
             {k: m[k] for k in ("place", "examples") if k in m}) for m in dispatcher.messages]


# --- naming a place --------------------------------------------------------------------------------


def test_names_and_plurals() -> None:
    clinic, lockers, building = FACILITIES["community-clinic"], FACILITIES["parcel-lockers"], FACILITIES["building-7"]
    assert the_name(clinic) == "the Community Clinic"
    assert the_name(clinic, start=True) == "The Community Clinic"
    assert the_name(building) == the_name(building, start=True) == "Building 7"
    assert is_plural(lockers) and not is_plural(clinic) and not is_plural(building)
    assert lower_first("Open daily") == "open daily"
    assert lower_first("") == ""


def test_names_in_needs_every_word_of_a_name() -> None:
    clinic = FACILITIES["community-clinic"]
    assert names_in("when does the community clinic open", clinic)
    assert not names_in("is the community open", clinic)
    assert place_text("  the   library ") == "the library"
    assert len(place_text("x" * 500)) == MAX_PLACE


# --- finding it --------------------------------------------------------------------------------------


def test_lookup_by_slug_or_words(skill_context: context.SkillContext) -> None:
    library = lookup_facility("library")
    assert library is not None and library.slug == "library"
    clinic = lookup_facility("where is the clinic")
    assert clinic is not None and clinic.slug == "community-clinic"
    assert lookup_facility("") is None
    assert lookup_facility("the swimming pool") is None


def test_lookup_skips_what_cannot_be_here(skill_context: context.SkillContext) -> None:
    assert lookup_facility("building 99", not_here=lambda text: "99" in text) is None
    found = lookup_facility("library", not_here=lambda text: True)  # a slug is still looked up
    assert found is not None and found.slug == "library"


def test_opening_question() -> None:
    assert opening_question(tracker("  where is the  library "), "place") == "where is the library"
    assert opening_question(tracker("/navigate_to"), "place") == ""
    assert opening_question(tracker("the library", {"requested_slot": "place"}), "place") == ""
    assert opening_question(tracker("the library", {"place": "canteen"}), "place") == ""


def test_facility_named_in(skill_context: context.SkillContext) -> None:
    found = facility_named_in("what time does the library open")
    assert found is not None and found.slug == "library"
    assert facility_named_in("what time does it open") is None


def test_facility_answer(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    assert facility_answer("place", None, dispatcher, examples=KNOWN) == {"place": None}
    assert facility_answer("place", "the clinic please", dispatcher, examples=KNOWN) == {
        "place": "community-clinic"}
    assert said(dispatcher) == []
    assert facility_answer("place", "the swimming pool", dispatcher, examples=KNOWN) == {"place": None}
    assert facility_answer("place", "游泳池", dispatcher, examples="图书馆", unknown="utter_no_hours_there") == {
        "place": None}
    assert said(dispatcher) == [("utter_place_unknown", {"place": "the swimming pool", "examples": KNOWN}),
                                ("utter_no_hours_there", {"place": "游泳池", "examples": "图书馆"})]


def test_facility_to_answer(skill_context: context.SkillContext) -> None:
    dispatcher = CollectingDispatcher()
    found = facility_to_answer(dispatcher, "library", services_down="utter_down", examples=KNOWN)
    assert found is not None and found.slug == "library" and dispatcher.messages == []
    assert facility_to_answer(dispatcher, None, services_down="utter_down", examples=KNOWN) is None
    assert said(dispatcher) == [("utter_place_not_known", {"examples": KNOWN})]


def test_names_and_examples_in_the_conversations_language(skill_context: context.SkillContext) -> None:
    clinic = FACILITIES["community-clinic"]
    assert facility_name(clinic, "en") == clinic.name
    assert facility_name(clinic, "zh-CN") == clinic.name_zh and clinic.name_zh != clinic.name
    english = place_examples("en", limit=3)
    chinese = place_examples("zh-CN", limit=3)
    assert english.count("; ") == 2 and chinese.count("；") == 2
    assert not any("a" <= ch.lower() <= "z" for ch in chinese)  # every seeded place has a Chinese name
    only_clinic = place_examples("zh-CN", wanted=lambda f: f.slug == "community-clinic")
    assert only_clinic == clinic.name_zh


@pytest.mark.usefixtures("services_down")
def test_while_the_office_system_is_down() -> None:
    with pytest.raises(ServicesError):
        lookup_facility("the library")
    assert facility_named_in("what time does the library open") is None
    dispatcher = CollectingDispatcher()
    assert facility_answer("place", "the library", dispatcher, examples=KNOWN) == {"place": "the library"}
    assert facility_to_answer(dispatcher, "the library", services_down="utter_down", examples=KNOWN) is None
    assert said(dispatcher) == [("utter_down", {})]
    assert place_examples("zh-CN") == ""

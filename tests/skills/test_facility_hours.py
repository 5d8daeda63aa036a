"""facility_hours: hours from the services' facility list, spoken as sentences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.facility_hours import actions as hours

DOMAIN = skill_domain("facility_hours")


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker("facility_hours_form", [hours.SLOT], slots, intent="facility_hours", **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(hours.ValidateFacilityHoursForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def answer(value: str | None, text: str = "") -> tuple[list[dict[str, Any]], list[str]]:
    events, dispatcher = perform(hours.ActionFacilityHours(), make_tracker({hours.SLOT: value}, text=text), DOMAIN)
    return events, [m["text"] for m in dispatcher.messages]


@pytest.mark.parametrize(("value", "sentence"), [
    ("library", "The Library and Reading Room is open Tuesday to Sunday, 9 am to 8 pm. Closed on Mondays."),
    ("clinic", "The Community Clinic is open Monday to Friday, 8 am to 5 pm; Saturday, 8 am to 12 noon. "
               "Closed on Sundays."),
    ("property office", "The Property Management Office is open every day, 8 am to 6 pm. "
                        "The repair hotline is open 24 hours."),
    ("canteen", "At the Community Canteen for Seniors: lunch 11 am to 1 pm, dinner 5 pm to 6:30 pm."),
    ("parcel-lockers", "The Parcel Lockers are open 24 hours."),
    ("fitness corner", "The Fitness Corner is in the open air, lit until 10 pm."),
    ("Building 7", "Building 7 is a residential building, with no public opening hours."),
])
def test_hours_are_spoken(skill_context: context.SkillContext, value: str, sentence: str) -> None:
    events, lines = answer(value)
    assert lines == [sentence]
    assert events == [{"event": "slot", "timestamp": None, "name": hours.SLOT, "value": None}]


def test_open_now_is_added_when_asked(skill_context: context.SkillContext) -> None:
    _, lines = answer("police office", text="is the police office open now")
    assert lines[-1] == "It is open now, day and night."


def test_open_now_sentences() -> None:
    library = next(f for f in _facilities() if f.slug == "library")
    assert hours.open_now_sentence(library, datetime(2026, 11, 23, 10, 0)) == "It is closed today."  # a Monday
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 10, 0)) == "It is open now, until 8 pm."
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 8, 0)) == (
        "It is closed right now. It opens today at 9 am.")
    assert hours.open_now_sentence(library, datetime(2026, 11, 24, 21, 0)) == "It has closed for today."


def _facilities() -> list[Any]:
    from community_services.schemas import Facility
    from community_services.seed import facility_rows
    return [Facility.model_validate(row) for row in facility_rows()]


def test_a_place_named_in_the_question_is_used(skill_context: context.SkillContext) -> None:
    assert validate(text="what time does the library open")[0] == {hours.SLOT: "library"}
    assert validate(text="opening hours")[0] == {}
    assert validate(text="what time does it open")[0] == {}


def test_the_answer_to_which_place(skill_context: context.SkillContext) -> None:
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "the clinic please"})
    assert result[hours.SLOT] == "community-clinic" and said == ""
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "the swimming pool"})
    assert result[hours.SLOT] is None
    assert "do not know a place called the swimming pool" in said and "Library" in said


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input(skill_context: context.SkillContext, bad: str) -> None:
    result, _ = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: bad})
    assert result[hours.SLOT] is None or len(result[hours.SLOT]) <= 200
    _, lines = answer(bad)
    assert lines


def test_services_down(services_down: context.SkillContext) -> None:
    result, said = validate(requested_slot=hours.SLOT, candidates={hours.SLOT: "library"})
    assert result[hours.SLOT] == "library" and said == ""
    _, lines = answer("library")
    assert lines == [hours.SERVICES_DOWN]

"""facility_hours: hours from the services' facility list, said through responses with the place and its hours."""

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
    """The events, and each message as the resident hears it in English (the response filled with its values)."""
    events, dispatcher = perform(hours.ActionFacilityHours(), make_tracker({hours.SLOT: value}, text=text), DOMAIN)
    return events, [spoken(m) for m in dispatcher.messages]


def spoken(message: dict[str, Any]) -> str:
    assert not message.get("text"), "no sentence is written in Python"
    values = {k: v for k, v in message.items() if k != "response"}
    if message["response"] not in DOMAIN["responses"]:
        return str(message["response"])  # a core response (nlu_data/domain.yml): its name
    return str(DOMAIN["responses"][message["response"]][0]["text"]).format(**values)


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
    assert " ".join(lines) == sentence
    assert events == [{"event": "slot", "timestamp": None, "name": hours.SLOT, "value": None}]


def test_the_responses_that_say_the_hours() -> None:
    office = next(f for f in _facilities() if f.slug == "property-management-office")
    assert hours.hours_answer(office, "en") == [
        ("utter_hours_open", {"place": "The Property Management Office", "hours": "every day, 8 am to 6 pm."}),
        ("utter_hours_note", {"note": "The repair hotline is open 24 hours."})]
    lockers = next(f for f in _facilities() if f.slug == "parcel-lockers")
    assert hours.hours_answer(lockers, "en")[0][0] == "utter_hours_open_plural"


def test_chinese_hours_are_read_after_the_chinese_name() -> None:
    library = next(f for f in _facilities() if f.slug == "library")
    chinese = library.model_copy(update={"hours_text": "礼拜二到礼拜天，早上九点到晚上八点。礼拜一关门。",
                                         "notes": "礼拜一关门。"})
    assert hours.hours_answer(chinese, "zh-CN") == [
        ("utter_hours_at", {"place": library.name_zh, "hours": "礼拜二到礼拜天，早上九点到晚上八点。礼拜一关门。"})]
    office = next(f for f in _facilities() if f.slug == "property-management-office")
    chinese = office.model_copy(update={"hours_text": "每天早上八点到晚上六点。",
                                        "notes": "报修电话二十四小时有人。家具在这儿预约。"})
    assert hours.hours_answer(chinese, "zh-CN")[1] == ("utter_hours_note", {"note": "报修电话二十四小时有人。"})


def test_the_hours_are_asked_for_in_the_conversations_language(skill_context: context.SkillContext,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    real = skill_context.services.get_facility

    def spy(slug: str, **kwargs: Any) -> Any:
        asked.append((slug, kwargs.get("lang")))
        return real(slug, **kwargs)

    monkeypatch.setattr(skill_context.services, "get_facility", spy)
    events, dispatcher = perform(hours.ActionFacilityHours(),
                                 make_tracker({hours.SLOT: "library"}, text="图书室现在开着吗"), DOMAIN)
    assert asked[-1] == ("library", "zh-CN")  # the lookup before it needs no language
    assert dispatcher.messages[0]["response"] in ("utter_hours_at", "utter_hours_open")
    assert dispatcher.messages[-1]["response"] in ("utter_open_until", "utter_closed_opens_at", "utter_closed_today",
                                                   "utter_closed_for_today")


def test_open_now_is_added_when_asked(skill_context: context.SkillContext) -> None:
    _, lines = answer("police office", text="is the police office open now")
    assert lines[-1] == "It is open now, day and night."
    _, lines = answer("police office", text="警务室这会儿有人吗")
    assert lines[-1] == "It is open now, day and night."


def test_open_now_answers() -> None:
    library = next(f for f in _facilities() if f.slug == "library")
    assert hours.open_now_answer(library, datetime(2026, 11, 23, 10, 0), "en") == ("utter_closed_today", {})  # Mon
    assert hours.open_now_answer(library, datetime(2026, 11, 24, 10, 0), "en") == ("utter_open_until",
                                                                                   {"time": "8 pm"})
    assert hours.open_now_answer(library, datetime(2026, 11, 24, 10, 0), "zh-CN") == ("utter_open_until",
                                                                                      {"time": "晚上8点"})
    assert hours.open_now_answer(library, datetime(2026, 11, 24, 8, 0), "zh-CN") == ("utter_closed_opens_at",
                                                                                     {"time": "上午9点"})
    assert hours.open_now_answer(library, datetime(2026, 11, 24, 21, 0), "en") == ("utter_closed_for_today", {})


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
    assert said == "utter_place_unknown"
    messages = _validation_messages(requested_slot=hours.SLOT, candidates={hours.SLOT: "游泳池"},
                                    text="游泳池")
    assert [m["response"] for m in messages] == ["utter_place_unknown"]
    assert messages[0]["place"] == "游泳池" and "图书室" in messages[0]["examples"]  # named in Chinese


def _validation_messages(**kw: Any) -> list[dict[str, Any]]:
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    asyncio.run(hours.ValidateFacilityHoursForm().run(dispatcher, make_tracker(**kw), DOMAIN))
    return dispatcher.messages


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
    assert lines == [DOMAIN["responses"][hours.SERVICES_DOWN][0]["text"]]

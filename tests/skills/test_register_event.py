"""register_event: finding the event, events without sign-up, full events, and registering for real."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, SKILLS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context
from community_services.schemas import Event, RegistrationCreate
from skills.register_event import actions as reg

DOMAIN = skill_domain("register_event")
RESET = [SlotSet(name, None) for name in reg.FORM_SLOTS]


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    return form_tracker(reg.FORM, reg.FORM_SLOTS, slots, active=False, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], list[str]]:
    return run_validation(reg.ValidateEventRegistrationForm(), make_tracker(slots, candidates=candidates, **kw),
                          DOMAIN)


def run_action(action: Any, slots: dict[str, Any] | None = None, **kw: Any
               ) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    return perform(action, make_tracker(slots, **kw), DOMAIN)


def said(dispatcher: CollectingDispatcher) -> list[str]:
    """The response names the action chose, in order."""
    return [m.get("response") or "" for m in dispatcher.messages]


def registrations(services_server: Any, event_id: int) -> list[dict[str, Any]]:
    with services_server.staff() as staff:
        return list(staff._request("GET", f"/events/{event_id}/registrations").json())


def fill_up(services_server: Any, event: Event) -> None:
    with services_server.kiosk() as kiosk:
        current = next(e for e in kiosk.list_events(event.start.date()) if e.id == event.id)
        assert current.capacity is not None
        for i in range(current.capacity - current.registered):
            kiosk.register_event(event.id, RegistrationCreate(name=f"Resident {i}", phone=f"1380000{i:04d}"))


# --- which event ------------------------------------------------------------------------------


@pytest.mark.parametrize(("said", "title"), [
    ("calligraphy", "Calligraphy class"), ("Calligraphy class", "Calligraphy class"),
    ("the blood pressure talk", "Health talk: Managing blood pressure"),
    ("health talk", "Health talk: Managing blood pressure"),
    ("smartphone class", "Smartphone help for seniors"),
])
def test_event_found(skill_context: context.SkillContext, said: str, title: str) -> None:
    slots, messages = validate(candidates={"event_name": said}, requested_slot="event_name")
    assert messages == []
    assert slots["event_name"] == title
    event = skill_context.services.find_event(title)
    assert event is not None and slots["event_id"] == event.id
    assert slots["event_when"] == reg.spoken_when(event, "en") and " at " in slots["event_when"]
    assert slots["event_place"] == event.place


def test_event_on_a_named_day(skill_context: context.SkillContext) -> None:
    events = [e for e in skill_context.services.list_events() if e.title == "Smartphone help for seniors"]
    later = events[1]
    slots, _ = validate(candidates={"event_name": f"Smartphone help for seniors on {later.start.date().isoformat()}"},
                        requested_slot="event_name")
    assert slots["event_id"] == later.id


@pytest.mark.parametrize("said", ["tai chi", "the singing group"])
def test_no_signup_needed_ends_the_form(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"event_name": said}, requested_slot="event_name")
    assert messages == ["utter_event_no_signup"]
    assert slots["requested_slot"] is None and slots["event_name"] is None


@pytest.mark.parametrize("said", [*BAD_INPUTS, "underwater basket weaving"])
def test_unknown_event_is_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"event_name": said}, requested_slot="event_name")
    assert slots["event_name"] is None
    assert "requested_slot" not in slots
    assert messages == ["utter_event_not_found"]


def test_first_sentence_names_the_event(skill_context: context.SkillContext) -> None:
    slots, _ = validate(text="I want to join the calligraphy class please", intent="register_event")
    assert slots["event_name"] == "Calligraphy class"
    slots, _ = validate(text="I want to sign up for an activity", intent="register_event")
    assert slots.get("event_name") is None
    slots, _ = validate(text="我想报名书法课", intent="register_event")
    assert slots["event_name"] is not None


def test_ask_offers_events_that_need_signing_up(skill_context: context.SkillContext) -> None:
    events, dispatcher = run_action(reg.ActionAskEventName())
    assert events == []
    message = dispatcher.messages[0]
    assert message["response"] == "utter_event_which"
    titles = [b["title"] for b in message["buttons"]]
    assert message["events"] == "; ".join(titles)  # the titles are a value, joined for the language
    assert 1 <= len(titles) <= 4 and "Tai Chi" not in titles and "Singing group" not in titles
    assert all(b["payload"].startswith('/register_event{"event_name": ') for b in message["buttons"])


def test_full_event_offers_a_later_one(skill_context: context.SkillContext, services_server: Any) -> None:
    occurrences = [e for e in skill_context.services.list_events() if e.title == "Calligraphy class"]
    assert len(occurrences) >= 2
    first = occurrences[0]
    fill_up(services_server, first)
    slots, messages = validate(candidates={"event_name": "calligraphy"}, requested_slot="event_name")
    assert messages[0] == "utter_event_full_later"
    assert slots["event_id"] == occurrences[1].id


def test_full_event_without_a_later_one_ends_the_form(skill_context: context.SkillContext,
                                                      services_server: Any) -> None:
    trip = skill_context.services.find_event("day trip")
    assert trip is not None
    fill_up(services_server, trip)
    slots, messages = validate(candidates={"event_name": "the day trip"}, requested_slot="event_name")
    assert messages == ["utter_event_full"]
    assert slots["requested_slot"] is None


@pytest.mark.parametrize("said", [*BAD_INPUTS, "yes", "13800138000"])
def test_bad_name(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"attendee_name": said}, requested_slot="attendee_name")
    assert slots["attendee_name"] is None and messages == ["utter_event_name_sorry"]


@pytest.mark.parametrize(("said", "name"), [
    ("我叫王芳", "王芳"), ("嗯，我的名字是欧阳娜娜", "欧阳娜娜"), ("王芳😀", "王芳"), ("wang fang", "Wang Fang"),
    ("我要报名书法课", None), ("不知道", None), ("１３８００１３８０００", None),
])
def test_names_said_in_chinese(said: str, name: str | None) -> None:
    assert reg.clean_name(said) == name


@pytest.mark.parametrize("said", [*BAD_INPUTS, "nine", "my phone number"])
def test_bad_phone(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"phone": said}, requested_slot="phone")
    assert slots["phone"] is None and messages == ["utter_phone_sorry"]


def test_confirm_reads_back(skill_context: context.SkillContext) -> None:
    _, dispatcher = run_action(reg.ActionAskEventRegistrationFormConfirm(), {
        "event_name": "Calligraphy class", "event_when": "Tuesday 24 November at 2 pm",
        "event_place": "Elderly Activity Room", "attendee_name": "Wang Fang", "phone": "13912345678"})
    message = dispatcher.messages[0]
    assert {k: message[k] for k in ("response", "name", "phone_end", "event", "when", "place")} == {
        "response": "utter_event_read_back", "name": "Wang Fang", "phone_end": "5 6 7 8",
        "event": "Calligraphy class", "when": "Tuesday 24 November at 2 pm", "place": "Elderly Activity Room"}
    _, dispatcher = run_action(reg.ActionAskEventRegistrationFormConfirm(), {
        "event_name": "Calligraphy class", "attendee_name": "Wang Fang", "phone": "13912345678"})
    assert said(dispatcher) == ["utter_event_read_back_title"]


def test_days_and_times_in_each_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg, "today", lambda: date(2026, 11, 23))
    assert reg.spoken_date(date(2026, 11, 24), "en") == "tomorrow, Tuesday 24 November"
    assert reg.spoken_date(date(2026, 11, 24), "zh-CN") == "明天，十一月24号星期二"
    assert reg.spoken_date(date(2026, 11, 26), "zh-CN") == "十一月26号星期四"
    assert reg.spoken_clock(datetime(2026, 11, 24, 14, 0), "zh-CN") == "下午两点"
    assert reg.spoken_clock(datetime(2026, 11, 24, 8, 30), "zh-CN") == "早上八点半"
    assert reg.spoken_clock(datetime(2026, 11, 24, 10, 15), "zh-CN") == "上午十点15分"
    assert reg.spoken_clock(datetime(2026, 11, 24, 14, 0), "en") == "2 pm"


def test_every_response_is_written_in_both_languages() -> None:
    source = (SKILLS / "register_event" / "actions.py").read_text("utf-8")
    named = set(re.findall(r'"(utter_event_[a-z_]+)"', source))
    chinese = yaml.safe_load((SKILLS / "register_event" / "locale" / "zh-CN.yml").read_text("utf-8"))["responses"]
    assert named <= set(DOMAIN["responses"]) and set(DOMAIN["responses"]) <= set(chinese)


# --- registering ------------------------------------------------------------------------------


def _ready(skill_context: context.SkillContext, query: str = "health talk") -> dict[str, Any]:
    slots, _ = validate(candidates={"event_name": query}, requested_slot="event_name")
    return {**slots, "attendee_name": "Wang Fang", "phone": "13912345678", "confirm": True}


def test_register_happy_path(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = _ready(skill_context)
    events, dispatcher = run_action(reg.ActionSubmitEventRegistration(), slots)
    assert said(dispatcher) == ["utter_event_signed_up"]
    message = dispatcher.messages[0]
    assert message["event"] == "Health talk: Managing blood pressure" and message["when"] == slots["event_when"]
    reference = message["reference"]
    assert re.fullmatch(r"E[2-9A-HJ-NP-Z]{8}", reference)
    assert events == RESET
    record = next(r for r in registrations(services_server, slots["event_id"]) if r["reference"] == reference)
    assert record["name"] == "Wang Fang" and record["phone"] == "13912345678"
    # the same phone again: the service says so, and nothing new is created
    count = len(registrations(services_server, slots["event_id"]))
    _, again = run_action(reg.ActionSubmitEventRegistration(), slots, timestamp=1700000999.0)
    assert said(again) == ["utter_event_already_signed_up"]
    assert len(registrations(services_server, slots["event_id"])) == count


def test_retried_action_registers_once(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = {**_ready(skill_context, "smartphone"), "phone": "13712340000"}
    _, first = run_action(reg.ActionSubmitEventRegistration(), slots)
    _, second = run_action(reg.ActionSubmitEventRegistration(), slots)  # same turn, same key
    assert said(first) == said(second) == ["utter_event_signed_up"]
    assert first.messages[0]["reference"] == second.messages[0]["reference"]
    mine = [r for r in registrations(services_server, slots["event_id"]) if r["phone"] == "13712340000"]
    assert len(mine) == 1


def test_deny_registers_nobody(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = {**_ready(skill_context), "phone": "13600000001", "confirm": False}
    events, dispatcher = run_action(reg.ActionSubmitEventRegistration(), slots)
    assert said(dispatcher) == ["utter_event_not_signed_up"]
    assert events == RESET
    assert all(r["phone"] != "13600000001" for r in registrations(services_server, slots["event_id"]))


def test_became_full_meanwhile(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = {**_ready(skill_context, "smartphone"), "phone": "13600000002"}
    event = next(e for e in skill_context.services.list_events() if e.id == slots["event_id"])
    fill_up(services_server, event)
    events, dispatcher = run_action(reg.ActionSubmitEventRegistration(), slots)
    assert said(dispatcher) == ["utter_event_now_full"]
    assert events == RESET


def test_form_stopped_early(skill_context: context.SkillContext) -> None:
    events, dispatcher = run_action(reg.ActionSubmitEventRegistration(), {"event_name": "Tai Chi"})
    assert dispatcher.messages == [] and events == RESET


# --- Service Centre system down ---------------------------------------------------------------


def test_down_while_finding_the_event(services_down: context.SkillContext) -> None:
    slots, messages = validate(candidates={"event_name": "day trip"}, requested_slot="event_name")
    assert messages == [reg.SERVICE_CENTRE_DOWN]
    assert slots["requested_slot"] is None


def test_down_while_asking(services_down: context.SkillContext) -> None:
    events, dispatcher = run_action(reg.ActionAskEventName())
    assert said(dispatcher) == [reg.SERVICE_CENTRE_DOWN]
    assert events == [SlotSet("requested_slot", None)]


def test_down_while_registering(services_down: context.SkillContext) -> None:
    slots = {"event_name": "Calligraphy class", "event_id": 3, "event_when": "Tuesday 24 November at 2 pm",
             "attendee_name": "Wang Fang", "phone": "13912345678", "confirm": True}
    events, dispatcher = run_action(reg.ActionSubmitEventRegistration(), slots)
    assert said(dispatcher) == [reg.SERVICE_CENTRE_DOWN]
    assert events == RESET
    assert services_down.outbox.items() == []  # registrations are never queued

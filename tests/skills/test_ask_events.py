"""ask_events: which events are listed for "soon", a day or the weekend, and the sign-up buttons."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from helpers import BAD_INPUTS, message_tracker, perform
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context
from assistant.skill_runtime.parsing import spoken_day
from skills.ask_events import actions as events_skill


def ask(text: str) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    return perform(events_skill.ActionListEvents(), message_tracker(text, "ask_events", {"event_day": None}), {})


def next_weekday(weekday: int) -> date:
    now = date.today()
    return now + timedelta(days=(weekday - now.weekday()) % 7)


# --- which days a question is about -------------------------------------------------------------


def test_days_asked() -> None:
    monday = date(2026, 11, 23)
    assert events_skill.days_asked("what's on this weekend", monday) == [date(2026, 11, 28), date(2026, 11, 29)]
    assert events_skill.days_asked("anything at the weekend?", date(2026, 11, 22)) == [date(2026, 11, 22)]
    assert events_skill.days_asked("what about next weekend", date(2026, 11, 28)) == [date(2026, 12, 5),
                                                                                      date(2026, 12, 6)]
    assert events_skill.days_asked("any activities tomorrow for old people", monday) == [date(2026, 11, 24)]
    assert events_skill.days_asked("what's happening on Saturday", monday) == [date(2026, 11, 28)]
    assert events_skill.days_asked("what events are coming up", monday) == []
    assert events_skill.days_asked('/ask_events{"x": "tomorrow"}', monday) == []
    for bad in BAD_INPUTS:
        assert events_skill.days_asked(bad, monday) == []


# --- listing ----------------------------------------------------------------------------------


def test_upcoming_events(skill_context: context.SkillContext) -> None:
    events, dispatcher = ask("what events are coming up")
    assert events == [SlotSet("event_day", None)]
    message = dispatcher.messages[0]
    text = message["text"]
    assert text.startswith("Here is what is coming up soon.")
    upcoming = [e for e in skill_context.services.list_events() if (e.end or e.start) > datetime.now()]
    titles = []
    for e in sorted(upcoming, key=lambda e: e.start):
        if e.title not in titles:
            titles.append(e.title)
    for title in titles[:4]:
        assert title in text
    for title in titles[4:]:
        assert title not in text
    assert "Tai Chi. Every day at 7 am, Central Garden. No need to sign up." in text
    assert "Sign-up needed" in text and "places left" in text
    for button in message["buttons"]:
        assert button["title"].startswith("Sign me up for ") and len(button["title"]) <= 60
        assert button["payload"].startswith("/register_event{")
        name = json.loads(button["payload"][len("/register_event"):])["event_name"]
        assert name in titles[:4]
        assert name not in ("Tai Chi", "Singing group")  # no sign-up, no button


def test_saturday(skill_context: context.SkillContext) -> None:
    saturday = next_weekday(5)
    events, dispatcher = ask("what's happening on Saturday")
    assert events == [SlotSet("event_day", saturday.isoformat())]
    text = dispatcher.messages[0]["text"]
    if saturday != date.today():  # on a Saturday afternoon today's events are over
        assert text.startswith(f"Here is what is on {spoken_day(saturday, date.today())}.")
        assert "Smartphone help for seniors. At 10 am, Library. " in text
        full = "Smartphone help for seniors. At 10 am, Library. It is full." in text  # other tests may fill it
        assert full or "Smartphone help for seniors. At 10 am, Library. Sign-up needed, " in text
        buttons = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
        assert any("Smartphone help for seniors" in p for p in buttons) is not full


def test_tomorrow(skill_context: context.SkillContext) -> None:
    events, dispatcher = ask("are there any activities tomorrow for old people")
    tomorrow = date.today() + timedelta(days=1)
    assert events == [SlotSet("event_day", tomorrow.isoformat())]
    text = dispatcher.messages[0]["text"]
    assert f"Here is what is on {spoken_day(tomorrow, date.today())}." in text
    assert "Tai Chi" in text


def test_a_later_occurrence_gets_its_day_in_the_button(skill_context: context.SkillContext) -> None:
    later_saturday = next_weekday(5) + timedelta(days=7)
    _, dispatcher = ask(f"what's on {later_saturday.isoformat()}")
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    smartphone = next(p for p in payloads if "Smartphone" in p)
    assert json.loads(smartphone[len("/register_event"):]) == {
        "event_name": f"Smartphone help for seniors on {later_saturday.isoformat()}"}


def test_a_day_with_nothing_on_falls_back_to_soon(skill_context: context.SkillContext) -> None:
    far = date.today() + timedelta(days=40)
    _, dispatcher = ask(f"anything on {far.isoformat()}")
    text = dispatcher.messages[0]["text"]
    assert text.startswith(f"There is nothing on {spoken_day(far, date.today())}. Here is what is coming up soon.")


def test_full_event_says_so_and_has_no_button(skill_context: context.SkillContext, services_server: Any) -> None:
    from community_services.schemas import RegistrationCreate

    with services_server.kiosk() as kiosk:
        trip = kiosk.find_event("day trip")
        assert trip is not None and trip.capacity is not None
        for i in range(trip.capacity - trip.registered):
            kiosk.register_event(trip.id, RegistrationCreate(name=f"Resident {i}", phone=f"1390000{i:04d}"))
    _, dispatcher = ask(f"what's on {trip.start.date().isoformat()}")
    text = dispatcher.messages[0]["text"]
    assert "Day trip to the botanical garden." in text and "It is full." in text
    assert not any("botanical" in b["payload"] for b in dispatcher.messages[0]["buttons"])


@pytest.mark.parametrize("said", BAD_INPUTS)
def test_bad_input_lists_what_is_coming_up(skill_context: context.SkillContext, said: str) -> None:
    events, dispatcher = ask(said)
    assert events == [SlotSet("event_day", None)]
    assert dispatcher.messages[0]["text"].startswith("Here is what is coming up soon.")


def test_sentences_are_short_and_plain(skill_context: context.SkillContext) -> None:
    for question in ("what events are coming up", "what's on this weekend", "what's on Thursday"):
        _, dispatcher = ask(question)
        for message in dispatcher.messages:
            for sentence in message["text"].split(". "):
                assert len(sentence.split()) <= 25, sentence
            assert "http" not in message["text"] and "*" not in message["text"]


def test_services_down(services_down: context.SkillContext) -> None:
    events, dispatcher = ask("what's on this weekend")
    assert [m.get("response") for m in dispatcher.messages] == ["utter_services_down"]
    assert len(events) == 1 and events[0]["name"] == "event_day"

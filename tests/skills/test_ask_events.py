"""ask_events: which events are listed for "soon", a day or the weekend, and the sign-up buttons."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from helpers import BAD_INPUTS, message_tracker, perform, skill_spec
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context, spoken_when
from skills.ask_events import actions as events_skill

RESPONSES = skill_spec("ask_events")["responses"]


def ask(text: str) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    events, dispatcher = perform(events_skill.ActionListEvents(),
                                 message_tracker(text, "ask_events", {"event_day": None}), {})
    assert not any(m.get("text") for m in dispatcher.messages), "no sentence is written in Python"
    return events, dispatcher


def english(dispatcher: CollectingDispatcher) -> str:
    """What an English-speaking resident hears: each response of skill.yml filled with its values."""
    out = []
    for m in dispatcher.messages:
        values = {k: v for k, v in m.items() if k not in ("response", "buttons")}
        out.append(str(RESPONSES[m["response"]][0]["text"]).format(**values) if m["response"] in RESPONSES
                   else m["response"])
    return " ".join(out)


def names(dispatcher: CollectingDispatcher) -> list[str]:
    return [str(m["response"]) for m in dispatcher.messages]


def buttons(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def spoken_day(day: date, today: date) -> str:
    return spoken_when.day(day, today, "en")


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
    assert events_skill.days_asked("这个周末有什么活动", monday) == [date(2026, 11, 28), date(2026, 11, 29)]
    assert events_skill.days_asked("下个周末有啥安排", date(2026, 11, 28)) == [date(2026, 12, 5), date(2026, 12, 6)]
    assert events_skill.days_asked("明天有没有给老年人的活动", monday) == [date(2026, 11, 24)]
    assert events_skill.days_asked("礼拜六有啥活动", monday) == [date(2026, 11, 28)]
    assert events_skill.days_asked("最近有什麼活動😊", monday) == []
    for bad in BAD_INPUTS:
        assert events_skill.days_asked(bad, monday) == []


# --- listing ----------------------------------------------------------------------------------


def test_upcoming_events(skill_context: context.SkillContext) -> None:
    events, dispatcher = ask("what events are coming up")
    assert events == [SlotSet("event_day", None)]
    assert names(dispatcher)[0] == "utter_events_soon"
    text = english(dispatcher)
    upcoming = [e for e in skill_context.services.list_events() if (e.end or e.start) > datetime.now()]
    titles = []
    for e in sorted(upcoming, key=lambda e: e.start):
        if e.title not in titles:
            titles.append(e.title)
    for title in titles[:4]:
        assert title in text
    for title in titles[4:]:
        assert title not in text
    assert "Tai Chi: every day at 7 am, Central Garden. No need to sign up." in text
    assert "utter_event_places_left" in names(dispatcher)
    assert names(dispatcher)[-1] == "utter_events_signup_buttons"
    for button in buttons(dispatcher):
        assert button["title"] in titles[:4] and len(button["title"]) <= 60
        assert button["payload"].startswith("/register_event{")
        name = json.loads(button["payload"][len("/register_event"):])["event_name"]
        assert name in titles[:4]
        assert name not in ("Tai Chi", "Singing group")  # no sign-up, no button


def test_saturday(skill_context: context.SkillContext) -> None:
    saturday = next_weekday(5)
    events, dispatcher = ask("what's happening on Saturday")
    assert events == [SlotSet("event_day", saturday.isoformat())]
    text = english(dispatcher)
    if saturday != date.today():  # on a Saturday afternoon today's events are over
        assert dispatcher.messages[0] == {**dispatcher.messages[0], "response": "utter_events_on",
                                          "days": spoken_day(saturday, date.today())}
        assert "Smartphone help for seniors: at 10 am, Library. " in text
        full = "Smartphone help for seniors: at 10 am, Library. It is full." in text  # other tests may fill it
        assert full or "Smartphone help for seniors: at 10 am, Library. Sign-up needed, " in text
        payloads = [b["payload"] for b in buttons(dispatcher)]
        assert any("Smartphone help for seniors" in p for p in payloads) is not full


def test_tomorrow(skill_context: context.SkillContext) -> None:
    events, dispatcher = ask("are there any activities tomorrow for old people")
    tomorrow = date.today() + timedelta(days=1)
    assert events == [SlotSet("event_day", tomorrow.isoformat())]
    text = english(dispatcher)
    assert text.startswith(f"Here is what is on {spoken_day(tomorrow, date.today())}.")
    assert "Tai Chi" in text


def test_a_later_occurrence_gets_its_day_in_the_button(skill_context: context.SkillContext) -> None:
    later_saturday = next_weekday(5) + timedelta(days=7)
    _, dispatcher = ask(f"what's on {later_saturday.isoformat()}")
    payloads = [b["payload"] for b in buttons(dispatcher)]
    smartphone = next(p for p in payloads if "Smartphone" in p)
    assert json.loads(smartphone[len("/register_event"):]) == {
        "event_name": f"Smartphone help for seniors on {later_saturday.isoformat()}"}


def test_a_day_with_nothing_on_falls_back_to_soon(skill_context: context.SkillContext) -> None:
    far = date.today() + timedelta(days=40)
    _, dispatcher = ask(f"anything on {far.isoformat()}")
    assert dispatcher.messages[0] == {**dispatcher.messages[0], "response": "utter_events_nothing_on",
                                      "days": spoken_day(far, date.today())}
    assert names(dispatcher)[1] == "utter_events_soon"


def test_full_event_says_so_and_has_no_button(skill_context: context.SkillContext, services_server: Any) -> None:
    from community_services.schemas import RegistrationCreate

    with services_server.kiosk() as kiosk:
        trip = kiosk.find_event("day trip")
        assert trip is not None and trip.capacity is not None
        for i in range(trip.capacity - trip.registered):
            kiosk.register_event(trip.id, RegistrationCreate(name=f"Resident {i}", phone=f"1390000{i:04d}"))
    _, dispatcher = ask(f"what's on {trip.start.date().isoformat()}")
    text = english(dispatcher)
    assert "Day trip to the botanical garden: at 8:30 am, North Gate. It is full." in text
    assert not any("botanical" in b["payload"] for b in buttons(dispatcher))


@pytest.mark.parametrize("said", BAD_INPUTS)
def test_bad_input_lists_what_is_coming_up(skill_context: context.SkillContext, said: str) -> None:
    events, dispatcher = ask(said)
    assert events == [SlotSet("event_day", None)]
    assert names(dispatcher)[0] == "utter_events_soon"


def test_sentences_are_short_and_plain(skill_context: context.SkillContext) -> None:
    for question in ("what events are coming up", "what's on this weekend", "what's on Thursday"):
        _, dispatcher = ask(question)
        text = english(dispatcher)
        for sentence in text.split(". "):
            assert len(sentence.split()) <= 25, sentence
        assert "http" not in text and "*" not in text


def test_services_down(services_down: context.SkillContext) -> None:
    events, dispatcher = ask("what's on this weekend")
    assert [m.get("response") for m in dispatcher.messages] == ["utter_services_down"]
    assert len(events) == 1 and events[0]["name"] == "event_day"


def test_a_chinese_question_is_answered_with_chinese_days_and_times(skill_context: context.SkillContext) -> None:
    from rasa_sdk import Tracker

    text = "明天有没有给老年人的活动"
    message = {"text": text, "intent": {"name": "ask_events", "confidence": 1.0}, "entities": []}
    tracker = Tracker("tester", {"event_day": None}, message, [{"event": "user", "text": text}], False, None, {},
                      "action_listen")
    dispatcher = CollectingDispatcher()
    events_skill.ActionListEvents().run(dispatcher, tracker, {})
    tomorrow = date.today() + timedelta(days=1)
    assert dispatcher.messages[0] == {**dispatcher.messages[0], "response": "utter_events_on",
                                      "days": spoken_when.day(tomorrow, date.today(), "zh-CN")}
    assert str(dispatcher.messages[0]["days"]).startswith("明天")
    tai_chi = next(m for m in dispatcher.messages if m["response"] in ("utter_event_at", "utter_event_every_day"))
    assert tai_chi["time"] == "早上7点"


def test_a_series_is_said_with_its_weekdays() -> None:
    def event(i: int, day: date) -> Any:
        from community_services.schemas import Event
        return Event(id=i, slug="singing-group", title="Singing group", place="Elderly Activity Room", start=datetime(
            day.year, day.month, day.day, 15), end=None, signup_required=False, capacity=None, registered=0,
            description="")

    wed, fri = date(2026, 11, 25), date(2026, 11, 27)
    series = {"Singing group": [event(1, wed), event(2, fri)]}
    said = events_skill.describe(series["Singing group"][0], date(2026, 11, 23), series, with_day=True,
                                 language="zh-CN")
    assert said[1] == ("utter_event_repeats", {"repeats": "每个礼拜三和礼拜五"})
    assert said[0][1]["time"] == "下午3点" and said[-1] == ("utter_event_status_no_signup", {})

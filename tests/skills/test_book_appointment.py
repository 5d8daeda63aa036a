"""book_appointment: the form's validation, its questions and the booking, against the real services API."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.skill_runtime import context, form_helpers, spoken_when
from community_services.schemas import AppointmentCreate
from skills.book_appointment import actions as book

DOMAIN = skill_domain("book_appointment")


def spoken_day(day: date, today: date, language: str = "en") -> str:
    return spoken_when.day(day, today, language)


def spoken_time(value: Any, language: str = "en") -> str:
    return spoken_when.clock(value, language)


def said(dispatcher: CollectingDispatcher) -> str:
    """What an English-speaking resident hears: each response of skill.yml filled with its values (a core
    response by its name). No sentence is written in Python."""
    out = []
    for m in dispatcher.messages:
        assert not m.get("text"), m
        values = {k: v for k, v in m.items() if k not in ("response", "buttons")}
        known = m["response"] in DOMAIN["responses"]
        out.append(str(DOMAIN["responses"][m["response"]][0]["text"]).format(**values) if known else m["response"])
    return " ".join(out)


def names(dispatcher: CollectingDispatcher) -> list[str]:
    return [str(m["response"]) for m in dispatcher.messages]


# --- helpers -----------------------------------------------------------------------------------


def make_tracker(slots: dict[str, Any] | None = None, **kw: Any) -> Tracker:
    """A tracker as the form sends it: slot candidates are the trailing slot events."""
    return form_tracker(book.FORM, book.FORM_SLOTS, slots, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], list[str]]:
    return run_validation(book.ValidateAppointmentForm(), make_tracker(slots, candidates=candidates, **kw), DOMAIN)


def run_action(action: Any, slots: dict[str, Any] | None = None, **kw: Any
               ) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    return perform(action, make_tracker(slots, **kw), DOMAIN)


def first_free_day(department: str) -> date:
    days = book.free_days(department, limit=1)
    assert days, f"the seed should have free {department} slots"
    return days[0]


def day_without_slots(department: str) -> date:
    today = date.today()
    for offset in range(1, 14):
        day = today + timedelta(days=offset)
        if not book.free_slots(department, day):
            return day
    raise AssertionError("every day has slots?")


# --- understanding what residents say ---------------------------------------------------------


@pytest.mark.parametrize(("said", "department"), [
    ("my teeth hurt", "Dental"), ("the dentist please", "Dental"), ("Dental", "Dental"),
    ("my eyes", "Eye"), ("I need new glasses", "Eye"), ("back pain", "Physiotherapy"),
    ("a massage for my shoulder", "Physiotherapy"), ("physio", "Physiotherapy"),
    ("TCM", "Traditional Chinese Medicine"), ("acupuncture", "Traditional Chinese Medicine"),
    ("chinese medicine", "Traditional Chinese Medicine"), ("a check-up", "General Practice"),
    ("GP", "General Practice"), ("just a doctor", "General Practice"), ("the eye doctor", "Eye"),
    ("牙科", "Dental"),
])
def test_find_department(said: str, department: str) -> None:
    assert book.find_department(said) == department


@pytest.mark.parametrize("said", [*BAD_INPUTS, "banana", "the canteen"])
def test_find_department_nothing(said: str) -> None:
    assert book.find_department(said) is None


@pytest.mark.parametrize(("said", "name"), [
    ("my name is zhang wei", "Zhang Wei"), ("Li Xiuying", "Li Xiuying"), ("it's Wang Fang.", "Wang Fang"),
    ("张伟", "张伟"), ("Zhang\x00 Wei\x07", "Zhang Wei"), ("Chen 😀 Jie", "Chen Jie"),
])
def test_clean_name(said: str, name: str) -> None:
    assert book.clean_name(said) == name


@pytest.mark.parametrize("said", [*BAD_INPUTS, "yes", "no", "138 0013 8000", "a b c d e f g h",
                                  "cancel the appointment"])
def test_clean_name_refuses(said: str) -> None:
    assert book.clean_name(said) is None


# --- the form ---------------------------------------------------------------------------------


def test_first_sentence_fills_department_and_day(skill_context: context.SkillContext) -> None:
    day = first_free_day("Dental")
    said = f"I need to see the dentist on {day.strftime('%A')}"
    slots, messages = validate(text=said, intent="book_appointment", active=False)
    assert slots["department"] == "Dental"
    assert slots["appointment_day"] == day.isoformat()
    assert messages == []


def test_first_sentence_ignores_a_far_away_date(skill_context: context.SkillContext) -> None:
    slots, _ = validate(text="I have had a cough since 2 May, may I see a doctor", intent="book_appointment",
                        active=False)
    assert slots["department"] == "General Practice"
    day = slots.get("appointment_day")
    assert day is None or date.fromisoformat(day) <= date.today() + timedelta(days=14)


def test_unknown_department_is_asked_again(skill_context: context.SkillContext) -> None:
    slots, messages = validate(candidates={"department": "the swimming pool"}, requested_slot="department")
    assert slots["department"] is None
    assert messages == ["utter_department_sorry"]


def test_button_department(skill_context: context.SkillContext) -> None:
    slots, messages = validate(candidates={"department": "Traditional Chinese Medicine"},
                               requested_slot="department")
    assert slots["department"] == "Traditional Chinese Medicine"
    assert messages == []


def test_ask_day_names_free_days_with_buttons(skill_context: context.SkillContext) -> None:
    events, dispatcher = run_action(book.ActionAskAppointmentDay(), {"department": "Dental"})
    assert events == []
    message = dispatcher.messages[0]
    assert message["response"] == "utter_free_days" and message["department"] == "Dental"
    assert spoken_day(first_free_day("Dental"), date.today()) in message["days"]
    assert 1 <= len(message["buttons"]) <= book.OFFERED_DAYS
    payload = message["buttons"][0]["payload"]
    assert payload.startswith("/book_appointment{")
    day = date.fromisoformat(json.loads(payload[len("/book_appointment"):])["appointment_day"])
    assert day == first_free_day("Dental")
    assert all(len(b["title"]) <= 60 for b in message["buttons"])


@pytest.mark.parametrize("said", [*BAD_INPUTS, "banana"])
def test_day_not_understood(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate({"department": "Dental"}, {"appointment_day": said}, requested_slot="appointment_day")
    assert slots["appointment_day"] is None
    assert messages == ["utter_day_sorry"]
    assert "requested_slot" not in slots  # the form goes on and asks again


def test_day_in_the_past(skill_context: context.SkillContext) -> None:
    past = (date.today() - timedelta(days=3)).isoformat()
    slots, messages = validate({"department": "Dental"}, {"appointment_day": past}, requested_slot="appointment_day")
    assert slots["appointment_day"] is None
    assert messages == ["utter_day_passed"]


def test_day_too_far_ahead(skill_context: context.SkillContext) -> None:
    far = (date.today() + timedelta(days=20)).isoformat()
    slots, messages = validate({"department": "Eye"}, {"appointment_day": far}, requested_slot="appointment_day")
    assert slots["appointment_day"] is None
    assert messages == ["utter_day_too_far"]


def test_day_without_free_slots_names_the_next_days(skill_context: context.SkillContext) -> None:
    day = day_without_slots("Eye")
    slots, messages = validate({"department": "Eye"}, {"appointment_day": day.isoformat()},
                               requested_slot="appointment_day")
    assert slots["appointment_day"] is None
    assert messages == ["utter_no_free_times_on"]
    # ... and the form's question that follows names the days that do have free times
    _, dispatcher = run_action(book.ActionAskAppointmentDay(), {"department": "Eye"})
    assert spoken_day(first_free_day("Eye"), date.today()) in said(dispatcher)


def test_the_first_day(skill_context: context.SkillContext) -> None:
    slots, messages = validate({"department": "Physiotherapy"}, {"appointment_day": "the earliest day please"},
                               requested_slot="appointment_day")
    assert slots["appointment_day"] == first_free_day("Physiotherapy").isoformat()
    assert messages == []


def test_weekday_with_free_slots(skill_context: context.SkillContext) -> None:
    day = first_free_day("Dental")
    slots, _ = validate({"department": "Dental"}, {"appointment_day": f"on {day.strftime('%A')} please"},
                        requested_slot="appointment_day")
    assert slots["appointment_day"] == day.isoformat()


def test_ask_time_offers_four_free_slots(skill_context: context.SkillContext) -> None:
    day = first_free_day("Dental")
    events, dispatcher = run_action(book.ActionAskSlotTime(),
                                    {"department": "Dental", "appointment_day": day.isoformat()})
    assert events == []
    message = dispatcher.messages[0]
    offered = book.free_slots("Dental", day)[:4]
    assert message["response"] == "utter_free_times_doctor" and message["doctor"] == "Dr. Li"
    assert message["day"] == spoken_day(day, date.today())
    assert [b["title"] for b in message["buttons"]] == [spoken_time(s.start) for s in offered]
    assert json.loads(message["buttons"][0]["payload"][len("/book_appointment"):]) == {
        "slot_time": offered[0].start.strftime("%H:%M")}


@pytest.mark.parametrize(("said", "index"), [("the first one", 0), ("the earliest", 0), ("second one please", 1),
                                             ("the last one", -1)])
def test_choose_time_by_position(skill_context: context.SkillContext, said: str, index: int) -> None:
    day = first_free_day("Physiotherapy")
    offered = book.free_slots("Physiotherapy", day)[:4]
    slots, messages = validate({"department": "Physiotherapy", "appointment_day": day.isoformat()},
                               {"slot_time": said}, requested_slot="slot_time")
    assert messages == []
    assert slots["slot_id"] == offered[index].id
    assert slots["slot_time"] == offered[index].start.strftime("%H:%M")
    assert slots["appointment_doctor"] == "Ms. Liu"


def test_choose_time_by_clock(skill_context: context.SkillContext) -> None:
    day = first_free_day("Physiotherapy")
    second = book.free_slots("Physiotherapy", day)[1]
    said = f"{second.start.hour}:{second.start.minute:02d} please"
    slots, _ = validate({"department": "Physiotherapy", "appointment_day": day.isoformat()},
                        {"slot_time": said}, requested_slot="slot_time")
    assert slots["slot_id"] == second.id


@pytest.mark.parametrize("said", [*BAD_INPUTS, "3 am", "midnight"])
def test_time_not_free_is_asked_again(skill_context: context.SkillContext, said: str) -> None:
    day = first_free_day("Physiotherapy")
    slots, messages = validate({"department": "Physiotherapy", "appointment_day": day.isoformat()},
                               {"slot_time": said}, requested_slot="slot_time")
    assert slots["slot_time"] is None and slots["slot_id"] is None
    assert messages == ["utter_time_not_free"]


def test_name_and_phone(skill_context: context.SkillContext) -> None:
    slots, messages = validate(candidates={"patient_name": "my name is zhang wei"}, requested_slot="patient_name")
    assert slots["patient_name"] == "Zhang Wei" and messages == []
    slots, messages = validate(candidates={"phone": "one three eight double oh one three eight double oh oh"},
                               requested_slot="phone")
    assert slots["phone"] == "13800138000" and messages == []


@pytest.mark.parametrize("said", [*BAD_INPUTS, "twelve", "138 00"])
def test_bad_phone_is_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"phone": said}, requested_slot="phone")
    assert slots["phone"] is None
    assert messages == [form_helpers.PHONE_SORRY]


@pytest.mark.parametrize("said", BAD_INPUTS)
def test_bad_name_is_asked_again(skill_context: context.SkillContext, said: str) -> None:
    slots, messages = validate(candidates={"patient_name": said}, requested_slot="patient_name")
    assert slots["patient_name"] is None
    assert messages == ["utter_name_sorry"]


def test_confirm_reads_back_with_masked_phone(skill_context: context.SkillContext) -> None:
    day = first_free_day("Dental")
    _, dispatcher = run_action(book.ActionAskAppointmentFormConfirm(), {
        "department": "Dental", "appointment_day": day.isoformat(), "slot_time": "09:20",
        "appointment_doctor": "Dr. Li", "patient_name": "Zhang Wei", "phone": "13800138000"})
    text = said(dispatcher)
    assert f"Dental with Dr. Li, {spoken_day(day, date.today())} at 9:20 am" in text
    assert "Zhang Wei" in text and "ending in 8 0 0 0" in text
    assert "13800138000" not in text
    assert names(dispatcher) == ["utter_confirm_booking"]  # its yes/no buttons are part of the response
    assert [b["payload"] for b in DOMAIN["responses"]["utter_confirm_booking"][0]["buttons"]] == ["/affirm", "/deny"]


# --- booking ----------------------------------------------------------------------------------


def _booking_slots(department: str = "Physiotherapy", index: int = 0) -> dict[str, Any]:
    day = first_free_day(department)
    slot = book.free_slots(department, day)[index]
    phone = "135" + str(uuid.uuid4().int % 10**8).zfill(8)  # a phone may book 3 times a day: one per test
    return {"department": department, "appointment_day": day.isoformat(), "slot_time": slot.start.strftime("%H:%M"),
            "slot_id": slot.id, "appointment_doctor": slot.doctor, "patient_name": "Zhang Wei",
            "phone": phone, "confirm": True}


def date_time(slots: dict[str, Any]) -> Any:
    from datetime import datetime
    return datetime.fromisoformat(f"{slots['appointment_day']}T{slots['slot_time']}")


def _appointments(services_server: Any) -> list[dict[str, Any]]:
    with services_server.staff() as staff:
        response = staff._request("GET", "/clinic/appointments")
    return list(response.json())


def test_book_happy_path(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = _booking_slots()
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    text = said(dispatcher)
    assert text.startswith("You are booked: Physiotherapy with Ms. Liu, ")
    assert dispatcher.messages[0]["time"] == spoken_time(date_time(slots))
    assert f"Your reference is {dispatcher.messages[0]['reference']}." in text
    assert text.endswith("Please bring your identity card.")
    assert events == [SlotSet(name, None) for name in book.FORM_SLOTS]
    reference = text.split("Your reference is ")[1].split(".")[0]
    record = next(a for a in _appointments(services_server) if a["reference"] == reference)
    assert record["slot_id"] == slots["slot_id"]
    assert record["patient_name"] == "Zhang Wei" and record["phone"] == slots["phone"]
    assert record["status"] == "booked"
    assert all(s.id != slots["slot_id"] for s in book.free_slots("Physiotherapy",
                                                                date.fromisoformat(slots["appointment_day"])))


def test_book_twice_in_one_turn_books_once(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = _booking_slots("General Practice")
    run_action(book.ActionSubmitAppointment(), slots)
    _, dispatcher = run_action(book.ActionSubmitAppointment(), slots)  # a retried action: same key
    assert "You are booked" in said(dispatcher)
    booked = [a for a in _appointments(services_server) if a["slot_id"] == slots["slot_id"]]
    assert len(booked) == 1


def test_the_fourth_booking_of_a_day_is_refused_kindly(skill_context: context.SkillContext) -> None:
    phone = _booking_slots()["phone"]
    for index in range(3):
        _, dispatcher = run_action(book.ActionSubmitAppointment(), {**_booking_slots("Dental", index), "phone": phone})
        assert "You are booked" in said(dispatcher)
    _, dispatcher = run_action(book.ActionSubmitAppointment(), {**_booking_slots("Dental", 3), "phone": phone})
    assert names(dispatcher) == ["utter_booking_daily_cap"]


def test_deny_books_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    slots = {**_booking_slots(), "confirm": False}
    before = len(_appointments(services_server))
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    assert names(dispatcher) == ["utter_booking_declined"]
    assert len(_appointments(services_server)) == before
    assert events == [SlotSet(name, None) for name in book.FORM_SLOTS]


def test_form_stopped_early_says_nothing_more(skill_context: context.SkillContext) -> None:
    events, dispatcher = run_action(book.ActionSubmitAppointment(), {"department": "Dental"})
    assert dispatcher.messages == []
    assert events == [SlotSet(name, None) for name in book.FORM_SLOTS]


def test_slot_taken_meanwhile_offers_the_next_times(skill_context: context.SkillContext,
                                                    services_server: Any) -> None:
    slots = _booking_slots("Dental")
    with services_server.kiosk() as other:  # another resident is quicker
        other.book_appointment(AppointmentCreate(slot_id=slots["slot_id"], patient_name="Wang Fang",
                                                 phone="13900139000"))
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    assert names(dispatcher)[0] == "utter_slot_taken"
    assert dispatcher.messages[0]["time"] == spoken_time(date_time(slots))
    assert SlotSet("slot_time", None) in events and SlotSet("slot_id", None) in events
    assert SlotSet("confirm", None) in events
    assert SlotSet("patient_name", None) not in events  # kept: only the time is asked again
    assert events[-1] == FollowupAction(book.FORM)
    # the form then asks for a time again, offering only free ones
    _, ask = run_action(book.ActionAskSlotTime(), {**slots, "slot_time": None, "slot_id": None})
    assert spoken_time(date_time(slots)) not in [b["title"] for b in ask.messages[0]["buttons"]]


def test_slot_in_the_past_or_missing(skill_context: context.SkillContext) -> None:
    slots = {**_booking_slots(), "slot_id": 99_999_999}
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    assert names(dispatcher)[0] == "utter_slot_taken"
    assert events[-1] == FollowupAction(book.FORM)


def test_missing_details_book_nothing(skill_context: context.SkillContext) -> None:
    slots = {**_booking_slots(), "slot_id": None}
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    assert names(dispatcher) == ["utter_booking_details_missing"]
    assert events == [SlotSet(name, None) for name in book.FORM_SLOTS]


# --- clinic system down -----------------------------------------------------------------------


def test_down_when_asking_the_day(services_down: context.SkillContext) -> None:
    events, dispatcher = run_action(book.ActionAskAppointmentDay(), {"department": "Dental"})
    assert names(dispatcher) == [book.CLINIC_DOWN]
    assert events == [SlotSet("requested_slot", None)]  # the form stops


def test_down_when_checking_the_day(services_down: context.SkillContext) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    slots, messages = validate({"department": "Dental"}, {"appointment_day": tomorrow},
                               requested_slot="appointment_day")
    assert slots["requested_slot"] is None
    assert messages == [book.CLINIC_DOWN]


def test_down_when_asking_the_time(services_down: context.SkillContext) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    events, dispatcher = run_action(book.ActionAskSlotTime(), {"department": "Dental", "appointment_day": tomorrow})
    assert names(dispatcher) == [book.CLINIC_DOWN]
    assert events == [SlotSet("requested_slot", None)]


def test_down_when_booking(services_down: context.SkillContext) -> None:
    slots = {"department": "Dental", "appointment_day": (date.today() + timedelta(days=1)).isoformat(),
             "slot_time": "09:00", "slot_id": 5, "appointment_doctor": "Dr. Li", "patient_name": "Zhang Wei",
             "phone": "13800138000", "confirm": True}
    events, dispatcher = run_action(book.ActionSubmitAppointment(), slots)
    assert names(dispatcher) == [book.CLINIC_DOWN]
    assert events == [SlotSet(name, None) for name in book.FORM_SLOTS]
    assert services_down.outbox.items() == []  # bookings are never queued


def test_replies_are_short_plain_sentences(skill_context: context.SkillContext) -> None:
    _, dispatcher = run_action(book.ActionAskAppointmentDay(), {"department": "General Practice"})
    text = said(dispatcher)
    for sentence in text.split(". "):
        assert len(sentence.split()) <= 30, sentence
    assert "http" not in text and "*" not in text


# --- Mandarin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("words", "department"), [
    ("我想挂个牙科的号", "Dental"), ("我牙疼好几天了", "Dental"), ("麻烦你帮我约个眼科", "Eye"), ("配眼镜", "Eye"),
    ("我腰疼又犯了，能推拿吗", "Physiotherapy"), ("我想看中医", "Traditional Chinese Medicine"),
    ("约个全科，我老咳嗽", "General Practice"), ("預約牙科", "Dental"), ("想找王医生", "General Practice"),
])
def test_find_a_department_said_in_chinese(words: str, department: str) -> None:
    assert book.find_department(words) == department


@pytest.mark.parametrize(("words", "name"), [("张伟", "张伟"), ("我叫李秀英", "李秀英"), ("病人是王芳。", "王芳"),
                                           ("名字叫欧阳娜娜", "欧阳娜娜"), ("阿依古丽·买买提", "阿依古丽·买买提")])
def test_a_chinese_name(words: str, name: str) -> None:
    assert book.clean_name(words) == name


@pytest.mark.parametrize("words", ["我不知道", "取消预约", "幺三八零零幺三八零零零", "好的",
                                   "你好，请问一下我该说什么呢"])
def test_chinese_words_that_are_not_a_name(words: str) -> None:
    assert book.clean_name(words) is None


@pytest.mark.parametrize(("words", "clock"), [
    ("九点二十", "09:20"), ("九点半", "09:30"), ("下午两点半", "14:30"), ("上午十点", "10:00"), ("10点", "10:00"),
    ("８点４０", "08:40"), ("八点四十分", "08:40"), ("9:20 am", "09:20"), ("中午十二点", "12:00"),
])
def test_a_clock_time_said_in_chinese(words: str, clock: str) -> None:
    found = book.clock_from(words)
    assert found is not None and found.strftime("%H:%M") == clock


@pytest.mark.parametrize(("words", "index"), [("第一个", 0), ("最早的", 0), ("越早越好", 0), ("第二个吧", 1),
                                            ("最后一个", -1), ("随便哪个都行", 0)])
def test_choose_a_time_by_position_in_chinese(skill_context: context.SkillContext, words: str, index: int) -> None:
    day = first_free_day("Physiotherapy")
    offered = book.free_slots("Physiotherapy", day)[:4]
    slots, messages = validate({"department": "Physiotherapy", "appointment_day": day.isoformat()},
                               {"slot_time": words}, requested_slot="slot_time")
    assert messages == [] and slots["slot_id"] == offered[index].id


def test_a_chinese_phone_number_with_full_width_digits(skill_context: context.SkillContext) -> None:
    slots, messages = validate(candidates={"phone": "１３９１２３４５６７８"}, requested_slot="phone")
    assert slots["phone"] == "13912345678" and messages == []
    slots, messages = validate(candidates={"phone": "幺三八零零幺三八零零零"}, requested_slot="phone")
    assert slots["phone"] == "13800138000" and messages == []


def test_the_chinese_conversation_hears_chinese_days_and_times(skill_context: context.SkillContext) -> None:
    """The language comes from the resident's words (Chinese characters), as everywhere else."""
    day = first_free_day("Dental")
    offered = book.free_slots("Dental", day)[:4]
    _, dispatcher = run_action(book.ActionAskSlotTime(), {"department": "Dental", "appointment_day": day.isoformat()},
                               text="越早越好")
    message = dispatcher.messages[0]
    assert message["day"] == spoken_day(day, date.today(), "zh-CN")
    assert [b["title"] for b in message["buttons"]] == [spoken_time(s.start, "zh-CN") for s in offered]
    assert "点" in message["times"]
    _, dispatcher = run_action(book.ActionAskAppointmentFormConfirm(), {
        "department": "Dental", "appointment_day": day.isoformat(), "slot_time": "09:20",
        "appointment_doctor": "Dr. Li", "patient_name": "张伟", "phone": "13800138000"}, text="幺三八零零幺三八零零零")
    confirm = dispatcher.messages[0]
    assert confirm["response"] == "utter_confirm_booking"
    assert (confirm["time"], confirm["name"], confirm["phone_end"]) == ("上午9点20分", "张伟", "8 0 0 0")
    assert "13800138000" not in str(confirm)

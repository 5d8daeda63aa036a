"""report_repair: understanding the report, the form's validation, the read-back and the ticket."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, SKILLS, form_tracker, perform, run_validation, skill_domain
from rasa_sdk import Tracker

from assistant.skill_runtime import context
from skills.report_repair import actions as repair
from skills.report_repair.repair_text import (
    description_from_first_sentence,
    normalise_problem_type,
    parse_place,
    place_from_first_sentence,
    spoken_place,
    spoken_problem,
)

DOMAIN = skill_domain("report_repair")
FULL = {"problem_type": "plumbing", "place": "Building 5, flat 302", "description": "the kitchen tap leaks",
        "phone": "13800138000"}


def make_tracker(slots: dict[str, Any] | None = None, *, intent: str = "report_repair", **kw: Any) -> Tracker:
    return form_tracker(repair.FORM, repair.SLOTS, slots, intent=intent, **kw)


def validate(slots: dict[str, Any] | None = None, candidates: dict[str, Any] | None = None, **kw: Any
             ) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(repair.ValidateRepairForm(), make_tracker(slots, candidates=candidates, **kw),
                                      DOMAIN)
    return result, " ".join(messages)


def run_action(action: Any, slots: dict[str, Any] | None = None, **kw: Any
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events and the messages (each a response name and the values that fill it)."""
    events, dispatcher = perform(action, make_tracker(slots, **kw), DOMAIN)
    return events, dispatcher.messages


def names(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") or "" for m in messages]


def staff_ticket(services_server: Any, number: str) -> dict[str, Any]:
    with services_server.staff() as staff:
        return dict(staff._request("GET", f"/tickets/{number}").json())


def ticket_count(services_server: Any) -> int:
    with services_server.staff() as staff:
        return len(staff._request("GET", "/tickets", params={"limit": 1000}).json())


# --- understanding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("my kitchen tap is leaking", "plumbing"), ("the toilet is blocked", "plumbing"),
    ("the water heater gives no hot water", "plumbing"), ("the light in the hall flickers", "electrical"),
    ("no power in my flat", "electrical"), ("the lift is stuck", "lift"), ("the elevator", "lift"),
    ("my front door lock", "door_or_lock"), ("door or lock", "door_or_lock"), ("the radiator is cold", "heating"),
    ("I smell gas", "gas"), ("the window will not close", "window"), ("door_or_lock", "door_or_lock"),
    ("a crack in the wall", "other"), ("something else", "other"), ("", None), ("?!", None), ("😀", None),
    ("厨房水龙头漏水", "plumbing"), ("马桶又堵了", "plumbing"), ("楼道的灯不亮了", "electrical"),
    ("三号楼的电梯又坏了", "lift"), ("门锁卡住了", "door_or_lock"), ("暖气不热", "heating"),
    ("闻到煤气味", "gas"), ("窗户关不严", "window"), ("墙上裂了个缝", "other"), ("我家kitchen的水龙头坏了", "plumbing"),
])
def test_problem_type_is_normalised(text: str, expected: str | None) -> None:
    assert normalise_problem_type(text) == expected


@pytest.mark.parametrize(("text", "place"), [
    ("Building 5, flat 302", "Building 5, flat 302"),
    ("5-302", "Building 5, flat 302"),
    ("building five flat three oh two", "Building 5, flat 302"),
    ("Building five, three oh two", "Building 5, flat 302"),
    ("I live in Block 11, apartment 601", "Building 11, flat 601"),
    ("5号楼302", "Building 5, flat 302"),
    ("the lift in building 3", "the lift in Building 3"),
    ("Building 7", "Building 7"),
    ("the central garden", "the Central Garden"),
    ("the bench near the pavilion by the pond", "the bench near the pavilion by the pond"),
    # numbers said as words, full-width digits, the community's Chinese names
    ("三号楼五零二", "Building 3, flat 502"),
    ("十二号楼六零一", "Building 12, flat 601"),
    ("３号楼５０２", "Building 3, flat 502"),
    ("3栋502室", "Building 3, flat 502"),
    ("在中心花园那儿", "the Central Garden"),
    ("三号楼的电梯", "三号楼的电梯"),
])
def test_places_are_understood(text: str, place: str) -> None:
    assert parse_place(text).place == place


@pytest.mark.parametrize(("text", "problem", "values"), [
    ("Building 13, flat 302", "utter_repair_no_such_building", {"building": 13}),
    ("十五号楼三零二", "utter_repair_no_such_building", {"building": 15}),
    ("Building 5, flat 702", "utter_repair_no_such_floor", {"flat": "702"}),
    ("五号楼七零二", "utter_repair_no_such_floor", {"flat": "702"}),
    ("flat 302", "utter_repair_which_building", {"flat": "302"}),
    ("my home", "utter_repair_place_ask", {}),
    ("我家", "utter_repair_place_ask", {}),
    ("", "utter_repair_place_ask", {}),
])
def test_unusable_places_say_why(text: str, problem: str, values: dict[str, Any]) -> None:
    result = parse_place(text)
    assert result.place is None
    assert (result.problem, result.values) == (problem, values)
    assert problem in DOMAIN["responses"]


def test_read_back_words_come_from_data_in_the_language() -> None:
    assert spoken_place("Building 5, flat 302", "zh-CN") == "5号楼302"
    assert spoken_place("the lift in Building 3", "zh-CN") == "3号楼的电梯"
    assert spoken_place("the Central Garden", "zh-CN") == "中心花园"
    assert spoken_place("三号楼的电梯", "en") == "三号楼的电梯"  # the resident's own words stay theirs
    assert spoken_place("Building 5, flat 302", "en") == "Building 5, flat 302"
    assert spoken_problem("lift", "zh-CN") == "电梯" and spoken_problem("lift", "en") == "the lift"
    assert spoken_problem("nonsense", "zh-CN") == spoken_problem("other", "zh-CN")


def test_the_first_sentence_can_hold_the_description_and_place() -> None:
    assert description_from_first_sentence("my kitchen tap is leaking") == "my kitchen tap is leaking"
    assert description_from_first_sentence("hello, um, the toilet keeps running") == "the toilet keeps running"
    assert description_from_first_sentence("I need to report a repair") is None
    assert description_from_first_sentence("broken tap") is None
    assert description_from_first_sentence('/report_repair{"problem_type": "lift"}') is None
    assert place_from_first_sentence("the lift in Building 3 is broken again") == "the lift in Building 3"
    assert place_from_first_sentence("my tap in 5-302 leaks") == "Building 5, flat 302"
    assert place_from_first_sentence("my garden hose tap leaks") is None
    assert description_from_first_sentence("你好，我想报修，厨房水龙头漏水") == "厨房水龙头漏水"
    assert description_from_first_sentence("嗯，那个，我要报修") is None
    assert description_from_first_sentence("報修，水管漏水了") == "水管漏水了"
    assert place_from_first_sentence("三号楼的电梯又坏了") == "the lift in Building 3"
    assert place_from_first_sentence("三号楼五零二，水管漏水") == "Building 3, flat 502"


# --- the form ---------------------------------------------------------------------------------------


def test_start_keeps_what_the_first_sentence_says_and_forgets_old_answers() -> None:
    result, said = validate({"phone": "13911112222", "confirm": True, "place": "Building 1, flat 101"},
                            text="my kitchen tap is leaking")
    assert result["problem_type"] == "plumbing"
    assert result["description"] == "my kitchen tap is leaking"
    assert result["place"] is None and result["phone"] is None and result["confirm"] is None
    assert said == ""


def test_start_from_a_button_uses_the_entity_and_warns_about_gas() -> None:
    result, said = validate(text='/report_repair{"problem_type": "gas"}',
                            entities=[{"entity": "problem_type", "value": "gas"}])
    assert result["problem_type"] == "gas"
    assert result["description"] is None
    assert said == "utter_repair_gas_safety"


def test_a_full_answer_to_what_is_broken_also_fills_the_description() -> None:
    result, _ = validate(requested_slot="problem_type", text="the toilet is blocked again",
                         candidates={"problem_type": "the toilet is blocked again"})
    assert result == {"problem_type": "plumbing", "description": "the toilet is blocked again"}


def test_a_place_that_does_not_exist_is_asked_again() -> None:
    result, said = validate(requested_slot="place", text="Building 15, flat 302",
                            candidates={"place": "Building 15, flat 302"})
    assert result["place"] is None
    assert said == "utter_repair_no_such_building"


def test_description_limits() -> None:
    result, said = validate(requested_slot="description", candidates={"description": "ok"})
    assert result["description"] is None and said == "utter_repair_description_sorry"
    long_text = "The tap drips. " * 200
    result, said = validate(requested_slot="description", candidates={"description": long_text})
    assert len(result["description"]) == 1000 and said == "utter_kept_first"


@pytest.mark.parametrize(("answer", "phone"), [
    ("138 0013 8000", "13800138000"), ("one three eight double zero one three eight zero zero zero", "13800138000"),
    ("my number is 6258 1234", "62581234"), ("12345", None), ("I don't have one", None),
    ("幺三八幺二三四五六七八", "13812345678"), ("１３８００１３８０００", "13800138000"), ("一二三", None),
])
def test_phone_numbers(answer: str, phone: str | None) -> None:
    result, said = validate(requested_slot="phone", candidates={"phone": answer})
    assert result["phone"] == phone
    assert (said == "utter_repair_phone_sorry") == (phone is None)


@pytest.mark.parametrize(("answer", "confirm"), [
    (True, True), (False, False), ("yes please send it", True), ("no", False), ("don't send it", False),
    ("maybe later", None), ("no problem, send it", None),
])
def test_confirmation(answer: Any, confirm: bool | None) -> None:
    result, said = validate(requested_slot="confirm", candidates={"confirm": answer})
    assert result["confirm"] is confirm
    assert (said == "utter_say_yes_or_no") == (confirm is None)


@pytest.mark.parametrize("bad", BAD_INPUTS)
@pytest.mark.parametrize("slot", ["problem_type", "place", "description", "phone", "confirm"])
def test_bad_input_is_asked_again_or_trimmed_never_raises(slot: str, bad: str) -> None:
    result, _ = validate(requested_slot=slot, candidates={slot: bad})
    value = result[slot]
    if value is not None:
        assert isinstance(value, str) and "\x00" not in value and "\u202e" not in value
        assert len(value) <= 1000


def test_read_back_before_sending() -> None:
    _, messages = run_action(repair.ActionAskRepairFormConfirm(), {**FULL, "description": "the kitchen tap leaks."})
    assert messages == [{**messages[0], "response": "utter_repair_read_back", "problem": "plumbing",
                         "place": "Building 5, flat 302", "description": "the kitchen tap leaks",
                         "phone_end": "8 0 0 0"}]


def test_read_back_in_chinese_says_the_problem_and_place_in_chinese() -> None:
    _, messages = run_action(repair.ActionAskRepairFormConfirm(), {**FULL, "description": "厨房水龙头漏水。"},
                             text="幺三八零零幺三八零零零")
    assert {k: messages[0][k] for k in ("problem", "place", "description")} == {
        "problem": "水管、水龙头", "place": "5号楼302", "description": "厨房水龙头漏水"}


# --- sending ---------------------------------------------------------------------------------------


def test_confirmed_report_creates_a_ticket(skill_context: context.SkillContext, services_server: Any) -> None:
    events, messages = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": True})
    assert names(messages) == ["utter_repair_sent", "utter_repair_office_will_call", "utter_anything_else"]
    number = messages[0]["reference"]
    assert re.fullmatch(r"R[2-9A-HJ-NP-Z]{8}", number)
    ticket = staff_ticket(services_server, number)
    assert {k: ticket[k] for k in FULL} == FULL
    assert ticket["status"] == "open"
    assert {e["name"]: e["value"] for e in events} == dict.fromkeys(repair.SLOTS)


def test_no_sends_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = ticket_count(services_server)
    events, messages = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": False})
    assert names(messages) == ["utter_repair_not_sent"]
    assert ticket_count(services_server) == before
    assert all(e["value"] is None for e in events)


def test_gas_report_repeats_the_safety_advice(skill_context: context.SkillContext) -> None:
    _, messages = run_action(repair.ActionSubmitRepair(), {**FULL, "problem_type": "gas", "confirm": True})
    assert names(messages) == ["utter_repair_sent", "utter_repair_office_will_call", "utter_repair_gas_safety",
                               "utter_anything_else"]


def test_missing_details_send_nothing(skill_context: context.SkillContext, services_server: Any) -> None:
    before = ticket_count(services_server)
    _, messages = run_action(repair.ActionSubmitRepair(), {**FULL, "phone": None, "confirm": True})
    assert names(messages) == ["utter_repair_details_missing"]
    assert ticket_count(services_server) == before


def test_services_down_saves_the_ticket_with_a_reference(services_down: context.SkillContext) -> None:
    _, messages = run_action(repair.ActionSubmitRepair(), {**FULL, "confirm": True})
    assert names(messages) == ["utter_repair_queued", "utter_anything_else"]
    reference = messages[0]["reference"]
    assert re.fullmatch(r"Q\d{5}", reference)
    item = services_down.outbox.get(reference)
    assert item is not None and item.kind == "ticket" and item.status == "pending"
    assert item.payload == FULL


def test_every_response_the_skill_names_is_written_in_both_languages() -> None:
    source = "".join((SKILLS / "report_repair" / f).read_text("utf-8") for f in ("actions.py", "repair_text.py"))
    named = set(re.findall(r'"(utter_repair_\w+)"', source))
    chinese = yaml.safe_load((SKILLS / "report_repair" / "locale" / "zh-CN.yml").read_text("utf-8"))["responses"]
    assert named and named <= set(DOMAIN["responses"]) and set(DOMAIN["responses"]) <= set(chinese)

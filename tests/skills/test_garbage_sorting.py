"""garbage_sorting: the item list, finding items in what residents say, and honest answers for the rest."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import BAD_INPUTS, form_tracker, perform, run_validation, skill_domain, skill_spec
from rasa_sdk import Tracker

from skills.garbage_sorting import actions as garbage
from skills.garbage_sorting.sorting import (
    BINS,
    all_names,
    answer_for,
    find_item,
    guide,
    load_guide,
    split_items,
)

SPEC = skill_spec("garbage_sorting")
DOMAIN = skill_domain("garbage_sorting")


def make_tracker(slots: dict[str, Any] | None = None, *, items: list[str] | None = None, **kw: Any) -> Tracker:
    entities = [{"entity": "garbage_item", "value": v} for v in items or []]
    return form_tracker("garbage_form", [garbage.SLOT], slots, intent="garbage_sorting", entities=entities, **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(garbage.ValidateGarbageForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def sort(slots: dict[str, Any] | None = None, **kw: Any) -> tuple[list[dict[str, Any]], list[str]]:
    events, dispatcher = perform(garbage.ActionSortGarbage(), make_tracker(slots, **kw), DOMAIN)
    return events, [m["text"] for m in dispatcher.messages]


# --- the data ------------------------------------------------------------------------------------


def test_the_item_list_is_big_and_well_formed() -> None:
    g = load_guide()
    assert len(g.items) >= 80
    assert set(g.bins) == set(BINS)
    assert {k: b.colour for k, b in g.bins.items() if k != "large"} == {
        "recyclable": "blue", "hazardous": "red", "kitchen": "brown", "residual": "grey"}
    assert sum(len(i.names) for i in g.items) > 300, "items need synonyms and plurals"


def test_the_nlu_lookup_table_lists_every_name() -> None:
    assert SPEC["lookups"]["garbage_item"] == all_names()


@pytest.mark.parametrize(("item", "bin_key"), [
    *[(i, "recyclable") for i in ("paper", "cardboard", "plastic bottles", "glass bottles", "metal cans",
                                  "clothes")],
    *[(i, "hazardous") for i in ("batteries", "expired medicine", "fluorescent tubes", "bulbs", "paint",
                                 "thermometers", "pesticides")],
    *[(i, "kitchen") for i in ("food leftovers", "fruit peel", "egg shells", "tea leaves", "small bones")],
    *[(i, "residual") for i in ("used tissues", "nappies", "ceramics", "broken umbrellas", "greasy pizza boxes",
                                "cigarette ends", "big bones")],
    *[(i, "large") for i in ("furniture", "washing machine", "sofa")],
])
def test_the_community_readme_is_followed(item: str, bin_key: str) -> None:
    match = find_item(item)
    assert match.sure and match.item is not None and match.item.bin == bin_key


@pytest.mark.parametrize(("said", "name"), [
    ("a battery", "batteries"), ("my old medicines", "expired medicine"), ("a banana skin", "banana peel"),
    ("is a pizza box recyclable", "greasy pizza boxes"), ("the fish bones", "small bones"),
    ("pork bones", "big bones"), ("cardboard boxes from a delivery", "cardboard boxes"),
    ("two old sofas", "sofas"), ("x-ray film", "x-ray films"),
])
def test_names_synonyms_and_plurals_are_found(said: str, name: str) -> None:
    match = find_item(said)
    assert match.sure and match.item is not None and match.item.name == name


def test_common_words_do_not_count_as_items() -> None:
    assert find_item("can I throw this away").item is None


def test_answers() -> None:
    assert answer_for(find_item("batteries")) == ["Batteries go in the red bin for hazardous waste."]
    assert answer_for(find_item("fish bones"))[0] == (
        "Fish bones go in the brown bin for kitchen waste, also called wet waste.")
    assert answer_for(find_item("sofa"))[0] == (
        "Sofas do not go in the bins. Please book a free pick-up at the Property Management Office.")


def test_a_near_miss_is_a_marked_guess_not_a_fact() -> None:
    lines = answer_for(find_item("baterries"))
    assert lines[0] == ("I am not sure about baterries. If it is like batteries, "
                        "it goes in the red bin for hazardous waste.")
    assert "poster at the Garbage Station" in lines[1]


def test_an_unknown_item_gets_the_four_bins() -> None:
    lines = answer_for(find_item("a wobbly zither"))
    assert lines[0] == "I am not sure about a wobbly zither."
    assert "four bins" in lines[1] and "Blue" in lines[1] and "Red" in lines[1] and "Brown" in lines[1]
    assert "Grey" in lines[1] and "ask the staff" in lines[2]


def test_split_items() -> None:
    assert split_items("batteries and a banana peel, old newspapers & paint") == [
        "batteries", "a banana peel", "old newspapers"]


# --- the form and the answer ----------------------------------------------------------------------


def test_a_question_about_times_needs_no_item() -> None:
    result, _ = validate(text="when do they collect the rubbish")
    assert result.get("requested_slot", "missing") is None


def test_a_question_without_an_item_asks_for_one() -> None:
    result, _ = validate(text="how do I sort my rubbish")
    assert "requested_slot" not in result  # Rasa asks for garbage_item
    assert result.get(garbage.SLOT) is None


def test_an_item_the_nlu_missed_is_found_in_the_question() -> None:
    result, _ = validate(text="which bin do old batteries go in")
    assert result[garbage.SLOT] == "batteries"


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_answers_are_asked_again_or_tidied(bad: str) -> None:
    result, said = validate(requested_slot=garbage.SLOT, candidates={garbage.SLOT: bad})
    value = result[garbage.SLOT]
    assert value is None or (len(value) <= 200 and "\x00" not in value)
    if value is None:
        assert "did not catch the item" in said


def test_item_from_the_nlu() -> None:
    events, lines = sort({garbage.SLOT: "batteries"}, text="which bin do batteries go in", items=["batteries"])
    assert lines == ["Batteries go in the red bin for hazardous waste."]
    assert events == [{"event": "slot", "timestamp": None, "name": garbage.SLOT, "value": None}]


def test_several_items_in_one_answer() -> None:
    _, lines = sort({garbage.SLOT: "batteries and a banana peel"}, text="batteries and a banana peel")
    assert lines[0] == "Batteries go in the red bin for hazardous waste."
    assert lines[1].startswith("Banana peel goes in the brown bin")


def test_collection_times_only_when_asked() -> None:
    _, lines = sort(text="when do they collect the rubbish")
    assert lines == [guide().station["place"], guide().station["collection"], guide().station["hazardous"]]
    assert "7 to 9 in the morning" in lines[1] and "behind Building 10" in lines[0]
    _, lines = sort({garbage.SLOT: "batteries"}, text="batteries")
    assert not any("collected" in line for line in lines)


def test_a_question_about_one_bin() -> None:
    _, lines = sort(text="what goes in the grey bin")
    assert lines == ["The grey bin is for residual waste, like used tissues, nappies, broken bowls, cigarette ends "
                     "and big bones."]


def test_unknown_item_answer_says_it_is_not_sure() -> None:
    _, lines = sort({garbage.SLOT: "a wobbly zither"}, text="a wobbly zither")
    said = " ".join(lines)
    assert "not sure about a wobbly zither" in said and "four bins" in said and "ask the staff" in said
    assert said.count("Please check the poster") == 1


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_action_never_raises_on_bad_input(bad: str) -> None:
    _, lines = sort({garbage.SLOT: bad}, text=bad)
    assert lines


def test_neighbouring_entities_are_joined_and_empty_ones_dropped() -> None:
    text = "where should I put old batteries"
    tracker = make_tracker(text=text)
    tracker.latest_message["entities"] = [
        {"entity": "garbage_item", "value": "old", "start": 19, "end": 22},
        {"entity": "garbage_item", "value": "batteries", "start": 23, "end": 32},
    ]
    assert garbage._entities(tracker) == ["old batteries"]
    tracker.latest_message["entities"] = [{"entity": "garbage_item", "value": "old", "start": 19, "end": 22}]
    assert garbage._entities(tracker) == []

"""garbage_sorting: the item list, finding items in what residents say, and honest answers for the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from helpers import BAD_INPUTS, SKILLS, form_tracker, perform, run_validation, skill_domain, skill_spec
from rasa_sdk import Tracker

from skills.garbage_sorting import actions as garbage
from skills.garbage_sorting.sorting import (
    BINS,
    COLLECTION_TIMES,
    all_names,
    answer_for,
    find_item,
    load_guide,
    split_items,
)

SPEC = skill_spec("garbage_sorting")
CHINESE = yaml.safe_load((SKILLS / "garbage_sorting" / "locale" / "zh-CN.yml").read_text("utf-8"))
DOMAIN = skill_domain("garbage_sorting")


def make_tracker(slots: dict[str, Any] | None = None, *, items: list[str] | None = None, **kw: Any) -> Tracker:
    entities = [{"entity": "garbage_item", "value": v} for v in items or []]
    return form_tracker("garbage_form", [garbage.SLOT], slots, intent="garbage_sorting", entities=entities, **kw)


def validate(**kw: Any) -> tuple[dict[str, Any], str]:
    result, messages = run_validation(garbage.ValidateGarbageForm(), make_tracker(**kw), DOMAIN)
    return result, " ".join(messages)


def sort(slots: dict[str, Any] | None = None, **kw: Any
         ) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    """The events, and each message as its response name and the values that fill it."""
    events, dispatcher = perform(garbage.ActionSortGarbage(), make_tracker(slots, **kw), DOMAIN)
    return events, [(m["response"], {k: v for k, v in m.items() if k in ("item", "bin", "like", "note")})
                    for m in dispatcher.messages]


def names(lines: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in lines]


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
    assert CHINESE["lookups"]["garbage_item"] == all_names(language="zh-CN")


def test_every_item_and_bin_has_chinese_words_with_the_communitys_names() -> None:
    g = load_guide()
    assert all(item.languages.get("zh-CN") for item in g.items)
    assert all(item.languages["zh-CN"].note for item in g.items if item.note)
    assert {k: b.languages["zh-CN"]["name"] for k, b in g.bins.items() if k != "large"} == {
        "recyclable": "可回收物", "hazardous": "有害垃圾", "kitchen": "湿垃圾", "residual": "干垃圾"}


def test_every_response_is_written_in_both_languages() -> None:
    source = "".join((SKILLS / "garbage_sorting" / f).read_text("utf-8") for f in ("actions.py", "sorting.py"))
    named = set(re.findall(r'"(utter_garbage_[a-z_]+)"', source)) | {f"utter_garbage_bin_{b}" for b in BINS}
    assert named <= set(DOMAIN["responses"]) and set(DOMAIN["responses"]) <= set(CHINESE["responses"])


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


@pytest.mark.parametrize(("said", "name"), [
    ("电池扔哪个桶", "batteries"), ("请问过期的药往哪儿扔", "expired medicine"), ("鱼骨头", "small bones"),
    ("猪骨头", "big bones"), ("一个裂了缝的瓷花瓶", "ceramics"), ("快递来的纸箱", "cardboard boxes"),
    ("家里有个旧沙发不要了", "sofas"), ("用过的纸巾", "used tissues"), ("ｘ光片", "x-ray films"),
    ("我家有batteries", "batteries"),
])
def test_chinese_names_are_found_inside_the_words(said: str, name: str) -> None:
    match = find_item(said)
    assert match.sure and match.item is not None and match.item.name == name


def test_common_words_do_not_count_as_items() -> None:
    assert find_item("can I throw this away").item is None


def test_answers() -> None:
    assert answer_for(find_item("batteries")) == [
        ("utter_garbage_go_in", {"item": "Batteries", "bin": "the red bin for hazardous waste"})]
    assert answer_for(find_item("fish bones"))[0] == (
        "utter_garbage_go_in", {"item": "Fish bones", "bin": "the brown bin for kitchen waste, also called wet waste"})
    assert answer_for(find_item("cardboard"))[1] == (
        "utter_garbage_note", {"note": "Please flatten it and keep it dry."})
    assert answer_for(find_item("sofa"))[0] == ("utter_garbage_large_plural", {"item": "Sofas"})
    assert answer_for(find_item("paint"))[0][0] == "utter_garbage_goes_in"


def test_answers_in_chinese_use_the_residents_word_and_chinese_bins() -> None:
    assert answer_for(find_item("鱼骨头扔哪个桶"), language="zh-CN") == [
        ("utter_garbage_goes_in", {"item": "鱼骨头", "bin": "棕色的湿垃圾桶，也叫厨余垃圾"}),
        ("utter_garbage_note", {"note": "猪骨头、牛骨头这种大骨头放灰色桶。"})]
    assert answer_for(find_item("旧沙发"), language="zh-CN") == [("utter_garbage_large", {"item": "旧沙发"})]
    # a Chinese conversation about an English word: the bin is still said in Chinese
    assert answer_for(find_item("batteries"), language="zh-CN")[0][1]["bin"] == "红色的有害垃圾桶"


def test_a_near_miss_is_a_marked_guess_not_a_fact() -> None:
    lines = answer_for(find_item("baterries"))
    assert lines == [("utter_garbage_guess", {"item": "baterries", "like": "batteries",
                                              "bin": "the red bin for hazardous waste"}),
                     ("utter_garbage_check_poster", {})]
    assert answer_for(find_item("baterries"), language="zh-CN")[0][1]["like"] == "电池"


def test_an_unknown_item_gets_the_four_bins() -> None:
    assert answer_for(find_item("a wobbly zither")) == [
        ("utter_garbage_not_sure", {"item": "a wobbly zither"}), ("utter_garbage_four_bins", {}),
        ("utter_garbage_four_bins_more", {}), ("utter_garbage_check_poster", {})]
    assert answer_for(find_item("一把摇摇晃晃的古筝"))[0] == ("utter_garbage_not_sure", {"item": "一把摇摇晃晃的古筝"})


def test_split_items() -> None:
    assert split_items("batteries and a banana peel, old newspapers & paint") == [
        "batteries", "a banana peel", "old newspapers"]
    assert split_items("电池、香蕉皮还有旧报纸，油漆") == ["电池", "香蕉皮", "旧报纸"]


# --- the form and the answer ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["when do they collect the rubbish", "什么时候收垃圾", "什么是有害垃圾"])
def test_a_question_about_times_or_a_bin_needs_no_item(text: str) -> None:
    result, _ = validate(text=text)
    assert result.get("requested_slot", "missing") is None


def test_a_question_without_an_item_asks_for_one() -> None:
    result, _ = validate(text="how do I sort my rubbish")
    assert "requested_slot" not in result  # Rasa asks for garbage_item
    assert result.get(garbage.SLOT) is None


def test_an_item_the_nlu_missed_is_found_in_the_question() -> None:
    result, _ = validate(text="which bin do old batteries go in")
    assert result[garbage.SLOT] == "batteries"
    result, _ = validate(text="请问鱼骨头扔哪个桶")
    assert result[garbage.SLOT] == "small bones"


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_answers_are_asked_again_or_tidied(bad: str) -> None:
    result, said = validate(requested_slot=garbage.SLOT, candidates={garbage.SLOT: bad})
    value = result[garbage.SLOT]
    assert value is None or (len(value) <= 200 and "\x00" not in value)
    if value is None:
        assert said == "utter_garbage_item_sorry"


def test_item_from_the_nlu() -> None:
    events, lines = sort({garbage.SLOT: "batteries"}, text="which bin do batteries go in", items=["batteries"])
    assert lines == [("utter_garbage_go_in", {"item": "Batteries", "bin": "the red bin for hazardous waste"})]
    assert events == [{"event": "slot", "timestamp": None, "name": garbage.SLOT, "value": None}]


def test_several_items_in_one_answer() -> None:
    _, lines = sort({garbage.SLOT: "batteries and a banana peel"}, text="batteries and a banana peel")
    assert lines[0] == ("utter_garbage_go_in", {"item": "Batteries", "bin": "the red bin for hazardous waste"})
    assert lines[1] == ("utter_garbage_goes_in", {"item": "Banana peel",
                                                  "bin": "the brown bin for kitchen waste, also called wet waste"})
    _, lines = sort({garbage.SLOT: "电池、香蕉皮"}, text="电池、香蕉皮")
    assert lines == [("utter_garbage_goes_in", {"item": "电池", "bin": "红色的有害垃圾桶"}),
                     ("utter_garbage_goes_in", {"item": "香蕉皮", "bin": "棕色的湿垃圾桶，也叫厨余垃圾"})]


def test_collection_times_only_when_asked() -> None:
    _, lines = sort(text="when do they collect the rubbish")
    assert names(lines) == list(COLLECTION_TIMES)
    assert "7 to 9 in the morning" in DOMAIN["responses"]["utter_garbage_collection"][0]["text"]
    _, lines = sort(text="晚上几点可以倒垃圾")
    assert names(lines) == list(COLLECTION_TIMES)
    _, lines = sort({garbage.SLOT: "batteries"}, text="batteries")
    assert not set(names(lines)) & set(COLLECTION_TIMES)


def test_a_question_about_one_bin() -> None:
    _, lines = sort(text="what goes in the grey bin")
    assert names(lines) == ["utter_garbage_bin_residual"]
    _, lines = sort(text="灰色的桶放什么")
    assert names(lines) == ["utter_garbage_bin_residual"]


def test_unknown_item_answer_says_it_is_not_sure() -> None:
    _, lines = sort({garbage.SLOT: "a wobbly zither and a wonky ukulele"}, text="a wobbly zither and a wonky ukulele")
    assert names(lines) == ["utter_garbage_not_sure", "utter_garbage_four_bins", "utter_garbage_four_bins_more",
                            "utter_garbage_check_poster", "utter_garbage_not_sure"]  # the bins and the poster once


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

from rasa_sdk import Tracker

from assistant.skill_runtime.words import join_list, language_of


def _tracker(events: list[dict[str, object]]) -> Tracker:
    return Tracker("t", {}, {}, events, False, None, {}, "action_listen")


def test_language_follows_the_resident_and_a_payload_keeps_it() -> None:
    assert language_of(_tracker([{"event": "user", "text": "我想报修"},
                                 {"event": "user", "text": "/affirm"}])) == "zh-CN"
    assert language_of(_tracker([{"event": "user", "text": "ok", "metadata": {"locale": "zh-CN"}}])) == "zh-CN"
    assert language_of(_tracker([{"event": "user", "text": "hello"}])) == "en"


def test_no_words_yet_is_the_default_language() -> None:
    assert language_of(_tracker([])) == "en"


def test_lists_are_joined_the_language_s_way() -> None:
    assert join_list(["Clinic", "", "Library"], "en") == "Clinic; Library"
    assert join_list(["诊所", "图书室"], "zh-CN") == "诊所；图书室"
    assert join_list(["a", "b"], "fr") == "a; b"

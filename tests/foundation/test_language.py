from foundation.language import conversation_language, normalise, script_language, turn_language


def test_codes_are_normalised_and_unknown_ones_refused() -> None:
    assert normalise("zh") == normalise("zh_CN") == normalise(" ZH-cn ") == "zh-CN"
    assert normalise("en-GB") == "en"
    assert normalise("fr") is None
    assert normalise(7) is None
    assert normalise(None) is None


def test_script_says_chinese_for_any_han_and_nothing_for_payloads() -> None:
    assert script_language("你好，我想报修") == "zh-CN"
    assert script_language("我要report repair") == "zh-CN"
    assert script_language("my tap leaks") == "en"
    assert script_language("ＨＥＬＬＯ") == "en"  # full-width Latin folds to Latin
    assert script_language("/affirm") is None
    assert script_language("138 0013 8000") is None
    assert script_language("😀🙏") is None
    assert script_language("") is None
    assert script_language(None) is None


def test_metadata_beats_script() -> None:
    assert turn_language("ok", {"locale": "zh-CN"}) == "zh-CN"
    assert turn_language("好的", {"locale": "en"}) == "en"
    assert turn_language("好的", {"locale": "klingon"}) == "zh-CN"
    assert turn_language("/affirm", "not a mapping") is None


def test_newest_telling_turn_decides_and_a_restart_forgets() -> None:
    events = [
        {"event": "user", "text": "hello"},
        {"event": "bot", "text": "Hello!"},
        {"event": "user", "text": "我想报修"},
        {"event": "user", "text": "/affirm", "metadata": {}},
    ]
    assert conversation_language(events) == "zh-CN"
    assert conversation_language([*events, {"event": "restart"}]) == "en"
    assert conversation_language([*events, {"event": "restart"}], default="zh") == "zh-CN"
    assert conversation_language([], default="nonsense") == "en"

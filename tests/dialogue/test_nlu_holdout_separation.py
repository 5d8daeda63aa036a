"""The NLU held-out sets stay held out: no item of the English or the Chinese held-out set (nor of the English
or the Chinese validation set, which choose settings) is a near-copy of a sentence the built project trains
on. The training files are read now, so an example added later to a skill, a locale file or the knowledge base
that copies a held-out item fails here. Run as a script to print the closest pairs:

    python -m tests.dialogue.test_nlu_holdout_separation
"""

from __future__ import annotations

from pathlib import Path

from assistant.shared.config import PROJECT_ROOT
from bench.languages import (
    HOLDOUT_EN,
    HOLDOUT_ZH,
    VALIDATION_EN,
    VALIDATION_ZH,
    bigrams,
    fold,
    jaccard,
    labelled,
    near_copies,
    training_examples,
)

HELD_OUT = (HOLDOUT_EN, HOLDOUT_ZH, VALIDATION_EN, VALIDATION_ZH)


def held_out_items(paths: tuple[Path, ...] = HELD_OUT) -> list[str]:
    return [text for path in paths for text, _ in labelled(path)]


def test_no_held_out_nlu_item_is_a_near_copy_of_a_training_example() -> None:
    training = training_examples(PROJECT_ROOT)
    # a training reader that found nothing would make this test pass for nothing
    assert len(training) > 500
    found = near_copies(held_out_items(), training)
    assert not found, f"{len(found)} held-out item(s) copy training examples:\n" + "\n".join(map(str, found))


def test_the_training_reader_finds_every_kind_of_source(tmp_path: Path) -> None:
    # a small project: core examples (Rasa format), a skill, its locale file, the core's locale file
    (tmp_path / "nlu_data" / "locale").mkdir(parents=True)
    (tmp_path / "nlu_data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - hello there\n', "utf-8")
    (tmp_path / "nlu_data" / "locale" / "zh-CN.yml").write_text(
        "intents:\n  greet:\n    examples:\n      - 你好啊\n", "utf-8")
    skill = tmp_path / "skills" / "report_repair"
    (skill / "locale").mkdir(parents=True)
    (skill / "skill.yml").write_text(
        "intents:\n  report_repair:\n    examples:\n      - my [kitchen](place) tap leaks\n", "utf-8")
    (skill / "locale" / "zh-CN.yml").write_text(
        "intents:\n  report_repair:\n    examples:\n      - 厨房水龙头漏水\n", "utf-8")
    assert sorted(training_examples(tmp_path)) == sorted(
        ["hello there", "你好啊", "my kitchen tap leaks", "厨房水龙头漏水"])


def test_a_copy_in_a_locale_file_is_caught(tmp_path: Path) -> None:
    skill = tmp_path / "skills" / "garbage_sorting" / "locale"
    skill.mkdir(parents=True)
    (skill / "zh-CN.yml").write_text(
        "intents:\n  garbage_sorting:\n    examples:\n      - 嗯，旧电池扔哪个桶呀？\n", "utf-8")
    found = near_copies(["旧电池扔哪个桶"], training_examples(tmp_path))
    assert [(c.held_out, c.similarity) for c in found] == [("旧电池扔哪个桶", 1.0)]


def test_the_sets_are_large_enough_to_mean_something() -> None:
    zh = labelled(HOLDOUT_ZH)
    assert sum(label == "out_of_scope" for _, label in zh) >= 40
    assert len(zh) >= 300
    assert jaccard(bigrams(fold("hello")), bigrams(fold("hello"))) == 1.0


if __name__ == "__main__":
    training = training_examples(PROJECT_ROOT)
    items = held_out_items()
    prepared = [(t, bigrams(fold(t))) for t in training]
    scored = sorted(((max((jaccard(bigrams(fold(h)), g), t) for t, g in prepared), h) for h in items),
                    reverse=True)
    print(f"{len(items)} held-out items, {len(training)} training examples; closest pairs:")
    for (similarity, t), h in scored[:20]:
        print(f"  {similarity:.2f}  {h!r}  ~  {t!r}")

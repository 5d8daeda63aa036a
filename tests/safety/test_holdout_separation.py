"""The emergency held-out set stays held out: no training example (core NLU, every skill, the knowledge
questions) is a near-copy of a held-out item. Run as a script to print the closest pairs:

    python -m tests.safety.test_holdout_separation
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml

from assistant.knowledge.entries import load_knowledge
from assistant.shared.config import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "data" / "emergency_holdout.yml"
CHAR_RATIO = 0.8
"""difflib's ratio on the folded text at or above which two sentences count as near-copies."""
WORD_OVERLAP = 0.6
"""Jaccard overlap of the two sentences' words (Chinese: characters), when both have ≥ 4 of them."""


def fold(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # Rasa entity markup
    return " ".join(re.sub(r"[^\w\s\u3400-\u9fff]", " ", text.casefold().replace("’", "'")).split())


def tokens(text: str) -> list[str]:
    folded = fold(text)
    return [*re.findall(r"[a-z0-9']+", folded), *re.findall(r"[\u3400-\u9fff]", folded)]


def holdout_items(path: Path = HOLDOUT) -> list[str]:
    data = yaml.safe_load(path.read_text("utf-8"))
    return [item for group in data.values() for item in group]


def training_examples(root: Path = PROJECT_ROOT) -> list[str]:
    examples: list[str] = []
    for item in (yaml.safe_load((root / "nlu_data" / "nlu.yml").read_text("utf-8")) or {}).get("nlu", []):
        examples += [line[2:] for line in str(item.get("examples", "")).splitlines() if line.startswith("- ")]
    for skill in sorted((root / "skills").glob("*/skill.yml")):
        for intent in (yaml.safe_load(skill.read_text("utf-8")).get("intents") or {}).values():
            examples += [str(e) for e in intent.get("examples", [])]
    examples += [q for entry in load_knowledge(root / "knowledge") for q in entry.questions]
    return examples


def closeness(a: str, b: str) -> tuple[float, float]:
    matcher = difflib.SequenceMatcher(None, fold(a), fold(b))
    ratio = matcher.ratio() if matcher.quick_ratio() >= CHAR_RATIO else 0.0
    ta, tb = set(tokens(a)), set(tokens(b))
    overlap = len(ta & tb) / len(ta | tb) if min(len(ta), len(tb)) >= 4 else 0.0
    return ratio, overlap


def near_copies(holdout: list[str], training: list[str]) -> list[tuple[str, str, float, float]]:
    found = []
    for h in holdout:
        for t in training:
            ratio, overlap = closeness(h, t)
            if ratio >= CHAR_RATIO or overlap >= WORD_OVERLAP:
                found.append((h, t, round(ratio, 2), round(overlap, 2)))
    return found


def test_no_training_example_is_a_near_copy_of_a_held_out_emergency_item() -> None:
    found = near_copies(holdout_items(), training_examples())
    assert not found, "\n".join(f"{h!r} ~ {t!r} (chars {r}, words {o})" for h, t, r, o in found)


def test_the_held_out_set_has_the_size_the_issue_asks_for() -> None:
    data = yaml.safe_load(HOLDOUT.read_text("utf-8"))
    assert len(data["clear"]) >= 40 and len(data["near_miss"]) >= 40 and len(data["ordinary"]) >= 20


if __name__ == "__main__":
    training = training_examples()
    scored = sorted(((max(closeness(h, t)), h, t) for h in holdout_items() for t in training), reverse=True)
    print(f"{len(holdout_items())} held-out items, {len(training)} training examples; closest pairs:")
    for score, h, t in scored[:15]:
        print(f"  {score:.2f}  {h!r}  ~  {t!r}")

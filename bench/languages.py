"""Languages benchmark: the bilingual model (English + 普通话, ``linli_language.MixedTokenizer``) against the
English-only pipeline it replaced, both built, trained and served by the project's own code in one run.

    .venv/bin/python -m bench.languages                  # held-out sets, both models (about 10 min on 2 cores)
    .venv/bin/python -m bench.languages --validation     # the validation sets instead (to choose settings)

Measures, per model: training time (forced, one after the other so each has both cores), Rasa's memory
(process group RSS after the model is loaded and one parse), intent accuracy on the English held-out set and,
for the bilingual model, Chinese held-out intent accuracy and out-of-scope recall. Every sentence goes through
a running Rasa server's ``POST /model/parse`` on a free loopback port (the live API, so below the
FallbackClassifier threshold the answer is ``nlu_fallback``, as a resident would get it).

Scoring (decided here, used for both models):
- an in-scope sentence is right only when the predicted intent is its label (``nlu_fallback`` is wrong);
- an out-of-scope sentence is right when the prediction is ``out_of_scope`` or ``nlu_fallback`` (both end in
  the "I can't help with that" answer). ``knowledge_question`` does NOT count as out of scope: it sends the
  resident an office answer to a question they never asked.

The anchor ("English-only") is the project built from the English data only (every ``locale/`` folder left out)
with the pipeline as it was before the languages issue (``nlu_data/config.yml`` at ``a1660d8``: Rasa's
WhitespaceTokenizer). Prints a table and writes ``bench/results/languages.json``. Nothing here imports rasa.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from assistant.dialogue import engine
from assistant.shared.config import PROJECT_ROOT, Settings
from assistant.skill_runtime.build import build_project
from assistant.stack import Stack, free_ports
from bench.processes import loadavg, process_group_rss
from bench.report import Bench, Row, git_revision, machine, table, write_results
from bench.stats import holdout_sentences, now_iso

RESULTS = Path(__file__).resolve().parent / "results" / "languages.json"
HOLDOUT_ZH = PROJECT_ROOT / "tests" / "data" / "nlu_holdout_zh.yml"
HOLDOUT_EN = PROJECT_ROOT / "tests" / "data" / "nlu_holdout.yml"
VALIDATION_ZH = Path(__file__).resolve().parent / "data" / "nlu_validation_zh.yml"
VALIDATION_EN = Path(__file__).resolve().parent / "data" / "nlu_validation_en.yml"
ENGLISH_ONLY_CONFIG_REF = "a1660d8"
"""The commit whose ``nlu_data/config.yml`` is the English-only pipeline (main before the languages issue)."""

TARGETS = {
    "zh_accuracy": 0.90,
    "zh_oos_recall": 0.70,
    "train_s": 240.0,
    "rasa_rss_mb": 1300.0,
}
EN_TOLERANCE = 0
"""Held-out English sentences the bilingual model may get wrong beyond the English-only one: none (must not fall)."""

OUT_OF_SCOPE = "out_of_scope"
COUNTS_AS_OUT_OF_SCOPE = frozenset({OUT_OF_SCOPE, "nlu_fallback"})

# ------------------------------------------------------------------------------------------ near-copies

FILLERS = ("我跟你说", "麻烦你", "那个", "请问", "这个", "嗯", "啊", "呀", "吧", "呢", "哎", "哦", "嘛", "喂",
           "um", "uh", "erm", "er", "oh", "well")
"""Words that carry no meaning of their own: two sentences that differ only by them are the same sentence.
English ones are removed only as whole words (``er`` must not eat ``every``)."""
_ZH_FILLERS = [f for f in FILLERS if not f.isascii()]
_EN_FILLERS = re.compile(r"\b(?:" + "|".join(f for f in FILLERS if f.isascii()) + r")\b")
_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
NEAR_COPY_JACCARD = 0.8
"""Character-bigram Jaccard similarity (after ``fold``) at or above which two sentences are near-copies."""


def fold(text: str) -> str:
    """A sentence as compared for near-copies: Rasa entity markup removed, NFKC (full-width digits and
    letters made plain), lower case, fillers, punctuation and spaces removed."""
    text = _MARKUP.sub(r"\1", unicodedata.normalize("NFKC", text)).casefold().replace("’", "'")
    text = _EN_FILLERS.sub(" ", text)
    for filler in _ZH_FILLERS:
        text = text.replace(filler, "")
    return "".join(ch for ch in text if ch.isalnum())


def bigrams(folded: str) -> frozenset[str]:
    """Character bigrams; a one-character sentence is its own single "bigram" (so it can still match)."""
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i:i + 2] for i in range(len(folded) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class NearCopy:
    held_out: str
    training: str
    similarity: float  # 1.0 for an exact match after folding

    def __str__(self) -> str:
        return f"{self.held_out!r} ~ {self.training!r} (bigram Jaccard {self.similarity:.2f})"


def near_copies(held_out: Iterable[str], training: Iterable[str],
                threshold: float = NEAR_COPY_JACCARD) -> list[NearCopy]:
    """Every (held-out, training) pair that is the same after ``fold`` or whose bigram Jaccard ≥ threshold."""
    train = [(t, fold(t)) for t in dict.fromkeys(training)]
    train_grams = [(t, f, bigrams(f)) for t, f in train if f]
    found: list[NearCopy] = []
    for h in dict.fromkeys(held_out):
        fh = fold(h)
        gh = bigrams(fh)
        if not fh:
            continue
        for t, ft, gt in train_grams:
            if fh == ft:
                found.append(NearCopy(h, t, 1.0))
                continue
            small, big = sorted((len(gh), len(gt)))
            if big == 0 or small / big < threshold:  # Jaccard ≤ |smaller| / |bigger|: cannot reach it
                continue
            score = jaccard(gh, gt)
            if score >= threshold:
                found.append(NearCopy(h, t, round(score, 3)))
    return found


def _examples(value: Any) -> list[str]:
    """Examples as Rasa writes them (a ``- `` list in one string) or as skills do (a YAML list)."""
    if isinstance(value, str):
        return [line.strip()[2:].strip() for line in value.splitlines() if line.strip().startswith("- ")]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else None
    return data if isinstance(data, dict) else {}


def _intent_examples(intents: Any) -> list[str]:
    out: list[str] = []
    for body in (intents or {}).values() if isinstance(intents, dict) else []:
        if isinstance(body, dict):
            out += _examples(body.get("examples"))
    return out


def training_examples(root: Path = PROJECT_ROOT) -> list[str]:
    """Every sentence the built project trains on, read from the sources now (new files are picked up): the
    core's (``nlu_data/nlu.yml``, ``nlu_data/locale/*.yml``), every skill's (``skill.yml``, ``locale/*.yml``)
    and the knowledge base's questions."""
    from assistant.knowledge.entries import load_knowledge

    examples: list[str] = []
    for item in _yaml(root / "nlu_data" / "nlu.yml").get("nlu") or []:
        if isinstance(item, dict) and "intent" in item:
            examples += _examples(item.get("examples"))
    for skill in sorted((root / "skills").glob("*/skill.yml")):
        examples += _intent_examples(_yaml(skill).get("intents"))
    for path in [*sorted((root / "nlu_data" / "locale").glob("*.yml")),
                 *sorted((root / "skills").glob("*/locale/*.yml"))]:
        examples += _intent_examples(_yaml(path).get("intents"))
    knowledge = root / "knowledge"
    if knowledge.is_dir():
        examples += [str(q) for entry in load_knowledge(knowledge) for q in entry.questions]
    return [_MARKUP.sub(r"\1", e) for e in examples]


# ---------------------------------------------------------------------------------------------- scoring


def is_right(label: str, predicted: str | None) -> bool:
    if label == OUT_OF_SCOPE:
        return predicted in COUNTS_AS_OUT_OF_SCOPE
    return predicted == label


@dataclass
class Score:
    """One model on one labelled set: in-scope accuracy, out-of-scope recall, all-sentence accuracy."""
    in_scope: int = 0
    in_scope_right: int = 0
    out_of_scope: int = 0
    out_of_scope_right: int = 0
    fallback: int = 0
    mistakes: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_intent: dict[str, list[int]] = field(default_factory=dict)  # intent → [right, of]

    @property
    def accuracy(self) -> float | None:
        return self.in_scope_right / self.in_scope if self.in_scope else None

    @property
    def oos_recall(self) -> float | None:
        return self.out_of_scope_right / self.out_of_scope if self.out_of_scope else None

    @property
    def right(self) -> int:
        return self.in_scope_right + self.out_of_scope_right

    @property
    def total(self) -> int:
        return self.in_scope + self.out_of_scope

    @property
    def overall(self) -> float | None:
        return self.right / self.total if self.total else None

    def as_json(self) -> dict[str, Any]:
        r = (lambda x: round(x, 4) if x is not None else None)  # noqa: E731
        return {
            "in_scope": self.in_scope, "in_scope_right": self.in_scope_right, "accuracy": r(self.accuracy),
            "out_of_scope": self.out_of_scope, "out_of_scope_right": self.out_of_scope_right,
            "oos_recall": r(self.oos_recall), "overall_accuracy": r(self.overall), "nlu_fallback": self.fallback,
            "per_intent": {k: {"right": v[0], "of": v[1]} for k, v in sorted(self.per_intent.items())},
            "top_mistakes": [{"intent": i, "predicted": p, "n": n} for (i, p), n in self.mistakes.most_common(10)],
        }


def score(pairs: Iterable[tuple[str, str | None]]) -> Score:
    """``pairs`` of (label, predicted intent) → a Score (rules in the module docstring)."""
    s = Score()
    for label, predicted in pairs:
        right = is_right(label, predicted)
        s.fallback += predicted == "nlu_fallback"
        if label == OUT_OF_SCOPE:
            s.out_of_scope += 1
            s.out_of_scope_right += right
        else:
            s.in_scope += 1
            s.in_scope_right += right
        tally = s.per_intent.setdefault(label, [0, 0])
        tally[0] += right
        tally[1] += 1
        if not right:
            s.mistakes[(label, str(predicted))] += 1
    return s


def english_holds(bilingual: Score, english_only: Score, tolerance: int = EN_TOLERANCE) -> bool:
    """The bilingual model gets at least as many English held-out sentences right as the English-only one."""
    return bilingual.right >= english_only.right - tolerance


def _fmt(x: float | None) -> str:
    return f"{x:.3f}" if x is not None else "n/a"


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows from the results (``models.<name>.{train_s, rss_mb, en, zh}``, scores as ``as_json``)."""
    models = results.get("models", {})
    bi, en = models.get("bilingual", {}), models.get("english_only", {})
    out: list[Row] = []
    zh = bi.get("zh")
    if zh:
        acc, oos = zh.get("accuracy"), zh.get("oos_recall")
        out.append(Row(f"zh held-out intent accuracy ({zh['in_scope']} ex.)", _fmt(acc),
                       f"≥ {TARGETS['zh_accuracy']:.2f}", acc is not None and acc >= TARGETS["zh_accuracy"]))
        out.append(Row(f"zh out-of-scope recall ({zh['out_of_scope']} ex.)", _fmt(oos),
                       f"≥ {TARGETS['zh_oos_recall']:.2f}", oos is not None and oos >= TARGETS["zh_oos_recall"]))
    if en.get("zh"):
        out.append(Row("zh held-out intent accuracy, English-only model", _fmt(en["zh"].get("accuracy"))))
    if bi.get("en") and en.get("en"):
        b_en, e_en = bi["en"], en["en"]
        b_right = b_en["in_scope_right"] + b_en["out_of_scope_right"]
        e_right = e_en["in_scope_right"] + e_en["out_of_scope_right"]
        out.append(Row(f"en held-out accuracy: English-only → bilingual ({b_en['in_scope'] + b_en['out_of_scope']}"
                       " ex.)", f"{_fmt(e_en.get('overall_accuracy'))} → {_fmt(b_en.get('overall_accuracy'))}",
                       "must not fall", b_right >= e_right - EN_TOLERANCE))
    for name, label in (("english_only", "English-only"), ("bilingual", "bilingual")):
        m = models.get(name, {})
        if "train_s" in m:
            target = f"≤ {TARGETS['train_s']:.0f} s" if name == "bilingual" else ""
            out.append(Row(f"Training, {label} (forced)", f"{m['train_s']:.0f} s", target,
                           m["train_s"] <= TARGETS["train_s"] if name == "bilingual" else None))
        if "rss_mb" in m:
            target = f"≤ {TARGETS['rasa_rss_mb']:.0f} MB" if name == "bilingual" else ""
            out.append(Row(f"Rasa RSS after load + a parse, {label}", f"{m['rss_mb']:.0f} MB", target,
                           m["rss_mb"] <= TARGETS["rasa_rss_mb"] if name == "bilingual" else None))
    return out


# ---------------------------------------------------------------------------------------------- the run


def english_only_sources(root: Path, out: Path, config_ref: str = ENGLISH_ONLY_CONFIG_REF) -> Path:
    """A copy of the project's sources with every ``locale/`` folder left out and ``nlu_data/config.yml``
    as it was at ``config_ref``: what the English-only pipeline trained on."""
    for name in ("skills", "nlu_data", "knowledge"):
        if (root / name).is_dir():
            shutil.copytree(root / name, out / name, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    config = subprocess.run(["git", "show", f"{config_ref}:nlu_data/config.yml"], cwd=root, capture_output=True,
                            text=True, check=True, timeout=30).stdout
    (out / "nlu_data" / "config.yml").write_text(config, "utf-8")
    return out


def parse_all(url: str, token: str, sentences: list[tuple[str, str | None]]) -> list[str | None]:
    predicted: list[str | None] = []
    with httpx.Client(timeout=60) as http:
        for text, _ in sentences:
            r = http.post(f"{url}/model/parse", params={"token": token}, json={"text": text})
            r.raise_for_status()
            predicted.append((r.json().get("intent") or {}).get("name"))
    return predicted


def labelled(path: Path) -> list[tuple[str, str | None]]:
    sentences, source = holdout_sentences(path)
    if source != str(path):
        raise FileNotFoundError(f"{path}: {source}")
    return sentences


def measure_model(b: Bench, name: str, sources: Path, tmp: Path, sets: dict[str, Path]) -> None:
    """Build, train (forced), serve and score one model; results under ``models.<name>``."""
    out: dict[str, Any] = b.results.setdefault("models", {}).setdefault(name, {})
    built = build_project(sources, tmp / name / "rasa_project")
    out["fingerprint"] = built.fingerprint
    train_settings = Settings(root=sources, var_dir=tmp / name / "train-var")
    t0 = time.monotonic()
    model, _ = engine.train(train_settings, built.project, built.fingerprint, force=True,
                            progress=lambda line: b.say("  " + line.strip()))
    out["train_s"] = round(time.monotonic() - t0, 1)
    out["model_mb"] = round(model.stat().st_size / 2**20, 1)
    (port,) = free_ports(1)
    settings = Settings(root=sources, var_dir=tmp / name / "var", rasa_port=port, rasa_token=secrets.token_urlsafe(16))
    b.stack = stack = Stack(settings, progress=lambda line: b.say("  " + line))
    try:
        t0 = time.monotonic()
        child = stack.start_rasa(model)
        out["rasa_start_s"] = round(time.monotonic() - t0, 1)
        parse_all(settings.rasa_url, settings.rasa_token, [("你好", None), ("hello", None)])
        rss = process_group_rss(child.process.pid)
        out["rss_mb"], out["rss_peak_mb"] = rss["rss_mb"], rss["peak_mb"]
        for set_name, path in sets.items():
            sentences = labelled(path)
            predicted = parse_all(settings.rasa_url, settings.rasa_token, sentences)
            result = score((str(label), p) for (_, label), p in zip(sentences, predicted, strict=True))
            out[set_name] = {"file": str(path), **result.as_json()}
            b.say(f"  {name} {set_name}: in-scope {_fmt(result.accuracy)}, out-of-scope {_fmt(result.oos_recall)}")
    finally:
        stack.stop_all()
        b.stack = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.languages", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project root (skills/, nlu_data/, .git)")
    p.add_argument("--zh", type=Path, default=HOLDOUT_ZH, help="Chinese labelled set (Rasa NLU YAML)")
    p.add_argument("--en", type=Path, default=HOLDOUT_EN, help="English labelled set (Rasa NLU YAML)")
    p.add_argument("--validation", action="store_true",
                   help=f"score Chinese on {VALIDATION_ZH.relative_to(PROJECT_ROOT)} and English on "
                        f"{VALIDATION_EN.relative_to(PROJECT_ROOT)} (for choosing settings)")
    p.add_argument("--config-ref", default=ENGLISH_ONLY_CONFIG_REF, help="commit of the English-only config.yml")
    p.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    p.add_argument("--keep-var", action="store_true", help="keep the temporary folder (builds, logs)")
    return p.parse_args(argv)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    b = Bench(args)
    root = args.root.resolve()
    zh = VALIDATION_ZH if args.validation else args.zh
    en = VALIDATION_EN if args.validation else args.en
    sets = {"en": en, "zh": zh}
    b.results["meta"] = {"started": now_iso(), "root": str(root), "git": git_revision(root), "machine": machine(),
                         "targets": TARGETS, "sets": {k: str(v) for k, v in sets.items()},
                         "english_only_config": f"{args.config_ref}:nlu_data/config.yml",
                         "scoring": "in-scope: predicted == label; out-of-scope: out_of_scope or nlu_fallback"}
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-languages-"))
    interrupted = False
    try:
        with b.section("English-only (previous pipeline)"):
            sources = english_only_sources(root, tmp / "english-sources", args.config_ref)
            measure_model(b, "english_only", sources, tmp, sets)
        with b.section("Bilingual"):
            measure_model(b, "bilingual", root, tmp, sets)
    except KeyboardInterrupt:
        b.errors.append({"section": "run", "error": "interrupted", "traceback": ""})
        interrupted = True
    finally:
        if b.stack is not None:
            b.stack.stop_all()
            b.stack = None
        if args.keep_var:
            b.results["meta"]["kept"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        b.rows[:0] = rows(b.results)  # the figures first; a failed section's row after them
        b.results["meta"]["finished"] = now_iso()
        b.results["meta"]["loadavg_at_end"] = loadavg()
        write_results(b, args.out)
    print()
    print(f"Linli languages benchmark ({'validation' if args.validation else 'held-out'} sets, "
          f"{time.monotonic() - b.started:.0f} s)")
    print(table(b.rows))
    for line in b.notes:
        print(f"- {line}")
    print(f"\nResults: {args.out}")
    return 130 if interrupted else (1 if b.errors else 0)


if __name__ == "__main__":
    sys.exit(main())

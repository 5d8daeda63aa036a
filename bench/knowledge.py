"""Knowledge-base benchmark: held-out accuracy and false answers, query latency on one core, index build
time (1,000 synthetic entries, cold and after one change), model load time and memory, and the time from
saving a new entry file to the running knowledge base answering it.

    .venv/bin/python -m bench.knowledge [--lang en|zh-CN] [--quick] [--out bench/results/knowledge.json]

The threshold sweep in the results (``calibration``) is how each language's block of
``assistant/knowledge/thresholds.yml`` was chosen. ``--lang zh-CN`` measures the Chinese sets (held-out
tests/data/kb_holdout_zh.yml, calibration bench/data/kb_calibration_zh.yml) with the Chinese thresholds,
and skips the index-build and new-entry sections (they do not depend on the language).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assistant.knowledge.entries import KnowledgeEntry, load_knowledge
from bench.report import Bench, finish, git_revision, machine
from bench.stats import now_iso, summary_ms

TARGETS = {"top1": 0.90, "false_answer_rate": 0.0, "query_p95_ms": 20.0, "new_entry_s": 10.0}
TODAY = date(2026, 5, 12)
TOPICS = ["bus pass", "swimming pool", "chess club", "tax form", "gas meter", "window cleaning", "choir",
          "bicycle shed", "balcony plants", "computer class", "tai chi", "hearing test", "eye check",
          "walking group", "calligraphy", "sewing room", "tool library", "rain barrel", "fridge repair",
          "laundry room", "garden plot", "cooking class", "dance lesson", "english class", "bank visit"]
ASKS = [("When is the {t} open on {d}?", "what time does the {t} open {d}", "is the {t} open on {d}"),
        ("How do I sign up for the {t} in {m}?", "can I still join the {t} in {m}",
         "where do I register for the {t}, {m}"),
        ("Who do I ask about the {t} on floor {n}?", "who looks after the {t} on floor {n}",
         "{t} on floor {n}, who to ask"),
        ("Does the {t} cost money for group {n}?", "is the {t} free for group {n}",
         "how much is the {t} for group {n}")]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october"]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def synthetic_entries(count: int) -> list[KnowledgeEntry]:
    """``count`` distinct entries with three questions each (the same shapes as real ones, other words)."""
    entries = []
    for i in range(count):
        t, ask = TOPICS[i % len(TOPICS)], ASKS[(i // len(TOPICS)) % len(ASKS)]
        k = i // (len(TOPICS) * len(ASKS))
        words = {"t": t, "d": DAYS[k % 7] + (" evening" if k >= 7 else ""), "m": MONTHS[k % 10], "n": k}
        entries.append(KnowledgeEntry(id=f"synthetic-{i}", questions=tuple(q.format(**words) for q in ask),
                                      answer=f"Synthetic answer number {i} about the {t}.", source="bench"))
    return entries


def questions(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text("utf-8"))["questions"])


SETS = {"en": ("kb_holdout.yml", "kb_calibration.yml"), "zh-CN": ("kb_holdout_zh.yml", "kb_calibration_zh.yml")}
"""Per language: the held-out file (tests/data/) and the calibration file (bench/data/)."""


def holdout(root: Path, lang: str = "en") -> list[dict[str, Any]]:
    """The test set: never used to choose settings."""
    return questions(root / "tests" / "data" / SETS[lang][0])


def calibration(root: Path, lang: str = "en") -> list[dict[str, Any]]:
    """The calibration set the threshold and margin are chosen on (written apart from the test set)."""
    return questions(root / "bench" / "data" / SETS[lang][1])


def scored(index: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        top = index.search(case["text"], TODAY, top_k=2)
        answer = index.decide(top)
        rows.append({"text": case["text"], "expect": case["expect"], "top": top[0].entry.id,
                     "score": round(top[0].score, 4), "gap": round(top[0].score - top[1].score, 4),
                     "second": top[1].entry.id, "second_score": round(top[1].score, 4),
                     "answered": answer.entry.id if answer else None,
                     "offered": [m.entry.id for m in index.suggestions(top)]})
    return rows


def rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    faq = [r for r in rows if r["expect"]]
    other = [r for r in rows if not r["expect"]]
    return {"faq_questions": len(faq), "unrelated_questions": len(other),
            "top1_answered": round(sum(r["answered"] == r["expect"] for r in faq) / len(faq), 3),
            "top1_ranked": round(sum(r["top"] == r["expect"] for r in faq) / len(faq), 3),
            "answered_wrong": sum(r["answered"] not in (None, r["expect"]) for r in faq),
            "false_answer_rate": round(sum(r["answered"] is not None for r in other) / len(other), 3),
            "right_or_offered": round(sum(r["expect"] in (r["answered"], *r["offered"]) for r in faq) / len(faq), 3),
            "unrelated_offered": round(sum(bool(r["offered"]) for r in other) / len(other), 3),
            "false_answers": [r["text"] for r in other if r["answered"]],
            "missed": [r["text"] for r in faq if r["answered"] != r["expect"]]}


def setup(lang: str) -> Any:
    """The language's block of assistant/knowledge/thresholds.yml (model, questions, thresholds)."""
    from assistant.knowledge.index import language_setups

    return language_setups()[lang]


def lang_index(encoder: Any, cache: Path, lang: str) -> Any:
    from assistant.knowledge.index import KnowledgeIndex

    s = setup(lang)
    return KnowledgeIndex(encoder, cache, s.settings, questions_in=s.questions)


def measure_load(b: Bench, lang: str = "en", model: str | None = None) -> Any:
    rss0 = _rss_mb()
    t0 = time.monotonic()
    from assistant.knowledge.encoder import encoder_named

    encoder = encoder_named(model or setup(lang).encoder)
    load_s = time.monotonic() - t0
    added = _rss_mb() - rss0
    b.results["model_load"] = {"seconds": round(load_s, 2), "rss_mb_added": round(added, 1), "rss_mb": _rss_mb(),
                               "model_id": encoder.model_id}
    b.row(f"Model load (imports + {encoder.model_id}, {encoder.dtype}), RSS added", f"{load_s:.2f} s, +{added:.0f} MiB")
    return encoder


def measure_accuracy(b: Bench, encoder: Any, root: Path, tmp: Path, lang: str = "en") -> None:
    index = lang_index(encoder, tmp / "acc-cache", lang)
    index.build(load_knowledge(root / "knowledge"))
    s = index.settings
    calib = scored(index, calibration(root, lang))
    chosen = choose(sweep(calib), s.margin, suggest_sweep(calib))
    b.results["calibration"] = {"language": lang, "rates": rates(calib), "sweep": sweep(calib), "chosen": chosen,
                                "suggest_sweep": suggest_sweep(calib), "dtype": getattr(encoder, "dtype", "")}
    if (chosen["threshold"], chosen["suggest"]) != (s.threshold, s.suggest):
        b.note(f"the calibration set now chooses threshold {chosen['threshold']} and suggest {chosen['suggest']}; "
               f"thresholds.yml has {s.threshold} and {s.suggest} for {lang}")
    rows = scored(index, holdout(root, lang))
    r = rates(rows)
    b.results["accuracy"] = {"threshold": s.threshold, "margin": s.margin, **r, "per_question": rows}
    c = b.results["calibration"]["rates"]
    b.row(f"Calibration set: answered right / unrelated answered (t={s.threshold}, m={s.margin})",
          f"{c['top1_answered']:.1%} / {c['false_answer_rate']:.1%}")
    b.row(f"Calibration set: right entry answered or offered / unrelated offered (suggest ≥ {s.suggest})",
          f"{c['right_or_offered']:.1%} / {c['unrelated_offered']:.1%}")
    b.row(f"Held-out top-1 ({r['faq_questions']} paraphrases), ranked first",
          f"{r['top1_ranked']:.1%}", f"≥ {TARGETS['top1']:.0%}", r["top1_ranked"] >= TARGETS["top1"])
    b.row("Held-out answered straight away with the right entry",
          f"{r['top1_answered']:.1%} (wrong {r['answered_wrong']})")
    b.row("Held-out right entry answered or offered (\"Did you mean …?\")", f"{r['right_or_offered']:.1%}")
    b.row(f"Held-out unrelated questions answered ({r['unrelated_questions']})",
          f"{r['false_answer_rate']:.1%}", "0 %", r["false_answer_rate"] == 0)
    b.row("Held-out unrelated questions offered an entry (a button they can decline)",
          f"{r['unrelated_offered']:.1%}")


def sweep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Right / wrong / false answers for each threshold and margin on the calibration set."""
    faq = [r for r in rows if r["expect"]]
    other = [r for r in rows if not r["expect"]]
    out = []
    for t100 in range(40, 81):
        for m100 in range(0, 11, 2):
            t, m = t100 / 100, m100 / 100

            def ok(r: dict[str, Any], t: float = t, m: float = m) -> bool:
                return bool(r["score"] >= t and r["gap"] >= m)

            out.append({"threshold": t, "margin": m,
                        "right": round(sum(ok(r) and r["top"] == r["expect"] for r in faq) / len(faq), 3),
                        "wrong": sum(ok(r) and r["top"] != r["expect"] for r in faq),
                        "false_answers": sum(ok(r) for r in other)})
    return out


def suggest_sweep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each "did you mean" level: paraphrases whose entry is at least offered, unrelated ones offered one."""
    faq = [r for r in rows if r["expect"]]
    other = [r for r in rows if not r["expect"]]

    def offered(r: dict[str, Any], t: float) -> set[str]:
        return {e for e, sc in ((r["top"], r["score"]), (r["second"], r["second_score"])) if sc >= t}

    return [{"suggest": t / 100,
             "right_or_offered": round(sum(r["expect"] in offered(r, t / 100) for r in faq) / len(faq), 3),
             "unrelated_offered": round(sum(bool(offered(r, t / 100)) for r in other) / len(other), 3)}
            for t in range(40, 81, 1)]


def choose(rows: list[dict[str, Any]], margin: float, suggest_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How ``KnowledgeSettings`` is chosen on the calibration set.

    threshold: the lowest at which no unrelated question is answered and no paraphrase wrongly (at the design
    margin: two entries that close are both offered instead). suggest: the highest "did you mean" level at
    which at least 98 % of the paraphrases still get their entry answered or offered.
    """
    at_margin = [r for r in rows if abs(r["margin"] - margin) < 1e-9]
    safe = [r for r in at_margin if r["false_answers"] == 0 and r["wrong"] == 0] or at_margin
    best = min(safe, key=lambda r: r["threshold"])
    most = max((r["right_or_offered"] for r in suggest_rows), default=0.0)
    reach = [r for r in suggest_rows if r["right_or_offered"] >= min(0.98, most)] or suggest_rows[:1]
    return {"threshold": best["threshold"], "margin": margin, "right": best["right"],
            "suggest": max(r["suggest"] for r in reach)}


def _answer_times(index: Any, texts: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            index.answer(text, TODAY)
            out.append(time.perf_counter() - t0)
    return out


def measure_latency(b: Bench, encoder: Any, root: Path, tmp: Path, rounds: int, lang: str = "en") -> None:
    import torch  # the MiniLM encoder's threads; the default encoder runs numpy on one thread already

    index = lang_index(encoder, tmp / "lat-cache", lang)
    index.build(load_knowledge(root / "knowledge"))
    texts = [c["text"] for c in holdout(root, lang)]
    threads = torch.get_num_threads()
    affinity = os.sched_getaffinity(0)
    torch.set_num_threads(1)
    os.sched_setaffinity(0, {min(affinity)})  # "on one core"
    try:
        for text in texts[:10]:
            index.answer(text, TODAY)  # warm-up: first calls allocate
        samples = _answer_times(index, texts, rounds)
        index.build(synthetic_entries(1000))  # the same queries against 3,000 questions
        large = _answer_times(index, texts, rounds)
    finally:
        torch.set_num_threads(threads)
        os.sched_setaffinity(0, affinity)
    s, s_large = summary_ms(samples), summary_ms(large)
    b.results["query_latency_one_core"] = {"faq_30_entries": s, "synthetic_1000_entries": s_large}
    b.row("Query latency, one core, 30 entries p50 / p95", f"{s['p50']} / {s['p95']} ms",
          f"≤ {TARGETS['query_p95_ms']:.0f} ms", s["p95"] <= TARGETS["query_p95_ms"])
    b.row("Query latency, one core, 1,000 entries p50 / p95", f"{s_large['p50']} / {s_large['p95']} ms",
          f"≤ {TARGETS['query_p95_ms']:.0f} ms", s_large["p95"] <= TARGETS["query_p95_ms"])


def measure_build(b: Bench, encoder: Any, tmp: Path) -> None:
    from assistant.knowledge.index import KnowledgeIndex

    entries = synthetic_entries(1000)
    cache = tmp / "build-cache"
    t0 = time.monotonic()
    embedded = KnowledgeIndex(encoder, cache).build(entries)
    cold = time.monotonic() - t0
    changed = list(entries)
    changed[500] = changed[500].model_copy(update={"questions": ("a brand new question about the moon",
                                                                 *changed[500].questions[1:])})
    t0 = time.monotonic()
    again = KnowledgeIndex(encoder, cache).build(changed)  # a new index: the cache on disk is all it has
    warm = time.monotonic() - t0
    b.results["index_build"] = {"entries": len(entries), "questions": embedded, "cold_s": round(cold, 2),
                                "one_changed_s": round(warm, 3), "one_changed_embedded": again,
                                "torch_threads": __import__("torch").get_num_threads()}
    b.row(f"Index build, 1,000 entries ({embedded} questions), empty cache", f"{cold:.1f} s")
    b.row("Index rebuild, 1,000 entries, one entry changed", f"{warm * 1000:.0f} ms ({again} embedded)")


def measure_new_entry(b: Bench, encoder: Any, root: Path, tmp: Path) -> None:
    from assistant.knowledge.base import KnowledgeBase

    results = {}
    for label, extra in (("faq", 0), ("faq_plus_1000", 1000)):
        folder = tmp / f"kb-{label}"
        folder.mkdir()
        shutil.copy(root / "knowledge" / "office-faq.yml", folder)
        if extra:
            data = {"entries": [e.model_dump(exclude_none=True, exclude_defaults=True) | {"id": e.id,
                                "questions": list(e.questions)} for e in synthetic_entries(extra)]}
            (folder / "synthetic.yml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        kb = KnowledgeBase(folder, tmp / f"var-{label}", clock=lambda: TODAY, encoder=encoder)
        question = "when is the free flu jab day in the community this autumn"
        text = ("entries:\n  - id: flu-day\n    questions:\n      - When is the free flu jab day this autumn?\n"
                "      - is there a flu vaccination day for old people\n"
                "    answer: Saturday the 14th of November at the Community Clinic.\n")
        t0 = time.monotonic()
        (folder / "notice.yml").write_text(text, "utf-8")
        match = None
        while match is None and time.monotonic() - t0 < 30:
            match = kb.answer(question)
        took = time.monotonic() - t0
        assert match is not None and match.entry.id == "flu-day", "the new entry was not answered"
        results[label] = {"seconds": round(took, 3), "entries": len(kb.entries)}
        b.row(f"New entry file → answered ({len(kb.entries)} entries)", f"{took * 1000:.0f} ms",
              f"≤ {TARGETS['new_entry_s']:.0f} s", took <= TARGETS["new_entry_s"])
    b.results["new_entry"] = results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.knowledge", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one latency round instead of five")
    p.add_argument("--lang", choices=sorted(SETS), default="en", help="which held-out and calibration sets")
    p.add_argument("--encoder", choices=["minilm", "use"], help="another model than thresholds.yml's (to compare)")
    p.add_argument("--out", type=Path, help="JSON results (default: bench/results/knowledge[_zh-CN].json)")
    p.add_argument("--root", type=Path, default=Path("."))
    args = p.parse_args(argv)
    if args.out is None:
        suffix = "" if args.lang == "en" else f"_{args.lang}"
        args.out = Path(f"bench/results/knowledge{suffix}.json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    b = Bench(args)
    root = args.root.resolve()
    b.results["meta"] = {"started": now_iso(), "root": str(root), "git": git_revision(root), "machine": machine(),
                         "targets": TARGETS, "today": str(TODAY), "language": args.lang}
    tmp = Path(tempfile.mkdtemp(prefix="linli-kb-bench-"))
    encoder = None
    try:
        with b.section("Model load"):
            encoder = measure_load(b, args.lang, args.encoder)
        if encoder is not None:
            with b.section(f"Held-out accuracy ({args.lang})"):
                measure_accuracy(b, encoder, root, tmp, args.lang)
            with b.section(f"Query latency ({args.lang})"):
                measure_latency(b, encoder, root, tmp, 1 if args.quick else 5, args.lang)
            if args.lang == "en":
                with b.section("Index build"):
                    measure_build(b, encoder, tmp)
                with b.section("New entry"):
                    measure_new_entry(b, encoder, root, tmp)
    except KeyboardInterrupt:
        b.note("interrupted")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    held, calib = SETS[args.lang]
    b.note(f"Threshold and margin are chosen on bench/data/{calib} (calibration.chosen); the held-out set "
           f"tests/data/{held} is only measured.")
    return finish(b, args.out)


if __name__ == "__main__":
    sys.exit(main())

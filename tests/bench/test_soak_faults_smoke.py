"""Smoke test of ``bench/soak_faults.py``: the real stack, 2 simulated kiosks for ~20 s with parts killed at random
(the first kill comes 10–20 s in); nothing lost, nothing duplicated, every turn answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import soak_faults

pytestmark = pytest.mark.integration


def test_a_short_soak_loses_nothing_and_answers_every_turn(trained_model: Path) -> None:
    lines: list[str] = []
    results = soak_faults.run(minutes=20 / 60, kiosks=2, seed=7, model_cache=trained_model.parent,
                              say=lines.append)
    assert results["turns"] > 0 and results["requests_sent"] > 0, lines
    assert results["duplicated"] == 0 and results["lost"] == 0, results
    assert results["turns_without_answer"] == 0, results["unanswered_examples"]
    assert results["delivered"] == results["requests_accepted_by_outbox"]
    assert "requests sent / delivered" in soak_faults.table(results)

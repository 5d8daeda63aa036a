"""Live reload without Rasa, the side run by ``linli run``: the skills fingerprint, the reload pipeline's
decisions, the watcher's debounce and queueing. (The action server's side: test_action_server_reload.py.)

Validation and building are the real ones (on a temporary project root); only training, the action
server call and the model swap are small stand-ins that record what they were asked to do."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.dialogue.reload_protocol import read_status
from assistant.dialogue.reload_watcher import (
    KEEP_MODELS,
    Reloader,
    SkillWatcher,
    label_signature,
    model_fingerprint,
    prune_models,
    skills_fingerprint,
)
from assistant.shared.config import Settings
from assistant.shared.errors import EngineError
from assistant.skill_runtime.build import build_project

from .helpers import PARKING_SKILL, project_root

SECOND_SKILL = """\
name: bike_info
description: Where bikes go.
help: tell you where to leave a bike
intents:
  bike_info:
    examples:
      - where can I leave my bike
      - bicycle parking
      - is there a bike shed
      - where do bicycles go
      - can I park my bicycle inside
      - my grandson has a bike, where can he put it
      - bike storage
      - where is the bicycle shed
responses:
  utter_bike_info:
    - text: "Bikes go in the shed."
rules:
  - rule: answer bikes
    steps:
      - intent: bike_info
      - action: utter_bike_info
"""


@dataclass
class Recorder:
    """Stand-ins for the engine, the action server and Rasa, writing real (tiny) model files."""

    settings: Settings
    calls: list[tuple[str, Any]] = field(default_factory=list)
    refuse_finetune: bool = False
    fail_train: bool = False
    fail_actions: bool = False
    gate: threading.Event | None = None

    def train(self, project: Path, fingerprint: str, finetune_from: Path | None) -> Path:
        self.calls.append(("train", finetune_from))
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail_train or (finetune_from is not None and self.refuse_finetune):
            raise EngineError("Training failed: nope")
        model = self.settings.models_dir / f"linli-{fingerprint}{'-ft' if finetune_from else ''}.tar.gz"
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(b"model")
        return model

    def reload_actions(self) -> None:
        self.calls.append(("actions", None))
        if self.fail_actions:
            raise EngineError("The action server refused the new skill actions")

    def swap(self, model: Path) -> None:
        self.calls.append(("swap", model.name))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project_root(tmp_path)


@pytest.fixture
def settings(root: Path) -> Settings:
    return Settings(root=root, var_dir=root / "var", rasa_token="r")


@pytest.fixture
def rec(settings: Settings) -> Recorder:
    return Recorder(settings)


@pytest.fixture
def running_model(settings: Settings, rec: Recorder) -> Path:
    """What `linli run` leaves behind: the build folder and the model trained from it."""
    built = build_project(settings.root, settings.build_dir)
    model = rec.train(built.project, built.fingerprint, None)
    rec.calls.clear()
    return model


def reloader(settings: Settings, rec: Recorder, model: Path) -> Reloader:
    return Reloader(settings, current_model=model, train=rec.train, reload_actions=rec.reload_actions,
                    swap=rec.swap)


# --- fingerprint ---------------------------------------------------------------------------------

def test_fingerprint_follows_content_and_names_but_not_editor_droppings(root: Path) -> None:
    skills = root / "skills"
    first = skills_fingerprint(skills)
    assert skills_fingerprint(skills) == first
    for dropping in ("parking_info/.skill.yml.swp", "parking_info/skill.yml~", "parking_info/.#skill.yml",
                     "parking_info/__pycache__/actions.cpython-311.pyc"):
        (skills / dropping).parent.mkdir(parents=True, exist_ok=True)
        (skills / dropping).write_text("x")
    assert skills_fingerprint(skills) == first

    yml = skills / "parking_info" / "skill.yml"
    yml.write_text(yml.read_text() + "# a comment\n")
    changed = skills_fingerprint(skills)
    assert changed != first
    (skills / "parking_info" / "notes.md").write_text("")
    assert skills_fingerprint(skills) != changed


def test_label_signature_ignores_examples_and_responses_but_not_new_intents(root: Path) -> None:
    out = root / "build" / "p"
    base = label_signature(build_project(root, out).project)
    yml = root / "skills" / "parking_info" / "skill.yml"
    yml.write_text(PARKING_SKILL.format(answer="Near the South Gate now.").replace(
        "      - visitor parking\n", "      - visitor parking\n      - guest parking please\n"))
    assert label_signature(build_project(root, out).project) == base
    (root / "skills" / "bike_info").mkdir()
    (root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    assert label_signature(build_project(root, out).project) != base


def test_model_fingerprint_reads_full_and_finetuned_names() -> None:
    assert model_fingerprint(Path("linli-0123456789abcdef.tar.gz")) == "0123456789abcdef"
    assert model_fingerprint(Path("/x/linli-0123456789abcdef-ft.tar.gz")) == "0123456789abcdef"
    assert model_fingerprint(Path("model.tar.gz")) is None
    assert model_fingerprint(None) is None


# --- one reload ----------------------------------------------------------------------------------

def test_broken_skill_is_rejected_with_file_and_line_and_nothing_is_trained(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    (settings.root / "skills" / "parking_info" / "skill.yml").write_text("name: parking_info\nintents: [a\n  - b\n")
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "rejected"
    assert "parking_info/skill.yml:" in status["message"]
    assert status["model"] == running_model.name
    assert rec.calls == []
    assert read_status(settings) == status


def test_new_intent_trains_afresh_then_reloads_actions_then_swaps(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    (settings.root / "skills" / "bike_info").mkdir()
    (settings.root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    r = reloader(settings, rec, running_model)
    status = r.run()
    assert status["state"] == "swapped" and status["training"] == "full"
    assert rec.names() == ["train", "actions", "swap"]
    assert rec.calls[0] == ("train", None)
    assert status["model"] != running_model.name and status["skills"] == ["bike_info", "parking_info"]
    assert r.current_model is not None and r.current_model.name == status["model"]


def with_new_example(answer: str) -> str:
    """The parking skill with one example said differently (same labels: a finetune can take it)."""
    return PARKING_SKILL.format(answer=answer).replace("- visitor parking", "- parking for my visitors")


def test_a_changed_wording_is_published_without_training(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    (settings.root / "skills" / "parking_info" / "skill.yml").write_text(
        PARKING_SKILL.format(answer="At the South Gate."))
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "swapped" and status["training"] == "none (the model is unchanged)"
    assert not [c for c in rec.calls if c[0] in ("train", "swap")]
    words = json.loads(settings.words_path.read_text("utf-8"))
    assert words["languages"]["en"]["utter_parking_info"] == [{"text": "At the South Gate."}]


def test_only_examples_changed_finetunes_the_running_model(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    (settings.root / "skills" / "parking_info" / "skill.yml").write_text(with_new_example("At the South Gate."))
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "swapped" and status["training"] == "finetune"
    assert rec.calls[0] == ("train", running_model)
    assert status["model"].endswith("-ft.tar.gz")


def test_refused_finetune_falls_back_to_a_full_training(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    rec.refuse_finetune = True
    (settings.root / "skills" / "parking_info" / "skill.yml").write_text(with_new_example("At the South Gate."))
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "swapped" and status["training"] == "full (finetune refused)"
    assert [c for c in rec.calls if c[0] == "train"] == [("train", running_model), ("train", None)]


def test_failed_training_keeps_the_running_model(settings: Settings, rec: Recorder, running_model: Path) -> None:
    rec.fail_train = True
    (settings.root / "skills" / "bike_info").mkdir()
    (settings.root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    r = reloader(settings, rec, running_model)
    status = r.run()
    assert status["state"] == "failed" and status["step"] == "train" and "nope" in status["message"]
    assert "swap" not in rec.names() and "actions" not in rec.names()
    assert r.current_model == running_model and status["model"] == running_model.name


def test_action_server_refusal_keeps_the_running_model(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    rec.fail_actions = True
    (settings.root / "skills" / "bike_info").mkdir()
    (settings.root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "failed" and status["step"] == "swap"
    assert rec.names() == ["train", "actions"]


def test_a_change_that_does_not_touch_the_model_only_reloads_the_actions(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    yml = settings.root / "skills" / "parking_info" / "skill.yml"
    yml.write_text("# the same skill, with a comment\n" + yml.read_text())
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "swapped" and status["model"] == running_model.name
    assert rec.names() == ["actions"]


# --- the watcher ---------------------------------------------------------------------------------

def watcher(settings: Settings, rec: Recorder, model: Path, debounce: float = 3.0) -> SkillWatcher:
    return SkillWatcher(settings, None, debounce=debounce, model=model, train=rec.train,
                        reload_actions=rec.reload_actions, swap=rec.swap)


def test_watcher_waits_for_the_change_to_settle(settings: Settings, rec: Recorder, running_model: Path) -> None:
    w = watcher(settings, rec, running_model)
    assert not w.poll(0.0)                                   # nothing changed
    folder = settings.root / "skills" / "bike_info"
    folder.mkdir()
    (folder / "skill.yml").write_text(SECOND_SKILL.replace("bike_info", "bike_inf"))  # half-typed
    assert not w.poll(1.0)                                   # change seen at t=1
    assert not w.poll(3.5)                                   # not settled yet
    (folder / "skill.yml").write_text(SECOND_SKILL)          # still typing at t=3.9
    assert not w.poll(3.9)
    assert not w.poll(6.0)
    assert w.poll(6.9)                                       # 3 s after the last change
    assert w.wait_idle(10)
    assert w.runs == 1 and w.history[-1]["state"] == "swapped"
    assert not w.poll(20.0)                                  # applied: no second run
    assert rec.names() == ["train", "actions", "swap"]


def test_editor_temp_files_and_a_reverted_change_start_nothing(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    w = watcher(settings, rec, running_model, debounce=1.0)
    yml = settings.root / "skills" / "parking_info" / "skill.yml"
    (yml.parent / ".skill.yml.swp").write_text("swap")
    (yml.parent / "skill.yml~").write_text("backup")
    original = yml.read_text()
    yml.write_text(original + "# typing\n")
    w.poll(0.0)
    yml.write_text(original)                                  # undone before it settled
    for t in (0.5, 1.0, 5.0, 10.0):
        assert not w.poll(t)
    assert w.runs == 0 and rec.calls == []


def test_a_change_during_a_run_queues_exactly_one_more_run(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    rec.gate = threading.Event()
    w = watcher(settings, rec, running_model, debounce=1.0)
    skills = settings.root / "skills"
    (skills / "bike_info").mkdir()
    (skills / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    w.poll(0.0)
    assert w.poll(1.0) and w.busy                             # training, held at the gate
    while not rec.calls:                                      # (built: later saves are not in this run)
        threading.Event().wait(0.01)
    yml = skills / "parking_info" / "skill.yml"
    for i, t in enumerate((2.0, 2.5, 3.0)):                   # three saves while it trains
        yml.write_text(with_new_example(f"Answer {i}."))
        w.poll(t)
    assert not w.poll(10.0) and w.queued                      # settled, but never a second training at once
    assert not w.poll(11.0)
    rec.gate.set()
    deadline = 12.0
    while w.busy:
        threading.Event().wait(0.05)
    assert w.poll(deadline)                                   # the queued run, with the latest files
    assert w.wait_idle(10)
    assert w.runs == 2 and not w.queued
    assert [c[0] for c in rec.calls].count("train") == 2
    assert "Answer 2." in (settings.build_dir / "domain.yml").read_text()
    assert not w.poll(30.0)


def test_the_watcher_thread_reloads_by_itself(settings: Settings, rec: Recorder, running_model: Path) -> None:
    w = SkillWatcher(settings, None, interval=0.05, debounce=0.2, model=running_model, train=rec.train,
                     reload_actions=rec.reload_actions, swap=rec.swap)
    w.start()
    try:
        (settings.root / "skills" / "bike_info").mkdir()
        (settings.root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
        for _ in range(200):
            if w.runs:
                break
            threading.Event().wait(0.05)
        assert w.wait_idle(10)
        assert (read_status(settings) or {}).get("state") == "swapped"
        assert w.current_model is not None and w.current_model != running_model
    finally:
        w.stop()
    assert not w.is_alive()


def test_a_saved_knowledge_entry_is_retrained_as_examples_by_finetuning(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    """Knowledge questions are knowledge_question examples: the labels stay, so fine-tuning applies."""
    w = watcher(settings, rec, running_model, debounce=1.0)
    folder = settings.knowledge_dir
    folder.mkdir()
    (folder / "choir.yml").write_text("entries:\n  - id: choir\n    questions:\n      - When does the choir sing?\n"
                                      "    answer: On Sundays at nine.\n")
    assert not w.poll(0.0) and w.poll(1.5)
    assert w.wait_idle(10)
    status = w.history[-1]
    assert status["state"] == "swapped" and status["training"] == "finetune", status
    examples = (settings.build_dir / "data" / "knowledge" / "nlu.yml").read_text("utf-8")
    assert "When does the choir sing?" in examples


def test_a_broken_knowledge_file_is_rejected_and_nothing_is_trained(
        settings: Settings, rec: Recorder, running_model: Path) -> None:
    settings.knowledge_dir.mkdir()
    (settings.knowledge_dir / "bad.yml").write_text("entries:\n  - id: Bad Id\n    questions: [x]\n    answer: y\n")
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "rejected" and "bad.yml:" in status["message"]
    assert rec.calls == []


def test_old_models_are_pruned_but_never_the_running_or_the_previous_one(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    files = [models / f"linli-{i:016x}.tar.gz" for i in range(8)]
    for age, path in enumerate(reversed(files)):  # files[0] oldest
        path.write_bytes(b"m")
        os.utime(path, (1_000_000 - age * 60, 1_000_000 - age * 60))
    other = models / "notes.txt"
    other.write_text("not a model")
    removed = prune_models(models, keep={files[0]}, newest=3)
    assert sorted(removed) == sorted(files[1:5])
    kept = [files[0].name, *(f.name for f in files[5:]), "notes.txt"]
    assert sorted(p.name for p in models.iterdir()) == sorted(kept)


def test_a_successful_reload_prunes_old_models(settings: Settings, rec: Recorder, running_model: Path) -> None:
    for i in range(KEEP_MODELS + 3):
        old = settings.models_dir / f"linli-{i:016x}.tar.gz"
        old.write_bytes(b"m")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))  # all older than the running model
    (settings.root / "skills" / "bike_info").mkdir()
    (settings.root / "skills" / "bike_info" / "skill.yml").write_text(SECOND_SKILL)
    status = reloader(settings, rec, running_model).run()
    assert status["state"] == "swapped"
    left = {p.name for p in settings.models_dir.glob("linli-*.tar.gz")}
    assert len(left) == KEEP_MODELS and status["model"] in left and running_model.name in left

"""Live skill reload against the real stack: a broken skill is rejected, a new skill goes live within
3 minutes, and a conversation in the middle of a form carries on across the model swap.

The project root is a temporary copy (core data + the repair skill, so each training is short); the
repository's ``skills/`` are never touched. The three tests run in order on one stack and one watcher.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.dialogue import engine
from assistant.dialogue.rasa_client import ConversationClient
from assistant.dialogue.reload_protocol import read_status
from assistant.dialogue.reload_watcher import SkillWatcher, rasa_swapper
from assistant.shared.config import PROJECT_ROOT, Settings, current
from assistant.shared.events import Reply
from assistant.skill_runtime.build import build_project
from assistant.stack import Stack, free_ports

BROKEN_SKILL = """\
name: parking_info
help: tell you where visitors can park
intents:
  parking_info:
    examples: [where can my visitors park
      - this list is never closed
"""

PARKING_SKILL = """\
name: parking_info
description: Where visitors can park their cars.
help: tell you where visitors can park
intents:
  parking_info:
    examples:
      - where can my visitors park
      - where can visitors park their car
      - is there parking for guests
      - my son is visiting by car, where should he park
      - visitor parking
      - where is the car park for visitors
      - can my guests park inside the community
      - where do visitors leave their cars
responses:
  utter_parking_info:
    - text: "Visitors park by the North Gate."
actions:
  - action_parking_hours
rules:
  - rule: answer parking
    steps:
      - intent: parking_info
      - action: utter_parking_info
      - action: action_parking_hours
"""

PARKING_ACTIONS = '''\
from rasa_sdk import Action


class ActionParkingHours(Action):
    def name(self) -> str:
        return "action_parking_hours"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="The first two hours are free.")
        return []
'''

SWAP_LIMIT = 180.0
MODEL_CACHE = current("model_cache_override") or PROJECT_ROOT / "var" / "models"


@dataclass
class Live:
    root: Path
    stack: Stack
    watcher: SkillWatcher
    client: ConversationClient
    model: Path


def _texts(replies: list[Reply]) -> str:
    return " ".join(r.text for r in replies)


def _wait_status(settings: Settings, states: set[str], since: str | None, timeout: float) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(settings)
        if status and status.get("state") in states and status.get("at") != since:
            return status
        time.sleep(0.5)
    raise AssertionError(f"no {states} status within {timeout:.0f} s; last: {read_status(settings)}")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("reload") / "root"
    shutil.copytree(PROJECT_ROOT / "nlu_data", root / "nlu_data")
    (root / "skills").mkdir(parents=True)
    (root / "skills" / "__init__.py").write_text("")
    shutil.copytree(PROJECT_ROOT / "skills" / "report_repair", root / "skills" / "report_repair",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if (PROJECT_ROOT / "knowledge").is_dir():
        shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    services, actions, rasa = free_ports(3)
    settings = Settings(root=root, var_dir=root / "var", services_port=services, actions_port=actions,
                        rasa_port=rasa, kiosk_token="k", staff_token="s", rasa_token="r")
    built = build_project(root, settings.build_dir)
    # the starting model is cached by fingerprint like the other integration models
    model, _ = engine.train(Settings(var_dir=MODEL_CACHE.parent), built.project, built.fingerprint, progress=print)
    stack = Stack(settings, progress=print)
    # the stack's settings: they carry the reload secret the action server was started with
    watcher = SkillWatcher(stack.settings, stack, interval=0.5, debounce=1.0, model=model, progress=print)
    try:
        stack.start_all(model)
        watcher.start()
        with ConversationClient(settings.rasa_url, settings.rasa_token) as client:
            yield Live(root, stack, watcher, client, model)
    finally:
        watcher.stop()
        stack.stop_all()


def test_broken_skill_is_rejected_and_the_running_model_keeps_answering(live: Live) -> None:
    before = _texts(live.client.send("before-break", "I want to report a repair"))
    assert "what is broken" in before.lower()

    folder = live.root / "skills" / "parking_info"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "skill.yml").write_text(BROKEN_SKILL)
    status = _wait_status(live.stack.settings, {"rejected", "swapped", "failed"}, None, 60)

    assert status["state"] == "rejected", status
    assert "parking_info/skill.yml:" in status["message"], status["message"]
    assert status["model"] == live.model.name
    after = _texts(live.client.send("after-break", "I want to report a repair"))
    assert after == before


def test_new_skill_answers_within_three_minutes_and_a_form_in_progress_continues(live: Live) -> None:
    # a resident is in the middle of a repair report when the admin saves the fixed skill
    first = _texts(live.client.send("mid-form", "I want to report a repair"))
    assert "what is broken" in first.lower()
    rejected_at = (read_status(live.stack.settings) or {}).get("at")

    folder = live.root / "skills" / "parking_info"
    (folder / "actions.py").write_text(PARKING_ACTIONS)
    saved = time.monotonic()
    (folder / "skill.yml").write_text(PARKING_SKILL)
    status = _wait_status(live.stack.settings, {"swapped", "failed", "rejected"}, rejected_at, SWAP_LIMIT + 30)
    took = time.monotonic() - saved
    print(f"saved → swapped in {took:.0f} s ({status})")
    assert status["state"] == "swapped", status
    assert status["model"] != live.model.name
    assert took <= SWAP_LIMIT

    answer = _texts(live.client.send("parking", "where can my visitors park"))
    assert "Visitors park by the North Gate." in answer
    assert "The first two hours are free." in answer  # the new action, hot-loaded into the action server

    # the conversation started on the old model goes on: the answer fills the slot, the next question comes
    nxt = _texts(live.client.send("mid-form", "the kitchen tap is leaking"))
    assert "where is the problem" in nxt.lower(), nxt


def _loading_lines(settings: Settings) -> int:
    try:
        return (settings.var_dir / "logs" / "rasa.log").read_text("utf-8", errors="replace").count("Loading model")
    except OSError:
        return 0


def test_residents_are_answered_while_a_new_model_loads(live: Live) -> None:
    """Ordering, not timing: the answer arrives while ``PUT /model`` is still loading (Rasa's own route
    loads on its event loop, so before the fix every question waited for the whole load)."""
    settings = live.stack.settings
    model = live.watcher.current_model or live.model  # what Rasa runs: loaded again from a new request
    before = _loading_lines(settings)
    loaded = threading.Event()
    failure: list[BaseException] = []

    def swap() -> None:
        try:
            rasa_swapper(settings)(model)
        except BaseException as e:  # reported by the assertion below
            failure.append(e)
        finally:
            loaded.set()

    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    deadline = time.monotonic() + 60
    while _loading_lines(settings) == before and not loaded.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not failure, failure
    assert _loading_lines(settings) > before, "Rasa never started loading the model"
    replies = _texts(live.client.send("while-loading", "my kitchen tap is leaking"))
    answered_while_loading = not loaded.is_set()
    swapper.join(300)
    assert not failure, failure
    assert "where is the problem" in replies.lower(), replies
    assert answered_while_loading, "the answer waited for the model load"


def test_the_swapped_stack_still_runs_the_old_skill_end_to_end(live: Live) -> None:
    replies = _texts(live.client.send("after-swap", "my kitchen tap is leaking"))
    assert "where is the problem" in replies.lower(), replies
    assert live.watcher.runs >= 2 and not live.watcher.busy


def test_a_changed_wording_is_live_on_the_next_turn_without_training(live: Live) -> None:
    """Words are data (docs/languages.md): an admin's new sentence is published, not trained."""
    settings = live.stack.settings
    since = (read_status(settings) or {}).get("at")
    model_before = live.watcher.current_model
    skill = live.root / "skills" / "report_repair" / "skill.yml"
    text = skill.read_text("utf-8")
    old = "Where is the problem? Please say your building and flat,"
    assert old in text
    saved = time.monotonic()
    skill.write_text(text.replace(old, "Where is the trouble, please? Say your building and flat,"), encoding="utf-8")
    status = _wait_status(settings, {"swapped", "failed", "rejected"}, since, 120)
    took = time.monotonic() - saved
    print(f"wording saved → live in {took:.1f} s ({status})")
    assert status["state"] == "swapped" and status["training"].startswith("none"), status
    assert live.watcher.current_model == model_before
    first = _texts(live.client.send("new-wording", "my kitchen tap is leaking"))
    assert "Where is the trouble, please?" in first, first

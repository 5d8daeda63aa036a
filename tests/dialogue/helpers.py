"""Helpers shared by the dialogue tests."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from assistant.shared.config import PROJECT_ROOT


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])



PARKING_SKILL = """\
name: parking_info
description: Where visitors park.
help: tell you where visitors can park
intents:
  parking_info:
    examples:
      - where can my visitors park
      - visitor parking
      - where do guests leave the car
      - is there parking for guests
      - my son comes by car, where can he park
      - where is the car park for visitors
      - can my guests park inside
      - visitors cars, where do they go
responses:
  utter_parking_info:
    - text: "{answer}"
rules:
  - rule: answer parking
    steps:
      - intent: parking_info
      - action: utter_parking_info
"""
"""A small skill without actions; ``{answer}`` is its one response."""


def project_root(tmp_path: Path) -> Path:
    """A temporary project root: the real ``nlu_data/`` and ``skills/parking_info`` (PARKING_SKILL)."""
    root = tmp_path / "root"
    shutil.copytree(PROJECT_ROOT / "nlu_data", root / "nlu_data")
    (root / "skills" / "parking_info").mkdir(parents=True)
    (root / "skills" / "__init__.py").write_text("")
    (root / "skills" / "parking_info" / "skill.yml").write_text(PARKING_SKILL.format(answer="By the North Gate."))
    return root

"""Shared helpers of the skill runtime tests (fixtures using them are in conftest.py)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
NLU_DATA = PROJECT / "nlu_data"
FIXTURES = PROJECT / "tests" / "fixtures" / "skills"

EXAMPLES = (
    "where can I park my car",
    "is there visitor parking",
    "where do guests park",
    "can my son park here on sunday",
    "how much is a parking space",
    "where is the car park",
    "I need a place to park",
    "parking for visitors please",
)

ACTION_PY = '''\
from rasa_sdk import Action


class {cls}(Action):
    def name(self):
        return "{name}"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="{name} ran")
        return []
'''

MakeSkill = Callable[..., Path]


def action_class(name: str, cls: str | None = None) -> str:
    """Source of one rasa_sdk Action whose name() is ``name``."""
    cls = cls or "".join(part.capitalize() for part in name.split("_"))
    return ACTION_PY.format(name=name, cls=cls)


def skill_yaml(name: str, intent: str, extra: str = "", examples: tuple[str, ...] = EXAMPLES) -> str:
    lines = [
        f"name: {name}",
        "description: Tells residents where visitors can park.",
        "help: tell you where visitors can park",
        "intents:",
        f"  {intent}:",
        "    examples:",
        *[f"      - {ex}" for ex in examples],
    ]
    return "\n".join(lines) + "\n" + textwrap.dedent(extra).strip("\n") + "\n"


def copy_fixture(case: str, skills_dir: Path) -> Path:
    """Copy one ``tests/fixtures/skills/<case>`` folder alone into ``skills_dir``."""
    return Path(shutil.copytree(FIXTURES / case, skills_dir / case))


def marked_line(path: Path, marker: bytes = b"# ERROR") -> int:
    """1-based number of the line ending in ``# ERROR`` (read as bytes: one fixture is not UTF-8)."""
    hits = [n for n, line in enumerate(path.read_bytes().splitlines(), 1) if line.rstrip().endswith(marker)]
    assert len(hits) == 1, f"{path} must mark exactly one line with {marker!r}"
    return hits[0]


LATER_KIOSK = "later-kiosk-token"
LATER_STAFF = "later-staff-token"
"""Tokens of the services API that ``start_services_later`` starts."""

StartLater = Callable[[int], str]

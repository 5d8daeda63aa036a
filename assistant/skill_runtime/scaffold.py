"""``linli skill new NAME``: a skill folder that validates, trains and passes its own test."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.shared.errors import SkillError

from .schema import CORE_INTENTS, NAME_RE

MAX_NAME = 37
"""The generated ``utter_<name>_intro`` must itself be a valid name (49 characters at most)."""

SKILL_YML = """\
# {title}: written by `linli skill new`. See docs/skills.md for every key.
name: {name}
description: Answers questions about {words}.
help: tell you about {words}
intents:
  {name}:
    examples:
      - tell me about {words}
      - I would like to know about {words} please
      - excuse me, can you tell me something about {words}
      - my daughter said I should ask you about {words}
      - what do I need to know about {words}
      - I have a question about {words}
      - information on {words}
      - could you explain {words} to me, I am not sure how it works
      - {words}
      - hello, um, {words}, what is that about
responses:
  utter_{name}_intro:
    - text: "Here is what I know about {words}."
  utter_{name}_more:
    - text: "Please ask at the Community Service Centre for the details."
actions:
  - action_{name}
rules:
  - rule: answer {words}
    steps:
      - intent: {name}
      - action: utter_{name}_intro
      - action: action_{name}
tests:
  - name: answers a question about {words}
    turns:
      - user: I would like to know about {words} please
        expect: ["what I know about {words}"]
"""

ACTIONS_PY = '''\
"""Actions of the {name} skill. Keep them thin: fetch data through skill_runtime.context, then answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


class Action{cls}(Action):
    def name(self) -> str:
        return "action_{name}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_{name}_more")
        return []
'''


def new_skill(skills_dir: Path, name: str) -> Path:
    if not re.match(NAME_RE, name) or len(name) > MAX_NAME:
        raise SkillError(f"{name!r} is not a valid skill name.",
                         hint=f"Use up to {MAX_NAME} lower-case letters, digits and _, starting with a letter, "
                              "e.g. parking_info.")
    if name in CORE_INTENTS:  # the skill's intent takes its name, and core intents cannot be redefined
        raise SkillError(f"{name!r} is a built-in intent.", hint="Pick a more specific name, e.g. parking_info.")
    folder = skills_dir / name
    if folder.exists():
        raise SkillError(f"{folder} already exists; pick another name or edit that skill.")
    words = name.replace("_", " ")
    cls = "".join(part.capitalize() for part in name.split("_"))
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "skill.yml").write_text(SKILL_YML.format(name=name, words=words, title=words.capitalize()),
                                      encoding="utf-8")
    (folder / "actions.py").write_text(ACTIONS_PY.format(name=name, cls=cls), encoding="utf-8")
    return folder

"""Rasa's answers in the resident's language, from words published at run time (docs/languages.md).

Named in endpoints.yml (``nlg: {type: linli_nlg.LinliNLG, words: <file>, default_language: en}``), written by
``assistant/dialogue/engine.py``. Every answer — a rule's ``utter_...`` and an action's
``utter_message(response=...)`` — comes through :meth:`LinliNLG.generate`, which

1. decides the conversation's language by the one rule of ``foundation/language.py`` (loaded by its path:
   the project is not installed in this venv);
2. takes that language's variants of the response from the words file, else English's, else the trained
   domain's (a response added since the words were published);
3. fills them as Rasa's own TemplatedNaturalLanguageGenerator does (slots, then the action's values).

The words file is read again when it changes (its modification time and size), so an admin's new wording is
live on the next turn without training; a broken or half-written file keeps the words read before.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import Restarted, UserUttered

log = logging.getLogger(__name__)
LANGUAGE_FILE = Path(__file__).resolve().parents[1] / "foundation" / "language.py"
SOURCE_LANGUAGE = "en"


def _language_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linli_foundation_language", LANGUAGE_FILE)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the launcher
        raise ImportError(f"cannot load {LANGUAGE_FILE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


language = _language_module()


def event_dicts(events: Any) -> list[dict[str, Any]]:
    """The user turns and restarts of a Rasa tracker, as the event dicts ``foundation/language.py`` reads."""
    out: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            out.append({"event": "user", "text": event.text, "metadata": event.metadata or {}})
        elif isinstance(event, Restarted):
            out.append({"event": "restart"})
    return out


class LinliNLG(NaturalLanguageGenerator):
    """Responses per language from a words file that can change while Rasa runs."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None) -> None:
        kwargs = dict(getattr(endpoint_config, "kwargs", None) or {})
        self.words_path = Path(kwargs["words"]) if kwargs.get("words") else None
        self.default_language = language.normalise(kwargs.get("default_language")) or SOURCE_LANGUAGE
        self._domain = TemplatedNaturalLanguageGenerator(dict(getattr(domain, "responses", None) or {}))
        self._stamp: tuple[int, int] | None = None
        self._generators: dict[str, TemplatedNaturalLanguageGenerator] = {}

    def _current(self) -> dict[str, TemplatedNaturalLanguageGenerator]:
        """The generators per language, read again when the words file changed."""
        if self.words_path is None:
            return self._generators
        try:
            stat = os.stat(self.words_path)
        except OSError:
            return self._generators  # not published yet: the trained domain answers
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.words_path.read_text("utf-8"))
                self._generators = {lang: TemplatedNaturalLanguageGenerator(responses)
                                    for lang, responses in dict(data["languages"]).items()}
                self._stamp = stamp
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                log.exception("The words file %s could not be read; keeping the words read before",
                              self.words_path)
        return self._generators

    def language_of(self, tracker: Any) -> str:
        return str(language.conversation_language(event_dicts(tracker.events), self.default_language))

    async def generate(self, utter_action: str, tracker: Any, output_channel: str,
                       **kwargs: Any) -> dict[str, Any] | None:
        generators = self._current()
        chosen = self.language_of(tracker)
        for lang in dict.fromkeys((chosen, SOURCE_LANGUAGE)):
            generator = generators.get(lang)
            if generator is not None and utter_action in generator.responses:
                return await generator.generate(utter_action, tracker, output_channel, **kwargs)
        return await self._domain.generate(utter_action, tracker, output_channel, **kwargs)

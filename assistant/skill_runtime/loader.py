"""Find, validate and load skills. Every problem is reported with ``file:line`` and a fix.

Validation is all-or-nothing: :func:`load_skills` collects every error in every skill and raises one
:class:`SkillError` listing them, so nothing half-validated is ever built or trained.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from assistant.shared.errors import SkillError
from foundation.yaml_lines import LinedYaml, read_yaml

from .locales import LoadedLocale, check_locale, parse_locales
from .schema import Skill, Step, annotated_entities

# Actions Rasa itself provides; rules and stories may name them.
RASA_DEFAULT_ACTIONS = frozenset({
    "action_listen", "action_restart", "action_session_start", "action_default_fallback",
    "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
    "action_default_ask_rephrase", "action_two_stage_fallback", "action_back", "action_unlikely_intent",
    "action_extract_slots",
})
RASA_DEFAULT_INTENTS = frozenset({"nlu_fallback", "restart", "session_start", "back", "out_of_scope"})


@dataclass(frozen=True)
class CoreDomain:
    """The parts of ``nlu_data/domain.yml`` a skill may refer to."""

    intents: frozenset[str]
    entities: frozenset[str]
    slots: frozenset[str]
    responses: frozenset[str]
    actions: frozenset[str]

    @classmethod
    def read(cls, nlu_data: Path) -> CoreDomain:
        src = read_yaml(nlu_data / "domain.yml", SkillError)
        data = src.data or {}
        return cls(
            intents=frozenset(_names(data.get("intents", []))),
            entities=frozenset(_names(data.get("entities", []))),
            slots=frozenset((data.get("slots") or {}).keys()),
            responses=frozenset((data.get("responses") or {}).keys()),
            actions=frozenset(data.get("actions", []) or []),
        )


def _names(items: Iterable[Any]) -> list[str]:
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in items]


@dataclass(frozen=True)
class LoadedSkill:
    folder: Path
    source: LinedYaml
    spec: Skill
    action_classes: dict[str, type] = field(default_factory=dict)
    locales: dict[str, LoadedLocale] = field(default_factory=dict)
    """The skill in other languages: ``locale/<code>.yml`` by language code (docs/languages.md)."""

    @property
    def name(self) -> str:
        return self.spec.name


def skill_folders(skills_dir: Path) -> list[Path]:
    """Folders holding a ``skill.yml``; ``_private`` and hidden folders are skipped."""
    if not skills_dir.is_dir():
        return []
    return sorted(
        p for p in skills_dir.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "skill.yml").is_file()
    )


def _format_validation(src: LinedYaml, err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if x not in ("function-after",))
        path = ".".join(str(x) for x in loc) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r} (check the spelling; allowed keys are in docs/skills.md)"
        elif e["type"] == "missing":
            msg = f"{loc[-1]!r} is required"
        lines.append(f"{src.where(loc)}: {path}: {msg}")
    return lines


def parse_skill(folder: Path) -> tuple[LinedYaml | None, Skill | None, list[str]]:
    """Read and schema-check one skill; returns the problems instead of raising."""
    path = folder / "skill.yml"
    try:
        src = read_yaml(path, SkillError)
    except SkillError as e:
        return None, None, [str(e)]
    if not isinstance(src.data, dict):
        return src, None, [f"{path}:1: a skill file must be a mapping of keys (name:, intents:, ...)."]
    try:
        spec = Skill.model_validate(src.data)
    except ValidationError as e:
        return src, None, _format_validation(src, e)
    if spec.name != folder.name:
        return src, None, [f"{src.where(('name',))}: name {spec.name!r} must equal the folder name {folder.name!r}."]
    return src, spec, []


def _skills_package(skills_root: Path) -> str:
    """The package name the skill folders are imported under.

    Normally the folder's own name (``skills``). If that name is taken by another folder (a second
    skills tree, e.g. a test or a staging copy), a name derived from the path is registered instead,
    so relative imports inside a skill still work and the two trees never shadow each other.
    """
    root = skills_root.resolve()
    existing = sys.modules.get(skills_root.name)
    if existing is None:
        if str(root.parent) not in sys.path:
            sys.path.insert(0, str(root.parent))
        spec = importlib.util.find_spec(skills_root.name)
        located = list(spec.submodule_search_locations or []) if spec else []
    else:
        located = list(getattr(existing, "__path__", []))
    if [Path(p).resolve() for p in located] == [root]:
        return skills_root.name
    synthetic = f"_linli_skills_{hashlib.sha1(str(root).encode()).hexdigest()[:10]}"
    if synthetic not in sys.modules:
        package = ModuleType(synthetic)
        package.__path__ = [str(root)]
        package.__spec__ = importlib.machinery.ModuleSpec(synthetic, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(root)]
        sys.modules[synthetic] = package
    return synthetic


def _import_actions(folder: Path, skills_root: Path) -> ModuleType | None:
    if not (folder / "actions.py").is_file():
        return None
    module_name = f"{_skills_package(skills_root)}.{folder.name}.actions"
    if module_name in sys.modules:
        return importlib.reload(sys.modules[module_name])
    return importlib.import_module(module_name)


def _error_line(e: BaseException, path: Path) -> int:
    """Line of ``path`` where an import failed: the syntax error, or the deepest frame in that file."""
    if isinstance(e, SyntaxError) and e.filename and Path(e.filename).resolve() == path.resolve():
        return e.lineno or 1
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    return (lines[-1] or 1) if lines else 1


def _action_classes(module: ModuleType) -> dict[str, type]:
    from rasa_sdk import Action  # the action server's SDK, not Rasa itself

    found: dict[str, type] = {}
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Action) and obj.__module__ == module.__name__ and not inspect.isabstract(obj):
            try:
                instance: Any = obj()
                name = str(instance.name())
            except Exception:
                continue
            found[name] = obj
    return found


def check_actions(src: LinedYaml, spec: Skill, folder: Path) -> tuple[dict[str, type], list[str]]:
    """Strict registration: listed actions must exist as rasa_sdk Actions, and defined ones be listed."""
    problems: list[str] = []
    try:
        module = _import_actions(folder, folder.parent)
    except Exception as e:  # an admin's Python may fail in any way; report it, don't crash
        path = folder / "actions.py"
        return {}, [f"{path}:{_error_line(e, path)}: cannot import ({type(e).__name__}: {e})."]
    classes = _action_classes(module) if module else {}
    for i, name in enumerate(spec.actions):
        if name not in classes:
            where = src.where(("actions", i))
            if module is None:
                problems.append(f"{where}: action {name!r} is listed but {folder.name}/actions.py does not exist.")
            else:
                problems.append(
                    f"{where}: action {name!r} is listed but actions.py has no rasa_sdk Action whose name() "
                    f"returns {name!r}. Define `class ...(Action)` with `def name(self): return {name!r}`."
                )
    for name in classes:
        if name not in spec.actions:
            problems.append(
                f"{src.where(('actions',))}: actions.py defines {name!r} but skill.yml does not list it under "
                "'actions:'. Add it there so the assistant can use it."
            )
    return classes, problems


def cross_check(skills: list[LoadedSkill], core: CoreDomain) -> list[str]:
    """References between skills and the core domain: every name used must be defined somewhere."""
    problems: list[str] = []
    intents = set(core.intents) | RASA_DEFAULT_INTENTS
    owner: dict[str, str] = {i: "nlu_data/domain.yml" for i in core.intents}
    entities = set(core.entities)
    slots = set(core.slots)
    for s in skills:
        for i, intent in enumerate(s.spec.intents):
            if intent in owner:
                problems.append(f"{s.source.where(('intents', intent))}: intent {intent!r} is already defined "
                                f"in {owner[intent]}; pick another name or merge the examples there.")
            owner.setdefault(intent, str(s.source.path))
            intents.add(intent)
            del i
        entities.update(s.spec.entities)
        slots.update(s.spec.slots)
    actions = set(core.actions) | set(core.responses) | RASA_DEFAULT_ACTIONS
    said_by: dict[str, LoadedSkill] = {}
    for s in skills:
        for name, variants in s.spec.responses.items():
            other = said_by.setdefault(name, s)
            if other is not s and other.spec.responses[name] != variants:
                problems.append(f"{s.source.where(('responses', name))}: response {name!r} is also defined, with "
                                f"other words, in skill {other.name!r}; give one of them another name.")
        actions.update(s.spec.actions, s.spec.responses, s.spec.forms)
    for s in skills:
        problems.extend(_check_one(s, intents, entities, slots, actions))
    return problems


def _check_one(s: LoadedSkill, intents: set[str], entities: set[str], slots: set[str],
               actions: set[str]) -> list[str]:
    spec, src, out = s.spec, s.source, []
    for intent, body in spec.intents.items():
        for n, ex in enumerate(body.examples):
            for ent in annotated_entities(ex) - entities:
                out.append(f"{src.where(('intents', intent, 'examples', n))}: entity {ent!r} is not declared; "
                           "add it under 'entities:'.")
    for slot, slot_spec in spec.slots.items():
        for m, mapping in enumerate(slot_spec.mappings):
            loc = ("slots", slot, "mappings", m)
            if mapping.entity and mapping.entity not in entities:
                out.append(f"{src.where(loc)}: slot {slot!r} maps from entity {mapping.entity!r}, "
                           "which is not declared under 'entities:'.")
            for name in _as_list(mapping.intent) + _as_list(mapping.not_intent):
                if name not in intents:
                    out.append(f"{src.where(loc)}: unknown intent {name!r} in slot {slot!r}.")
            for cond in mapping.conditions:
                if cond.active_loop and cond.active_loop not in actions:
                    out.append(f"{src.where(loc)}: unknown form {cond.active_loop!r} in a condition.")
    for form, form_spec in spec.forms.items():
        for n, slot in enumerate(form_spec.required_slots):
            loc = ("forms", form, "required_slots", n)
            if slot not in slots:
                out.append(f"{src.where(loc)}: form {form!r} needs slot {slot!r}, which is not defined.")
            if f"utter_ask_{slot}" not in actions and f"action_ask_{slot}" not in actions:
                out.append(f"{src.where(loc)}: form {form!r} has no question for {slot!r}; add a response "
                           f"'utter_ask_{slot}' (or an action 'action_ask_{slot}').")
    for name, variants in spec.responses.items():
        for v, variant in enumerate(variants):
            for b, button in enumerate(variant.buttons):
                target = button.payload[1:].split("{", 1)[0] if button.payload.startswith("/") else None
                if target is not None and target not in intents:
                    out.append(f"{src.where(('responses', name, v, 'buttons', b))}: button payload "
                               f"{button.payload!r} names unknown intent {target!r}.")
    for intent, action in spec.interrupts.items():
        if intent not in spec.intents:
            out.append(f"{src.where(('interrupts', intent))}: interrupt intent {intent!r} is not an intent "
                       "of this skill.")
        if action not in actions:
            out.append(f"{src.where(('interrupts', intent))}: interrupt action {action!r} is not defined.")
    flows: list[tuple[str, int, list[Step]]] = [("rules", r, x.steps) for r, x in enumerate(spec.rules)]
    flows += [("stories", r, x.steps) for r, x in enumerate(spec.stories)]
    for kind, r, steps in flows:
        for st, step in enumerate(steps):
            where = src.where((kind, r, "steps", st))
            if step.intent is not None and step.intent not in intents:
                out.append(f"{where}: unknown intent {step.intent!r}.")
            if step.action is not None and step.action not in actions:
                out.append(f"{where}: unknown action or response {step.action!r}; define it "
                           "under 'responses:' or 'actions:'.")
            if step.active_loop and step.active_loop not in spec.forms and step.active_loop not in actions:
                out.append(f"{where}: unknown form {step.active_loop!r}.")
    return out


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def load_skills(skills_dir: Path, nlu_data: Path, *, import_actions: bool = True) -> list[LoadedSkill]:
    """Load every skill or none: raises one SkillError listing all problems found."""
    problems: list[str] = []
    try:
        core = CoreDomain.read(nlu_data)
    except SkillError as e:
        raise SkillError(f"The core domain is broken: {e}") from e
    loaded: list[LoadedSkill] = []
    for folder in skill_folders(skills_dir):
        src, spec, errs = parse_skill(folder)
        problems.extend(errs)
        if src is None or spec is None:
            continue
        classes: dict[str, type] = {}
        if import_actions:
            classes, errs = check_actions(src, spec, folder)
            problems.extend(errs)
        locales, errs = parse_locales(folder)
        problems.extend(errs)
        for locale in locales.values():
            problems.extend(check_locale(locale, spec.intents, set(spec.entities) | core.entities, spec.responses))
        loaded.append(LoadedSkill(folder=folder, source=src, spec=spec, action_classes=classes, locales=locales))
    problems.extend(cross_check(loaded, core))
    if problems:
        count = len(problems)
        raise SkillError(
            f"{count} problem{'s' if count != 1 else ''} in the skills; nothing was built:\n  "
            + "\n  ".join(problems)
        )
    return loaded

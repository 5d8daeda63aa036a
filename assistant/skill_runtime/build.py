"""Merge the core data (``nlu_data/``) and every skill into one Rasa project, then fingerprint it.

The build writes into a temporary folder and renames it into place, so a failed build never leaves a
half-written project behind. Rules that every form needs (cancel, pause-and-resume, interrupts) are
generated here, so "every form can be cancelled" holds for every skill an admin writes.

The admins' knowledge questions become examples of one intent, ``knowledge_question`` (answered by
``action_knowledge_answer``), so a question the office has answered is not mistaken for a skill's intent.
A new entry is answerable before the next training anyway: it reaches the knowledge base as
``out_of_scope`` or a low-confidence turn.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.knowledge.entries import KnowledgeError, default_knowledge_dir, load_knowledge
from assistant.shared.errors import BuildError, SkillError
from foundation.yaml_lines import read_yaml

from .loader import LoadedSkill, load_skills
from .locales import LoadedLocale, load_core_locales
from .published_words import WORDS_FILE, compile_words, write_words

RASA_VERSION = "3.6.21"
PAUSE_INTENTS = ("help", "repeat", "speak_slower", "bot_challenge")
"""Answered inside a form, which then asks its question again."""
QUESTION_INTENTS = ("out_of_scope", "knowledge_question")
"""Also answered inside a form (by the knowledge base), which then asks again — but only where a slot's
``from_text`` mapping declines them with ``not_intent``. Free text such as a repair description may well
sound like an office question ("the lift has stopped working"), so they are not guarded everywhere; a
question that wants a place (``facility_hours``, ``navigate_to``) declines them, so "who won the match
last night?" is answered instead of being taken for the name of a place, again and again."""
CORE_INTERRUPTS = {"human_handoff": "action_human_handoff"}
"""Stop the form and do something else (skills add theirs with ``interrupts:``)."""
STOP_FORM_ACTION = "action_stop_form"


@dataclass(frozen=True)
class BuildResult:
    project: Path
    fingerprint: str
    skills: tuple[str, ...]


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(text, encoding="utf-8")


def _rasa_examples(examples: list[str]) -> str:
    return "".join(f"- {ex}\n" for ex in examples)


def _intent_list(domain: dict[str, Any]) -> list[str]:
    return [next(iter(i)) if isinstance(i, dict) else i for i in domain.get("intents", [])]


def _merge_slot(domain_slots: dict[str, Any], name: str, slot: dict[str, Any], skill: str) -> None:
    """Two skills may share a slot (``phone``): same type, mappings appended."""
    if name not in domain_slots:
        domain_slots[name] = slot
        return
    existing = domain_slots[name]
    if existing["type"] != slot["type"]:
        raise BuildError(f"Slot {name!r} is a {existing['type']} slot elsewhere but a {slot['type']} slot in "
                         f"skill {skill!r}; use one type or rename it.")
    for mapping in slot["mappings"]:
        if mapping not in existing["mappings"]:
            existing["mappings"].append(mapping)
    if existing.get("values") or slot.get("values"):
        existing["values"] = sorted(set(existing.get("values") or []) | set(slot.get("values") or []))


def _core_answer_actions(core_rules: list[dict[str, Any]]) -> dict[str, str]:
    """intent → action from the core's two-step rules (``help`` → ``action_help``)."""
    answers: dict[str, str] = {}
    for rule in core_rules:
        steps = rule.get("steps", [])
        if len(steps) == 2 and "intent" in steps[0] and "action" in steps[1] and "condition" not in rule:
            answers[steps[0]["intent"]] = steps[1]["action"]
    return answers


def form_rules(forms: list[str], answers: dict[str, str], interrupts: dict[str, str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for form in forms:
        cond = [{"active_loop": form}]
        rules.append({"rule": f"cancel inside {form}", "condition": cond, "steps": [
            {"intent": "cancel"}, {"action": STOP_FORM_ACTION}, {"active_loop": None},
            {"action": "utter_cancelled"}]})
        for intent in (*PAUSE_INTENTS, *QUESTION_INTENTS):
            if intent in answers:
                rules.append({"rule": f"{intent} inside {form}", "condition": cond, "steps": [
                    {"intent": intent}, {"action": answers[intent]}, {"action": form}, {"active_loop": form}]})
        for intent, action in interrupts.items():
            rules.append({"rule": f"{intent} stops {form}", "condition": cond, "steps": [
                {"intent": intent}, {"action": STOP_FORM_ACTION}, {"active_loop": None}, {"action": action}]})
    return rules


def _guard_free_text(slots: dict[str, Any], guarded: list[str]) -> None:
    """Free-text slots must not swallow "stop", "help" or an emergency said mid-form."""
    for slot in slots.values():
        for mapping in slot["mappings"]:
            if mapping.get("type") == "from_text":
                current = mapping.get("not_intent") or []
                current = [current] if isinstance(current, str) else list(current)
                mapping["not_intent"] = current + [i for i in guarded if i not in current]


KNOWLEDGE_INTENT = "knowledge_question"


def build_project(root: Path, out_dir: Path, *, skills_dir: Path | None = None,
                  knowledge_dir: Path | None = None) -> BuildResult:
    """Validate everything, then write the merged Rasa project to ``out_dir`` atomically."""
    nlu_data = root / "nlu_data"
    skills = load_skills(skills_dir or root / "skills", nlu_data)
    core_locales = load_core_locales(nlu_data)
    try:
        # every language's questions: a Chinese office question must not be taken for a skill's intent
        entries = load_knowledge(knowledge_dir or default_knowledge_dir(root))
        knowledge = [q for e in entries for q in e.questions_in(None)]
    except KnowledgeError as e:
        raise BuildError(e.message, hint=e.hint or "`linli kb validate` shows every problem.") from e
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # next to out_dir, not in /tmp: a rename across filesystems fails (EXDEV), within one it is atomic
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    try:
        _write_project(nlu_data, skills, tmp)
        _write_core_locales(core_locales, tmp)
        _write_knowledge_data(knowledge, tmp)
        write_words(tmp / WORDS_FILE, compile_words(nlu_data, skills, core_locales))
        fingerprint = project_fingerprint(tmp)
        (tmp / "fingerprint").write_text(fingerprint + "\n", encoding="utf-8")
        old = out_dir.with_name(out_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return BuildResult(project=out_dir, fingerprint=fingerprint, skills=tuple(s.name for s in skills))


def _write_project(nlu_data: Path, skills: list[LoadedSkill], out: Path) -> None:
    domain: dict[str, Any] = dict(read_yaml(nlu_data / "domain.yml", SkillError).data or {})
    core_rules: list[dict[str, Any]] = (read_yaml(nlu_data / "rules.yml", SkillError).data or {}).get("rules", [])
    domain.setdefault("entities", [])
    domain.setdefault("slots", {})
    domain.setdefault("forms", {})
    domain.setdefault("responses", {})
    domain.setdefault("actions", [])
    intents = _intent_list(domain)
    interrupts = dict(CORE_INTERRUPTS)
    manifest = []
    for s in skills:
        # exclude_unset keeps an explicit `active_loop: null` step and drops unwritten defaults
        spec = s.spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
        for key in ("entities", "slots", "forms", "responses", "actions", "synonyms", "lookups", "regexes",
                    "rules", "stories"):
            spec.setdefault(key, [] if key in ("entities", "actions", "rules", "stories") else {})
        for slot in spec["slots"].values():
            slot.setdefault("influence_conversation", False)
        intents.extend(spec["intents"])
        for ent in spec["entities"]:
            if ent not in domain["entities"]:
                domain["entities"].append(ent)
        for name, slot in spec["slots"].items():
            _merge_slot(domain["slots"], name, slot, s.name)
        domain["forms"].update(spec["forms"])
        for name, variants in spec["responses"].items():
            if name in domain["responses"] and domain["responses"][name] != variants:
                raise BuildError(f"Response {name!r} is defined differently in skill {s.name!r} and elsewhere "
                                 f"({s.source.path}); give one of them another name or make them the same.")
            domain["responses"][name] = variants
        domain["actions"].extend(a for a in spec["actions"] if a not in domain["actions"])
        interrupts.update(s.spec.interrupts)
        manifest.append({"name": s.name, "help": s.spec.help, "description": s.spec.description,
                         "intents": list(spec["intents"])})
        _write_skill_data(s, spec, out)
    domain["intents"] = intents
    if STOP_FORM_ACTION not in domain["actions"]:
        domain["actions"].append(STOP_FORM_ACTION)
    guarded = ["cancel", *PAUSE_INTENTS, *interrupts]
    _guard_free_text(domain["slots"], guarded)
    _dump(out / "domain.yml", domain)
    shutil.copy(nlu_data / "config.yml", out / "config.yml")
    core_dir = out / "data" / "core"
    core_dir.mkdir(parents=True, exist_ok=True)
    for name in ("nlu.yml", "rules.yml", "stories.yml"):
        if (nlu_data / name).exists():
            shutil.copy(nlu_data / name, core_dir / name)
    generated = form_rules(list(domain["forms"]), _core_answer_actions(core_rules), interrupts)
    _dump(out / "data" / "generated" / "form_rules.yml", {"version": "3.1", "rules": generated})
    (out / "skills.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _merged(*tables: dict[str, list[str]]) -> dict[str, list[str]]:
    """Synonyms or lookups of every language under one name each (Rasa wants one block per name)."""
    out: dict[str, list[str]] = {}
    for table in tables:
        for name, words in table.items():
            out.setdefault(name, [])
            out[name] += [w for w in words if w not in out[name]]
    return out


def _write_skill_data(s: LoadedSkill, spec: dict[str, Any], out: Path) -> None:
    folder = out / "data" / "skills" / s.name
    nlu: list[dict[str, Any]] = [{"intent": name, "examples": _rasa_examples(body["examples"])}
                                 for name, body in spec["intents"].items()]
    locales = [s.locales[code].spec for code in sorted(s.locales)]
    synonyms = _merged(spec["synonyms"], *(loc.synonyms for loc in locales))
    lookups = _merged(spec["lookups"], *(loc.lookups for loc in locales))
    nlu += [{"synonym": value, "examples": _rasa_examples(words)} for value, words in synonyms.items()]
    nlu += [{"lookup": name, "examples": _rasa_examples(words)} for name, words in lookups.items()]
    nlu += [{"regex": name, "examples": _rasa_examples(pats)} for name, pats in spec["regexes"].items()]
    _dump(folder / "nlu.yml", {"version": "3.1", "nlu": nlu})
    for code in sorted(s.locales):
        _write_locale_intents(s.locales[code], folder / f"nlu.{code}.yml")
    if spec["rules"]:
        _dump(folder / "rules.yml", {"version": "3.1", "rules": spec["rules"]})
    if spec["stories"]:
        _dump(folder / "stories.yml", {"version": "3.1", "stories": spec["stories"]})


def _write_locale_intents(locale: LoadedLocale, path: Path) -> None:
    """One language's examples of a skill's (or the core's) intents, in their own training file."""
    nlu = [{"intent": name, "examples": _rasa_examples(body.examples)} for name, body in locale.spec.intents.items()]
    if nlu:
        _dump(path, {"version": "3.1", "nlu": nlu})


def _write_core_locales(core_locales: dict[str, LoadedLocale], out: Path) -> None:
    for code, locale in sorted(core_locales.items()):
        _write_locale_intents(locale, out / "data" / "core" / f"nlu.{code}.yml")
        if locale.spec.synonyms or locale.spec.lookups:
            nlu = [{"synonym": v, "examples": _rasa_examples(w)} for v, w in locale.spec.synonyms.items()]
            nlu += [{"lookup": n, "examples": _rasa_examples(w)} for n, w in locale.spec.lookups.items()]
            _dump(out / "data" / "core" / f"words.{code}.yml", {"version": "3.1", "nlu": nlu})


def _write_knowledge_data(questions: list[str], out: Path) -> None:
    """The knowledge questions as ``knowledge_question`` examples, minus any a skill or the core already uses
    (one example with two intents is an error in Rasa; the skill keeps it)."""
    taken: set[str] = set()
    for path in (out / "data").rglob("nlu*.yml"):
        for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu", []):
            if "intent" in item:
                taken.update(_fold(line.lstrip("- ")) for line in str(item.get("examples", "")).splitlines())
    # "[" starts Rasa's entity markup: a question is plain text
    examples = [q.replace("[", "(").replace("]", ")") for q in questions]
    examples = [q for q in dict.fromkeys(examples) if _fold(q) not in taken]
    nlu = [{"intent": KNOWLEDGE_INTENT, "examples": _rasa_examples(examples)}] if examples else []
    _dump(out / "data" / "knowledge" / "nlu.yml", {"version": "3.1", "nlu": nlu})


def _fold(text: str) -> str:
    return " ".join(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).casefold().split())


NOT_TRAINED = ("fingerprint", "skills.json", WORDS_FILE)
"""Files of a built project that training does not read (the words are read at run time)."""


def _trained_bytes(project: Path, path: Path) -> bytes:
    """What of a file training depends on: the domain without its responses' wording (names stay: a new
    response is a new action), anything else whole."""
    if path != project / "domain.yml":
        return path.read_bytes()
    domain = yaml.safe_load(path.read_text("utf-8")) or {}
    domain["responses"] = sorted(domain.get("responses") or {})
    return json.dumps(domain, sort_keys=True, ensure_ascii=False).encode()


def project_fingerprint(project: Path) -> str:
    """Hash of everything that affects training, plus the Rasa version: same hash, same model. A changed
    wording keeps the hash (docs/languages.md): it is published, not trained."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in sorted(p for p in project.rglob("*") if p.is_file() and p.name not in NOT_TRAINED):
        digest.update(str(path.relative_to(project)).encode())
        digest.update(b"\0")
        digest.update(_trained_bytes(project, path))
        digest.update(b"\0")
    return digest.hexdigest()[:16]

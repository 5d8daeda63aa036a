"""``assistant.places.community``: the kiosk's map and QR key from ``LINLI_MAP`` / ``LINLI_QR_KEY``, read at each call,
and wayfinding's errors as the kiosk's ``ConfigError`` (so every ``except LinliError`` still catches them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.places.community import default_map_path, keys_cache, load_keys, load_map
from assistant.shared.errors import ConfigError, LinliError
from wayfinding.community_map import DEMO_MAP_PATH, MapError
from wayfinding.errors import KeyConfigError
from wayfinding.key_ring import rotate_key

ROOT = Path(__file__).resolve().parents[2]


def test_default_map_path_is_the_demo_unless_linli_map_is_set(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.delenv("LINLI_MAP", raising=False)
    assert default_map_path() == DEMO_MAP_PATH == ROOT / "assets" / "maps" / "sunny-garden.yml"
    monkeypatch.setenv("LINLI_MAP", str(tmp_path / "other.yml"))
    assert default_map_path() == tmp_path / "other.yml"
    monkeypatch.setenv("LINLI_MAP", "  ")
    assert default_map_path() == DEMO_MAP_PATH


def test_a_broken_map_is_a_config_error_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("community: [unclosed\n", "utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yml:\d+: this is not valid YAML") as err:
        load_map(broken)
    assert isinstance(err.value, LinliError) and isinstance(err.value.__cause__, MapError)
    assert err.value.hint and "indentation" in err.value.hint


def test_environment_key_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_QR_KEY", "  Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ  ")
    assert load_keys(tmp_path).current.secret == b"Q2hhbmdlLW1lLXRvLWEtcmFuZG9tLWtleQ"
    assert not (tmp_path / "qr-key").exists()
    monkeypatch.delenv("LINLI_QR_KEY")
    assert load_keys(tmp_path).current.secret == (tmp_path / "qr-key").read_text().strip().encode()


@pytest.mark.parametrize("bad", ["short", "has spaces in the middle of it!!", "x" * 21])
def test_a_weak_environment_key_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("LINLI_QR_KEY", bad)
    with pytest.raises(ConfigError, match="LINLI_QR_KEY") as err:
        load_keys(tmp_path)
    assert isinstance(err.value.__cause__, KeyConfigError) and err.value.hint
    with pytest.raises(ConfigError, match="LINLI_QR_KEY"):
        keys_cache(tmp_path)


def test_the_ring_keys_come_with_the_legacy_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_QR_KEY", raising=False)
    legacy = load_keys(tmp_path).current
    assert legacy.id == "0"
    rotate_key(tmp_path, None)
    ring = load_keys(tmp_path)
    assert ring.ids == ("0", "1") and ring.current.id == "1" and ring.get("0") == legacy
    assert keys_cache(tmp_path).get() == ring


def test_a_broken_ring_key_is_a_config_error_with_file_and_line(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_QR_KEY", raising=False)
    (tmp_path / "qr-keys").mkdir()
    (tmp_path / "qr-keys" / "1").write_text("created: 2025-01-01T00:00:00+00:00\nkey: short\n")
    with pytest.raises(ConfigError, match=r"qr-keys/1:2: this QR key is not usable"):
        load_keys(tmp_path)


def test_tour_stories_are_needed_in_the_languages_linli_languages_names(monkeypatch: pytest.MonkeyPatch) -> None:
    only_english_story = ROOT / "tests" / "fixtures" / "maps" / "tour-story-missing-language.yml"
    monkeypatch.setenv("LINLI_LANGUAGES", "en,zh-CN")
    with pytest.raises(ConfigError, match=r"tour-story-missing-language\.yml:23: the story is missing in zh-CN"):
        load_map(only_english_story)
    monkeypatch.setenv("LINLI_LANGUAGES", "en")
    monkeypatch.setenv("LINLI_DEFAULT_LANGUAGE", "en")
    assert load_map(only_english_story).tours[0].id == "tiny-walk"

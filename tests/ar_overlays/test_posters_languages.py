"""The posters carry every language in ``ar_overlays/locale`` (English and Chinese), in the bundled CJK font.

"Renders without an exception" would pass with empty boxes (tofu) or with the Chinese left out, so these
tests look at the pixels: the Chinese adds ink where a Chinese-less poster has none, and every Chinese
character the posters print has a real glyph in the font, not the font's missing-glyph box.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from ar_overlays import posters
from ar_overlays.posters import marker_poster, place_poster, poster_words
from wayfinding.community_map import CommunityMap, default_map_path, load_map

URL = "https://linli.example/guide/sunny-garden?to=community-clinic&sig=abc"
MISSING = "\ue000"
"""A private-use character no font has: what the font draws for a glyph it lacks."""


@pytest.fixture(scope="module")
def community() -> CommunityMap:
    return load_map(default_map_path())


@contextmanager
def english_only(tmp_path: Path) -> Iterator[None]:
    """Posters made inside carry English only (a words folder with just ``en.yml``)."""
    shutil.copy(posters.LOCALE_DIR / "en.yml", tmp_path / "en.yml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(posters, "LOCALE_DIR", tmp_path)
        poster_words.cache_clear()
        try:
            yield
        finally:
            poster_words.cache_clear()


def ink(image: Image.Image) -> int:
    return int((np.asarray(image) < 128).sum())


def glyph(text: str, size: int = 80) -> np.ndarray:
    page = Image.new("L", (size * 2, size * 2), 255)
    ImageDraw.Draw(page).text((10, 10), text, font=posters._font(size), fill=0)
    return np.asarray(page) < 128


def test_every_language_has_every_poster_word() -> None:
    languages = dict(poster_words())
    assert list(languages)[:2] == ["en", "zh-CN"]  # English first: the map's `name` is English
    for lang, words in languages.items():
        assert set(words) == set(languages["en"]), lang


def test_the_chinese_is_on_the_place_poster(community: CommunityMap, tmp_path: Path) -> None:
    clinic = community.place("community-clinic")
    assert clinic is not None
    with english_only(tmp_path):
        english = place_poster(community, clinic, URL).image
    both = place_poster(community, clinic, URL).image
    assert both.size == english.size == (2480, 3508)  # still one A4 page
    title = glyph("去社区卫生服务站", 150).sum()
    assert ink(both) - ink(english) > title  # the Chinese title and more: its scan lines and address line
    differing_rows = np.flatnonzero((np.asarray(both) != np.asarray(english)).any(axis=1))
    assert differing_rows.size > 400  # a band of new lines, not a speck


def test_the_marker_poster_names_the_post_in_chinese(community: CommunityMap, tmp_path: Path) -> None:
    post = community.marker(4)
    assert post is not None and post.name_zh == "花园路，卫生服务站门口"
    with english_only(tmp_path):
        english = marker_poster(community, post, URL).image
    both = marker_poster(community, post, URL).image
    assert both.size == english.size  # the Chinese does not push the marker onto bigger paper
    assert ink(both) - ink(english) > glyph("您在这儿：花园路，卫生服务站门口", 60).sum()


def test_no_tofu_every_chinese_character_has_a_glyph(community: CommunityMap) -> None:
    """Each character of the poster words and the map's Chinese names draws as itself, not as the missing box."""
    texts = [yaml.safe_dump(words, allow_unicode=True) for _, words in poster_words()]
    texts += [p.name_zh or "" for p in community.places] + [m.name_zh or "" for m in community.markers]
    texts.append(community.name_zh or "")
    chinese = sorted({c for text in texts for c in text if "\u3400" <= c <= "\u9fff" or c in "，。：（）"})
    assert len(chinese) > 40
    tofu = glyph(MISSING)
    boxes = [c for c in chinese if np.array_equal(glyph(c), tofu) or not glyph(c).any()]
    assert boxes == []
    assert not np.array_equal(glyph("中"), glyph("文"))  # the check can tell glyphs apart at all

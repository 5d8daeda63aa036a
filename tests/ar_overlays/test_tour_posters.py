"""A tour stop's poster (``linli qr``): one per stop, bilingual, its code read from a photo opens that stop."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ar_overlays.detect import QrScanner
from ar_overlays.posters import PosterError, make_posters, poster_ids, tour_poster_id, tour_stop_poster
from ar_overlays.qr_cli import add_qr_parser
from ar_overlays.testing import add_noise, warp_image_into_frame
from wayfinding.community_map import CommunityMap, default_map_path, load_map
from wayfinding.guide_links import GuideLinkError, TourLink, parse_guide_url, parse_tour_url

KEY = b"the-sunny-garden-test-key-0000000000000"
PUBLIC = "http://192.168.1.20:8700"
A4 = (2480, 3508)


@pytest.fixture(scope="module")
def community() -> CommunityMap:
    return load_map(default_map_path())


def photo_of(poster: np.ndarray, seed: int = 7) -> np.ndarray:
    """The poster's code band held up to a phone: shrunk, slanted, noisy."""
    h, w = poster.shape[:2]
    band = poster[int(h * 0.15):int(h * 0.8)]
    scale = 700 / band.shape[0]
    small = cv2.resize(band, (round(band.shape[1] * scale), 700), interpolation=cv2.INTER_AREA)
    width = small.shape[1]
    quad = np.array([[640 - width / 2, 15], [640 + width / 2, 35], [640 + width / 2 - 12, 700],
                     [640 - width / 2 + 8, 690]])
    return add_noise(warp_image_into_frame(small, quad, seed=seed), 4.0, seed=seed)


def scanned(image: Image.Image) -> list[str]:
    return [d.text for d in QrScanner().scan(photo_of(np.asarray(image.convert("L"))))]


def test_every_stop_of_the_walk_gets_a_poster(community: CommunityMap, tmp_path: Path) -> None:
    walk = community.tour("heritage-walk")
    assert walk is not None
    ids = [tour_poster_id(walk, n) for n in range(1, len(walk.stops) + 1)]
    assert ids == [f"heritage-walk-stop-{n}" for n in (1, 2, 3, 4)] and poster_ids(community)[-4:] == ids
    written = make_posters(community, KEY, PUBLIC, tmp_path, only=ids[1:3])
    assert sorted(p.name for p in written) == sorted(f"{i}.{ext}" for i in ids[1:3] for ext in ("png", "pdf"))
    assert Image.open(tmp_path / "heritage-walk-stop-2.png").size == A4


def test_a_stop_posters_code_read_from_a_photo_opens_that_stop(community: CommunityMap, tmp_path: Path) -> None:
    make_posters(community, KEY, PUBLIC, tmp_path, only=["heritage-walk-stop-3"], lang="zh-CN")
    found = scanned(Image.open(tmp_path / "heritage-walk-stop-3.png"))
    assert len(found) == 1 and found[0].startswith(f"{PUBLIC}/guide/sunny-garden/tour/heritage-walk/3?")
    assert parse_tour_url(found[0], KEY, "sunny-garden") == TourLink("sunny-garden", "heritage-walk", 3, "zh-CN")
    with pytest.raises(GuideLinkError):  # not a route code, whatever reads it
        parse_guide_url(found[0], KEY, "sunny-garden")


def test_a_stop_poster_with_an_altered_code_is_refused(community: CommunityMap) -> None:
    walk = community.tours[0]
    genuine = TourLink("sunny-garden", walk.id, 1).to_url(PUBLIC, KEY)
    forged = genuine.replace("/heritage-walk/1?", "/heritage-walk/4?")  # a sticker sending walkers to the end
    found = scanned(tour_stop_poster(community, walk, 1, forged).image)
    assert found == [forged]
    with pytest.raises(GuideLinkError) as info:
        parse_tour_url(found[0], KEY, "sunny-garden")
    assert info.value.reason == "altered"


def test_the_poster_carries_both_languages(community: CommunityMap) -> None:
    walk = community.tours[0]
    url = TourLink("sunny-garden", walk.id, 2).to_url(PUBLIC, KEY)
    both = np.asarray(tour_stop_poster(community, walk, 2, url).image)
    chinese_less = community.model_copy(update={"tours": (walk.model_copy(update={"name_zh": None}),)})
    english_only = np.asarray(tour_stop_poster(chinese_less, chinese_less.tours[0], 2, url).image)
    # the Chinese title lines add ink the English-only poster does not have (not tofu: the languages test
    # checks every printed character has a glyph)
    assert int((both < 128).sum()) > int((english_only < 128).sum()) + 5000


def test_a_stop_poster_named_like_a_place_is_refused(community: CommunityMap) -> None:
    walk = community.tours[0]
    clash = community.model_copy(update={"tours": (walk.model_copy(update={"id": "building"}),),
                                         "places": (*community.places,
                                                    community.places[0].model_copy(update={"id": "building-stop-1"}))})
    with pytest.raises(PosterError, match="building-stop-1.png"):
        poster_ids(clash)


def linli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    add_qr_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["qr", *argv])
    return int(args.func(args))


def test_linli_qr_makes_and_checks_a_stop_poster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINLI_VAR_DIR", str(tmp_path / "var"))
    for name in ("LINLI_QR_KEY", "LINLI_PUBLIC_URL", "LINLI_MAP", "LINLI_DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "posters"
    assert linli("--only", "heritage-walk-stop-2", "--out", str(out), "--public-url", PUBLIC) == 0
    assert "heritage-walk-stop-2" in capsys.readouterr().out
    assert linli("--check", str(out / "heritage-walk-stop-2.png"), "--public-url", PUBLIC) == 0
    said = capsys.readouterr().out
    assert "GENUINE Sunny Garden guide code: opens stop 2 of the tour heritage-walk" in said
    assert linli("--only", "heritage-walk-stop-9", "--out", str(out)) == 1
    assert "no place, marker post or tour stop 'heritage-walk-stop-9'" in capsys.readouterr().err

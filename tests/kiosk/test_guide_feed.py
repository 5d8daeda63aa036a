"""The Guide screen's pictures and poster scanning, with the real map, OpenCV and signed codes.

The camera is the hardware edge: it is an image file here (``open_camera`` repeats a still image),
rendered with a marker post or a QR poster at a known place.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode

from ar_overlays.testing import render_marker, warp_image_into_frame
from assistant.places.community import default_map_path, load_keys, load_map
from kiosk_app.guide_feed import MAP_SIZE, FeedSettings, GuideFeed, MapRequest
from wayfinding.community_map import CommunityMap
from wayfinding.guide_links import GuideLink
from wayfinding.guide_map import MapPicture
from wayfinding.key_ring import retire_key, rotate_key
from wayfinding.route import Route
from wayfinding.routing import Router

QR_CORNERS = np.array([[480, 160], [800, 180], [790, 500], [490, 490]], np.float32)


class Collected:
    """What the feed hands to the UI (from its own threads)."""

    def __init__(self) -> None:
        self.frames: list[tuple[np.ndarray, str]] = []
        self.pictures: list[object] = []
        self.posters: list[GuideLink] = []
        self.cards: list[str] = []
        self.changed = threading.Event()

    def frame(self, rgb: np.ndarray, mode: str, picture: object = None) -> None:
        self.frames.append((rgb, mode))
        self.pictures.append(picture)
        self.changed.set()

    def poster(self, link: GuideLink) -> None:
        self.posters.append(link)
        self.changed.set()

    def card(self, code: str) -> None:
        self.cards.append(code)
        self.changed.set()

    def wait_for(self, check: object, timeout: float = 10.0) -> bool:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.05)):
            if callable(check) and check():
                return True
            deadline.wait(0.05)
        return False


@pytest.fixture(scope="module")
def community_map() -> CommunityMap:
    return load_map(default_map_path())


@pytest.fixture(scope="module")
def clinic_route(community_map: CommunityMap) -> Route:
    return Router(community_map).route("clinic")


def feed(tmp_path: Path, camera: str | None, got: Collected, **kw: object) -> GuideFeed:
    return GuideFeed(FeedSettings(camera=camera, var_dir=tmp_path, fps=20, scan_every=1, **kw),  # type: ignore[arg-type]
                     on_frame=got.frame, on_poster=got.poster, on_card=got.card)


def poster_frame(text: str, path: Path) -> str:
    image = np.array(qrcode.make(text, border=4).convert("L"))
    cv2.imwrite(str(path), warp_image_into_frame(image, QR_CORNERS))
    return str(path)


def test_without_a_camera_the_map_is_drawn_for_each_route(tmp_path: Path, clinic_route: Route) -> None:
    got = Collected()
    guide = feed(tmp_path, None, got)
    guide.show(clinic_route)
    assert got.wait_for(lambda: got.frames)
    rgb, mode = got.frames[-1]
    assert mode == "map" and rgb.shape == (MAP_SIZE[1], MAP_SIZE[0], 3) and rgb.dtype == np.uint8
    assert rgb.std() > 10  # a picture, not a blank
    picture = got.pictures[-1]  # the guide map with the labels it drew (for the accessibility audit)
    assert isinstance(picture, MapPicture) and picture.rgb is rgb
    assert clinic_route.goal_name in {label.text for label in picture.labels}
    # drawn at the size asked for (the Guide screen's picture size), labels in the language asked for
    guide.show(Router(load_map(default_map_path())).route("clinic", lang="zh-CN"),
               MapRequest(size=(800, 600), lang="zh-CN", text_px=30))
    assert got.wait_for(lambda: got.frames[-1][0].shape == (600, 800, 3))
    assert "您在这里" in {label.text for label in got.pictures[-1].labels}  # type: ignore[attr-defined]
    guide.close()


def test_a_marker_post_in_view_puts_the_way_on_the_camera_picture(
        tmp_path: Path, community_map: CommunityMap, clinic_route: Route) -> None:
    post = community_map.marker(1)  # by the North Gate, facing north: seen by someone walking in
    assert post is not None
    shot = render_marker(post, camera_at=(post.at[0] - 0.3, post.at[1] + 2.5, 1.5), heading=180)
    camera = tmp_path / "lane.png"
    cv2.imwrite(str(camera), shot.frame)
    got = Collected()
    guide = feed(tmp_path, str(camera), got)
    guide.show(clinic_route)
    assert not got.wait_for(lambda: got.frames, timeout=0.5)  # the guide is not on screen: no drawing
    guide.set_active(True)
    assert got.wait_for(lambda: any(mode == "ar" for _, mode in got.frames))
    rgb = next(frame for frame, mode in got.frames if mode == "ar")
    assert rgb.shape == shot.frame.shape
    yellow = (rgb[:, :, 0] > 200) & (rgb[:, :, 1] > 180) & (rgb[:, :, 2] < 80)
    assert yellow.sum() > 2000  # the route ribbon is drawn
    guide.close()


def test_a_genuine_poster_is_opened_and_a_stranger_sticker_is_not(tmp_path: Path) -> None:
    key = load_keys(tmp_path)
    genuine = GuideLink(community="sunny-garden", at=None, to="community-clinic", step_free=False)
    camera = poster_frame(genuine.to_url("http://192.168.1.20:8700", key), tmp_path / "poster.png")
    got = Collected()
    guide = feed(tmp_path, camera, got)
    assert got.wait_for(lambda: got.posters)
    assert got.posters[0] == genuine
    assert not got.wait_for(lambda: len(got.posters) > 1, timeout=1.0)  # held up still: not opened again
    guide.close()

    foreign = GuideLink(community="sunny-garden", at=None, to="south-gate", step_free=False)
    sticker = poster_frame(foreign.to_url("http://evil.example", b"another key, not ours" * 2), tmp_path / "s.png")
    altered = poster_frame(genuine.to_url("http://192.168.1.20:8700", key).replace("community-clinic", "south-gate"),
                           tmp_path / "a.png")
    for camera in (sticker, altered):
        got = Collected()
        guide = feed(tmp_path, camera, got)
        assert not got.wait_for(lambda got=got: got.posters, timeout=1.5)
        guide.close()


def test_posters_of_every_accepted_key_are_opened_until_retired(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_QR_KEY", raising=False)
    link = GuideLink(community="sunny-garden", at=None, to="community-clinic", step_free=False)
    old = poster_frame(link.to_url("http://192.168.1.20:8700", load_keys(tmp_path)), tmp_path / "old.png")
    rotate_key(tmp_path, None)
    url = link.to_url("http://192.168.1.20:8700", load_keys(tmp_path))
    assert "k=1" in url
    new = poster_frame(url, tmp_path / "new.png")

    def opened(camera: str, timeout: float) -> bool:
        got = Collected()
        guide = feed(tmp_path, camera, got)
        try:
            return got.wait_for(lambda: got.posters, timeout=timeout) and got.posters[0] == link
        finally:
            guide.close()

    assert opened(old, 5.0) and opened(new, 5.0)
    retire_key(tmp_path, None, "0")
    assert not opened(old, 1.5)
    assert opened(new, 5.0)


def test_a_camera_that_cannot_be_opened_leaves_the_map(tmp_path: Path, clinic_route: Route) -> None:
    got = Collected()
    guide = feed(tmp_path, str(tmp_path / "no-such-camera.mp4"), got)
    guide.show(clinic_route)
    assert got.wait_for(lambda: got.frames)
    assert got.frames[-1][1] == "map" and guide.problem
    guide.close()


def test_a_broken_map_keeps_the_words_only(tmp_path: Path, clinic_route: Route) -> None:
    broken = tmp_path / "map.yml"
    broken.write_text("places: [\n", "utf-8")
    got = Collected()
    guide = feed(tmp_path, None, got, map_path=broken)
    guide.show(clinic_route)
    assert got.wait_for(lambda: guide.problem is not None)
    assert str(broken) in (guide.problem or "") and not got.frames
    guide.close()


def test_a_household_card_is_handed_on_once_and_is_no_poster(tmp_path: Path) -> None:
    code = "LINLI-CARD:1:abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUV"
    got = Collected()
    guide = feed(tmp_path, poster_frame(code, tmp_path / "card.png"), got)
    assert got.wait_for(lambda: got.cards)
    assert got.cards == [code] and got.posters == []
    assert not got.wait_for(lambda: len(got.cards) > 1, timeout=1.0)  # held up still: handed on once
    guide.close()


@pytest.mark.parametrize(("language", "words"), [("en", "Turn around"), ("zh-CN", "向后转")])
def test_a_changed_instruction_is_handed_on_once(tmp_path: Path, community_map: CommunityMap, language: str,
                                                 words: str) -> None:
    """docs/ar.md "Which way, always": the way to the North Gate is behind someone looking south at the North
    Gate's post; the still camera repeats the frame, the words come once."""
    post = community_map.marker(1)
    assert post is not None
    shot = render_marker(post, camera_at=(post.at[0] - 0.3, post.at[1] + 2.5, 1.5), heading=180)
    camera = tmp_path / "gate.png"
    cv2.imwrite(str(camera), shot.frame)
    got = Collected()
    turns: list[object] = []
    guide = GuideFeed(FeedSettings(camera=str(camera), var_dir=tmp_path, fps=20, scan_every=1000),
                      on_frame=got.frame, on_poster=got.poster, on_turn=turns.append)
    guide.language = language
    guide.show(Router(community_map).route("north-gate"))
    guide.set_active(True)
    assert got.wait_for(lambda: len([m for _, m in got.frames if m == "ar"]) >= 10)
    guide.close()
    assert [getattr(t, "words", None) for t in turns] == [words]
    rgb = got.frames[-1][0]
    yellow = (rgb[:, :, 0] > 200) & (rgb[:, :, 1] > 180) & (rgb[:, :, 2] < 80)
    h = rgb.shape[0]
    assert yellow[int(h * 0.65):].sum() > 5 * yellow[: h // 2].sum()  # the U-arrow at the bottom

"""Tours on the community map (heritage walks): the demo walk, each mistake with file:line, photos, languages."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wayfinding.community_map import (
    CommunityMap,
    MapError,
    MarkerPost,
    Place,
    find_photo,
    load_map,
)
from wayfinding.routing import Router

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "maps"
DEMO = ROOT / "assets" / "maps" / "sunny-garden.yml"
GOOD_TOUR = """
tours:
  - id: tiny-walk
    name: Tiny Walk
    name_zh: 小小散步
    aliases: [little walk]
    stops:
      - {at: shop, story: {en: The shop sells bread., zh-CN: 小卖部卖面包。}}
      - at: post-door
        story: {en: The post by the door., zh-CN: 门口的路标。}
        photo: PHOTO
"""


@pytest.fixture(scope="module")
def demo() -> CommunityMap:
    return load_map(DEMO)


def small_map_with_tour(folder: Path, photo: str) -> Path:
    path = folder / "tour.yml"
    text = (FIXTURES / "valid-small.yml").read_text(encoding="utf-8") + GOOD_TOUR.replace("PHOTO", photo)
    path.write_text(text, encoding="utf-8")
    return path


def picture(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((60, 80, 3), (40, 160, 40), np.uint8)
    assert cv2.imwrite(str(path), image)
    return path


def test_the_demo_heritage_walk(demo: CommunityMap) -> None:
    walk = demo.tour("heritage-walk")
    assert walk is not None and walk.name == "Heritage Walk" and walk.name_zh == "文化漫步"
    assert [stop.at for stop in walk.stops] == ["north-gate", "post-lane-45", "central-garden", "south-gate"]
    for stop in walk.stops:
        assert isinstance(demo.node(stop.at), Place | MarkerPost)
        assert 20 < len(stop.story_in("en")) < 260 and stop.story_in("en") != stop.story_in("zh-CN")
        assert "。" in stop.story_in("zh-CN")
    assert "Tai Chi" in walk.stops[2].story_in("en") and "太极" in walk.stops[2].story_in("zh")


@pytest.mark.parametrize("said", ["heritage walk", "The Heritage Walk", "文化漫步", "文化路线", " HERITAGE-WALK "])
def test_a_tour_is_found_by_its_names(demo: CommunityMap, said: str) -> None:
    found = demo.tour(said)
    assert found is not None and found.id == "heritage-walk"


def test_no_tour_by_another_name(demo: CommunityMap) -> None:
    assert demo.tour("clinic") is None and demo.tour("") is None


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_leg_of_the_demo_walk_has_a_way(demo: CommunityMap, lang: str) -> None:
    router = Router(demo)
    walk = demo.tours[0]
    for before, stop in zip(walk.stops, walk.stops[1:], strict=False):
        route = router.route(stop.at, start=before.at, lang=lang)
        assert route.start == before.at and route.goal == stop.at and route.steps


@pytest.mark.parametrize(("name", "line", "words"), [
    ("tour-unknown-stop.yml", 23, "the stop is at 'bakery', which is not a place or marker post"),
    ("tour-duplicate-id.yml", 22, "the tour id 'tiny-walk' is used twice"),
    ("tour-one-stop.yml", 19, "the tour 'tiny-walk' has 1 stop; a walk needs at least 2"),
    ("tour-story-missing-language.yml", 23, "the story is missing in zh-CN"),
    ("tour-photo-missing.yml", 24, "the photo 'photos/no-such-hall.jpg' is not a picture file"),
    ("tour-unreachable-stop.yml", 17, "stop 2 ('island') cannot be reached from stop 1 ('shop')"),
])
def test_each_tour_mistake_names_the_file_and_line(name: str, line: int, words: str) -> None:
    path = FIXTURES / name
    with pytest.raises(MapError) as err:
        load_map(path)
    assert err.value.message.startswith(f"{path}:{line}: ")
    assert words in err.value.message


def test_the_languages_needed_are_the_communitys(tmp_path: Path) -> None:
    only_english = load_map(FIXTURES / "tour-story-missing-language.yml", languages=("en",))
    assert only_english.tours[0].stops[1].story_in("zh-CN") == "The hall, where neighbours meet."  # falls back


@pytest.mark.parametrize(("story", "words"), [
    ("{en: The shop., zh-CN: The shop again.}", "the zh-CN story has no Chinese characters"),
    ("{en: The shop., zh-CN: 小卖部。, klingon: Qapla.}", "'klingon' is not a language code"),
    ("{en: '  ', zh-CN: 小卖部。}", "the en story is empty"),
])
def test_a_story_that_is_wrong_in_a_language(tmp_path: Path, story: str, words: str) -> None:
    path = small_map_with_tour(tmp_path, "nothing.png").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text(path.replace("{en: The shop sells bread., zh-CN: 小卖部卖面包。}", story)
                      .replace("        photo: nothing.png\n", ""), encoding="utf-8")
    with pytest.raises(MapError) as err:
        load_map(broken)
    assert err.value.message.startswith(f"{broken}:23: ") and words in err.value.message
    assert "more problem" not in err.value.message


def test_a_photo_beside_the_map_is_found(tmp_path: Path) -> None:
    photo = picture(tmp_path / "photos" / "post.png")
    community = load_map(small_map_with_tour(tmp_path, "photos/post.png"))
    stop = community.tours[0].stops[1]
    assert stop.photo == "photos/post.png"
    assert find_photo(stop.photo, (tmp_path,)) == photo.resolve()


def test_a_photo_under_assets_is_found(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    photo = picture(assets / "photos" / "gate.jpg")
    assert find_photo("photos/gate.jpg", (tmp_path / "maps", assets)) == photo.resolve()


def test_a_photo_outside_its_folders_or_not_a_picture_is_refused(tmp_path: Path) -> None:
    picture(tmp_path / "secret.png")
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "notes.txt").write_text("not a picture", encoding="utf-8")
    assert find_photo("../secret.png", (tmp_path / "maps",)) is None
    assert find_photo("notes.txt", (tmp_path / "maps",)) is None
    with pytest.raises(MapError, match=r"tour\.yml:26: the photo '\.\./secret\.png' is not a picture file"):
        load_map(small_map_with_tour(tmp_path / "maps", "../secret.png"))

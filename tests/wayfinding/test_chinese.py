"""Wayfinding in Chinese: the map's Chinese names (checked with file:line), the route words per language as data,
and one rounded distance said the way each language says numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from community_services.seed import facility_rows
from wayfinding.community_map import CommunityMap, MapError, default_map_path, load_map
from wayfinding.routing import Router, spoken_distance
from wayfinding.words import WordsError, load_words, rounded_distance, words_for, zh_number

TWO_PLACES = """\
community: tiny
name: Tiny
start: a
places:
  - id: a
    name: Gate
    name_zh: 大门
    at: [0, 0]
  - id: b
    name: Shop
    name_zh: {shop_zh}
    aliases_zh: [{alias}]
    at: [0, -50]
paths:
  - {{between: [a, b], name: Main Street, name_zh: 大街}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(load_map(default_map_path()))


# --- the map ----------------------------------------------------------------------------------


def test_places_answer_to_their_chinese_names(router: Router) -> None:
    community: CommunityMap = router.map
    for words, place in (("社区卫生服务站", "community-clinic"), ("医务室", "community-clinic"),
                         ("老年活动中心", "elderly-activity-room"), ("取快递", "parcel-lockers")):
        found = community.place(words)
        assert found is not None and found.id == place, words


def test_map_chinese_names_match_the_services_names() -> None:
    """A resident reads the same Chinese name on the kiosk, the phone page and the poster."""
    community = load_map(default_map_path())
    seeded = {row["slug"]: row["name_zh"] for row in facility_rows()}
    for place in community.places:
        if place.id in seeded:
            assert place.name_zh == seeded[place.id], place.id


@pytest.mark.parametrize(("shop_zh", "alias", "line", "words"), [
    ("Shop", "小店", 11, "no Chinese characters"),            # English pasted where Chinese belongs
    ("小店", "shop", 12, "aliases_zh"),
    ("小店", "大门", 12, "'大门' already names the place 'a'"),  # two places, one Chinese word
])
def test_chinese_mistakes_name_the_file_and_line(tmp_path: Path, shop_zh: str, alias: str, line: int,
                                                  words: str) -> None:
    path = _write(tmp_path, TWO_PLACES.format(shop_zh=shop_zh, alias=alias))
    with pytest.raises(MapError) as err:
        load_map(path)
    assert str(err.value).startswith(f"{path}:{line}:") and words in str(err.value)


def test_a_sound_chinese_map_loads_and_routes(tmp_path: Path) -> None:
    community = load_map(_write(tmp_path, TWO_PLACES.format(shop_zh="小店", alias="商店")))
    route = Router(community).route("商店", lang="zh-CN")
    assert route.goal_name == "小店"
    assert route.text() == "顺着大街往南走大约五十米。 小店就在您前面。"


# --- route words ------------------------------------------------------------------------------


def test_route_in_chinese(router: Router) -> None:
    route = router.route("诊所", lang="zh-CN")
    assert [step.text for step in route.steps] == [
        "从大门出服务中心。", "顺着花园路往南走大约一百一十米。", "社区卫生服务站就在您右手边。"]
    english = router.route("诊所")
    assert english.text().startswith("Leave the Service Centre") and english.goal_name == "Community Clinic"
    assert [s.distance_m for s in route.steps] == [s.distance_m for s in english.steps]  # the same way


def test_stairs_and_the_lift_in_chinese(router: Router) -> None:
    assert router.route("图书室", lang="zh-CN").steps[0].text == "走大厅的楼梯上到二楼。"
    assert router.route("图书室", lang="zh-CN", step_free=True).steps[0].text == "走服务中心的电梯上到二楼。"
    garden = router.route("广场", lang="zh-CN").text()
    assert "上三级台阶" in garden and "向左转" in garden


@pytest.mark.parametrize("lang", [None, "en", "fr", "", "zh-TW-x"])
def test_other_languages_get_english_words_or_their_own(router: Router, lang: str | None) -> None:
    text = router.route("clinic", lang=lang).text()
    assert ("Garden Lane" in text) != (lang == "zh-TW-x")  # any zh code is Chinese; anything else English


@pytest.mark.parametrize(("metres", "english", "chinese"), [
    (7, "a few steps", "几步路"),
    (118, "about 120 metres", "大约一百二十米"),
    (145, "about 150 metres", "大约一百五十米"),  # half up, in both languages
    (203, "about 200 metres", "大约两百米"),
    (412, "about 400 metres", "大约四百米"),
    (1234, "about 1.2 kilometres", "大约一点二公里"),
])
def test_one_rounded_distance_said_in_each_language(metres: float, english: str, chinese: str) -> None:
    assert spoken_distance(metres) == english
    assert spoken_distance(metres, "zh-CN") == chinese


@pytest.mark.parametrize(("number", "words"), [(10, "十"), (15, "十五"), (110, "一百一十"), (305, "三百零五"),
                                               (2000, "两千"), (1.5, "一点五")])
def test_numbers_as_words(number: float, words: str) -> None:
    assert zh_number(number) == words


def test_every_language_has_every_word() -> None:
    assert words_for("zh-CN").say.turn.format(turn="左", distance="大约五十米") == "向左转，再走大约五十米。"
    assert rounded_distance(14.9) is None and rounded_distance(45) == 50


def test_a_words_file_mistake_names_the_file_and_line(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "wayfinding" / "locale" / "zh-CN.yml").read_text(encoding="utf-8")
    broken = tmp_path / "xx.yml"
    broken.write_text(text.replace("numbers: zh-words", "numbers: roman"), encoding="utf-8")
    with pytest.raises(WordsError) as err:
        load_words(broken)
    line = text.splitlines().index("numbers: zh-words") + 1
    assert str(err.value).startswith(f"{broken}:{line}:")

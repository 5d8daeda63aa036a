"""The community map file: the demo map loads, and each kind of mistake names the file and the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wayfinding.community_map import (
    DEFAULT_MARKER_DICTIONARY,
    MARKER_DICTIONARIES,
    CommunityMap,
    MapError,
    MarkerPost,
    Place,
    default_map_path,
    load_map,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "maps"
DEMO = ROOT / "assets" / "maps" / "sunny-garden.yml"


@pytest.fixture(scope="module")
def demo() -> CommunityMap:
    return load_map(DEMO)


def test_default_map_path_is_the_demo_unless_one_is_configured(tmp_path: Path) -> None:
    assert default_map_path() == DEMO
    assert default_map_path(None) == default_map_path("") == default_map_path("  ") == DEMO
    assert default_map_path(str(tmp_path / "other.yml")) == tmp_path / "other.yml"
    assert default_map_path(f"  {tmp_path / 'other.yml'} ") == tmp_path / "other.yml"


def test_the_demo_map_loads(demo: CommunityMap) -> None:
    assert demo.community == "sunny-garden"
    assert demo.start == "kiosk"
    assert isinstance(demo.node("north-gate"), Place) and demo.node("north-gate").at == (0.0, 0.0)
    assert demo.node("south-gate").at == (0.0, -400.0)
    assert demo.node("library").level == 1
    assert len(demo.markers) == 8


def test_lookups(demo: CommunityMap) -> None:
    clinic = demo.place("community-clinic")
    assert clinic is not None
    assert demo.place("  Community   CLINIC ") is clinic
    assert demo.place("health station") is clinic
    assert demo.place("诊所") is clinic
    assert demo.place("nowhere") is None
    lockers = demo.place("parcel lockers")
    assert lockers is not None
    assert [p.id for p in demo.parts(lockers)] == ["parcel-lockers", "parcel-lockers-south"]
    post = demo.marker(4)
    assert isinstance(post, MarkerPost) and post.id == "post-lane-120"
    assert demo.marker(49) is None
    with pytest.raises(KeyError):
        demo.node("nowhere")
    assert demo.label("post-lane-120") == "Garden Lane by the Community Clinic"
    assert demo.label("library") == "Library and Reading Room"
    assert demo.label("lane-120") == "lane 120"


def test_marker_posts_are_aruco_1_to_8_of_20_cm(demo: CommunityMap) -> None:
    assert sorted(m.aruco for m in demo.markers) == list(range(1, 9))
    assert all(m.size == 0.2 and m.height == 1.5 for m in demo.markers)


def test_every_path_length_is_at_least_its_straight_line(demo: CommunityMap) -> None:
    for path in demo.paths:
        assert demo.path_length(path) >= 0


def test_the_demo_assembly_point_is_the_central_garden_square(demo: CommunityMap) -> None:
    assert demo.assembly_point == "central-garden"
    assert demo.label("central-garden") == "Central Garden"


def test_the_small_fixture_is_valid() -> None:
    small = load_map(FIXTURES / "valid-small.yml")
    assert {n.id for n in small.all_nodes()} == {"shop", "hall", "door", "post-door"}


@pytest.mark.parametrize(("name", "line", "words"), [
    ("malformed.yml", 6, "not valid YAML"),
    ("not-utf8.yml", 5, "not UTF-8"),
    ("unknown-key.yml", 7, "unknown key 'colour'"),
    ("wrong-type.yml", 9, "paths[0].access"),
    ("duplicate-id.yml", 8, "the id 'shop' is used twice"),
    ("duplicate-aruco.yml", 10, "ArUco id 7 is already on marker post 'post-door'"),
    ("unknown-path-end.yml", 10, "'bakery', which is not a place"),
    ("same-ends.yml", 10, "starts and ends at 'shop'"),
    ("disconnected.yml", 6, "'island' cannot be reached from start 'door': the map is disconnected"),
    ("bad-part-of.yml", 6, "part_of 'bakery' is not a place"),
    ("too-short.yml", 11, "shorter than the straight line"),
    ("unknown-start.yml", 9, "start 'lobby' is not"),
    ("bad-assembly-point.yml", 5, "assembly_point 'door' is not a place"),
    ("unknown-dictionary.yml", 4, "unknown ArUco dictionary 'DICT_5x5_100'. Did you mean DICT_5X5_100? "
                                  "Valid names: DICT_4X4_50, DICT_4X4_100,"),
    ("aruco-beyond-dictionary.yml", 10, "ArUco id 50 is not in DICT_4X4_50, which has ids 0 to 49"),
])
def test_each_mistake_names_the_file_and_line(name: str, line: int, words: str) -> None:
    path = FIXTURES / name
    with pytest.raises(MapError) as err:
        load_map(path)
    assert err.value.message.startswith(f"{path}:{line}: ")
    assert words in err.value.message


def test_a_length_within_one_metre_of_the_straight_line_is_fine(tmp_path: Path) -> None:
    text = (FIXTURES / "too-short.yml").read_text(encoding="utf-8").replace("length: 50", "length: 99.2")
    path = tmp_path / "ok.yml"
    path.write_text(text, encoding="utf-8")
    assert load_map(path).paths[0].length == 9.5


def test_a_lift_between_floors_may_be_shorter_than_the_floor_distance(tmp_path: Path) -> None:
    path = tmp_path / "lift.yml"
    path.write_text(
        "community: t\nname: T\nstart: a\nplaces:\n  - {id: up, name: Up, at: [30, 0], level: 1}\n"
        "junctions:\n  - {id: a, at: [0, 0]}\npaths:\n  - {between: [a, up], access: lift, length: 4}\n",
        encoding="utf-8")
    assert load_map(path).paths[0].access == "lift"


def test_not_a_mapping_and_missing_keys(tmp_path: Path) -> None:
    listed = tmp_path / "list.yml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(MapError, match=r"list\.yml:1: the map must be a mapping"):
        load_map(listed)
    partial = tmp_path / "partial.yml"
    partial.write_text("community: t\nname: T\nplaces: []\n", encoding="utf-8")
    with pytest.raises(MapError, match=r"partial\.yml:1: start is missing \(and 1 more problem\)"):
        load_map(partial)


def test_a_name_used_by_two_places_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.yml"
    path.write_text(
        "community: t\nname: T\nstart: a\nplaces:\n  - {id: a, name: Shop, at: [0, 0]}\n"
        "  - id: b\n    name: Bakery\n    aliases: [bread, shop]\n    at: [5, 0]\n"
        "paths:\n  - {between: [a, b]}\n",
        encoding="utf-8")
    with pytest.raises(MapError, match=r"names\.yml:8: 'shop' already names the place 'a'"):
        load_map(path)


def test_a_missing_or_huge_file_is_a_map_error(tmp_path: Path) -> None:
    with pytest.raises(MapError, match="cannot read the file"):
        load_map(tmp_path / "nope.yml")
    huge = tmp_path / "huge.yml"
    huge.write_bytes(b"# " + b"x" * 2_100_000 + b"\n")
    with pytest.raises(MapError, match="the limit is"):
        load_map(huge)


def test_the_marker_dictionary_defaults_to_4x4_50(demo: CommunityMap) -> None:
    assert DEFAULT_MARKER_DICTIONARY == "DICT_4X4_50"
    assert demo.marker_dictionary == "DICT_4X4_50"  # the field is optional: existing maps are unchanged


def test_an_unknown_dictionary_lists_every_valid_name() -> None:
    path = FIXTURES / "unknown-dictionary.yml"
    with pytest.raises(MapError) as err:
        load_map(path)
    assert all(name in err.value.message for name in MARKER_DICTIONARIES)


def test_a_bigger_dictionary_allows_bigger_ids(tmp_path: Path) -> None:
    text = (FIXTURES / "aruco-beyond-dictionary.yml").read_text(encoding="utf-8")
    path = tmp_path / "big.yml"
    path.write_text(text.replace("start: door\n", "start: door\nmarker_dictionary: DICT_5X5_100\n"), encoding="utf-8")
    m = load_map(path)
    assert m.marker_dictionary == "DICT_5X5_100" and m.marker(50) is not None
    path.write_text(text.replace("start: door\n", "start: door\nmarker_dictionary: DICT_APRILTAG_16h5\n"),
                    encoding="utf-8")
    with pytest.raises(MapError) as err:
        load_map(path)
    assert err.value.message.startswith(f"{path}:11: ")
    assert "ArUco id 50 is not in DICT_APRILTAG_16h5, which has ids 0 to 29" in err.value.message

"""The community map: places, junctions, marker posts and the paths between them (``assets/maps/*.yml``).

World frame: metres, x east, y north, z up; the origin is wherever the map file puts it (Sunny Garden:
the North Gate). ``load_map`` validates an admin-written file and names the file and line of each error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from foundation.language import KNOWN_LANGUAGES, normalise
from foundation.yaml_lines import LinedYaml, loc_text, more_problems, read_yaml

from .errors import WayfindingError

Access = Literal["step-free", "ramp", "stairs", "lift"]
NODE_ID = r"^[a-z0-9][a-z0-9-]*$"
_CHINESE = re.compile(r"[\u3400-\u9fff]")


def _chinese(text: str) -> str:
    """A Chinese field must hold Chinese characters: an English name pasted there is a mistake."""
    if not _CHINESE.search(text):
        raise ValueError(f"{text!r} has no Chinese characters; write it the way residents read it in Chinese")
    return text


ChineseText = Annotated[str, AfterValidator(_chinese)]
LENGTH_TOLERANCE_M = 1.0
"""A given length may be this much shorter than the straight line (points are measured roughly)."""
REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_MAP_PATH = REPO_ROOT / "assets" / "maps" / "sunny-garden.yml"
"""The demo community's map (Sunny Garden), used when no map is configured."""
DEFAULT_MARKER_DICTIONARY = "DICT_4X4_50"
MARKER_DICTIONARIES: dict[str, tuple[int, int]] = {
    **{f"DICT_{n}X{n}_{count}": (n, count) for n in (4, 5, 6, 7) for count in (50, 100, 250, 1000)},
    "DICT_ARUCO_ORIGINAL": (5, 1024),
    "DICT_APRILTAG_16h5": (4, 30),
    "DICT_APRILTAG_25h9": (5, 35),
    "DICT_APRILTAG_36h10": (6, 2320),
    "DICT_APRILTAG_36h11": (6, 587),
    "DICT_ARUCO_MIP_36h12": (6, 250),
}
"""OpenCV's predefined ArUco dictionaries: name → (bits per side, number of markers). Plain data, so the map
can be checked without OpenCV (``tests/ar_overlays/test_detect.py`` checks the table against OpenCV)."""


class MapError(WayfindingError):
    """The map file is wrong; the message names the file and line."""

    code = "map_error"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Node(_Strict):
    id: str = Field(pattern=NODE_ID)
    """Lowercase words joined by ``-``; places use the services' facility slugs."""
    at: tuple[float, float]
    """x (east), y (north) in metres."""
    level: int = 0
    """Floor: 0 is the ground, 1 the first floor."""


class Junction(Node):
    """A point where paths meet (a corner, a door, the foot of a ramp)."""


class Place(Node):
    """Somewhere a resident may want to go."""

    name: str = Field(min_length=1)
    name_zh: ChineseText | None = None
    """The name Chinese-speaking residents use and read (``社区卫生服务站``)."""
    aliases: tuple[str, ...] = ()
    """Other words residents use ("clinic", "health station")."""
    aliases_zh: tuple[ChineseText, ...] = ()
    """Other Chinese words for it (``诊所``, ``医务室``); a place answers to them in any language."""
    part_of: str | None = None
    """Another part of that place (the South Gate's parcel lockers are part of ``parcel-lockers``)."""
    plural: bool = False
    """The name is plural ("The Parcel Lockers *are* on your left")."""
    kind: str | None = Field(default=None, pattern=NODE_ID)
    """What sort of place (``clinic``, ``gate``, ``garbage``…): picks its pictogram on the guide map
    (``assets/icons/icons.yml``); an unknown or missing kind gets the default pin."""


class MarkerPost(Node):
    """A post or wall poster with a printed ArUco marker (of the map's ``marker_dictionary``) the camera can see."""

    aruco: int = Field(ge=0)
    """The marker's id in the map's dictionary (checked against its size by ``check_map``)."""
    facing: float = Field(ge=0, lt=360)
    """Compass degrees the printed face looks towards (0 north, 90 east)."""
    height: float = Field(default=1.5, gt=0, le=5)
    """Centre of the marker above the ground, metres."""
    size: float = Field(default=0.2, gt=0.02, le=2)
    """Side of the printed black square, metres."""
    name: str | None = None
    """Where the post stands, in words ("Garden Lane by Building 1")."""
    name_zh: ChineseText | None = None


class MapPath(_Strict):
    between: tuple[str, str]
    access: Access = "step-free"
    length: float | None = Field(default=None, gt=0)
    """Metres; the straight line between the two ends when not given."""
    name: str | None = None
    """A street or path name used in directions ("Garden Lane")."""
    says: str | None = None
    """The sentence for this path when walked from the first end to the second (replaces the generic one)."""
    says_back: str | None = None
    """The sentence when walked from the second end to the first; generic text when not given."""
    name_zh: ChineseText | None = None
    says_zh: ChineseText | None = None
    says_back_zh: ChineseText | None = None
    """``name``, ``says`` and ``says_back`` in Chinese; without them a Chinese route uses generic words."""


AnyNode = Place | Junction | MarkerPost
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
"""What a stop's photo may be: pictures every phone shows."""
ASSETS_DIR = REPO_ROOT / "assets"


class TourStop(_Strict):
    """One stop of a walk: where it is, the story read (and heard) there, and perhaps a photo."""

    at: str
    """A place id or a marker post id (a junction has no name to stand by)."""
    story: dict[str, str]
    """The story per language code (``en``, ``zh-CN``): every language of the community, checked at load.
    A mapping, not ``story``/``story_zh`` fields like the names, so a third language is more data, not a new
    field; the Chinese one must hold Chinese characters like every ``*_zh`` field."""
    photo: str | None = None
    """A picture file, relative to the map file's folder or to ``assets/`` (``photos/pavilion.jpg``)."""

    def story_in(self, lang: str | None) -> str:
        """The story in ``lang`` (``zh-CN``), else in English, else the first one written."""
        code = normalise(lang) or "en"
        for key, text in self.story.items():
            if normalise(key) == code:
                return text
        return self.story.get("en") or next(iter(self.story.values()), "")


class Tour(_Strict):
    """A walk residents take stop by stop (a heritage walk): ordered stops, each with its story."""

    id: str = Field(pattern=NODE_ID)
    """Used in URLs and QR codes (``heritage-walk``)."""
    name: str = Field(min_length=1)
    name_zh: ChineseText | None = None
    aliases: tuple[str, ...] = ()
    """Other words residents use for it ("the culture walk", ``文化路线``): how the kiosk finds it."""
    stops: tuple[TourStop, ...]


def fold(text: str) -> str:
    """Key for matching what a resident said against names: case-insensitive, spaces collapsed."""
    return " ".join(text.casefold().split())


class CommunityMap(_Strict):
    community: str = Field(pattern=NODE_ID)
    """Id used in QR codes and URLs."""
    name: str = Field(min_length=1)
    name_zh: ChineseText | None = None
    start: str
    """Default start of a route: where the kiosk stands."""
    assembly_point: str | None = None
    """The place residents gather at in a fire or gas alarm (a place id); the kiosks show the way to it."""
    places: tuple[Place, ...]
    junctions: tuple[Junction, ...] = ()
    marker_dictionary: str = DEFAULT_MARKER_DICTIONARY
    """The ArUco dictionary of the printed markers (an OpenCV name, see ``MARKER_DICTIONARIES``): a community
    whose walls already carry markers of another dictionary keeps them."""
    markers: tuple[MarkerPost, ...] = ()
    paths: tuple[MapPath, ...]
    tours: tuple[Tour, ...] = ()
    """Walks of several stops with a story at each (heritage walks); see ``docs/ar.md``."""

    # --- look-ups (built once per map; the model is frozen) --------------------------------------

    def all_nodes(self) -> Iterator[AnyNode]:
        yield from self.places
        yield from self.junctions
        yield from self.markers

    @cached_property
    def nodes(self) -> dict[str, AnyNode]:
        """Every node by id (the first one, should a broken map repeat an id)."""
        found: dict[str, AnyNode] = {}
        for node in self.all_nodes():
            found.setdefault(node.id, node)
        return found

    def node(self, node_id: str) -> AnyNode:
        """The node with this id; ``KeyError`` if there is none."""
        return self.nodes[node_id]

    @cached_property
    def _place_words(self) -> dict[str, Place]:
        words: dict[str, Place] = {}
        for place in self.places:
            for word in (place.id, place.name, *place.aliases, *filter(None, (place.name_zh,)), *place.aliases_zh):
                words.setdefault(fold(word), place)
        return words

    def place(self, query: str) -> Place | None:
        """The place whose id, name or alias is ``query`` (case-insensitive, spaces trimmed)."""
        return self._place_words.get(fold(query))

    def place_words(self) -> dict[str, Place]:
        """Every folded id, name and alias → its place (for suggestions)."""
        return dict(self._place_words)

    def parts(self, place: Place) -> tuple[Place, ...]:
        """The place itself and the places that are ``part_of`` it."""
        return (place, *(p for p in self.places if p.part_of == place.id))

    @cached_property
    def _by_aruco(self) -> dict[int, MarkerPost]:
        return {m.aruco: m for m in reversed(self.markers)}  # reversed: the first one wins

    def marker(self, aruco: int) -> MarkerPost | None:
        """The marker post that carries ArUco id ``aruco``."""
        return self._by_aruco.get(aruco)

    def tour(self, query: str) -> Tour | None:
        """The tour whose id, name, Chinese name or alias is ``query`` (case-insensitive, spaces trimmed)."""
        key = fold(query)
        for tour in self.tours:
            if key in {fold(word) for word in (tour.id, tour.name, tour.name_zh or "", *tour.aliases)}:
                return tour
        return None

    def label(self, node_id: str, lang: str | None = None) -> str:
        """Words for a node: a place's or marker post's name (in ``lang`` if it has one), else its id with spaces."""
        node = self.nodes.get(node_id)
        name = local_name(node, lang) if node is not None else None
        return name if name else node_id.replace("-", " ")

    def path_length(self, path: MapPath) -> float:
        """The given length, else the straight line on the ground between the two ends."""
        if path.length is not None:
            return path.length
        a, b = (self.node(end) for end in path.between)
        return straight_line(a, b)


def is_chinese(lang: str | None) -> bool:
    return (lang or "").casefold().startswith("zh")


def local_name(node: Node | MapPath, lang: str | None) -> str | None:
    """A place's, marker post's or path's name in ``lang`` (Chinese where the map has it), else in English."""
    name = getattr(node, "name", None)
    if is_chinese(lang):
        return getattr(node, "name_zh", None) or name
    return name


def straight_line(a: Node, b: Node) -> float:
    return math.hypot(b.at[0] - a.at[0], b.at[1] - a.at[1])


# --- validation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    loc: tuple[str | int, ...]
    """Where in the file (a pydantic-style location: ``("paths", 3, "between", 1)``)."""
    message: str


def _node_locs(m: CommunityMap) -> Iterator[tuple[tuple[str | int, ...], AnyNode]]:
    for section in ("places", "junctions", "markers"):
        for i, node in enumerate(getattr(m, section)):
            yield (section, i), node


def check_map(m: CommunityMap, *, languages: Sequence[str] = KNOWN_LANGUAGES,
              photo_dirs: Sequence[Path] = (ASSETS_DIR,)) -> list[Problem]:
    """Everything pydantic cannot see: ids, path ends, lengths, parts, tours, and that all is reachable.

    ``languages``: the community's languages (``LINLI_LANGUAGES``), each needed in every tour story;
    ``photo_dirs``: where a stop's photo may be (the map file's folder, then ``assets/``)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for loc, node in _node_locs(m):
        if node.id in seen:
            problems.append(Problem((*loc, "id"), f"the id {node.id!r} is used twice (also by a {seen[node.id]})."))
        else:
            seen[node.id] = {"places": "place", "junctions": "junction", "markers": "marker post"}[str(loc[0])]
    problems += _check_dictionary(m)
    arucos: dict[int, str] = {}
    for i, post in enumerate(m.markers):
        if post.aruco in arucos:
            problems.append(Problem(("markers", i, "aruco"),
                                    f"ArUco id {post.aruco} is already on marker post {arucos[post.aruco]!r}."))
        arucos.setdefault(post.aruco, post.id)
    problems += _check_words(m)
    for i, place in enumerate(m.places):
        if place.part_of is None:
            continue
        main = m.nodes.get(place.part_of)
        if not isinstance(main, Place):
            problems.append(Problem(("places", i, "part_of"), f"part_of {place.part_of!r} is not a place."))
        elif main.id == place.id or main.part_of is not None:
            problems.append(Problem(("places", i, "part_of"),
                                    f"part_of {place.part_of!r} must be a main place (not itself or another part)."))
    if m.start not in m.nodes:
        problems.append(Problem(("start",), f"start {m.start!r} is not a place, junction or marker post."))
    if m.assembly_point is not None and not isinstance(m.nodes.get(m.assembly_point), Place):
        problems.append(Problem(("assembly_point",), f"assembly_point {m.assembly_point!r} is not a place."))
    problems += _check_paths(m)
    problems += _check_tours(m, languages, photo_dirs)
    if not problems:  # reachability only means something on an otherwise sound map
        problems += _check_tour_legs(m)
        problems += _check_reachable(m)
    return problems


def _check_dictionary(m: CommunityMap) -> list[Problem]:
    """The dictionary must be one OpenCV knows, and every post's id must exist in it (a 4×4_50 dictionary has
    ids 0–49: id 60 would never be detected, and the poster could not be printed)."""
    known = MARKER_DICTIONARIES.get(m.marker_dictionary)
    if known is None:
        close = [n for n in MARKER_DICTIONARIES if n.casefold() == m.marker_dictionary.casefold()]
        hint = f" Did you mean {close[0]}?" if close else ""
        return [Problem(("marker_dictionary",), f"unknown ArUco dictionary {m.marker_dictionary!r}.{hint} "
                        f"Valid names: {', '.join(MARKER_DICTIONARIES)}.")]
    count = known[1]
    return [Problem(("markers", i, "aruco"),
                    f"ArUco id {post.aruco} is not in {m.marker_dictionary}, which has ids 0 to {count - 1}.")
            for i, post in enumerate(m.markers) if post.aruco >= count]


def _check_words(m: CommunityMap) -> list[Problem]:
    """Two places answering to the same word would make "take me to the X" a coin toss."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for i, place in enumerate(m.places):
        words: list[tuple[tuple[str | int, ...], str]] = [(("places", i, "name"), place.name)]
        words += [(("places", i, "aliases", k), alias) for k, alias in enumerate(place.aliases)]
        words += [(("places", i, "name_zh"), place.name_zh)] if place.name_zh else []
        words += [(("places", i, "aliases_zh", k), alias) for k, alias in enumerate(place.aliases_zh)]
        for loc, word in words:
            key = fold(word)
            if owner.get(key, place.id) != place.id:
                problems.append(Problem(loc, f"{word!r} already names the place {owner[key]!r}."))
            owner.setdefault(key, place.id)
    return problems


def _check_paths(m: CommunityMap) -> list[Problem]:
    problems: list[Problem] = []
    for i, path in enumerate(m.paths):
        ends = []
        for j, end in enumerate(path.between):
            node = m.nodes.get(end)
            if node is None:
                problems.append(Problem(("paths", i, "between", j),
                                        f"the path goes to {end!r}, which is not a place, junction or marker post."))
            ends.append(node)
        if path.between[0] == path.between[1]:
            problems.append(Problem(("paths", i, "between"), f"the path starts and ends at {path.between[0]!r}."))
            continue
        a, b = ends
        if a is None or b is None or path.length is None:
            continue
        if path.access == "lift" and a.level != b.level:
            continue  # a lift goes up, not along: its length is a cost, not a distance on the ground
        line = straight_line(a, b)
        if path.length < line - LENGTH_TOLERANCE_M:
            problems.append(Problem(("paths", i, "length"),
                                    f"length {path.length:g} m is shorter than the straight line between "
                                    f"{a.id!r} and {b.id!r} ({line:.1f} m)."))
    return problems


def find_photo(photo: str, photo_dirs: Sequence[Path]) -> Path | None:
    """The stop's picture file: ``photo`` under the first of ``photo_dirs`` that has it (never outside them:
    ``..`` cannot reach another folder's files), and only a picture type phones show."""
    if Path(photo).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    for folder in photo_dirs:
        root = folder.resolve()
        candidate = (root / photo).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


def _check_tours(m: CommunityMap, languages: Sequence[str], photo_dirs: Sequence[Path]) -> list[Problem]:
    """Each tour once, of two stops or more, at places or marker posts, told in every language, photos there."""
    problems: list[Problem] = []
    seen: set[str] = set()
    wanted = [code for code in dict.fromkeys(normalise(c) for c in languages) if code]
    for t, tour in enumerate(m.tours):
        if tour.id in seen:
            problems.append(Problem(("tours", t, "id"), f"the tour id {tour.id!r} is used twice."))
        seen.add(tour.id)
        if len(tour.stops) < 2:
            count = f"{len(tour.stops)} stop{'s' if len(tour.stops) != 1 else ''}"
            problems.append(Problem(("tours", t, "stops"),
                                    f"the tour {tour.id!r} has {count}; a walk needs at least 2."))
        for s, stop in enumerate(tour.stops):
            where = ("tours", t, "stops", s)
            if not isinstance(m.nodes.get(stop.at), Place | MarkerPost):
                problems.append(Problem((*where, "at"),
                                        f"the stop is at {stop.at!r}, which is not a place or marker post."))
            problems += _check_story(stop, where, wanted)
            if stop.photo is not None and find_photo(stop.photo, photo_dirs) is None:
                folders = " or ".join(str(d.resolve()) for d in photo_dirs)
                problems.append(Problem((*where, "photo"), f"the photo {stop.photo!r} is not a picture file "
                                                           f"({', '.join(PHOTO_SUFFIXES)}) in {folders}."))
    return problems


def _check_story(stop: TourStop, where: tuple[str | int, ...], languages: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    told: set[str] = set()  # languages written (well or not: a wrong one is reported once, not as missing too)
    for key, text in stop.story.items():
        code = normalise(key)
        if code is None:
            problems.append(Problem((*where, "story", key),
                                    f"{key!r} is not a language code (use one of {', '.join(KNOWN_LANGUAGES)})."))
            continue
        told.add(code)
        if not text.strip():
            problems.append(Problem((*where, "story", key), f"the {key} story is empty."))
        elif is_chinese(code) and not _CHINESE.search(text):
            problems.append(Problem((*where, "story", key),
                                    f"the {key} story has no Chinese characters; write it the way residents read it."))
    missing = [code for code in languages if code not in told]
    if missing:
        problems.append(Problem((*where, "story"),
                                f"the story is missing in {', '.join(missing)} (every community language needs it)."))
    return problems


def _neighbours(m: CommunityMap) -> dict[str, set[str]]:
    neighbours: dict[str, set[str]] = {node_id: set() for node_id in m.nodes}
    for path in m.paths:
        a, b = path.between
        neighbours[a].add(b)
        neighbours[b].add(a)
    return neighbours


def _reached_from(start: str, neighbours: dict[str, set[str]]) -> set[str]:
    """Every node some path leads to from ``start``: the graph the router searches (all paths, stairs too)."""
    reached = {start}
    todo = [start]
    while todo:
        for nxt in neighbours[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    return reached


def _check_tour_legs(m: CommunityMap) -> list[Problem]:
    """Each stop must be reachable from the one before. The router cannot do this check: it imports this module,
    and the map must be checked before a router is built on it; this is the same graph it searches."""
    neighbours = _neighbours(m)
    problems = []
    for t, tour in enumerate(m.tours):
        for s, (before, stop) in enumerate(zip(tour.stops, tour.stops[1:], strict=False), start=1):
            if stop.at not in _reached_from(before.at, neighbours):
                problems.append(Problem(("tours", t, "stops", s, "at"),
                                        f"stop {s + 1} ({stop.at!r}) cannot be reached from stop {s} ({before.at!r}): "
                                        "no path joins them. Add a path, or choose another stop."))
    return problems


def _check_reachable(m: CommunityMap) -> list[Problem]:
    reached = _reached_from(m.start, _neighbours(m))
    problems = []
    for section, kind in (("places", "place"), ("markers", "marker post")):
        for i, node in enumerate(getattr(m, section)):
            if node.id not in reached:
                problems.append(Problem((section, i, "id"),
                                        f"the {kind} {node.id!r} cannot be reached from start {m.start!r}: "
                                        "the map is disconnected. Add a path to it."))
    return problems


# --- loading --------------------------------------------------------------------------------------


def default_map_path(configured: str | Path | None = None) -> Path:
    """The configured map file (the caller's setting, e.g. ``LINLI_MAP``) if given, else the demo community's
    map in ``assets/maps``. Blank text counts as not configured."""
    text = str(configured).strip() if configured is not None else ""
    return Path(text) if text else DEMO_MAP_PATH


def load_map(path: Path, languages: Sequence[str] = KNOWN_LANGUAGES) -> CommunityMap:
    """Read and validate a map file. Every problem is a :class:`MapError` starting ``file:line:``.

    ``languages``: the community's languages (the caller's ``LINLI_LANGUAGES``); every tour story needs each."""
    doc: LinedYaml = read_yaml(path, MapError)
    if not isinstance(doc.data, dict):
        raise MapError(f"{doc.where(())}: the map must be a mapping of keys (community, name, start, places, ...).")
    community_map = doc.validate(CommunityMap, MapError)
    problems = check_map(community_map, languages=languages, photo_dirs=photo_dirs(path))
    if problems:
        first_problem = problems[0]
        raise MapError(f"{doc.where(first_problem.loc)}: {first_problem.message.rstrip('.')}"
                       f"{more_problems(len(problems) - 1)}.")
    return community_map


def photo_dirs(map_path: Path) -> tuple[Path, ...]:
    """Where the photos of a map's tour stops are looked for: beside the map file, then in ``assets/``."""
    return (map_path.parent, ASSETS_DIR)


def raise_problems(problems: Sequence[Problem], source: str) -> None:
    """For maps built in code (tests, benchmarks): the first problem as a :class:`MapError`."""
    if problems:
        raise MapError(f"{source}: {loc_text(problems[0].loc)}: {problems[0].message}")

"""Routes on the community map and the turn-by-turn words for them.

``Router(map)`` builds the networkx graphs once (all paths, and without stairs); ``route()`` is a
Dijkstra search plus a pass that turns the walked paths into short sentences an older resident can
follow when spoken: compass direction on the first walk, left/right after that, rounded distances,
the stairs/ramp/lift said as such, and which side the place is on at the end.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

import networkx as nx

from .community_map import CommunityMap, MapPath, MarkerPost, Node, Place, fold, is_chinese, local_name
from .errors import WayfindingError
from .route import Route, RouteStep, StepKind, TurnSide
from .words import FEW_STEPS_M, RouteWords, words_for

LIFT_WAIT_M = 15.0
"""A lift costs its length plus this many metres of walking (the wait), so short stairs still win."""
HERE_M = 3.0
"""A goal this close to the start is "here"."""
CONNECTOR_M = 5.0
"""An unnamed path shorter than this (a doorway, a post beside the lane) gets no sentence of its own."""
SIDE_MAX_M = 30.0
"""A last path this short that leaves to one side becomes "... is on your left/right"."""
STRAIGHT_DEG = 30.0
TURN_DEG = 135.0



class UnknownPlace(WayfindingError):
    """The map has no place (or start) by that name."""

    code = "unknown_place"

    def __init__(self, message: str, *, suggestions: tuple[str, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.suggestions = suggestions
        """Names of places that sound close to what was asked, best first."""


class NoRoute(WayfindingError):
    """The place exists but cannot be reached that way (e.g. nothing without steps)."""

    code = "no_route"


# --- headings -------------------------------------------------------------------------------------


def heading(a: Node, b: Node) -> float | None:
    """Compass heading from a to b in [0, 360), or ``None`` when they are on top of each other (a lift)."""
    dx, dy = b.at[0] - a.at[0], b.at[1] - a.at[1]
    if math.hypot(dx, dy) < 0.5:
        return None
    return math.degrees(math.atan2(dx, dy)) % 360.0


def turn_of(before: float | None, after: float | None) -> float | None:
    """Signed heading change in (-180, 180]; positive is to the right."""
    if before is None or after is None:
        return None
    d = (after - before) % 360.0
    return d - 360.0 if d > 180.0 else d


def turn_word(delta: float | None) -> str | None:
    """``None`` (straight on or unknown), ``"left"``, ``"right"`` or ``"around"``."""
    if delta is None or abs(delta) < STRAIGHT_DEG:
        return None
    if abs(delta) < TURN_DEG:
        return "right" if delta > 0 else "left"
    return "around"


def compass(h: float, lang: str | None = None) -> str:
    return words_for(lang).compass[round(h / 45.0) % 8]


def spoken_distance(metres: float, lang: str | None = None) -> str:
    """Rounded for speech: "a few steps", "about 50 metres", "大约一百五十米", "about 1.2 kilometres"."""
    return words_for(lang).distance_text(metres)


def floor_name(level: int, lang: str | None = None) -> str:
    return words_for(lang).floor(level)


# --- the words --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Walk:
    """One map path as walked, in the direction of travel."""

    a: Node
    b: Node
    length: float
    path: MapPath
    forward: bool

    @property
    def heading(self) -> float | None:
        return heading(self.a, self.b)

    def says(self, lang: str | None = None) -> str | None:
        if is_chinese(lang):
            return self.path.says_zh if self.forward else self.path.says_back_zh
        return self.path.says if self.forward else self.path.says_back

    @property
    def special(self) -> bool:
        """Said as its own sentence: stairs, a ramp, a lift, or a path with its own words."""
        return self.path.access != "step-free" or self.says() is not None


@dataclass
class _Leg:
    """Walks said in one sentence."""

    walks: list[_Walk]
    length: float
    approach: float | None = None
    """Heading of a short walk folded into this special leg (the way to the stairs or lift)."""
    before: float | None = None
    """Heading at the end of the previous leg (for left/right)."""
    absorbed: list[_Walk] = field(default_factory=list)

    @property
    def first(self) -> _Walk:
        return self.walks[0]

    @property
    def special(self) -> bool:
        return self.first.special

    @property
    def name(self) -> str | None:
        return self.first.path.name

    @property
    def end_heading(self) -> float | None:
        for walk in reversed(self.walks):
            if walk.heading is not None:
                return walk.heading
        return None

    @property
    def start_heading(self) -> float | None:
        if self.approach is not None:
            return self.approach
        return next((w.heading for w in self.walks if w.heading is not None), None)

    @property
    def level_change(self) -> bool:
        return any(w.a.level != w.b.level for w in self.walks)


def _the(name: str, words: RouteWords | None = None) -> str:
    """ "the Community Clinic", but "Building 2" (a name with a number needs no article); none in Chinese."""
    if words is not None and not words.articles:
        return name
    return name if re.match(r"^\w+ \d", name) else f"the {name}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _goal_words(goal: Node, lang: str | None = None) -> tuple[str, str]:
    """(how to say the goal, "is"/"are")."""
    words = words_for(lang)
    if isinstance(goal, Place):
        return _the(local_name(goal, lang) or goal.name, words), (words.are if goal.plural else words.is_)
    if isinstance(goal, MarkerPost):
        return words.marker_post.format(name=local_name(goal, lang) or goal.id), words.is_
    return goal.id, words.is_


def _leg_name(leg: _Leg, lang: str | None) -> str | None:
    return local_name(leg.first.path, lang)


def _legs(walks: list[_Walk]) -> list[_Leg]:
    legs: list[_Leg] = []
    for walk in walks:
        last = legs[-1] if legs else None
        if (last is not None and not walk.special and not last.special and walk.path.name == last.name
                and turn_word(turn_of(last.end_heading, walk.heading)) is None):
            last.walks.append(walk)
            last.length += walk.length
        else:
            legs.append(_Leg(walks=[walk], length=walk.length))
    # fold the in-between bits: a doorway or post beside the lane, the way to the stairs or the lift
    folded: list[_Leg] = []
    pending: list[_Leg] = []
    for index, leg in enumerate(legs):
        if pending:
            if leg.special:
                leg.approach = pending[-1].start_heading
            leg.length += sum(p.length for p in pending)
            leg.absorbed = [w for p in pending for w in p.walks]
            pending = []
        nxt = legs[index + 1] if index + 1 < len(legs) else None
        if nxt is not None and not leg.special:
            connector = leg.name is None and leg.length < CONNECTOR_M
            if connector or (nxt.special and leg.length < FEW_STEPS_M):
                pending.append(leg)
                continue
        folded.append(leg)
    for before, leg in zip([None, *folded[:-1]], folded, strict=True):
        leg.before = before.end_heading if before is not None else None
    return folded


def _leg_text(leg: _Leg, previous: _Leg | None, lang: str | None = None) -> str:
    words = words_for(lang)
    say = words.say
    turn = turn_word(turn_of(leg.before, leg.start_heading))
    if leg.special:
        walk = leg.first
        text = walk.says(lang) or _climb_text(walk, lang)
        if previous is not None and turn in ("left", "right"):
            return say.turn_then.format(turn=getattr(words.turn, turn), text=text)
        return text
    distance = words.distance_text(leg.length)
    name = _leg_name(leg, lang)
    along = say.along.format(name=name) if name else ""
    h = leg.start_heading
    if previous is None or previous.special or h is None or leg.before is None:
        where = compass(h, lang) if h is not None else say.where_unknown
        if leg.length < FEW_STEPS_M:
            return say.walk_few.format(where=where, along=along)
        return say.walk.format(where=where, along=along, distance=distance)
    if turn is None:
        if leg.name and leg.name != previous.name:
            return say.straight_named.format(name=name, distance=distance)
        return say.straight.format(distance=distance) if leg.length >= FEW_STEPS_M else say.straight_few
    if turn == "around":
        return say.around.format(distance=distance, along=along)
    turn_text = getattr(words.turn, turn)
    if leg.name and leg.name != previous.name:
        return say.turn_onto.format(turn=turn_text, name=name, distance=distance)
    return say.turn.format(turn=turn_text, distance=distance)


def _climb_text(walk: _Walk, lang: str | None = None) -> str:
    words = words_for(lang)
    access = walk.path.access
    default = {"stairs": words.the_stairs, "lift": words.the_lift, "ramp": words.the_ramp}.get(access, words.the_path)
    what = local_name(walk.path, lang) or default
    if walk.a.level != walk.b.level:
        way = words.up if walk.b.level > walk.a.level else words.down
        return _sentence(words.say.climb.format(what=what, way=way, floor=words.floor(walk.b.level)))
    if access == "stairs" and walk.path.name is None:
        return words.say.take_steps
    return _sentence(words.say.take.format(what=what))


def _kind(leg: _Leg, previous: _Leg | None) -> StepKind:
    access = leg.first.path.access
    if access == "stairs":
        return "stairs"
    if access in ("ramp", "lift"):
        return access
    if previous is None or previous.special:
        return "walk"
    return "walk" if turn_word(turn_of(leg.before, leg.start_heading)) is None else "turn"


def describe(walks: list[_Walk], goal: Node, lang: str | None = None) -> list[RouteStep]:
    """The sentences for walking ``walks`` to ``goal``, in ``lang`` (English without)."""
    words = words_for(lang)
    say = words.say
    goal_words, verb = _goal_words(goal, lang)
    total = sum(w.length for w in walks)
    if total <= HERE_M:
        return [RouteStep(_sentence(say.here_now.format(goal=goal_words)), "arrive", total, goal.id)]
    side: str | None = None
    side_length = 0.0
    last = walks[-1]
    # left/right only makes sense after a walk long enough to face along (not a lift, stairs between
    # floors or the step from a marker post to the lane)
    if (len(walks) >= 2 and not last.special and last.length <= SIDE_MAX_M
            and walks[-2].a.level == walks[-2].b.level and walks[-2].length >= CONNECTOR_M):
        word = turn_word(turn_of(walks[-2].heading, last.heading))
        if word in ("left", "right"):
            side, side_length = word, last.length
            walks = walks[:-1]
    legs = _legs(walks)
    steps: list[RouteStep] = []
    arrive_length = side_length
    few_steps_ahead = False
    if len(legs) >= 2:  # a short last walk straight on from the stairs/lift: "a few steps ahead"
        end, before = legs[-1], legs[-2]
        straight = turn_word(turn_of(before.end_heading, end.start_heading)) is None
        if not end.special and before.special and end.length < FEW_STEPS_M and (straight or before.level_change):
            legs.pop()
            arrive_length += end.length
            few_steps_ahead = True
    for previous, leg in zip([None, *legs[:-1]], legs, strict=True):
        node = leg.walks[-1].b.id
        kind = _kind(leg, previous)
        turned = turn_word(turn_of(leg.before, leg.start_heading)) if kind == "turn" else None
        side_of_turn: TurnSide | None = "left" if turned == "left" else "right" if turned == "right" else \
            "around" if turned == "around" else None  # the same turn the sentence names: picks the pictogram
        steps.append(RouteStep(_leg_text(leg, previous, lang), kind, leg.length, node, turn=side_of_turn))
    side_text = getattr(words.side, side) if side else ""
    if side and few_steps_ahead:
        text = say.ahead_side.format(goal=goal_words, verb=verb, side=side_text)
    elif side:
        text = _sentence(say.on_side.format(goal=goal_words, verb=verb, side=side_text))
    elif few_steps_ahead:
        text = _sentence(say.few_ahead.format(goal=goal_words, verb=verb))
    elif legs and legs[-1].special:
        text = _sentence(say.arrived.format(goal=goal_words))
    else:
        text = _sentence(say.ahead.format(goal=goal_words, verb=verb))
    steps.append(RouteStep(text, "arrive", arrive_length, goal.id))
    return steps


# --- the router -------------------------------------------------------------------------------------


class Router:
    """Shortest ways on one community map; build once, ask many times."""

    def __init__(self, community_map: CommunityMap) -> None:
        self.map = community_map
        self._all = self._graph(step_free=False)
        self._step_free = self._graph(step_free=True)

    def _graph(self, *, step_free: bool) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(self.map.nodes)
        for path in self.map.paths:
            if step_free and path.access == "stairs":
                continue
            length = self.map.path_length(path)
            weight = length + (LIFT_WAIT_M if path.access == "lift" else 0.0)
            a, b = path.between
            if graph.has_edge(a, b) and graph[a][b]["weight"] <= weight:
                continue  # two paths between the same nodes: keep the better one
            graph.add_edge(a, b, weight=weight, length=length, path=path)
        return graph

    def resolve(self, to: str) -> tuple[Node, ...]:
        """The nodes ``to`` may mean: a place (and its parts) or a marker post. Raises :class:`UnknownPlace`."""
        key = fold(to)
        if not key:
            raise UnknownPlace("Which place would you like to go to?")
        place = self.map.place(key)
        if place is not None:
            return self.map.parts(place) if place.part_of is None else (place,)
        node = self.map.nodes.get(key)
        if isinstance(node, MarkerPost):
            return (node,)
        raise self._unknown(to)

    def _unknown(self, to: str) -> UnknownPlace:
        words = self.map.place_words()
        close = difflib.get_close_matches(fold(to), list(words), n=8, cutoff=0.6)
        names = tuple(dict.fromkeys(words[w].name for w in close))[:3]
        message = f"I don't know a place called {to.strip()!r}."
        if names:
            message += f" Did you mean {' or '.join(_the(n) for n in names)}?"
        return UnknownPlace(message, suggestions=names)

    def _start(self, start: str | None) -> str:
        if start is None:
            return self.map.start
        key = fold(start)
        if key in self.map.nodes:
            return key
        place = self.map.place(key)
        if place is None:
            raise UnknownPlace(f"I don't know where {start.strip()!r} is, so I cannot start the way there.")
        return place.id

    def route(self, to: str, start: str | None = None, step_free: bool = False, lang: str | None = None) -> Route:
        """The shortest way from ``start`` (default: the kiosk) to ``to``; the nearest part of a place with parts.

        The steps and the goal's name are in ``lang`` (``zh-CN``; English without or for a language with no words).

        Raises :class:`UnknownPlace` (with suggestions) or :class:`NoRoute`.
        """
        start_id = self._start(start)
        goals = self.resolve(to)
        graph = self._step_free if step_free else self._all
        best: tuple[float, list[str]] | None = None
        if len(goals) == 1:
            try:
                cost, nodes = nx.bidirectional_dijkstra(graph, start_id, goals[0].id, weight="weight")
                best = (cost, nodes)
            except nx.NetworkXNoPath:
                best = None
        else:
            costs, paths = nx.single_source_dijkstra(graph, start_id, weight="weight")
            reachable = [g for g in goals if g.id in costs]
            if reachable:
                nearest = min(reachable, key=lambda g: costs[g.id])
                best = (costs[nearest.id], paths[nearest.id])
        goal_node = self.map.node(best[1][-1]) if best else goals[0]
        goal_name = _goal_name(goal_node, lang)
        if best is None:
            if step_free and self._reachable(start_id, goals):
                raise NoRoute(f"There is no way without steps from here to {_the(goal_name)}.",
                              hint="The way there has stairs; ask someone to help, or choose another place.")
            raise NoRoute(f"I cannot find a way from here to {_the(goal_name)}.")
        return self._make_route(best[1], goal_node, goal_name, step_free, graph, lang)

    def _reachable(self, start_id: str, goals: tuple[Node, ...]) -> bool:
        return any(nx.has_path(self._all, start_id, g.id) for g in goals)

    def _make_route(self, nodes: list[str], goal: Node, goal_name: str, step_free: bool, graph: nx.Graph,
                    lang: str | None = None) -> Route:
        walks = []
        for a_id, b_id in zip(nodes, nodes[1:], strict=False):
            edge = graph[a_id][b_id]
            path: MapPath = edge["path"]
            walks.append(_Walk(a=self.map.node(a_id), b=self.map.node(b_id), length=edge["length"], path=path,
                               forward=path.between[0] == a_id))
        steps = describe(walks, goal, lang)
        return Route(
            start=nodes[0],
            goal=goal.id,
            goal_name=goal_name,
            nodes=tuple(nodes),
            points=tuple(self.map.node(n).at for n in nodes),
            length_m=round(sum(w.length for w in walks), 2),
            step_free=step_free,
            uses_stairs=any(w.path.access == "stairs" for w in walks),
            steps=tuple(steps),
        )


def _goal_name(node: Node, lang: str | None = None) -> str:
    if isinstance(node, Place | MarkerPost):
        return local_name(node, lang) or node.id
    return node.id

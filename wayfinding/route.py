"""A computed route: the nodes, the points and the steps to speak. Plain data (JSON round trip)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

StepKind = Literal["start", "walk", "turn", "ramp", "stairs", "lift", "arrive"]
TurnSide = Literal["left", "right", "around"]


@dataclass(frozen=True)
class RouteStep:
    text: str
    """One sentence to show and speak ("Turn left onto Garden Lane and walk about 100 metres.")."""
    kind: StepKind
    distance_m: float
    """Length walked in this step (0 for start/arrive)."""
    node: str
    """Node id where the step ends."""
    turn: TurnSide | None = None
    """Which way a ``turn`` step turns (the same turn its sentence names): picks the step's pictogram. ``None``
    for other steps, and in routes from before this field existed."""


_SIDES = ("left", "right", "around")


@dataclass(frozen=True)
class Route:
    start: str
    """Node id the route starts from."""
    goal: str
    """Node id reached (the place, or the nearest part of it)."""
    goal_name: str
    """The place's name, for labels ("Community Clinic")."""
    nodes: tuple[str, ...]
    points: tuple[tuple[float, float], ...]
    """x, y (metres) of each node in ``nodes``."""
    length_m: float
    step_free: bool
    """A step-free route was asked for."""
    uses_stairs: bool
    steps: tuple[RouteStep, ...]

    def text(self) -> str:
        """The steps as sentences, for speaking."""
        return " ".join(step.text for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["nodes"] = list(self.nodes)
        data["points"] = [list(p) for p in self.points]
        data["steps"] = [asdict(s) for s in self.steps]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Route:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on anything malformed."""
        try:
            return cls(
                start=str(data["start"]),
                goal=str(data["goal"]),
                goal_name=str(data["goal_name"]),
                nodes=tuple(str(n) for n in data["nodes"]),
                points=tuple((float(p[0]), float(p[1])) for p in data["points"]),
                length_m=float(data["length_m"]),
                step_free=bool(data["step_free"]),
                uses_stairs=bool(data["uses_stairs"]),
                steps=tuple(
                    RouteStep(text=str(s["text"]), kind=s["kind"], distance_m=float(s["distance_m"]),
                              node=str(s["node"]), turn=s.get("turn") if s.get("turn") in _SIDES else None)
                    for s in data["steps"]
                ),
            )
        except (KeyError, TypeError, IndexError) as e:
            raise ValueError(f"not a route: {e}") from e

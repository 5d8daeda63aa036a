"""The community map: places, junctions, marker posts and the paths between them (``assets/maps/*.yml``).

World frame: metres, x east, y north, z up; the origin is wherever the map file puts it (Sunny Garden:
the North Gate). ``load_map`` validates an admin-written file and names the file and line of each error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.shared.errors import LinliError

Access = Literal["step-free", "ramp", "stairs", "lift"]
NODE_ID = r"^[a-z0-9][a-z0-9-]*$"


class MapError(LinliError):
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
    name_zh: str | None = None
    aliases: tuple[str, ...] = ()
    """Other words residents use ("clinic", "health station")."""
    part_of: str | None = None
    """Another part of that place (the South Gate's parcel lockers are part of ``parcel-lockers``)."""


class MarkerPost(Node):
    """A post or wall poster with a printed ArUco marker (``DICT_4X4_50``) the camera can see."""

    aruco: int = Field(ge=0, lt=50)
    facing: float = Field(ge=0, lt=360)
    """Compass degrees the printed face looks towards (0 north, 90 east)."""
    height: float = Field(default=1.5, gt=0, le=5)
    """Centre of the marker above the ground, metres."""
    size: float = Field(default=0.2, gt=0.02, le=2)
    """Side of the printed black square, metres."""
    name: str | None = None
    """Where the post stands, in words ("Garden Lane by Building 1")."""


class MapPath(_Strict):
    between: tuple[str, str]
    access: Access = "step-free"
    length: float | None = Field(default=None, gt=0)
    """Metres; the straight line between the two ends when not given."""
    name: str | None = None
    """A street or path name used in directions ("Garden Lane")."""


class CommunityMap(_Strict):
    community: str = Field(pattern=NODE_ID)
    """Id used in QR codes and URLs."""
    name: str = Field(min_length=1)
    name_zh: str | None = None
    start: str
    """Default start of a route: where the kiosk stands."""
    places: tuple[Place, ...]
    junctions: tuple[Junction, ...] = ()
    markers: tuple[MarkerPost, ...] = ()
    paths: tuple[MapPath, ...]

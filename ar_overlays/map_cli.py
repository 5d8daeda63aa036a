"""``linli map validate | route``: admins check the community map file and try routes before printing posters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.places.community import default_map_path, load_map


def _say(line: str = "") -> None:
    print(line, flush=True)


def cmd_map_validate(args: argparse.Namespace) -> int:
    path = args.path or default_map_path()
    community_map = load_map(path)  # a MapError names the file and line; the CLI prints it
    _say(f"{path}: the map of {community_map.name} is valid: {len(community_map.places)} places, "
         f"{len(community_map.junctions)} junctions, {len(community_map.markers)} marker posts, "
         f"{len(community_map.paths)} paths, {len(community_map.tours)} tour"
         f"{'s' if len(community_map.tours) != 1 else ''}; every place can be reached from {community_map.start!r}.")
    return 0


def cmd_map_route(args: argparse.Namespace) -> int:
    from wayfinding.routing import Router

    path = args.map or default_map_path()
    community_map = load_map(path)
    route = Router(community_map).route(args.to, start=args.start, step_free=args.step_free)
    kind = "step-free way" if route.step_free else "way"
    _say(f"The {kind} from {route.start} to {route.goal_name} ({route.goal}): about {route.length_m:.0f} m"
         + (", with stairs." if route.uses_stairs else ", no stairs."))
    for number, step in enumerate(route.steps, 1):
        _say(f"  {number}. {step.text}")
    if args.png:
        import cv2

        from wayfinding.map_picture import draw_map

        picture = draw_map(community_map, route, size=(960, 720))
        args.png.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(args.png), picture):
            _say(f"Could not write {args.png}.")
            return 1
        _say(f"Map picture: {args.png}")
    return 0


def add_map_commands(sub: Any) -> None:
    """Register ``map validate`` and ``map route`` on the ``linli`` sub-parsers."""
    group = sub.add_parser("map", help="check the community map and try routes").add_subparsers(
        dest="map_command", required=True)
    validate = group.add_parser("validate", help="check the map file (default: LINLI_MAP or assets/maps)")
    validate.add_argument("path", nargs="?", type=Path)
    validate.set_defaults(func=cmd_map_validate)
    route = group.add_parser("route", help="the way to a place, as the kiosk would say it")
    route.add_argument("to", help="a place id, name or alias, e.g. clinic")
    route.add_argument("--from", dest="start", help="start node (default: the kiosk)")
    route.add_argument("--step-free", action="store_true", help="no stairs (wheelchairs, walkers, prams)")
    route.add_argument("--map", type=Path, help="map file (default: LINLI_MAP or assets/maps/sunny-garden.yml)")
    route.add_argument("--png", type=Path, help="also draw the route on the map into this PNG")
    route.set_defaults(func=cmd_map_route)

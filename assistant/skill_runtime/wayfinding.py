"""Routes for the ``navigate_to`` skill: the community map, the router and the signed guide link.

The map is an asset file (``assets/maps/*.yml``), not the services' database, so the way can be
computed even while the office system is down. It is loaded once per action server; a map that does
not load is logged and the skill falls back to the office's written directions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.places.community import default_map_path, keys_cache, load_map
from assistant.shared.errors import LinliError
from wayfinding.community_map import CommunityMap
from wayfinding.guide_links import GuideLink, TourLink
from wayfinding.key_ring import RingCache
from wayfinding.route import Route
from wayfinding.routing import NoRoute, Router, UnknownPlace

from .context import settings

log = logging.getLogger(__name__)

STEP_FREE_ENTITY = "access"
_STEP_FREE_WORDS = re.compile(
    r"\b(wheel\s?chairs?|walkers?|rollators?|walking frames?|zimmer|prams?|pushchairs?|strollers?|buggy"
    r"|mobility scooters?|crutch(?:es)?|step[- ]?free|no (?:stairs|steps)|without (?:any )?(?:stairs|steps)"
    r"|avoid(?:ing)? (?:the )?(?:stairs|steps)|(?:can ?not|can'?t|cannot) (?:climb|manage|do|use|walk up) "
    r"(?:the )?(?:stairs|steps))\b"
    r"|轮椅|无障碍|不走楼梯|没有台阶",
    re.I,
)


def wants_step_free(text: str | None, entities: list[dict[str, Any]] | None = None) -> bool:
    """Did the resident ask for a way without steps (in words, or with the "Way without steps" button)?"""
    if any(isinstance(e, dict) and e.get("entity") == STEP_FREE_ENTITY for e in entities or []):
        return True
    return bool(text and _STEP_FREE_WORDS.search(text))


@dataclass(frozen=True)
class Wayfinder:
    map: CommunityMap
    router: Router
    keys: RingCache
    """The community's QR keys (the current one signs; re-read now and then, so a rotation counts)."""
    public_url: str

    def plan(self, place: str, *, step_free: bool) -> Route | None:
        """The route from the kiosk, or ``None`` when the map does not know the place or has no such way."""
        try:
            return self.router.route(place, step_free=step_free)
        except (UnknownPlace, NoRoute) as e:
            log.info("no route to %r (step_free=%s): %s", place, step_free, e)
            return None

    def guide_url(self, route: Route, to: str) -> str:
        """A signed link that opens the same way on a resident's phone."""
        link = GuideLink(community=self.map.community, at=route.start, to=to, step_free=route.step_free)
        return link.to_url(self.public_url, self.keys.get())

    def tour_url(self, tour: str, stop: int, lang: str | None = None) -> str:
        """A signed link that opens stop ``stop`` of the walk ``tour`` on a phone (its story and the way on): the
        resident takes the rest of the walk with them."""
        language = None if lang in (None, "en") else lang
        return TourLink(self.map.community, tour, stop, language).to_url(self.public_url, self.keys.get())


@lru_cache(maxsize=4)
def _load(map_path: Path, var_dir: Path, public_url: str) -> Wayfinder:
    community_map = load_map(map_path)
    return Wayfinder(map=community_map, router=Router(community_map), keys=keys_cache(var_dir),
                     public_url=public_url)


def wayfinder() -> Wayfinder | None:
    """The community's wayfinder for this action server; ``None`` (and a log line) if the map is broken."""
    config = settings()
    try:
        return _load(default_map_path(), config.var_dir, config.public_url)
    except LinliError as e:
        log.error("the community map cannot be used, directions come from the office's words: %s", e)
        return None

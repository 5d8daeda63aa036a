"""What skill actions may reach: the services client, the outbox and this kiosk's settings.

The action server configures these once at start-up; tests configure them with real objects on
loopback. Skills never build clients themselves and never touch a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.shared.config import Settings
from assistant.shared.errors import ConfigError

if TYPE_CHECKING:
    from assistant.skill_runtime.outbox import Outbox
    from community_services.client import ServicesClient


@dataclass
class SkillContext:
    settings: Settings
    services: ServicesClient
    outbox: Outbox


_current: SkillContext | None = None


def configure(context: SkillContext | None) -> None:
    global _current
    _current = context


def current() -> SkillContext:
    if _current is None:
        raise ConfigError(
            "Skill actions ran before the action server set up their context.",
            hint="Start actions with `linli run` or call skill_runtime.context.configure() in tests.",
        )
    return _current


def services() -> ServicesClient:
    return current().services


def outbox() -> Outbox:
    return current().outbox


def settings() -> Settings:
    return current().settings

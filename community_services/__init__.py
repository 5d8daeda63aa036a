"""Community services: the residential community's own backend (a separate system in production).

A FastAPI + SQLAlchemy service (``app.py`` wires the routers in ``api/``) with its own OpenAPI spec
(``openapi.json``), seeded with the demo community "Sunny Garden" (data in ``seed_data.py``, rows made by
``seed.py``), and a typed httpx client (``client.py``) that the assistant uses. ``schemas.py`` holds the
pydantic models both sides share; it imports nothing but pydantic.

Start it with ``python -m community_services --help``.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"
"""Every endpoint lives under this prefix (``/health`` is also served at the root)."""

__all__ = ["API_PREFIX"]

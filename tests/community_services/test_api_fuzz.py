"""Schemathesis against the published ``community_services/openapi.json`` and the real app on loopback, with each
role and with none (issue 16: "Tests a trusted project has").

For every operation and many generated requests (valid and invalid): no 500; the auth matrix holds (no or a wrong
token: 401; a valid token: never 401, and 403 exactly where the route is the other role's); the kiosk role never
receives a resident's phone number or name. Then a stateful run that chains operations through the links
schemathesis infers (a created ticket, feedback, handoff... looked up, changed), as the kiosk and as staff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings

from community_services.api.rate_limits import Bucket, RateLimits
from community_services.app import create_app
from community_services.auth import kiosk_only, staff_only
from community_services.testing import serve_in_thread
from tests.conftest import free_port

KIOSK, STAFF = "fuzz-kiosk-token", "fuzz-staff-token"
ROOMY = RateLimits(kiosk=Bucket(1e4, 1e5), staff=Bucket(1e4, 1e5), anonymous=Bucket(1e4, 1e5), misses=Bucket(1e4, 1e5))
OPENAPI = Path(__file__).resolve().parents[2] / "community_services" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)
# the live stream never ends by itself: it is tested in test_live.py, not fuzzed
schema = schema.exclude(path="/api/v1/events/stream")

TOKENS: dict[str, str | None] = {"none": None, "wrong": "not-a-token", "kiosk": KIOSK, "staff": STAFF}
PHONE = re.compile(r"(?<![\d*])1[3-9]\d{9}(?!\d)")
RESIDENT_KEYS = {"phone", "phones", "patient_name", "resident_name", "contact_phone"}
FUZZ = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


class Server:
    url = ""
    app: Any = None


SERVER = Server()


@pytest.fixture(scope="module", autouse=True)
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("fuzz") / "services.db"
    SERVER.app = create_app(f"sqlite:///{db}", KIOSK, STAFF, rate_limits=ROOMY)
    server, thread, url = serve_in_thread(SERVER.app, free_port())
    SERVER.url = url
    yield SERVER
    server.should_exit = True
    thread.join(timeout=10)


def _route_roles() -> dict[tuple[str, str], str]:
    """(METHOD, path) → ``kiosk``, ``staff``, ``any`` or ``public``: read from the routes' own dependencies."""
    app = create_app("sqlite://", KIOSK, STAFF, seed=False)
    roles: dict[tuple[str, str], str] = {}
    routes: list[Any] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            routes.append(route)
        contexts = getattr(route, "effective_route_contexts", None)  # an included router (newer FastAPI)
        if contexts is not None:
            routes.extend(contexts() if callable(contexts) else contexts)
    for route in routes:
        calls = set()
        stack = [route.dependant]
        while stack:
            dep = stack.pop()
            calls.add(dep.call)
            stack.extend(dep.dependencies)
        role = "staff" if staff_only in calls else "kiosk" if kiosk_only in calls else \
            "any" if any(getattr(c, "__name__", "") == "current_role" for c in calls) else "public"
        for method in route.methods:
            roles[(method, route.path)] = role
    assert roles, "no routes found: the walk over FastAPI's routes needs updating"
    return roles


ROLES = _route_roles()


def sent_as(response: Any) -> str:
    """Who the request that was really sent speaks for."""
    given = response.request.headers.get("Authorization")
    for who, token in TOKENS.items():
        if token is not None and given == f"Bearer {token}":
            return who
    return "none" if given is None else "wrong"


def body_refused(response: Any) -> bool:
    """A request whose body could not even be read (not JSON, a form, too big): refused before anything else."""
    if response.status_code == 413:
        return True
    try:
        detail = json.loads(response.text or "{}").get("detail")
    except ValueError:
        # not JSON: the HTTP server refused the request line itself (a path it cannot parse), before any route
        return response.status_code == 400 and response.text.startswith("Invalid HTTP request")
    if response.status_code == 400:
        return detail == "There was an error parsing the body"
    return isinstance(detail, list) and all(isinstance(e, dict) and e.get("loc", [""])[0] == "body" for e in detail)


def is_json(response: Any) -> bool:
    kind = response.headers.get("content-type") or ""
    kind = kind[0] if isinstance(kind, list) else kind  # schemathesis keeps every value of a header
    return str(kind).startswith("application/json")


def leaks(value: Any) -> list[str]:
    """Where a JSON answer holds a resident's phone number or name."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in RESIDENT_KEYS and item:
                found.append(f"{key}={item!r}")
            found += leaks(item)
    elif isinstance(value, list):
        for item in value:
            found += leaks(item)
    elif isinstance(value, str) and PHONE.search(value):
        found.append(value)
    return found


@pytest.mark.parametrize("who", list(TOKENS))
@schema.parametrize()
@FUZZ
def test_every_operation_with_each_role_and_none(case: schemathesis.Case, who: str) -> None:
    token = TOKENS[who]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = case.call(base_url=SERVER.url, headers=headers, timeout=30)
    who = sent_as(response)  # schemathesis also drops or spoils the header on purpose (negative cases)
    where = f"{case.method} {case.path} as {who}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, where
    role = ROLES.get((case.method.upper(), case.path))
    if role is None:  # a method the route does not have (schemathesis tries TRACE, PUT...): refused, not served
        assert response.status_code in (401, 404, 405), where
        return
    if role != "public" and who in ("none", "wrong"):
        # 401; or the body refused before the token is looked at (it was not JSON, or too big): nothing is read
        assert response.status_code == 401 or (response.status_code in (400, 413, 422) and body_refused(response)), \
            where
    if who in ("kiosk", "staff"):
        assert response.status_code != 401, where
        if response.status_code == 403 and role in ("kiosk", "staff"):
            assert role != who, where  # a route's own role is never refused for its role
        if role in ("kiosk", "staff") and role != who:
            # the other role: refused (or the body refused first, unread)
            assert response.status_code in (403, 429) or body_refused(response), where
    if who == "kiosk" and is_json(response):
        assert not leaks(json.loads(response.text or "null")), where


@pytest.mark.parametrize("who", ["kiosk", "staff"])
def test_chains_of_operations_never_fail_on_the_server(who: str) -> None:
    machine = schema.as_state_machine()
    token = TOKENS[who]

    class Calls(machine):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": SERVER.url, "headers": {"Authorization": f"Bearer {token}"}, "timeout": 30}

        def validate_response(self, response: Any, case: schemathesis.Case, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
            if who == "kiosk" and is_json(response):
                assert not leaks(json.loads(response.text or "null")), f"{case.method} {case.path}"

    Calls.run(settings=settings(max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
                                suppress_health_check=list(HealthCheck)))


def test_what_a_kiosk_creates_comes_back_without_the_residents_words_name_or_phone() -> None:
    """Generated bodies rarely pass validation, so the creates a kiosk really makes are checked by hand too."""
    import httpx

    with httpx.Client(base_url=f"{SERVER.url}/api/v1", headers={"Authorization": f"Bearer {KIOSK}"},
                      timeout=30) as kiosk, \
            httpx.Client(base_url=f"{SERVER.url}/api/v1", headers={"Authorization": f"Bearer {STAFF}"},
                         timeout=30) as staff:
        slot = kiosk.get("/clinic/slots", params={"department": "General Practice"}).json()[0]
        made = {
            "appointment": kiosk.post("/clinic/appointments", json={"slot_id": slot["id"], "patient_name": "Wang Fang",
                                                                    "phone": "13800138000"}),
            "ticket": kiosk.post("/tickets", json={"problem_type": "plumbing", "description": "Wang Fang's tap leaks",
                                                   "place": "3-502", "phone": "13800138000"}),
            "registration": kiosk.post("/events/1/registrations", json={"name": "Wang Fang",
                                                                        "phone": "13800138000"}),
            "feedback": kiosk.post("/feedback", json={"text": "I am Wang Fang, call me on 13800138000",
                                                      "category": "other"}),
        }
        for what, response in made.items():
            assert response.status_code == 201, (what, response.text)
            body = response.json()
            assert not leaks(body) and "Wang Fang" not in response.text, (what, body)
            assert body.get("reference") or body.get("number"), what  # what the kiosk needs: the reference
        ticket = made["ticket"].json()["number"]
        # staff still see what the resident said
        assert "Wang Fang" in staff.get(f"/tickets/{ticket}").text

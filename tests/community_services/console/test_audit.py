"""The audit log: written with each change, newest first, paged, and never edited or deleted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from community_services.app import create_app
from community_services.console import audit
from community_services.console.auth import StaffMember
from community_services.console.router import console_router
from community_services.db import Database
from community_services.models import AuditEntry

Login = Callable[[tuple[str, str]], httpx.Client]
ADMIN = StaffMember(1, "Admin Wang", "admin")
AT = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    db.create_schema()
    return db


def test_record_goes_with_the_transaction(database: Database) -> None:
    with database.session() as session:
        audit.record(session, ADMIN, "staff.add", "staff:Li", after={"role": "duty"}, at=AT)
        session.rollback()  # the change failed: its record goes too
    with database.session() as session:
        assert session.scalars(select(AuditEntry)).all() == []
        audit.record(session, ADMIN, "staff.add", "staff:Li", after={"role": "duty"}, at=AT)
        session.commit()
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.staff_name, entry.action, entry.target, entry.before, entry.after, entry.at) == \
        ("Admin Wang", "staff.add", "staff:Li", None, {"role": "duty"}, AT)


def test_entries_cannot_be_changed_or_deleted_through_the_orm(database: Database) -> None:
    with database.session() as session:
        audit.record(session, ADMIN, "login", "staff:Admin Wang", at=AT)
        session.commit()
        entry = session.scalars(select(AuditEntry)).one()
        entry.action = "nothing happened"
        with pytest.raises(audit.AuditLogIsAppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.scalars(select(AuditEntry)).one())
        with pytest.raises(audit.AuditLogIsAppendOnly):
            session.commit()


def test_pages_are_newest_first(database: Database) -> None:
    with database.session() as session:
        for i in range(7):
            audit.record(session, ADMIN, f"step.{i}", "x", at=AT + timedelta(minutes=i))
        session.commit()
        first, pages = audit.page(session, 1, size=3)
        last, _ = audit.page(session, 99, size=3)
    assert pages == 3
    assert [e.action for e in first] == ["step.6", "step.5", "step.4"]
    assert [e.action for e in last] == ["step.0"]


def test_no_route_can_change_the_audit_log(tmp_path: Path) -> None:
    create_app(f"sqlite:///{tmp_path / 'services.db'}", "k-token", "s-token", seed=False)
    # every console route (the app includes this router as it is when a request comes)
    audit_routes = [r for r in console_router.routes if isinstance(r, APIRoute) and "audit" in r.path]
    assert [r.path for r in audit_routes] == ["/console/audit"]
    assert audit_routes[0].methods <= {"GET", "HEAD"}


def test_staff_actions_on_the_page_are_audited(console_server: Any, logged_in: Login,
                                               console_tools: SimpleNamespace) -> None:
    http = logged_in(console_tools.ADMIN)
    token = console_tools.form_value(http.get("/console/staff").text, "csrf_token")
    http.post("/console/staff/add", data={"name": "Zhao Min", "role": "duty", "password": "zhao-password-1",
                                          "password_again": "zhao-password-1", "csrf_token": token})
    http.post("/console/staff/reset-password", data={"name": "Zhao Min", "password": "zhao-password-2",
                                                     "password_again": "zhao-password-2", "csrf_token": token})
    http.post("/console/staff/disable", data={"name": "Zhao Min", "csrf_token": token})
    http.post("/console/staff/add", data={"name": "", "role": "duty", "password": "zhao-password-1",
                                          "password_again": "zhao-password-1", "csrf_token": token})  # refused
    with console_server.database.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.staff_name, e.action, e.target) for e in entries] == [
        ("Admin Wang", "login", "staff:Admin Wang"),
        ("Admin Wang", "staff.add", "staff:Zhao Min"),
        ("Admin Wang", "staff.reset_password", "staff:Zhao Min"),
        ("Admin Wang", "staff.disable", "staff:Zhao Min"),
    ]
    assert entries[1].after == {"name": "Zhao Min", "role": "duty"}
    assert (entries[3].before, entries[3].after) == ({"disabled": False}, {"disabled": True})
    assert all("zhao-password" not in str(e.after) for e in entries)
    assert all(e.at == console_server.clock() for e in entries)  # the app's clock
    page = http.get("/console/audit").text
    assert page.index("staff.disable") < page.index("staff.add") < page.index("<td>login</td>")

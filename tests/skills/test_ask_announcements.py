"""ask_announcements: the current notices, briefly, newest first, the ones about the question first."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from helpers import BAD_INPUTS, message_tracker, perform

from assistant.skill_runtime import context
from community_services import notice_desk
from community_services.db import Database
from community_services.schemas import Announcement
from skills.ask_announcements import actions as notices
from tests.conftest import RunningServices


def read(text: str) -> list[str]:
    events, dispatcher = perform(notices.ActionReadAnnouncements(), message_tracker(text, "ask_announcements"), {})
    assert events == []
    return [m["text"] for m in dispatcher.messages]


def notice(i: int, title: str, body: str, day: int) -> Announcement:
    return Announcement(id=i, title=title, body=body, valid_from=datetime(2026, 11, day), valid_until=None)


def test_the_seeded_notices_are_read_newest_first(skill_context: context.SkillContext) -> None:
    lines = read("any news")
    assert lines[0] == "There are 4 notices. Here they are, newest first."
    assert lines[1].startswith("First: The water supply to Buildings 7, 8 and 9")
    assert lines[4].startswith("Fourth: Reminder: square dancing")
    assert lines[-1] == "Say repeat to hear them again."
    assert len(lines) == 6


def test_the_notice_about_the_question_comes_first(skill_context: context.SkillContext) -> None:
    lines = read("will the lift be stopped for maintenance")
    assert lines[0] == "There are 4 notices. The one about that comes first."
    assert lines[1].startswith("First: The lift in Building 3")


def test_ordering_and_limits() -> None:
    items = [notice(i, f"Notice {i}", f"Body number {i}", i) for i in range(1, 7)]
    ordered, about = notices.order_notices(items, "any news")
    assert [n.id for n in ordered] == [6, 5, 4, 3, 2, 1] and about == 0
    water = notice(9, "Water off", "The water is off on Thursday.", 1)
    ordered, about = notices.order_notices([*items, water], "is the water going off")
    assert ordered[0].id == 9 and about == 1
    long = notice(10, "Long", "word " * 200, 1)
    assert len(notices.notice_text(long)) <= notices.MAX_CHARS + 4


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input(skill_context: context.SkillContext, bad: str) -> None:
    lines = read(bad)
    assert lines[-1] == "Say repeat to hear them again."


def test_services_down(services_down: context.SkillContext) -> None:
    assert read("any news") == [notices.SERVICES_DOWN]


def test_buildings_named_in_the_question() -> None:
    assert notices.buildings_named("is there a notice for Building 3") == ("3",)
    assert notices.buildings_named("what about buildings 7, 8 and 9?") == ("7", "8", "9")
    assert notices.buildings_named("3号楼有通知吗") == ("3",)
    assert notices.buildings_named("building 13, or block 0") == ()
    assert notices.buildings_named("any news") == ()


def test_a_notice_for_one_building_is_read_where_it_belongs(skill_context: context.SkillContext,
                                                           services_server: RunningServices) -> None:
    form = {"title": "Painting", "body": "The stairs of Building 5 are painted on Friday.", "for": "some",
            "buildings": ["5"], "urgency": "urgent", "kind": "other"}
    notice, errors = notice_desk.parse_form(form, datetime.now())
    assert notice is not None, errors
    db = Database(f"sqlite:///{services_server.db_path}")
    try:
        with db.session() as session:
            notice_id = notice_desk.create_notice(session, notice, "Duty Li", datetime.now())
            session.commit()
        try:
            assert not any("Building 5 are painted" in line for line in read("any news for building 3"))
            assert any("Urgent. The stairs of Building 5" in line for line in
                       read("is there a notice for Building 5"))
            context.configure(replace(skill_context, settings=replace(skill_context.settings, kiosk_buildings="5")))
            assert any("Building 5 are painted" in line for line in read("any news"))
            context.configure(replace(skill_context, settings=replace(skill_context.settings, kiosk_buildings="3")))
            assert not any("Building 5 are painted" in line for line in read("any news"))
        finally:
            context.configure(skill_context)
            with db.session() as session:
                notice_desk.withdraw_notice(session, notice_id, "Duty Li", datetime.now())
                session.commit()
    finally:
        db.dispose()

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


def said(text: str) -> list[dict[str, object]]:
    """The messages (a response's name and its values): no sentence is written in Python."""
    events, dispatcher = perform(notices.ActionReadAnnouncements(), message_tracker(text, "ask_announcements"), {})
    assert events == []
    assert all("text" not in m or not m["text"] for m in dispatcher.messages)
    return dispatcher.messages


def read(text: str) -> list[str]:
    """The notices read out (their text, with the response that frames each one)."""
    return [f'{m["response"]}: {m["notice"]}' for m in said(text) if "notice" in m]


def names(text: str) -> list[str]:
    return [str(m["response"]) for m in said(text)]


def notice(i: int, title: str, body: str, day: int) -> Announcement:
    return Announcement(id=i, title=title, body=body, valid_from=datetime(2026, 11, day), valid_until=None)


def test_the_seeded_notices_are_read_newest_first(skill_context: context.SkillContext) -> None:
    messages = said("any news")
    assert [m["response"] for m in messages[:2]] == ["utter_notices_count", "utter_notices_newest_first"]
    assert messages[0]["count"] == 4
    numbered = [m for m in messages if m["response"] == "utter_notice_numbered"]
    assert [m["position"] for m in numbered] == [1, 2, 3, 4]
    assert str(numbered[0]["notice"]).startswith("The water supply to Buildings 7, 8 and 9")
    assert str(numbered[3]["notice"]).startswith("Reminder: square dancing")
    assert messages[-1]["response"] == "utter_notices_repeat_hint"
    assert len(messages) == 7


def test_the_notice_about_the_question_comes_first(skill_context: context.SkillContext) -> None:
    messages = said("will the lift be stopped for maintenance")
    assert [m["response"] for m in messages[:2]] == ["utter_notices_count", "utter_notices_about_first"]
    assert str(messages[2]["notice"]).startswith("The lift in Building 3")


def test_a_chinese_question_puts_its_notice_first() -> None:
    items = [notice(1, "七到九号楼停水", "七号楼、八号楼、九号楼礼拜四停水。", 3),
             notice(2, "三号楼电梯维修", "三号楼的电梯礼拜五下午维修。", 2),
             notice(3, "消防演习", "全小区消防演习。", 5)]
    ordered, about = notices.order_notices(items, "请问是不是要停水啊")
    assert ordered[0].id == 1 and about == 1
    ordered, about = notices.order_notices(items, "电梯要修吗")
    assert ordered[0].id == 2 and about == 1
    ordered, about = notices.order_notices(items, "最近有什么通知")
    assert [n.id for n in ordered] == [3, 1, 2] and about == 0


def test_the_notices_are_asked_for_in_the_conversations_language(skill_context: context.SkillContext,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    real = skill_context.services.list_announcements

    def spy(*args: object, **kwargs: object) -> list[Announcement]:
        asked.append(kwargs.get("lang"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(skill_context.services, "list_announcements", spy)
    said("有什么通知")
    said("any news")
    assert asked == ["zh-CN", "en"]


def test_ordering_and_limits() -> None:
    items = [notice(i, f"Notice {i}", f"Body number {i}", i) for i in range(1, 7)]
    ordered, about = notices.order_notices(items, "any news")
    assert [n.id for n in ordered] == [6, 5, 4, 3, 2, 1] and about == 0
    water = notice(9, "Water off", "The water is off on Thursday.", 1)
    ordered, about = notices.order_notices([*items, water], "is the water going off")
    assert ordered[0].id == 9 and about == 1
    long = notice(10, "Long", "word " * 200, 1)
    assert len(notices.notice_text(long)) <= notices.MAX_CHARS + 4
    chinese = notices.notice_text(notice(11, "长", "停水" * 400, 1))
    assert chinese.endswith(" ...") and 200 < len(chinese) <= notices.MAX_CHARS + 4


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_bad_input(skill_context: context.SkillContext, bad: str) -> None:
    assert names(bad)[-1] == "utter_notices_repeat_hint"


def test_services_down(services_down: context.SkillContext) -> None:
    assert names("any news") == [notices.SERVICES_DOWN] == ["utter_notices_services_down"]
    assert names("有通知吗") == ["utter_notices_services_down"]


def test_buildings_named_in_the_question() -> None:
    assert notices.buildings_named("is there a notice for Building 3") == ("3",)
    assert notices.buildings_named("what about buildings 7, 8 and 9?") == ("7", "8", "9")
    assert notices.buildings_named("3号楼有通知吗") == ("3",)
    assert notices.buildings_named("三号楼电梯有通知吗") == ("3",)
    assert notices.buildings_named("３号楼、十二号楼呢") == ("3", "12")
    assert notices.buildings_named("九號樓停水嗎") == ("9",)
    assert notices.buildings_named("十五号楼") == ()
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
            assert any(line.startswith("utter_notice_numbered_urgent: The stairs of Building 5") for line in
                       read("is there a notice for Building 5"))
            assert any("Building 5 are painted" in line for line in read("五号楼有通知吗"))
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

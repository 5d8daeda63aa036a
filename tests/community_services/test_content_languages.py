"""The office answers in the reader's language (``?lang=zh-CN``), English where nothing is translated.

Over real HTTP against the seeded demo (clock: Monday 2 March 2026, 07:30; see conftest), plus the content
files themselves: every entry must name something the English seed has, or a typo would silently be English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest

from community_services import content, models, notice_desk
from community_services.client import ServicesClient
from community_services.db import Database
from community_services.seed import facility_rows
from community_services.seed_data import DEPARTMENTS, NOTICES, ONE_OFF_EVENTS, RECURRING_EVENTS

NOW = datetime(2026, 3, 2, 7, 30)


# --- the lang parameter -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", "zh", "zh_cn", "ZH-CN", "zh-Hans", "中文"])
def test_facilities_in_chinese(kiosk_http: httpx.Client, lang: str) -> None:
    places = {p["slug"]: p for p in kiosk_http.get("/facilities", params={"lang": lang}).json()}
    clinic = places["community-clinic"]
    assert clinic["name"] == "社区卫生服务站" and "二号楼" in clinic["directions"]
    assert clinic["hours_text"].startswith("礼拜一到礼拜五")
    assert places["library"]["name"] == "图书室" and "礼拜一关门" in places["library"]["hours_text"]
    assert places["building-9"]["name"] == "9号楼" and places["building-9"]["notes"] == "六层楼，没有电梯。"
    assert clinic["slug"] == "community-clinic" and clinic["hours"][0]["opens"] == "08:00"  # data stays data


@pytest.mark.parametrize("params", [{}, {"lang": "en"}, {"lang": "fr"}, {"lang": "xx-YY"}, {"lang": ""}])
def test_missing_english_or_unknown_language_is_english(kiosk_http: httpx.Client, params: dict[str, str]) -> None:
    response = kiosk_http.get("/facilities/community-clinic", params=params)
    assert response.status_code == 200
    assert response.json()["name"] == "Community Clinic"


def test_an_absurd_language_code_is_a_clear_422_not_a_500(kiosk_http: httpx.Client) -> None:
    response = kiosk_http.get("/facilities", params={"lang": "z" * 200})
    assert response.status_code == 422


def test_search_by_chinese_alias_answers_in_the_asked_language(kiosk_http: httpx.Client) -> None:
    found = kiosk_http.get("/facilities/search", params={"q": "医务室", "lang": "zh-CN"}).json()
    assert found["slug"] == "community-clinic" and found["name"] == "社区卫生服务站"
    english = kiosk_http.get("/facilities/search", params={"q": "医务室"}).json()
    assert english["name"] == "Community Clinic"  # a Chinese question, an English reader: English answer


def test_clinic_departments_doctors_and_slots(kiosk_http: httpx.Client) -> None:
    departments = kiosk_http.get("/clinic/departments", params={"lang": "zh-CN"}).json()
    assert [d["name"] for d in departments] == ["全科", "牙科", "眼科", "康复理疗", "中医"]
    assert departments[0]["doctors"] == ["王医生", "陈医生"]
    assert departments[0]["schedule_text"].startswith("王医生：礼拜一到礼拜五")
    slots = kiosk_http.get("/clinic/slots", params={"department": "看牙", "day": "2026-03-03", "lang": "zh-CN"}).json()
    assert slots and {(s["department"], s["doctor"]) for s in slots} == {("牙科", "李医生")}


def test_events_in_chinese(kiosk_http: httpx.Client) -> None:
    events = kiosk_http.get("/events", params={"lang": "zh-CN", "day": "2026-03-03"}).json()
    titles = {e["title"]: e for e in events}
    assert set(titles) == {"太极拳", "书法班"}
    assert titles["书法班"]["place"] == "老年活动室" and titles["书法班"]["capacity"] == 20
    found = kiosk_http.get("/events/search", params={"q": "书法班", "lang": "zh-CN"}).json()
    assert found["slug"].startswith("calligraphy-class") and "报名" in found["description"]
    one = kiosk_http.get(f"/events/{found['id']}").json()
    assert one["title"] == "Calligraphy class"


def test_seeded_notices_in_chinese_with_the_day_in_words(kiosk_http: httpx.Client) -> None:
    notices = kiosk_http.get("/announcements", params={"lang": "zh-CN"}).json()
    water = notices[0]
    assert water["title"] == "七到九号楼停水"
    assert "三月五号，礼拜四" in water["body"]  # "next Thursday" from Monday 2 March
    english = kiosk_http.get("/announcements").json()[0]
    assert english["id"] == water["id"] and english["body"].startswith("The water supply")


def test_client_methods_take_lang(kiosk: ServicesClient) -> None:
    assert kiosk.get_facility("library", lang="zh-CN").name == "图书室"
    assert kiosk.get_facility("library").name == "Library and Reading Room"
    assert [f.name for f in kiosk.list_facilities(lang="zh-CN")][0] == "社区服务中心"
    assert (found := kiosk.find_facility("食堂", lang="zh-CN")) is not None and found.name == "长者食堂"
    assert kiosk.list_departments(lang="zh-CN")[1].name == "牙科"
    assert {s.doctor for s in kiosk.list_free_slots("dental", date(2026, 3, 3), lang="zh-CN")} == {"李医生"}
    assert kiosk.list_events(date(2026, 3, 3), lang="zh-CN")[0].title == "太极拳"
    assert (event := kiosk.find_event("唱歌", lang="zh-CN")) is not None and event.title == "合唱队"
    assert kiosk.list_announcements(lang="zh-CN")[0].title == "七到九号楼停水"
    assert kiosk.list_announcements(("8",), lang="en")[0].title.startswith("Water supply")


# --- staff notices: Chinese optional ----------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'services.db'}")
    db.create_schema()
    yield db
    db.dispose()


def _form(**changes: str) -> dict[str, object]:
    base: dict[str, object] = {"title": "Lift stopped in Building 3", "body": "The lift is stopped until noon.",
                               "valid_from": "2026-03-02T07:00", "valid_until": "2026-03-02T12:00", "for": "all",
                               "urgency": "ordinary"}
    return {**base, **changes}


def test_a_staff_notice_with_and_without_chinese(database: Database) -> None:
    with_zh, errors = notice_desk.parse_form(_form(title_zh="三号楼电梯停了", body_zh="电梯停到中午。"), NOW)
    plain, _ = notice_desk.parse_form(_form(), NOW)
    assert with_zh is not None and plain is not None, errors
    with database.session() as session:
        both = notice_desk.create_notice(session, with_zh, "Duty Li", NOW)
        english_only = notice_desk.create_notice(session, plain, "Duty Li", NOW)
        session.commit()
        heard = {a.id: a for a in notice_desk.current_announcements(session, NOW, lang="zh-CN")}
        assert heard[both].title == "三号楼电梯停了" and heard[both].body == "电梯停到中午。"
        assert heard[english_only].title == "Lift stopped in Building 3"  # nothing in Chinese: English
        assert notice_desk.current_announcements(session, NOW)[0].title == "Lift stopped in Building 3"
        notice_desk.update_notice(session, both, plain, "Duty Li", NOW)  # English changed, no Chinese given
        session.commit()
        heard = {a.id: a for a in notice_desk.current_announcements(session, NOW, lang="zh-CN")}
        assert heard[both].title == "Lift stopped in Building 3"  # the old Chinese would say something else
        assert session.query(models.AnnouncementText).count() == 0


def test_an_urgent_notice_broadcast_in_chinese(database: Database) -> None:
    urgent, errors = notice_desk.parse_form(_form(urgency="urgent", kind="lift", title_zh="三号楼电梯停了",
                                                  body_zh="电梯停到中午，麻烦大家走楼梯。"), NOW)
    assert urgent is not None, errors
    with database.session() as session:
        notice_desk.create_notice(session, urgent, "Duty Li", NOW)
        session.commit()
        (zh,) = notice_desk.active_broadcasts(session, NOW, lang="zh-CN")
        (en,) = notice_desk.active_broadcasts(session, NOW)
    assert (zh.title, zh.body) == ("三号楼电梯停了", "电梯停到中午，麻烦大家走楼梯。")
    assert en.title == "Lift stopped in Building 3" and zh.revision == en.revision


def test_the_client_asks_broadcasts_in_a_language(kiosk: ServicesClient) -> None:
    assert kiosk.list_broadcasts("kiosk-lobby", lang="zh-CN") == kiosk.list_broadcasts("kiosk-lobby")  # none seeded


def test_half_a_chinese_notice_is_refused() -> None:
    notice, errors = notice_desk.parse_form(_form(title_zh="三号楼电梯停了"), NOW)
    assert notice is None and errors == ["Write both the Chinese title and the Chinese notice, or neither."]


# --- the content files ------------------------------------------------------------------------


def test_content_names_only_what_the_seed_has() -> None:
    zh = content.content("zh-CN")
    assert set(zh["facilities"]) <= {row["slug"] for row in facility_rows()}
    assert set(zh["clinic"]["departments"]) == {plan.slug for plan in DEPARTMENTS}
    assert set(zh["clinic"]["doctors"]) == {doctor.name for plan in DEPARTMENTS for doctor in plan.doctors}
    series = {plan.series for plan in RECURRING_EVENTS} | {plan.series for plan, _ in ONE_OFF_EVENTS}
    assert set(zh["events"]) == series
    assert set(zh["notices"]) == {notice.key for notice in NOTICES}
    names = {row["slug"]: row["name_zh"] for row in facility_rows()}
    for slug in names:  # the Chinese name residents see is the one the seed (and the map) already use
        assert content.facility(slug, "zh-CN")["name"] == names[slug], slug


def test_a_partial_translation_falls_back_field_by_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fr.yml").write_text("facilities:\n  library:\n    name: Bibliothèque\n", encoding="utf-8")
    monkeypatch.setattr(content, "HERE", tmp_path)
    content.content.cache_clear()
    try:
        assert content.normalize("fr-FR") == "fr" and content.normalize("zh-CN") == "en"
        assert content.facility("library", "fr") == {"name": "Bibliothèque"}
        assert content.facility("community-clinic", "fr") == {} and content.spoken_date(date(2026, 3, 5), "fr") is None
    finally:
        content.content.cache_clear()


@pytest.mark.parametrize(("number", "words"), [(3, "三"), (10, "十"), (12, "十二"), (26, "二十六"), (30, "三十")])
def test_numbers_said_as_words(number: int, words: str) -> None:
    assert content.zh_number(number) == words

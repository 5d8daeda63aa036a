"""Resident verification (phone or card + PIN), its attempt limits and lockouts, and the API's rate limits.

The limits under test are the defaults of ``docs/resident-verification.md``: 5 wrong PINs per phone/card and
household → 15 minutes; 10 per kiosk and 30 per address within 15 minutes → 15 minutes; 3 lockouts within
24 hours → until the office unlocks. The app's clock is moved by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from app_helpers import add_household, ticket_body
from fastapi.testclient import TestClient

from community_services import households
from community_services.api.rate_limits import Bucket, RateLimits
from community_services.app import create_app
from community_services.db import Database

KIOSK, STAFF = "kiosk-token-rv", "staff-token-rv"
T0 = datetime(2026, 3, 2, 9, 0)
ROOMY = RateLimits(kiosk=Bucket(1000, 10_000), staff=Bucket(1000, 10_000), anonymous=Bucket(1000, 10_000),
                   misses=Bucket(1000, 10_000))
PHONE, OTHER_PHONE, STRANGER = "13800001111", "13800002222", "13899998888"


class Office:
    def __init__(self, db: Path, rate_limits: RateLimits = ROOMY) -> None:
        self.db = db
        self.now = T0
        self.rate_limits = rate_limits
        self.card = add_household(db, "3-502", [PHONE, OTHER_PHONE], pin="2468")
        add_household(db, "3-503", ["13800003333"], pin="8642")

    def client(self) -> TestClient:
        """A new app on the same database: a restarted office, a new conversation at the kiosk."""
        app = create_app(f"sqlite:///{self.db}", KIOSK, STAFF, seed=False, clock=lambda: self.now,
                         rate_limits=self.rate_limits)
        return TestClient(app, headers={"Authorization": f"Bearer {KIOSK}"})

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return Office(tmp_path / "services.db")


@pytest.fixture
def kiosk(office: Office) -> Iterator[TestClient]:
    with office.client() as client:
        yield client


def verify(client: TestClient, pin: str, *, phone: str | None = None, card: str | None = None,
           kiosk_id: str = "kiosk-lobby") -> Any:
    body: dict[str, Any] = {"kiosk_id": kiosk_id, "pin": pin}
    body.update({"phone": phone} if card is None else {"card": card})
    return client.post("/api/v1/residents/verify", json=body)


# --- verifying ----------------------------------------------------------------------------------------


def test_phone_or_card_with_the_pin_gives_a_ten_minute_token(office: Office, kiosk: TestClient) -> None:
    by_phone = verify(kiosk, "2468", phone="138 0000 2222")
    assert by_phone.status_code == 200
    assert by_phone.json()["flat"] == "3-502"
    assert datetime.fromisoformat(by_phone.json()["expires_at"]) == T0 + timedelta(minutes=10)
    by_card = verify(kiosk, "2468", card=office.card)
    assert by_card.status_code == 200 and by_card.json()["flat"] == "3-502"
    assert office.card.startswith("LINLI-CARD:1:")


def test_one_message_for_unknown_phone_wrong_pin_and_forged_card(office: Office, kiosk: TestClient) -> None:
    card_id, signature = office.card.removeprefix("LINLI-CARD:1:").split(".")
    forged = f"LINLI-CARD:1:{card_id}.{'A' * len(signature)}"
    answers = [verify(kiosk, "1357", phone=PHONE), verify(kiosk, "2468", phone=STRANGER),
               verify(kiosk, "2468", card=forged), verify(kiosk, "2468", card="a sticker"),
               verify(kiosk, "8642", phone=PHONE)]  # another household's PIN
    assert {a.status_code for a in answers} == {403}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json() == {"detail": households.NO_MATCH, "code": "no_match"}
    assert "did not match" in households.NO_MATCH and "office" in households.NO_MATCH


def test_a_token_expires_and_only_opens_its_own_households_rows(office: Office, kiosk: TestClient) -> None:
    mine = kiosk.post("/api/v1/tickets", json=ticket_body(phone=PHONE)).json()["number"]
    theirs = kiosk.post("/api/v1/tickets", json=ticket_body(phone="13800003333")).json()["number"]
    token = {"X-Resident-Token": verify(kiosk, "2468", phone=PHONE).json()["token"]}
    assert "place" in kiosk.get(f"/api/v1/tickets/{mine}", headers=token).json()
    assert "place" not in kiosk.get(f"/api/v1/tickets/{theirs}", headers=token).json()
    office.wait(minutes=10, seconds=1)
    assert "place" not in kiosk.get(f"/api/v1/tickets/{mine}", headers=token).json()


def test_the_staff_token_cannot_verify(kiosk: TestClient) -> None:
    staff = kiosk.post("/api/v1/residents/verify", json={"kiosk_id": "k", "pin": "2468", "phone": PHONE},
                       headers={"Authorization": f"Bearer {STAFF}"})
    assert staff.status_code == 403


@pytest.mark.parametrize("body", [
    {"kiosk_id": "k", "pin": "2468"},  # neither phone nor card
    {"kiosk_id": "k", "pin": "2468", "phone": PHONE, "card": "x"},  # both
    {"kiosk_id": "k", "pin": "24680", "phone": PHONE},
    {"kiosk_id": "k", "pin": "abcd", "phone": PHONE},
    {"kiosk_id": "", "pin": "2468", "phone": PHONE},
])
def test_malformed_requests_are_422_and_count_for_nothing(kiosk: TestClient, body: dict[str, Any]) -> None:
    assert kiosk.post("/api/v1/residents/verify", json=body).status_code == 422


# --- attempt limits: in the database, not in a conversation ------------------------------------------


def test_five_wrong_pins_lock_the_phone_for_15_minutes_across_new_conversations(office: Office) -> None:
    for attempt in range(5):
        with office.client() as kiosk:  # every try from a new app: nothing lives in memory or a dialogue slot
            answer = verify(kiosk, f"{1350 + attempt}", phone=PHONE)
    assert answer.status_code == 423 and answer.json()["code"] == "locked"
    assert "ask at the office" in answer.json()["detail"]
    assert answer.headers["Retry-After"] == str(15 * 60)
    with office.client() as kiosk:
        assert verify(kiosk, "2468", phone=PHONE).status_code == 423  # even the right PIN, while locked
        assert verify(kiosk, "2468", card=office.card).status_code == 423  # the household is locked, card too
        office.wait(minutes=15, seconds=1)
        assert verify(kiosk, "2468", phone=PHONE).status_code == 200


def test_an_unknown_phone_locks_the_same_way(kiosk: TestClient) -> None:
    """Otherwise "locked after 5" would tell that a phone number belongs to a household."""
    answers = [verify(kiosk, "1111", phone=STRANGER).status_code for _ in range(6)]
    assert answers == [403, 403, 403, 403, 423, 423]


def test_a_right_pin_resets_the_count(office: Office, kiosk: TestClient) -> None:
    for _ in range(4):
        assert verify(kiosk, "1357", phone=PHONE).status_code == 403
    assert verify(kiosk, "2468", phone=PHONE).status_code == 200
    assert [verify(kiosk, "1357", phone=PHONE).status_code for _ in range(5)] == [403] * 4 + [423]


def test_ten_wrong_pins_at_one_kiosk_lock_that_kiosk(office: Office, kiosk: TestClient) -> None:
    phones = [f"1380000{n:04d}" for n in range(4000, 4010)]  # ten different phones: no phone reaches 5
    assert [verify(kiosk, "1357", phone=p, kiosk_id="kiosk-b").status_code for p in phones] == [403] * 9 + [423]
    assert verify(kiosk, "2468", phone=PHONE, kiosk_id="kiosk-b").status_code == 423
    assert verify(kiosk, "2468", phone=PHONE, kiosk_id="kiosk-c").status_code == 200  # another kiosk still works


def test_thirty_wrong_pins_from_one_address_lock_it_whatever_kiosk_id_is_claimed(kiosk: TestClient) -> None:
    codes = [verify(kiosk, "1357", phone=f"1380001{n:04d}", kiosk_id=f"kiosk-{n}").status_code for n in range(30)]
    assert codes == [403] * 29 + [423]
    assert verify(kiosk, "2468", phone=PHONE, kiosk_id="kiosk-new").status_code == 423


def test_a_pin_cannot_be_guessed(office: Office, kiosk: TestClient) -> None:
    """An attacker tries every PIN for one household, waiting out each lockout: after 15 tries (3 lockouts of
    5) the phone stays locked until the office unlocks it. The PIN is never reached."""
    checked = 0
    for guess in (f"{n:04d}" for n in range(10_000)):
        if guess == "2468":
            continue
        answer = verify(kiosk, guess, phone=PHONE, kiosk_id=f"kiosk-{checked}")  # a new kiosk id each time
        checked += 1  # each was checked: the 5th of a run answers 423 (it locked), the others 403
        if answer.status_code == 423:
            if answer.headers["Retry-After"] == str(24 * 3600):  # locked until the office acts
                break
            office.wait(minutes=16)  # wait the lock out
    assert checked == 15  # wrong PINs checked: 15 of 10,000 possible, a 0.15 % chance
    office.wait(days=2)
    still = verify(kiosk, "2468", phone=PHONE)
    assert still.status_code == 423 and still.json()["detail"] == households.LOCKED_FOR_GOOD

    database = Database(f"sqlite:///{office.db}")
    with database.session() as session:
        households.unlock(session, households.find_household(session, "3-502"))
        session.commit()
    database.dispose()
    assert verify(kiosk, "2468", phone=PHONE).status_code == 200


def test_setting_a_new_pin_unlocks(office: Office, kiosk: TestClient) -> None:
    for _ in range(5):
        verify(kiosk, "1357", phone=PHONE)
    database = Database(f"sqlite:///{office.db}")
    with database.session() as session:
        households.set_pin(session, households.find_household(session, "3-502"), "9753", office.now)
        session.commit()
    database.dispose()
    assert verify(kiosk, "9753", phone=PHONE).status_code == 200
    assert verify(kiosk, "2468", phone=PHONE).status_code == 403


def test_a_reissued_card_replaces_the_old_one(office: Office, kiosk: TestClient) -> None:
    database = Database(f"sqlite:///{office.db}")
    with database.session() as session:
        row = households.find_household(session, "3-502")
        households.reissue_card(row, office.now)
        new_card = households.card_code(row)
        session.commit()
    database.dispose()
    assert verify(kiosk, "2468", card=office.card).status_code == 403
    assert verify(kiosk, "2468", card=new_card).status_code == 200


# --- rate limits ----------------------------------------------------------------------------------------


def test_a_burst_then_429_with_retry_after_and_a_sentence(tmp_path: Path) -> None:
    office = Office(tmp_path / "s.db", RateLimits(kiosk=Bucket(0.01, 5)))
    with office.client() as kiosk:
        codes = [kiosk.get("/api/v1/announcements").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        refused = kiosk.get("/api/v1/announcements")
        assert refused.json()["code"] == "rate_limited" and "Please wait" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) >= 60
        # an emergency always gets through
        alert = {"kind": "fall", "location": "Lobby", "kiosk_id": "kiosk-lobby"}
        assert kiosk.post("/api/v1/alerts", json=alert).status_code == 201
        assert kiosk.get("/health").status_code == 200
        # the staff token has its own bucket
        assert kiosk.get("/api/v1/announcements", headers={"Authorization": f"Bearer {STAFF}"}).status_code == 200


def test_a_wrong_token_gets_a_small_bucket(tmp_path: Path) -> None:
    office = Office(tmp_path / "s.db", RateLimits(anonymous=Bucket(0.01, 3)))
    with office.client() as kiosk:
        codes = [kiosk.get("/api/v1/facilities", headers={"Authorization": "Bearer guess"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        assert kiosk.get("/api/v1/facilities").status_code == 200  # the real kiosk is not held up


def test_guessing_references_is_stopped_after_20_misses(tmp_path: Path) -> None:
    """Lookups that find nothing: 20 at once, then one per 10 s (default). With 10,000 live references among
    32⁸ ≈ 1.1e12, 8,640 guesses a day find one with a chance of about 0.008 %."""
    office = Office(tmp_path / "s.db", RateLimits())
    with office.client() as kiosk:
        real = kiosk.post("/api/v1/tickets", json=ticket_body()).json()["number"]
        codes = [kiosk.get(f"/api/v1/tickets/R{n:08d}").status_code for n in range(22)]
        assert codes == [404] * 21 + [429]
        refused = kiosk.get(f"/api/v1/tickets/{real}")  # lookups by reference wait, even a right one
        assert refused.status_code == 429 and "ask at the office" in refused.json()["detail"]
        assert kiosk.get("/api/v1/facilities").status_code == 200  # everything else goes on
        assert kiosk.get(f"/api/v1/tickets/{real}", headers={"Authorization": f"Bearer {STAFF}"}).status_code == 200

"""Households, their cards and PINs, and verifying a resident at a kiosk (``docs/resident-verification.md``).

A resident proves their household with its card (a signed QR code) or one of its phone numbers, always with the
household's 4-digit PIN. A success gives a short-lived token bound to the household and the kiosk; personal
endpoints ask for it. Wrong PINs are counted in the database per phone/card, household, kiosk and client
address; at a limit the key locks for a while, and after repeated lockouts until the office unlocks it.
An unknown phone, an unknown card and a wrong PIN are refused alike.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from foundation.errors import ReadableError
from wayfinding.signing import sign, verify

from . import models

CARD_SCHEME = "LINLI-CARD"
CARD_VERSION = "1"
PIN_DIGITS = 4
_PIN = re.compile(rf"^\d{{{PIN_DIGITS}}}$")
_FLAT = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,38}$")
_CARD = re.compile(rf"^{CARD_SCHEME}:{CARD_VERSION}:([A-Za-z0-9_-]{{16,40}})\.([A-Za-z0-9_-]{{16,64}})$")
FOREVER = datetime(9999, 1, 1)
"""``locked_until`` of a key locked until the office unlocks it."""

NO_MATCH = ("That did not match. Please check the phone number or card and the 4-digit PIN, and try again. "
            "Staff at the office can help you too.")
"""One sentence for an unknown phone, an unknown or altered card and a wrong PIN: it reveals nothing."""
LOCKED = ("For safety, the PIN cannot be tried again here for a while. Please ask at the office; "
          "they will help you.")
LOCKED_FOR_GOOD = ("For safety, the PIN cannot be tried again until the office unlocks it. Please ask at the "
                   "office; they will help you.")

_hasher = PasswordHasher()  # Argon2id, as the staff console's accounts
_DUMMY_HASH = _hasher.hash("0000")  # an unknown phone spends the same hashing time as a known one


class HouseholdError(ReadableError):
    """A household cannot be added or changed (``linli cards``); ``message`` says why."""

    code = "household_error"


class VerificationRefused(ReadableError):
    """A verification was refused. ``locked_until``: set when the attempt met a lock (the answer is 423)."""

    code = "verification_refused"

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


@dataclass(frozen=True)
class Limit:
    tries: int
    """Wrong PINs within ``window`` that lock the key."""
    window: timedelta
    lock: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class VerifyLimits:
    """The numbers of ``docs/resident-verification.md``."""

    login: Limit = Limit(5, timedelta(hours=24))
    """The phone or card tried, and its household."""
    kiosk: Limit = Limit(10, timedelta(minutes=15))
    address: Limit = Limit(30, timedelta(minutes=15))
    lockouts: int = 3
    """Lockouts of one key within ``lockout_window`` that lock it until the office unlocks it."""
    lockout_window: timedelta = timedelta(hours=24)
    token_life: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Verified:
    token: str
    household_id: int
    flat: str
    expires_at: datetime


@dataclass(frozen=True)
class VerifiedHousehold:
    """Whose token a request carries: the household and its phone numbers."""

    id: int
    flat: str
    phones: frozenset[str]


# --- the office's side: households, PINs, cards (``linli cards``) ---------------------------------------


def clean_flat(value: str) -> str:
    flat = value.strip().upper()
    if not _FLAT.match(flat):
        raise HouseholdError(f"{value.strip()!r} is not a flat the way the office writes it, e.g. 3-502.")
    return flat


def check_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise HouseholdError(f"A PIN is exactly {PIN_DIGITS} digits.")
    if len(set(pin)) == 1 or pin in ("1234", "2345", "3456", "4567", "5678", "6789", "4321", "9876"):
        raise HouseholdError("That PIN is too easy to guess (all one digit, or a run). Please choose another.")
    return pin


def _new_card() -> tuple[str, str]:
    return secrets.token_urlsafe(16), secrets.token_urlsafe(32)


def find_household(session: Session, flat: str) -> models.Household:
    row = session.scalar(select(models.Household).where(models.Household.flat == clean_flat(flat)))
    if row is None:
        raise HouseholdError(f"There is no household {clean_flat(flat)}. Add it: linli cards add {clean_flat(flat)}")
    return row


def add_household(session: Session, flat: str, phones: list[str], now: datetime) -> models.Household:
    flat = clean_flat(flat)
    if session.scalar(select(models.Household.id).where(models.Household.flat == flat)) is not None:
        raise HouseholdError(f"Household {flat} is there already.")
    card_id, card_key = _new_card()
    row = models.Household(flat=flat, pin_hash=None, card_id=card_id, card_key=card_key, disabled=False,
                           created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    for phone in phones:
        add_phone(session, row, phone)
    return row


def add_phone(session: Session, household: models.Household, phone: str) -> str:
    from .schemas import normalize_phone  # the API's own rule for what a phone number is

    try:
        digits = str(normalize_phone(phone))
    except ValueError as e:
        raise HouseholdError(str(e)) from None
    owner = session.scalar(select(models.HouseholdPhone).where(models.HouseholdPhone.phone == digits))
    if owner is not None:
        raise HouseholdError("That phone number belongs to a household already.")
    session.add(models.HouseholdPhone(household_id=household.id, phone=digits))
    session.flush()
    return digits


def phones_of(session: Session, household_id: int) -> list[str]:
    return list(session.scalars(select(models.HouseholdPhone.phone)
                                .where(models.HouseholdPhone.household_id == household_id)
                                .order_by(models.HouseholdPhone.id)))


def set_pin(session: Session, household: models.Household, pin: str, now: datetime) -> None:
    """A new PIN also unlocks the household (its keys' counters and lockouts go)."""
    household.pin_hash = _hasher.hash(check_pin(pin))
    household.updated_at = now
    unlock(session, household)


def reissue_card(household: models.Household, now: datetime) -> None:
    household.card_id, household.card_key = _new_card()
    household.updated_at = now


def unlock(session: Session, household: models.Household) -> int:
    """Forget the wrong PINs and lockouts of the household and of its phones; the number of keys cleared."""
    keys = [_household_key(household.id), *(_phone_key(p) for p in phones_of(session, household.id))]
    result = session.execute(delete(models.VerificationLock).where(models.VerificationLock.key.in_(keys)))
    return int(getattr(result, "rowcount", 0) or 0)


def unlock_kiosk(session: Session, kiosk_id: str) -> int:
    result = session.execute(delete(models.VerificationLock).where(models.VerificationLock.key == _kiosk_key(kiosk_id)))
    return int(getattr(result, "rowcount", 0) or 0)


def card_code(household: models.Household) -> str:
    """What the card's QR code holds: ``LINLI-CARD:1:<card id>.<signature>``."""
    return f"{CARD_SCHEME}:{CARD_VERSION}:{household.card_id}.{_card_signature(household)}"


def _card_signature(household: models.Household) -> str:
    return sign(household.card_key.encode("ascii"), f"card:{CARD_VERSION}:{household.card_id}")


def household_of_card(session: Session, code: str) -> models.Household | None:
    """The household whose genuine card ``code`` is; ``None`` for junk, an old card or a forged signature."""
    match = _CARD.match(code.strip())
    if match is None:
        return None
    row = session.scalar(select(models.Household).where(models.Household.card_id == match.group(1)))
    if row is None:
        return None
    if not verify(row.card_key.encode("ascii"), f"card:{CARD_VERSION}:{row.card_id}", match.group(2)):
        return None
    return row


# --- the kiosk's side: verify, then the token -----------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _phone_key(phone: str) -> str:
    return f"phone:{_digest(phone)[:32]}"


def _household_key(household_id: int) -> str:
    return f"household:{household_id}"


def _kiosk_key(kiosk_id: str) -> str:
    return f"kiosk:{kiosk_id[:100]}"


def _lock_row(session: Session, key: str) -> models.VerificationLock:
    row = session.scalar(select(models.VerificationLock).where(models.VerificationLock.key == key))
    if row is None:
        row = models.VerificationLock(key=key, failures=0, lockouts=0)
        session.add(row)
    return row


def _locked_until(session: Session, keys: list[str], now: datetime) -> datetime | None:
    rows = session.scalars(select(models.VerificationLock).where(models.VerificationLock.key.in_(keys)))
    until = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
    return max(until) if until else None


def _count_failure(row: models.VerificationLock, limit: Limit, limits: VerifyLimits, now: datetime) -> bool:
    """One more wrong PIN against ``row``; True when it locks the key now."""
    if row.first_failure_at is None or now - row.first_failure_at > limit.window:
        row.failures, row.first_failure_at = 0, now
    row.failures = (row.failures or 0) + 1
    if row.failures < limit.tries:
        return False
    row.failures, row.first_failure_at = 0, None
    if row.first_lockout_at is None or now - row.first_lockout_at > limits.lockout_window:
        row.lockouts, row.first_lockout_at = 0, now
    row.lockouts = (row.lockouts or 0) + 1
    row.locked_until = FOREVER if row.lockouts >= limits.lockouts else now + limit.lock
    return True


def _refusal(locked_until: datetime) -> VerificationRefused:
    return VerificationRefused(LOCKED_FOR_GOOD if locked_until >= FOREVER else LOCKED, locked_until=locked_until)


def verify_resident(session: Session, *, pin: str, phone: str | None, card: str | None, kiosk_id: str,
                    address: str, now: datetime, limits: VerifyLimits | None = None) -> Verified:
    """Check phone (or card) + PIN; commit the counters either way. Raises ``VerificationRefused``."""
    limits = limits or VerifyLimits()
    household: models.Household | None = None
    if card is not None:
        household = household_of_card(session, card)
        login_key = _household_key(household.id) if household else f"card:{_digest(card.strip())[:32]}"
    else:
        digits = phone or ""
        login_key = _phone_key(digits)
        household = session.scalar(
            select(models.Household)
            .join(models.HouseholdPhone, models.HouseholdPhone.household_id == models.Household.id)
            .where(models.HouseholdPhone.phone == digits))
    personal = [login_key]
    if household is not None and _household_key(household.id) != login_key:
        personal.append(_household_key(household.id))
    keyed: list[tuple[str, Limit]] = [(key, limits.login) for key in personal]
    keyed += [(_kiosk_key(kiosk_id), limits.kiosk), (f"address:{address[:150]}", limits.address)]

    locked = _locked_until(session, [key for key, _ in keyed], now)
    if locked is not None:
        raise _refusal(locked)
    usable = household is not None and household.pin_hash is not None and not household.disabled
    ok = False
    try:
        ok = _hasher.verify(household.pin_hash if usable and household and household.pin_hash else _DUMMY_HASH, pin)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and usable and household is not None:
        for row in session.scalars(select(models.VerificationLock).where(models.VerificationLock.key.in_(personal))):
            row.failures, row.first_failure_at = 0, None  # the kiosk's and the address's count stay
        token = secrets.token_urlsafe(32)
        expires = now + limits.token_life
        session.execute(delete(models.ResidentToken).where(models.ResidentToken.expires_at < now))
        session.add(models.ResidentToken(token_hash=_digest(token), household_id=household.id, kiosk_id=kiosk_id[:100],
                                         created_at=now, expires_at=expires))
        session.commit()
        return Verified(token=token, household_id=household.id, flat=household.flat, expires_at=expires)
    locked_now = [_count_failure(_lock_row(session, key), limit, limits, now) for key, limit in keyed]
    session.commit()
    if any(locked_now):
        until = _locked_until(session, [key for key, _ in keyed], now)
        if until is not None:
            raise _refusal(until)
    raise VerificationRefused(NO_MATCH)


def household_of_token(session: Session, token: str | None, now: datetime) -> VerifiedHousehold | None:
    """The household a token verified, while the token lasts; ``None`` for no, an expired or an unknown token."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(models.ResidentToken).where(models.ResidentToken.token_hash == _digest(token)))
    if row is None or row.expires_at <= now:
        return None
    household = session.get(models.Household, row.household_id)
    if household is None or household.disabled:
        return None
    return VerifiedHousehold(id=household.id, flat=household.flat, phones=frozenset(phones_of(session, household.id)))

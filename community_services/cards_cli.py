"""``linli cards add | set-pin | add-phone | list | unlock | reissue | print``: households and their cards.

Works on the office database (``LINLI_SERVICES_DB_URL`` or ``<var>/services.db``), like ``linli staff``. A PIN is
never an argument: it is asked twice with ``getpass`` on a terminal, or read as one line from standard input
otherwise. ``print`` writes one PNG and one PDF per household (A6, 300 dpi): the signed QR code the kiosk camera
reads, the flat in large type, and a few words in English and 中文. Design: ``docs/resident-verification.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from . import households, models
from .cli_support import read_secret, with_database
from .console import audit
from .db import Database
from .households import HouseholdError
from .settings import OfficeSettings
from .staff_cli import _actor

CARD_PX = (1240, 1748)
"""A6 portrait at 300 dpi: big enough for large type, small enough for a purse."""
FONT = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "wqy-microhei.ttc"
CARD_LINES = (
    "Hold this card up to the kiosk camera, then give your 4-digit PIN.",
    "请把此卡对准自助机的摄像头，然后输入4位密码。",
    "Never write your PIN on this card.",
    "请勿把密码写在卡上。",
)


def _read_pin(prompt: str) -> str:
    return households.check_pin(read_secret(prompt, noun="PIN", error=HouseholdError, strip=True))


def _with_database(work: Callable[[Database], int]) -> int:
    return with_database("linli cards", work, error=HouseholdError)


def cmd_add(args: argparse.Namespace) -> int:
    flat = households.clean_flat(args.flat)

    def work(database: Database) -> int:
        pin = _read_pin(f"PIN for household {flat} ({households.PIN_DIGITS} digits)")
        now = datetime.now()
        with database.session() as session:
            row = households.add_household(session, flat, args.phone or [], now)
            households.set_pin(session, row, pin, now)
            audit.record(session, _actor(), "household.add", f"household:{flat}",
                         after={"flat": flat, "phones": len(args.phone or [])}, at=now)
            session.commit()
        print(f"Added household {flat}. Print its card: linli cards print {flat}")
        return 0

    return _with_database(work)


def cmd_set_pin(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            households.find_household(session, args.flat)  # an unknown flat fails before the PIN is asked
        pin = _read_pin(f"New PIN for household {households.clean_flat(args.flat)}")
        now = datetime.now()
        with database.session() as session:
            row = households.find_household(session, args.flat)
            households.set_pin(session, row, pin, now)
            audit.record(session, _actor(), "household.set_pin", f"household:{row.flat}",
                         after={"pin": "changed", "unlocked": True}, at=now)
            session.commit()
        print(f"Set a new PIN for {households.clean_flat(args.flat)}; it is unlocked.")
        return 0

    return _with_database(work)


def cmd_add_phone(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            row = households.find_household(session, args.flat)
            households.add_phone(session, row, args.phone)
            audit.record(session, _actor(), "household.add_phone", f"household:{row.flat}",
                         after={"phones": len(households.phones_of(session, row.id))})
            session.commit()
        print(f"Added the phone number to {households.clean_flat(args.flat)}.")
        return 0

    return _with_database(work)


def _masked(phone: str) -> str:
    return f"…{phone[-4:]}"


def cmd_list(_args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        now = datetime.now()
        with database.session() as session:
            rows = list(session.scalars(select(models.Household).order_by(models.Household.flat)))
            if not rows:
                print("No households yet. Add one: linli cards add 3-502 --phone 13800138000")
                return 0
            for row in rows:
                phones = ", ".join(_masked(p) for p in households.phones_of(session, row.id)) or "no phone"
                keys = [f"household:{row.id}"]
                locked = session.scalar(select(models.VerificationLock.locked_until)
                                        .where(models.VerificationLock.key.in_(keys)))
                state = ("no PIN yet" if row.pin_hash is None else "switched off" if row.disabled
                         else "LOCKED (linli cards unlock)" if locked is not None and locked > now else "ready")
                print(f"{row.flat:<10}  {state:<28}  {phones}")
        return 0

    return _with_database(work)


def cmd_unlock(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            row = households.find_household(session, args.flat)
            cleared = households.unlock(session, row)
            audit.record(session, _actor(), "household.unlock", f"household:{row.flat}", after={"unlocked": True})
            session.commit()
        print(f"Unlocked {households.clean_flat(args.flat)} ({cleared} lock record(s) cleared).")
        return 0

    return _with_database(work)


def cmd_unlock_kiosk(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            cleared = households.unlock_kiosk(session, args.kiosk_id)
            audit.record(session, _actor(), "kiosk.unlock", f"kiosk:{args.kiosk_id}", after={"unlocked": True})
            session.commit()
        print(f"Unlocked PIN entry at {args.kiosk_id} ({cleared} lock record(s) cleared).")
        return 0

    return _with_database(work)


def cmd_reissue(args: argparse.Namespace) -> int:
    def work(database: Database) -> int:
        with database.session() as session:
            row = households.find_household(session, args.flat)
            households.reissue_card(row, datetime.now())
            audit.record(session, _actor(), "household.reissue_card", f"household:{row.flat}",
                         after={"card": "new"})
            session.commit()
        print(f"The old card of {households.clean_flat(args.flat)} no longer works. "
              f"Print the new one: linli cards print {households.clean_flat(args.flat)}")
        return 0

    return _with_database(work)


def cmd_print(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else OfficeSettings.from_env().var_dir / "cards"

    def work(database: Database) -> int:
        with database.session() as session:
            query = select(models.Household).order_by(models.Household.flat)
            if args.flat:
                query = query.where(models.Household.flat.in_([households.clean_flat(f) for f in args.flat]))
            rows = [(row.flat, households.card_code(row)) for row in session.scalars(query)]
        if not rows:
            raise HouseholdError("No such household to print.")
        out.mkdir(parents=True, exist_ok=True)
        for flat, code in rows:
            png, pdf = print_card(flat, code, out)
            print(f"{flat}: {png} {pdf}")
        return 0

    return _with_database(work)


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(FONT), size)
    except OSError:
        return ImageFont.load_default(size)


def print_card(flat: str, code: str, out: Path) -> tuple[Path, Path]:
    """Draw one card: the QR code of ``code`` and ``flat`` in large type; write ``card-<flat>.png`` and ``.pdf``."""
    try:
        import qrcode
        from PIL import Image, ImageDraw
    except ImportError as e:
        raise HouseholdError("Printing cards needs the qrcode package: pip install 'linli[office]'.") from e
    width, height = CARD_PX
    card = Image.new("L", CARD_PX, 255)
    draw = ImageDraw.Draw(card)
    margin = 70
    title = _font(64)
    draw.text((width // 2, margin), "Linli household card  邻里住户卡", font=title, fill=0, anchor="ma")
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    modules = qr.get_matrix()
    side = width - 2 * margin - 200
    box = side // len(modules)
    picture = Image.new("L", (len(modules), len(modules)), 255)
    picture.putdata([0 if dark else 255 for line in modules for dark in line])
    picture = picture.resize((len(modules) * box,) * 2, Image.Resampling.NEAREST)
    top = margin + 110
    card.paste(picture, ((width - picture.width) // 2, top))
    y = top + picture.height + 30
    draw.text((width // 2, y), flat, font=_font(200), fill=0, anchor="ma")
    y += 260
    body = _font(44)
    for line in CARD_LINES:
        for part in _wrap(draw, line, body, width - 2 * margin):
            draw.text((margin, y), part, font=body, fill=0)
            y += 62
        y += 16
    safe = "".join(c if c.isalnum() or c == "-" else "_" for c in flat)
    png, pdf = out / f"card-{safe}.png", out / f"card-{safe}.pdf"
    card.save(png, dpi=(300, 300))
    card.convert("RGB").save(pdf, "PDF", resolution=300)
    return png, pdf


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in text.split(" ") if " " in text and text.isascii() else list(text):
        joiner = " " if text.isascii() and line else ""
        if draw.textlength(line + joiner + token, font=font) > width and line:
            lines.append(line)
            line = token
        else:
            line = line + joiner + token
    return [*lines, line] if line else lines


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except HouseholdError as e:
            print(f"linli cards: {e.message}", file=sys.stderr)
            return 1
        except (KeyboardInterrupt, EOFError):
            print("\nlinli cards: stopped; nothing was changed.", file=sys.stderr)
            return 130

    return run


def add_cards_commands(sub: Any) -> None:
    """Register ``linli cards ...`` on the ``linli`` command's subparsers."""
    cards = sub.add_parser("cards", help="households, their PINs and printed cards (resident verification)")
    commands = cards.add_subparsers(dest="cards_command", required=True)
    add = commands.add_parser("add", help="add a household (its PIN is asked, twice)")
    add.add_argument("flat", help="the flat as the office writes it, e.g. 3-502")
    add.add_argument("--phone", action="append", help="a phone number of the household (repeat for more)")
    add.set_defaults(func=_guarded(cmd_add))
    pin = commands.add_parser("set-pin", help="set a new PIN (asked); also unlocks the household")
    pin.add_argument("flat")
    pin.set_defaults(func=_guarded(cmd_set_pin))
    phone = commands.add_parser("add-phone", help="add a phone number to a household")
    phone.add_argument("flat")
    phone.add_argument("phone")
    phone.set_defaults(func=_guarded(cmd_add_phone))
    commands.add_parser("list", help="every household and whether it is locked").set_defaults(func=_guarded(cmd_list))
    unlock = commands.add_parser("unlock", help="let a locked household try its PIN again")
    unlock.add_argument("flat")
    unlock.set_defaults(func=_guarded(cmd_unlock))
    unlock_kiosk = commands.add_parser("unlock-kiosk", help="let a kiosk locked by wrong PINs take PINs again")
    unlock_kiosk.add_argument("kiosk_id")
    unlock_kiosk.set_defaults(func=_guarded(cmd_unlock_kiosk))
    reissue = commands.add_parser("reissue", help="a new card for a household (the old card stops working)")
    reissue.add_argument("flat")
    reissue.set_defaults(func=_guarded(cmd_reissue))
    printer = commands.add_parser("print", help="cards as PNG + PDF (all households, or those named)")
    printer.add_argument("flat", nargs="*")
    printer.add_argument("--out", help="folder for the files (default: <var>/cards)")
    printer.set_defaults(func=_guarded(cmd_print))

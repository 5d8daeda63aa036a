"""``linli qr keys | rotate-key | retire-key ID``: the community's QR key ring (``wayfinding.key_ring``).

Rotating without reprinting everything at once: ``rotate-key`` makes a new current key (new posters and guide
links carry ``k=<id>``), every older key keeps verifying; reprint the posters at leisure (``linli qr``); then
``retire-key`` each old key. Problems are one plain line (``file:line: …`` for a broken key file), exit 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from assistant.places.community import KEY_SETTING, configured_key
from assistant.shared.errors import ConfigError
from wayfinding.errors import WayfindingError
from wayfinding.key_ring import (
    LEGACY_ID,
    KeyInfo,
    describe_posters,
    poster_counts,
    poster_keys,
    retire_key,
    ring_dir,
    rotate_key,
    survey,
)


def _say(line: str = "") -> None:
    print(line, flush=True)


def run_key_command(args: argparse.Namespace, var_dir: Path) -> int:
    """``args.qr_command``: ``keys``, ``rotate-key`` or ``retire-key`` (``args.id``, ``args.force``).
    Raises ``ConfigError`` (a ``LinliError``) for anything that went wrong."""
    try:
        if args.qr_command == "keys":
            return _list(var_dir)
        if args.qr_command == "rotate-key":
            return _rotate(var_dir)
        return _retire(var_dir, args.id, force=args.force)
    except WayfindingError as e:
        raise ConfigError(e.message, hint=e.hint) from e


def _date(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "unknown"


def _where(info: KeyInfo) -> str:
    return info.source if info.id != LEGACY_ID else f"links without k=; {info.source}"


def _list(var_dir: Path) -> int:
    found = survey(var_dir, configured_key(), source=KEY_SETTING)
    try:
        counts = poster_counts(var_dir)
        record_problem = None
    except WayfindingError as e:
        counts, record_problem = None, e.message
    if not found.keys:
        _say("No QR key yet: one is made (var/qr-key) when the first poster or guide link is signed.")
        return 0
    _say(f"QR keys ({ring_dir(var_dir)}):")
    _say(f"  {'id':>4}  {'created':<16}  {'posters':<14}  state")
    for info in found.keys:
        posters = describe_posters(counts, info.id)
        if info.retired:
            state = f"retired {_date(info.retired_at)}" + (" (its secret is still there: retire it again)"
                                                           if info.file else "")
            posters = "-"
        elif info.problem is not None:
            state = f"BROKEN: {info.problem.message}"
        else:
            state = ("CURRENT, signs new posters" if info.current else "accepted") + f" ({_where(info)})"
        _say(f"  {info.id:>4}  {_date(info.created):<16}  {posters:<14}  {state}")
    for path in found.ignored:
        _say(f"  Ignored {path}: not a key (key files are named by their id, like 2).")
    if record_problem:
        _say(f"  Poster counts unknown: {record_problem}")
    elif counts is None:
        _say("  Posters: unknown until `linli qr` makes posters (it notes which key signed each).")
    if found.problems():
        first = found.problems()[0]
        print(f"linli qr: {first.message}" + (f" {first.hint}" if first.hint else ""), file=sys.stderr)
        return 1
    return 0


def _rotate(var_dir: Path) -> int:
    key = rotate_key(var_dir, configured_key(), source=KEY_SETTING)
    found = survey(var_dir, configured_key(), source=KEY_SETTING)
    older = [k.id for k in found.keys if k.key is not None and k.id != key.id]
    _say(f"Made QR key {key.id} ({key.source}): new posters and guide links carry k={key.id}.")
    if older:
        _say(f"Key{'s' if len(older) > 1 else ''} {', '.join(older)} still work{'' if len(older) > 1 else 's'}: "
             "every printed poster stays valid.")
    _say("Next: copy the qr-keys folder to the office machine if the services run elsewhere, reprint the "
         "posters (`linli qr`), then retire each old key with `linli qr retire-key ID`.")
    return 0


def _retire(var_dir: Path, key_id: str, *, force: bool) -> int:
    record = poster_keys(var_dir) or {}
    still = sorted(poster for poster, k in record.items() if k == key_id.strip())
    found = survey(var_dir, configured_key(), source=KEY_SETTING)
    info = found.get(key_id.strip())
    if still and not force and info is not None and not info.retired and not info.current:
        shown = ", ".join(still[:5]) + (", …" if len(still) > 5 else "")
        raise ConfigError(f"{len(still)} poster{'s' if len(still) != 1 else ''} made with key {key_id} "
                          f"{'have' if len(still) != 1 else 'has'} not been remade with a newer key: {shown}.",
                          hint=f"Reprint them (`linli qr --only {' '.join(still[:5])}`), or retire anyway with "
                               "--force (those posters will then be refused).")
    was_retired = info is not None and info.retired
    retired = retire_key(var_dir, configured_key(), key_id, source=KEY_SETTING)
    if was_retired:
        _say(f"QR key {retired.id} was already retired.")
        return 0
    _say(f"Retired QR key {retired.id}: guide codes signed with it are refused from now on "
         "(a running kiosk or office notices within a minute).")
    if retired.id == LEGACY_ID and configured_key():
        _say(f"It is set in {KEY_SETTING}: remove that setting (it is no longer used).")
    _say("Copy the qr-keys folder to the office machine too if the services run elsewhere.")
    return 0

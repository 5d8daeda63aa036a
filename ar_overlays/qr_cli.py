"""``linli qr``: print-ready QR posters for every place, marker post and tour stop, ``--check`` for a scanned one, and
the community's QR keys (``docs/ar.md``, "Rotating the QR key").

    linli qr                                  # var/posters/<id>.png + .pdf, all-posters.pdf
    linli qr --only community-clinic --public-url http://192.168.1.20:8700
    linli qr --check photo-of-a-poster.jpg    # is this our signed code, and what does it open?
    linli qr keys                             # ids, created, which is current, posters signed with each
    linli qr rotate-key                       # a new current key; the old ones keep working
    linli qr retire-key 1                     # stop accepting key 1 (its posters have been replaced)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.shared.errors import LinliError

if TYPE_CHECKING:
    from wayfinding.key_ring import KeyRing

CHECK_WIDTH = 1920
"""``--check`` scales bigger pictures down to this (longest side); a poster's code stays ≥ 4 px a module."""


def _say(line: str = "") -> None:
    print(line, flush=True)


def add_qr_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Adds ``qr`` to ``linli``'s sub-commands (``subparsers`` from ``add_subparsers``)."""
    qr = subparsers.add_parser("qr", help="make the QR guide posters (PNG + PDF), or --check a poster or photo")
    qr.add_argument("--map", type=Path, metavar="PATH", help="community map file (default: $LINLI_MAP or the demo)")
    qr.add_argument("--out", type=Path, metavar="DIR", help="where to write the posters (default: var/posters)")
    qr.add_argument("--public-url", metavar="URL",
                    help="the address phones reach the services at (default: $LINLI_PUBLIC_URL or the services URL)")
    qr.add_argument("--only", nargs="+", metavar="ID",
                    help="only these places, marker posts or tour stops (heritage-walk-stop-2)")
    qr.add_argument("--lang", metavar="CODE",
                    help="the language the phone page opens in (en, zh-CN; default: $LINLI_DEFAULT_LANGUAGE); "
                         "the page can switch, and the poster itself is always in every language")
    qr.add_argument("--check", type=Path, metavar="FILE",
                    help="read the QR code in a poster PNG or a photo and say whether it is genuine")
    qr.set_defaults(func=cmd_qr, qr_command=None)
    keys = qr.add_subparsers(dest="qr_command", metavar="{keys,rotate-key,retire-key}",
                             help="the community's QR keys (without one: make the posters)")
    keys.add_parser("keys", help="list the QR keys: id, created, current, posters signed with it"
                    ).set_defaults(func=cmd_qr)
    keys.add_parser("rotate-key", help="make a new current QR key (posters signed with older keys keep working)"
                    ).set_defaults(func=cmd_qr)
    retire = keys.add_parser("retire-key", help="stop accepting an old QR key once its posters are replaced")
    retire.add_argument("id", help="the key's id, as `linli qr keys` lists it")
    retire.add_argument("--force", action="store_true",
                        help="retire it even though posters made with it have not been remade")
    retire.set_defaults(func=cmd_qr)
    return qr


def _public_url(given: str | None, fallback: str) -> str:
    """``--public-url``, else ``LINLI_PUBLIC_URL`` (the settings' override), else the services URL."""
    url = (given or fallback).strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) < len("http://x"):
        raise LinliError(f"The public URL must start with http:// or https://, not {url!r}.")
    return url


def cmd_qr(args: argparse.Namespace) -> int:
    """The handler; a ``LinliError`` is one plain line on stderr (its hint in brackets) and exit status 1."""
    try:
        return _run(args)
    except LinliError as e:
        hint = f" ({' '.join(e.hint.split())})" if e.hint else ""
        print(f"linli qr: {e.message}{hint}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from assistant.places.community import default_map_path, load_keys, load_map
    from assistant.shared.config import load_settings

    settings = load_settings()
    if args.qr_command:
        given = [f"--{name.replace('_', '-')}" for name in ("map", "out", "public_url", "only", "check", "lang")
                 if getattr(args, name, None)]
        if given:
            raise LinliError(f"{given[0]} is for making or checking posters, not for `linli qr {args.qr_command}`.")
        from .qr_keys_cli import run_key_command

        return run_key_command(args, settings.var_dir)
    community_map = load_map(args.map or default_map_path())
    keys = load_keys(settings.var_dir)
    public_url = _public_url(args.public_url, settings.public_url)
    if args.check:
        return _check(args.check, community_map.community, community_map.name, keys, public_url)

    from .posters import ALL_PDF, make_posters

    out_dir = args.out or settings.var_dir / "posters"
    from wayfinding.words import normalize

    written = make_posters(community_map, keys, public_url, out_dir, args.only,
                           lang=normalize(args.lang or settings.default_language))
    _record(settings.var_dir, keys.current.id, [p.stem for p in written if p.suffix == ".png"])
    posters = sum(1 for p in written if p.suffix == ".png")
    _say(f"Wrote {posters} poster{'s' if posters != 1 else ''} for {community_map.name} to {out_dir} "
         "(each as .png and .pdf):")
    for path in written:
        if path.suffix == ".png":
            _say(f"  {path.stem}")
    _say(f"  {ALL_PDF} (every page)" if any(p.name == ALL_PDF for p in written) else "")
    _say(f"The codes open {public_url}/guide/{community_map.community}?... — phones must reach that address.")
    _say("Print at 100 % (actual size): the marker posts' squares must keep their size.")
    if not keys.current.legacy:
        _say(f"Signed with QR key {keys.current.id} (the codes carry k={keys.current.id}).")
    return 0


def _record(var_dir: Path, key_id: str, posters: list[str]) -> None:
    """Notes which key signed the posters (for `linli qr keys`); a problem with that note is only a warning."""
    from wayfinding.errors import WayfindingError
    from wayfinding.key_ring import record_posters

    try:
        record_posters(var_dir, key_id, posters)
    except WayfindingError as e:
        print(f"linli qr: warning: the posters were made, but not recorded: {e.message}", file=sys.stderr)


def _opens(text: str, key: KeyRing, community: str) -> str:
    """What a genuine code opens, in an admin's words; ``GuideLinkError`` for a code that is not ours."""
    from wayfinding.guide_links import is_tour_url, parse_guide_url, parse_tour_url

    if is_tour_url(text):
        stop = parse_tour_url(text, key, community)
        return f"stop {stop.stop} of the tour {stop.tour} (its story and the way to the next stop)"
    link = parse_guide_url(text, key, community)
    what = f"the way to {link.to}" if link.to else "the list of places"
    where = f"from {link.at}" if link.at else "from the kiosk (or a start the resident picks)"
    return f"{what} {where}" + (", without steps" if link.step_free else "")


def _check(path: Path, community: str, name: str, key: KeyRing, public_url: str) -> int:
    from urllib.parse import parse_qsl, urlsplit

    import cv2

    from wayfinding.guide_links import GuideLinkError, signed_key_id

    from .detect import QrScanner

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LinliError(f"Cannot read the image {path} (missing, or not a PNG/JPEG picture).")
    scale = CHECK_WIDTH / max(image.shape[:2])
    if scale < 1:  # a 300 dpi poster or a phone photo: the scanner takes camera-sized pictures
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found = QrScanner().scan(image)
    if not found:
        raise LinliError(f"No QR code could be read in {path}. Try a sharper, straighter photo.")
    genuine = 0
    for detection in found:
        try:
            opens = _opens(detection.text, key, community)
        except GuideLinkError as e:
            _say(f"REFUSED: {e.message} ({detection.text[:120]})")
            continue
        genuine += 1
        _say(f"GENUINE {name} guide code: opens {opens}.")
        _say(f"  {detection.text}")
        key_id = signed_key_id(dict(parse_qsl(urlsplit(detection.text.strip()).query)))
        if key_id != key.current.id:
            _say(f"  Signed with the older QR key {key_id}: reprint it before `linli qr retire-key {key_id}`.")
        if not detection.text.startswith(f"{public_url}/"):
            _say(f"  Note: it points to another address than {public_url} (reprint it if the address changed).")
    return 0 if genuine == len(found) else 1

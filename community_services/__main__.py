"""Run the community services API.

    python -m community_services --host 127.0.0.1 --port 8700 --database-url sqlite:///var/services.db

Tokens come from ``LINLI_KIOSK_TOKEN`` and ``LINLI_STAFF_TOKEN``; ``--kiosk-token`` / ``--staff-token``
override them. An empty database is seeded with Sunny Garden unless ``--no-seed`` is given.
The phones' walking guide (``/guide/...``) uses the map ``LINLI_MAP`` (default: Sunny Garden's) and the
QR key (``LINLI_QR_KEY`` or ``$LINLI_VAR_DIR/qr-key``); if either is broken the API runs without it.
Unacknowledged emergency alerts escalate after ``LINLI_ESCALATE_AFTER_SECONDS`` (``escalation.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from foundation.private_files import private_umask

from . import redact
from .settings import OfficeSettings, is_loopback

if TYPE_CHECKING:
    from .api.guide import GuideSettings

DEFAULT_DATABASE_URL = "sqlite:///var/services.db"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m community_services",
        description="Run the community services API (FastAPI + SQLAlchemy) for the Linli kiosk.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8700, help="port to listen on (default: 8700)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"SQLAlchemy database URL (default: {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--guide-host", help="the phones' walking-guide listener (default: $LINLI_GUIDE_HOST or "
                        "127.0.0.1); it serves /guide/... only")
    parser.add_argument("--guide-port", type=int, help="its port (default: $LINLI_GUIDE_PORT or --port + 1; 0: none)")
    parser.add_argument("--allow-plain-http", action="store_true",
                        help="listen beyond loopback without TLS (also LINLI_ALLOW_PLAIN_HTTP=1)")
    parser.add_argument("--no-seed", action="store_true", help="do not fill an empty database with demo data")
    parser.add_argument("--kiosk-token", help="kiosk bearer token (default: $LINLI_KIOSK_TOKEN; prefer the variable: "
                        "a command line is readable by every local user)")
    parser.add_argument("--staff-token", help="staff bearer token (default: $LINLI_STAFF_TOKEN; prefer the variable)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


def _guide_settings(office: OfficeSettings) -> GuideSettings | None:
    """The walking guide's map and key; a broken map or key turns the guide off, not the whole API."""
    from wayfinding.community_map import load_map
    from wayfinding.errors import WayfindingError

    from .api.guide import GuideSettings

    try:
        settings = GuideSettings.from_settings(office)
        load_map(settings.map_path)  # checked here so that create_app cannot fail on it
        return settings
    except WayfindingError as e:
        logging.getLogger("community_services").error("walking guide pages are off: %s", e)
        return None


def _tls(host: str, office: OfficeSettings, allow_plain: bool) -> tuple[dict[str, Any], str | None]:
    """uvicorn's TLS options for a listener on ``host`` (none on loopback), or the reason it must not start."""
    if is_loopback(host):
        return {}, None
    cert, key = office.tls_cert, office.tls_key
    if cert is not None and key is not None and cert.is_file() and key.is_file():
        return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}, None
    if allow_plain:
        logging.getLogger("community_services").warning(
            "listening on %s without TLS (LINLI_ALLOW_PLAIN_HTTP=1): anyone on that network can read the traffic",
            host)
        return {}, None
    return {}, (f"community services: refusing to listen on {host} without TLS: anyone on that network could read "
                f"and change the traffic (tokens, residents' requests). Make a certificate with `linli tls make` "
                f"(or set LINLI_TLS_CERT and LINLI_TLS_KEY; looked for {cert}), or listen on 127.0.0.1. "
                "LINLI_ALLOW_PLAIN_HTTP=1 allows it anyway.")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    office = OfficeSettings.from_env()
    kiosk_token = (args.kiosk_token or office.kiosk_token).strip()
    staff_token = (args.staff_token or office.staff_token).strip()
    missing = [
        name for name, value in (("LINLI_KIOSK_TOKEN", kiosk_token), ("LINLI_STAFF_TOKEN", staff_token)) if not value
    ]
    if missing:
        print(
            f"community services: refusing to start without {' and '.join(missing)}.\n"
            "Set them in the environment (or pass --kiosk-token/--staff-token), for example:\n"
            "  export LINLI_KIOSK_TOKEN=\"$(python -c 'import secrets; print(secrets.token_urlsafe(24))')\"\n"
            "  export LINLI_STAFF_TOKEN=\"$(python -c 'import secrets; print(secrets.token_urlsafe(24))')\"",
            file=sys.stderr,
        )
        return 2
    if kiosk_token == staff_token:
        print("community services: the kiosk token and the staff token must be different.", file=sys.stderr)
        return 2

    private_umask()  # the database, its -wal/-shm and anything else this process creates: mode 600
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    redact.install()
    allow_plain = args.allow_plain_http or office.allow_plain_http
    guide_host = args.guide_host or office.guide_host
    guide_port = args.guide_port if args.guide_port is not None else office.guide_port
    if guide_port is None:
        guide_port = args.port + 1
    office_tls, refusal = _tls(args.host, office, allow_plain)
    guide_tls, guide_refusal = _tls(guide_host, office, allow_plain) if guide_port else ({}, None)
    if refusal or guide_refusal:
        print(refusal or guide_refusal, file=sys.stderr)
        return 2

    import uvicorn

    from .app import create_app
    from .escalation import EscalationSettings
    from .retention import Retention

    guide = _guide_settings(office)
    try:
        app = create_app(args.database_url, kiosk_token=kiosk_token, staff_token=staff_token, seed=not args.no_seed,
                         guide=guide, console_idle_minutes=office.console_idle_minutes,
                         escalation=EscalationSettings.from_office(office),
                         pause_after_commit=office.pause_after_commit,
                         retention=Retention(office.retention_days, office.idempotency_days))
    except Exception as e:  # a bad URL or an unreachable database: say so in one line
        print(f"community services: cannot open the database: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    # log_config=None: uvicorn's loggers propagate to the root handler set up above (with redaction)
    # timeout_graceful_shutdown: open live streams (consoles) would otherwise hold a shutdown forever
    office_server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_config=None,
                                                  log_level=args.log_level, timeout_graceful_shutdown=3, **office_tls))
    guide_stopped = threading.Event()
    if guide_port:
        _serve_guide(office_server, guide, guide_host, guide_port, args.log_level, guide_tls, guide_stopped)
    office_server.run()
    # a guide listener that could not serve stopped the services: a failure, so that a supervisor restarts us
    return 1 if guide_stopped.is_set() else 0


def _serve_guide(office_server: Any, guide: GuideSettings | None, host: str, port: int, log_level: str,
                 tls: dict[str, Any], stopped: threading.Event) -> None:
    """The phones' listener (``guide_app.py``) in a thread of this process; if it cannot serve (its port is
    taken), the whole process stops, so that ``linli run`` sees it and starts it again."""
    import uvicorn

    from .guide_app import create_guide_app

    server = uvicorn.Server(uvicorn.Config(create_guide_app(guide), host=host, port=port, log_config=None,
                                           log_level=log_level, **tls))

    def serve() -> None:
        try:
            server.run()
        except BaseException:  # uvicorn exits with SystemExit when it cannot bind
            logging.getLogger("community_services").exception("walking-guide listener stopped")
        if not office_server.should_exit:
            stopped.set()
            logging.getLogger("community_services").error(
                "the walking-guide listener on %s:%d stopped; stopping the services too", host, port)
            office_server.should_exit = True

    threading.Thread(target=serve, name="guide-listener", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

"""Export the API's OpenAPI spec to ``community_services/openapi.json``.

    python -m community_services.openapi           # write the file
    python -m community_services.openapi --check   # exit 1 if the file is out of date

A test checks that the committed file equals the app's current spec.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("openapi.json")


def current_spec() -> dict[str, Any]:
    """The spec of an app on an empty in-memory database (the spec does not depend on data)."""
    from .app import create_app

    app = create_app("sqlite://", kiosk_token="spec-kiosk", staff_token="spec-staff", seed=False)
    return app.openapi()


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m community_services.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--output", type=Path, default=SPEC_PATH, help=f"where to write (default: {SPEC_PATH})")
    args = parser.parse_args(argv)
    text = render(current_spec())
    if args.check:
        if not args.output.exists() or args.output.read_text(encoding="utf-8") != text:
            print(f"{args.output} is out of date; run: python -m community_services.openapi", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

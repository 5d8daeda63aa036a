"""Keep residents' personal data out of the office's logs: the project's one redaction (``foundation/redact.py``).

The service never logs request bodies, but uvicorn's access log prints paths and query strings and a resident
could type a phone number anywhere, so the server process installs it (``install``) on every handler, as a log
record factory and for uncaught tracebacks.
"""

from __future__ import annotations

from foundation.redact import MASK, PHONE_LIKE, RedactPhoneNumbers, install, redact, redact_record

__all__ = ["MASK", "PHONE_LIKE", "RedactPhoneNumbers", "install", "redact", "redact_record"]

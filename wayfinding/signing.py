"""The community key and HMAC signatures for guide QR codes (design: ``docs/ar.md``).

The key is the configured text (the caller's ``LINLI_QR_KEY``) when given, else ``<var_dir>/qr-key``, made
once (mode 600) and then kept: every printed poster depends on it, so a broken key file is an error, never
silently replaced.
That key is the legacy key (id 0, links without ``k=``) of the key ring in ``key_ring.py``, which adds newer
keys so a community can rotate without reprinting every poster at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from .errors import KeyConfigError

KEY_ENV = "LINLI_QR_KEY"
"""The setting's usual name, for messages about a configured key."""
KEY_FILE = "qr-key"
SIG_BYTES = 16
"""Signature length: 128 bits are plenty against forgery and keep the QR code small."""
_KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{22,}$")
"""URL-safe base64 text; 22 characters carry at least 16 bytes (128 bits) of entropy."""


def check_key(text: str, where: str) -> bytes:
    """The key's bytes, if ``text`` is a usable key; ``where`` names it in the error (a setting, ``file:line``)."""
    text = text.strip()
    if not _KEY_TEXT.match(text):
        raise KeyConfigError(
            f"The QR key in {where} is not usable: it must be at least 22 URL-safe characters (A-Z a-z 0-9 - _).",
            hint="Make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return text.encode("ascii")


def load_key(var_dir: Path, configured: str | None, *, source: str = KEY_ENV) -> bytes:
    """The community key: ``configured`` (read by the caller from ``source``, e.g. ``LINLI_QR_KEY``) when it is
    not blank, else ``var_dir/qr-key`` (created on first use)."""
    if configured and configured.strip():
        return check_key(configured, source)
    path = var_dir / KEY_FILE
    try:
        return check_key(path.read_text("ascii"), str(path))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as e:
        raise KeyConfigError(f"Cannot read the QR key {path}: {e}") from e
    return _create_key(path)


def _create_key(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(6)}.tmp")
        # mode 600 from the start: never readable by others, not even between writing and chmod
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        try:
            # link() never overwrites: if another process made the key meanwhile, both use that one
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: replace (last writer wins, still atomic)
            if not path.exists():
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return check_key(path.read_text("ascii"), str(path))
    except OSError as e:
        raise KeyConfigError(f"Cannot create the QR key {path}: {e}") from e


def sign(key: bytes, message: str) -> str:
    """First 16 bytes of HMAC-SHA256(key, message), base64url without padding (22 characters)."""
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()[:SIG_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(key: bytes, message: str, sig: object) -> bool:
    """True when ``sig`` is our signature of ``message``; anything else (junk, wrong type) is False."""
    if not isinstance(sig, str) or not isinstance(message, str) or len(sig) > 64:
        return False
    try:
        given = sig.encode("ascii")
        expected = sign(key, message).encode("ascii")
    except UnicodeEncodeError:  # non-ASCII signature or a lone surrogate in the message
        return False
    return hmac.compare_digest(expected, given)

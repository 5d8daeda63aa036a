"""``linli tls make``: a self-signed certificate for the listeners on the community network (docs/security.md).

The phones' walking guide (and an office API on the LAN, if an operator chose that) is served with TLS, so that
nobody on the Wi-Fi reads or changes the traffic. An operator with a certificate of their own sets
``LINLI_TLS_CERT``/``LINLI_TLS_KEY``; otherwise this makes one at install for the box's name and addresses, in
``var/tls/`` (key mode 600). It uses the ``cryptography`` package when it is installed, else the ``openssl``
program (Debian's ``openssl`` package); the key is written by either straight into a file made with mode 600.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.shared.config import load_settings
from assistant.shared.errors import LinliError

DAYS = 825
"""Validity of a made certificate (the longest most browsers accept for a server certificate)."""


def local_addresses() -> list[str]:
    """This box's addresses (as ``hostname -I`` shows them), loopback first."""
    found = ["127.0.0.1", "::1"]
    hostname = shutil.which("hostname")
    if hostname:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([hostname, "-I"], capture_output=True, text=True, timeout=5).stdout
            found += out.split()
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent: only the route's source address is looked up
        found.append(s.getsockname()[0])
    with contextlib.suppress(OSError):
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)]
    addresses = []
    for a in found:
        with contextlib.suppress(ValueError):
            addresses.append(str(ipaddress.ip_address(a.split("%")[0])))
    return list(dict.fromkeys(addresses))


def default_names() -> list[str]:
    names = [socket.gethostname(), "localhost"]
    with contextlib.suppress(OSError):
        names.append(socket.getfqdn())
    return list(dict.fromkeys(n for n in names if n))


def _private_file(path: Path) -> None:
    """An empty file only its owner may read, made before any key byte is written into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _with_cryptography(cert: Path, key: Path, names: Sequence[str], ips: Sequence[str], days: int) -> None:
    from cryptography import x509  # type: ignore[import-not-found, unused-ignore]
    from cryptography.hazmat.primitives import hashes, serialization  # type: ignore[import-not-found, unused-ignore]
    from cryptography.hazmat.primitives.asymmetric import ec  # type: ignore[import-not-found, unused-ignore]
    from cryptography.x509.oid import NameOID  # type: ignore[import-not-found, unused-ignore]

    private: Any = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .sign(private, hashes.SHA256()))
    _private_file(key)
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert: Path, key: Path, names: Sequence[str], ips: Sequence[str], days: int) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LinliError("Neither the cryptography package nor the openssl program is installed, so no certificate "
                         "can be made.", hint="sudo apt-get install openssl (or pip install cryptography), then "
                         "run `linli tls make` again; or set LINLI_TLS_CERT and LINLI_TLS_KEY to your own.")
    alt = ",".join([f"DNS:{n}" for n in names] + [f"IP:{a}" for a in ips])
    _private_file(key)
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256",
         "-days", str(days), "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={alt}",
         "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise LinliError(f"openssl could not make the certificate: {result.stderr.strip()[-500:]}")


def make_certificate(cert: Path, key: Path, *, names: Sequence[str] = (), ips: Sequence[str] = (),
                     days: int = DAYS) -> str:
    """A self-signed certificate for ``names`` and ``ips`` (default: this box's); returns which tool made it."""
    names = list(dict.fromkeys([*names, *default_names()]))
    ips = list(dict.fromkeys([*ips, *local_addresses()]))
    try:
        import cryptography  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
        maker, tool = _with_cryptography, "cryptography"
    except ImportError:
        maker, tool = _with_openssl, "openssl"
    cert.parent.mkdir(parents=True, exist_ok=True)
    maker(cert, key, names, ips, days)
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    check_pair(cert, key)
    return tool


def check_pair(cert: Path, key: Path) -> None:
    """The certificate and key load together (as uvicorn will load them); a plain error if not."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as e:
        raise LinliError(f"The TLS certificate {cert} and key {key} cannot be used: {e}",
                         hint="`linli tls make --force` makes a new pair.") from e


def cmd_tls_make(args: argparse.Namespace) -> int:
    settings = load_settings()
    cert, key = settings.tls_cert, settings.tls_key
    if (cert.exists() or key.exists()) and not args.force:
        print(f"A certificate is already there ({cert}); `linli tls make --force` replaces it.")
        return 0
    tool = make_certificate(cert, key, names=args.name or (), ips=args.ip or ())
    print(f"Made a self-signed certificate with {tool}: {cert} (key {key}, mode 600).")
    print("Phones will warn once that it is self-signed; the box's name and addresses are in it.")
    return 0


def add_tls_parser(sub: Any) -> None:
    tls = sub.add_parser("tls", help="TLS certificate for the listeners on the community network")
    tls_sub = tls.add_subparsers(dest="tls_command", required=True)
    make = tls_sub.add_parser("make", help="make a self-signed certificate in var/tls/ (key mode 600)")
    make.add_argument("--name", action="append", help="another DNS name for it (repeatable)")
    make.add_argument("--ip", action="append", help="another IP address for it (repeatable)")
    make.add_argument("--force", action="store_true", help="replace the certificate that is there")
    make.set_defaults(func=cmd_tls_make)

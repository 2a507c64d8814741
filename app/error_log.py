"""A small log of unexpected failures, in `errors.log` under the data dir.

Failures the app survives (a message that could not be drawn, a reply worker that raised)
are said on screen in one sentence; the details (what, which conversation, the traceback)
go here, so that a report can include them. Writing it never raises, and it never grows
past `MAX_BYTES` (the older half is dropped). It is written where the failure is caught,
on the UI thread too: one small append, only when something already went wrong (and at
most once per reply or message), so the details are on disk even if the app then ends.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .store.atomic import ensure_private_dir

LOG_NAME = "errors.log"
MAX_BYTES = 512 * 1024
"""When the log is larger, its older entries are dropped before the next is added."""


def log_path(data_dir: Path) -> Path:
    """Where the log of a data dir is."""
    return data_dir / LOG_NAME


def record_failure(data_dir: Path, what: str, exc: BaseException | None = None) -> Path | None:
    """Append one entry (a time, `what`, and the exception's traceback if given).

    Returns:
        The log's path, or None if it could not be written (nothing is raised).
    """
    path = log_path(data_dir)
    lines = [f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC  {what}"]
    if exc is not None:
        lines.extend(
            line.rstrip("\n")
            for line in traceback.format_exception(type(exc), exc, exc.__traceback__)
        )
    entry = "\n".join(lines) + "\n\n"
    try:
        ensure_private_dir(data_dir)
        with contextlib.suppress(OSError):
            if path.stat().st_size > MAX_BYTES:
                kept = path.read_bytes()[-MAX_BYTES // 2 :]
                path.write_bytes(kept)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(entry)
    except (OSError, ValueError):
        return None
    return path

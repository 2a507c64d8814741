"""Crash-safe file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create a directory readable only by the user.

    Every folder that has to be made on the way is made 0700 too (`mkdir(parents=True)`
    would give the missing parents, such as `~/.local/share` on a new account, the
    default 0755), as the XDG base directory spec asks. A folder that already exists,
    `path` included, is left exactly as it is: it may be one the app does not own (a
    shared 1777 folder given as `--data-dir`, the system's temporary folder), whose
    permissions are not the app's to change.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible (or needed) everywhere.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write `data` to `path` atomically, with permissions `mode`.

    The bytes go to a temporary file in the same directory, which is flushed to disk and
    then renamed over the target, so a crash or a full disk leaves the old file intact.

    Raises:
        OSError: the write failed; the target is unchanged and no temporary file is left.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, mode: int = FILE_MODE) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)

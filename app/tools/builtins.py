"""The built-in tools: date and time, a calculator, reading files in allowed folders.

Each is a plain function of its (already validated) arguments that returns the text the
model gets, or raises `ToolError` with what went wrong. They do blocking work (disk):
call them in a thread.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .calculator import FUNCTION_NAMES, CalculatorError, evaluate, format_number

MAX_LISTING = 500
"""Most entries a directory listing returns."""


class ToolError(Exception):
    """A tool could not do what was asked; the text (one sentence) goes to the model."""


# -- date and time ------------------------------------------------------------------------------


def current_time(arguments: dict[str, Any]) -> str:
    """The date and time now, in the time zone asked for (else the local one)."""
    name = arguments.get("timezone") or ""
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(
                f"unknown time zone {name!r}: use an IANA name such as 'Europe/Paris' or 'UTC'"
            ) from None
        moment = datetime.now(zone)
    else:
        moment = datetime.now().astimezone()
        name = moment.tzname() or "local time"
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{moment.isoformat(timespec='seconds')} ({moment:%A}, {name}, {offset})"


# -- calculator ---------------------------------------------------------------------------------


def calculator(arguments: dict[str, Any]) -> str:
    """The value of an arithmetic expression."""
    try:
        return format_number(evaluate(str(arguments.get("expression", ""))))
    except CalculatorError as exc:
        raise ToolError(str(exc)) from None


CALCULATOR_DESCRIPTION = (
    "Compute an arithmetic expression exactly, e.g. '12 * (3 + 4) / 7' or 'sqrt(2) ** 3'. "
    "Supports numbers, + - * / // % ** and parentheses, the constants pi, e and tau, and "
    f"the functions {', '.join(FUNCTION_NAMES)}."
)


# -- files --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Folders:
    """The folders the user allowed the file tools to read, as configured."""

    configured: tuple[str, ...]
    """As written in the config (`~/notes`)."""

    def roots(self) -> list[Path]:
        """The folders, `~` expanded and symlinks resolved (missing ones left out)."""
        roots = []
        for folder in self.configured:
            try:
                roots.append(Path(folder).expanduser().resolve(strict=True))
            except (OSError, RuntimeError):
                continue
        return roots

    def describe(self) -> str:
        return ", ".join(self.configured)

    def resolve(self, path: str) -> Path:
        """The real path of `path` if it lies under an allowed folder.

        `~` is expanded; a relative path is taken from the first allowed folder. Symlinks
        and `..` are resolved before the check, so neither can lead outside.

        Raises:
            ToolError: no such file or folder, or it lies outside the allowed folders.
        """
        roots = self.roots()
        if not roots:
            raise ToolError(f"none of the allowed folders exists ({self.describe()})")
        if "\x00" in path:
            raise ToolError("the path contains a NUL character")
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = roots[0] / candidate
        try:
            real = candidate.resolve(strict=True)
        except FileNotFoundError:
            raise ToolError(f"{path!r} does not exist") from None
        except (OSError, RuntimeError) as exc:
            raise ToolError(f"{path!r} cannot be read: {_reason(exc)}") from None
        if not any(real == root or real.is_relative_to(root) for root in roots):
            raise ToolError(f"{path!r} is outside the folders the user allowed ({self.describe()})")
        return real


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def read_file(arguments: dict[str, Any], folders: Folders, limit: int) -> str:
    """A text file's content (at most `limit` bytes of it)."""
    path = str(arguments.get("path", ""))
    real = folders.resolve(path)
    # O_NONBLOCK: a FIFO must not hang the tool; the fstat below refuses it anyway.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise ToolError(f"{path!r} cannot be read: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ToolError(f"{path!r} is a folder: use list_directory")
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"{path!r} is not a regular file")
        data = bytearray()
        while len(data) <= limit:
            chunk = os.read(fd, limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        raise ToolError(f"{path!r} cannot be read: {_reason(exc)}") from None
    finally:
        os.close(fd)
    cut = len(data) > limit
    data = bytes(data[:limit])
    if b"\x00" in data:
        raise ToolError(f"{path!r} is a binary file, not text")
    text = _decode(data, cut)
    if text is None:
        raise ToolError(f"{path!r} is not UTF-8 text")
    if cut:
        text += f"\n[cut: only the first {limit:,} bytes of {info.st_size:,} are shown]"
    return text


def _decode(data: bytes, cut: bool) -> str | None:
    """UTF-8 text, or None; a character split by the size cap is dropped."""
    for trim in range(4 if cut else 1):
        try:
            return data[: len(data) - trim].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def list_directory(arguments: dict[str, Any], folders: Folders) -> str:
    """The entries of a folder: sub-folders end with `/`, files show their size."""
    path = str(arguments.get("path", "") or ".")
    real = folders.resolve(path)
    if not real.is_dir():
        raise ToolError(f"{path!r} is a file, not a folder: use read_file")
    try:
        with os.scandir(real) as entries:
            found = sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        raise ToolError(f"{path!r} cannot be listed: {_reason(exc)}") from None
    lines = []
    for entry in found[:MAX_LISTING]:
        try:
            if entry.is_dir():
                lines.append(f"{entry.name}/")
            elif entry.is_symlink() and not entry.is_file():
                lines.append(f"{entry.name} (broken link)")
            else:
                lines.append(f"{entry.name} ({entry.stat().st_size:,} bytes)")
        except OSError:
            lines.append(f"{entry.name} (unreadable)")
    count = len(found)
    header = f"{real} ({count} entr{'ies' if count != 1 else 'y'})"
    if count > MAX_LISTING:
        lines.append(f"… and {count - MAX_LISTING:,} more")
    return "\n".join([header, *lines]) if lines else f"{header}: empty"

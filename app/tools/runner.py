"""Running a tool of the user's own: a program, with a timeout and an output cap.

The program is started without a shell, in a session of its own, so that a timeout or a
stop kills it and anything it started. Its output is read as it comes; past the cap the
program is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import PLACEHOLDER

if TYPE_CHECKING:
    from ..config import UserToolConfig


class ArgumentError(ValueError):
    """An argument cannot be passed to the program (e.g. it contains a NUL character)."""


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def build_argv(tool: UserToolConfig, arguments: dict[str, Any]) -> list[str]:
    """The exact argv for a call: each `{name}` replaced inside its own element.

    An element naming an argument the model left out is dropped. `~` at the start of
    the program's path is expanded.

    Raises:
        ArgumentError: a value cannot be passed to a program.
    """
    argv: list[str] = []
    for index, part in enumerate(tool.command):
        names = PLACEHOLDER.findall(part)
        if any(name not in arguments for name in names):
            continue
        value = PLACEHOLDER.sub(lambda m: _as_text(arguments[m.group(1)]), part)
        if "\x00" in value:
            raise ArgumentError("an argument contains a NUL character")
        argv.append(os.path.expanduser(value) if index == 0 else value)
    return argv


@dataclass(frozen=True)
class RunResult:
    """What a program did."""

    output: str
    """Its standard output (at most the cap), as text."""
    error: str | None = None
    """Why the run failed (timeout, exit status, too much output), or None."""


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Up to `cap` bytes of a stream; True as well if there was more."""
    data = bytearray()
    while True:
        chunk = await stream.read(65_536)
        if not chunk:
            return bytes(data), False
        data += chunk
        if len(data) > cap:
            return bytes(data[:cap]), True


async def _drain(stream: asyncio.StreamReader, cap: int) -> bytes:
    """Read a stream to its end, keeping the first `cap` bytes (the program never blocks)."""
    data = bytearray()
    while chunk := await stream.read(65_536):
        if len(data) < cap:
            data += chunk[: cap - len(data)]
    return bytes(data)


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the program and everything it started (its process group)."""
    killpg = getattr(os, "killpg", None)  # not on Windows: only the program is killed there
    if killpg is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


async def run_program(argv: list[str], *, timeout: float, cap: int) -> RunResult:
    """Run a program; cancelling this kills it (and waits until it is gone).

    Raises:
        OSError: the program could not be started (not found, not executable).
    """
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    errors = asyncio.ensure_future(_drain(process.stderr, 2_000))
    try:
        async with asyncio.timeout(timeout):
            output, too_long = await _read_capped(process.stdout, cap)
            if too_long:
                _kill(process)
            await process.wait()
            stderr = await errors
    except TimeoutError:
        _kill(process)
        await _reap(process, errors)
        return RunResult("", f"it did not finish within {timeout:g} s and was stopped")
    except asyncio.CancelledError:
        _kill(process)
        # Shielded: the process must be reaped even though this task is being cancelled.
        await asyncio.shield(_reap(process, errors))
        raise
    if too_long:
        return RunResult(
            _text(output), f"its output was longer than {cap:,} bytes (it was stopped)"
        )
    if process.returncode:
        code = process.returncode
        status = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        detail = _text(stderr).strip()
        return RunResult(_text(output), f"{status}: {detail}" if detail else status)
    return RunResult(_text(output))


async def _reap(process: asyncio.subprocess.Process, errors: asyncio.Future[bytes]) -> None:
    """Wait until the killed program is gone; stop reading its errors."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(process.wait(), 5)
    errors.cancel()
    await asyncio.wait([errors], timeout=1)

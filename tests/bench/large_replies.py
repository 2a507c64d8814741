"""Responsiveness while large replies stream: the worst event-loop stall and key latency.

The simulated server runs in its own process (`--large-replies`: a prompt `large:<name>`
gets a canned large reply at its own rate). olladeck runs in a real pseudo-terminal with
`OLLADECK_STALL_LOG` set, sends one such prompt, and streams the reply. Measured:

  stream    seconds from Enter to the finished reply's facts line (`… out tokens`) on the
            terminal; a case is cut off after --cap seconds (shown as `>N`).
  stall     the worst lateness of a 10 ms callback on the app's event loop while it
            streamed (app/stall_probe.py): how long the loop, and so the UI, was frozen.
  keys      a printable key (a different CJK character each time, never in a reply) is
            sent to the pty every ~200 ms while it streams; the time until that character
            is in the pty output (the input box echoes it). Median and worst. A key that
            is not echoed before the cut-off counts with the time waited so far.

Cases: line (1 MB on one line), table (3,000 rows), list (10,000 items at 400 items/s),
nested (a list 1,000 deep), flood (50,000 tokens, as fast as possible).

    python tests/bench/large_replies.py [--cap 30] [--case line --case table ...]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from app.demo.large import LARGE_REPLIES  # noqa: E402

DONE_MARK = b"out tokens"  # the facts line under a finished reply
CONNECTED = b"Ollama 0.13.0"
KEY_EVERY = 0.2
FIRST_KEY = 0x4E00  # CJK ideographs: never in a reply, one key each


@dataclass
class Result:
    name: str
    stream: float
    finished: bool
    stalls: list[float] = field(default_factory=list)
    """Lateness (ms) of the probe's callbacks while streaming, only those over 5 ms."""
    keys: list[float] = field(default_factory=list)
    """Seconds from each key sent to its echo."""

    @property
    def worst_stall(self) -> float:
        return max(self.stalls, default=0.0)

    @property
    def long_stalls(self) -> int:
        """How many stalls lasted over 100 ms."""
        return sum(1 for late in self.stalls if late > 100)


def start_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.demo", "--port", "0", "--rate", "0", "--large-replies"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line.rsplit(":", 1)[1])


def spawn_app(port: int, home: Path, stall_log: Path) -> tuple[int, int]:
    """olladeck in a 120x40 pseudo-terminal: (pid, fd)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHONPATH": str(ROOT),
        "OLLADECK_STALL_LOG": str(stall_log),
    }
    argv = [sys.executable, "-m", "app", "--host", f"127.0.0.1:{port}"]
    argv += ["--model", "llama3.2:latest"]
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return pid, fd


def read(fd: int, timeout: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(fd, 1 << 20)
    except OSError:
        raise RuntimeError("olladeck exited") from None


def wait_for(fd: int, mark: bytes, timeout: float) -> None:
    seen = b""
    deadline = time.time() + timeout
    while mark not in seen:
        if time.time() > deadline:
            raise TimeoutError(f"never saw {mark!r}")
        seen = seen[-256:] + read(fd, 0.05)


def measure(name: str, cap: float, port: int, settle: float = 1.0) -> Result:
    """Stream the large reply `name` in a fresh olladeck, typing as it streams."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        stall_log = home / "stalls.log"
        pid, fd = spawn_app(port, home, stall_log)
        try:
            wait_for(fd, CONNECTED, 30)
            settled = time.time() + settle
            while time.time() < settled:
                read(fd, 0.05)
            os.write(fd, f"large:{name}\r".encode())
            started = time.time()
            cut_off = started + cap
            tail = b""  # the last bytes of output (for the facts line)
            since_key = b""  # output since the pending key was sent
            pending: bytes | None = None
            sent_at = 0.0
            next_key = started + KEY_EVERY
            keys: list[float] = []
            finished_at: float | None = None
            code = FIRST_KEY
            while True:
                now = time.time()
                if finished_at is None and now >= cut_off:
                    break
                if finished_at is not None and (pending is None or now >= cut_off):
                    break
                if pending is None and finished_at is None and now >= next_key:
                    pending = chr(code).encode()
                    code += 1
                    since_key = b""
                    sent_at = time.time()
                    os.write(fd, pending)
                    next_key = sent_at + KEY_EVERY
                data = read(fd, 0.005)
                if not data:
                    continue
                now = time.time()
                if pending is not None:
                    since_key = since_key[-8:] + data
                    if pending in since_key:
                        keys.append(now - sent_at)
                        pending = None
                if finished_at is None:
                    tail = tail[-16:] + data
                    if DONE_MARK in tail:
                        finished_at = now
            ended = finished_at if finished_at is not None else cut_off
            if pending is not None:  # never echoed: count the wait so far
                keys.append(time.time() - sent_at)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        stalls = []
        if stall_log.exists():
            for line in stall_log.read_text().splitlines():
                when, late = (float(v) for v in line.split())
                # A callback run at `when` was late by `late`: the stall began before it.
                if started <= when and when - late / 1000 <= ended:
                    stalls.append(late)
    return Result(name, ended - started, finished_at is not None, stalls, keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cap", type=float, default=30.0, help="seconds per case at most")
    parser.add_argument("--case", action="append", choices=list(LARGE_REPLIES))
    args = parser.parse_args()
    server, port = start_server()
    try:
        results = [measure(name, args.cap, port) for name in args.case or LARGE_REPLIES]
    finally:
        server.kill()
        server.wait()
    print(
        f"olladeck 120x40 in a pty; keys every {KEY_EVERY * 1000:.0f} ms; cut off at {args.cap:g} s"
    )
    print(
        f"{'reply':48} {'stream s':>9} {'worst stall ms':>15} {'key median ms':>14}"
        f" {'key worst ms':>13} {'stalls >100 ms':>15}"
    )
    for r in results:
        stream = f"{r.stream:.1f}" if r.finished else f">{r.stream:.0f}"
        median = f"{statistics.median(r.keys) * 1000:.0f}" if r.keys else "-"
        worst = f"{max(r.keys) * 1000:.0f}" if r.keys else "-"
        print(
            f"{LARGE_REPLIES[r.name].description:48} {stream:>9} {r.worst_stall:>15.0f} "
            f"{median:>14} {worst:>13} {r.long_stalls:>15}  ({len(r.keys)} keys)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time to first paint: olladeck against a bare Textual app showing one label.

Each program runs in a real pseudo-terminal (80x24 unless --size). The clock stops when
the bare app's label reaches the terminal, and, for olladeck, when the footer (the last
line Textual writes of a frame) does: olladeck is timed to the end of its first frame, the
bare app only to its label. Runs alternate between the programs so that both see the same
machine; the median is reported.

    python tests/bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def first_paint(
    argv: list[str], marker: bytes, env: dict[str, str], size: tuple[int, int]
) -> float:
    """Seconds from exec to the marker on the terminal."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        # execve with exactly this environment: LINES/COLUMNS that a parent library put in
        # the C environment (os.environ does not see them) would override the pty's size.
        os.execve(argv[0], argv, env)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    seen = b""
    try:
        while marker not in seen:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                raise TimeoutError(f"{argv} did not paint {marker!r} in 30 s")
            try:
                seen = seen[-64:] + os.read(fd, 65536)
            except OSError:
                raise RuntimeError(f"{argv} exited before painting") from None
        return time.perf_counter() - started
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def environment(home: Path) -> dict[str, str]:
    """The whole environment the programs run with: private dirs under `home`, no server."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "OLLAMA_HOST": "127.0.0.1:9",  # nothing listens: the probe fails after the paint
        "PYTHONPATH": str(HERE.parent.parent),
    }


def programs() -> dict[str, tuple[list[str], bytes]]:
    """What is timed: name -> (argv, the bytes that mark its first paint)."""
    python = sys.executable
    return {
        "bare Textual app": ([python, str(HERE / "bare_app.py")], b"Conversations"),
        "olladeck": ([python, "-m", "app"], b"palette"),
        "olladeck (input)": ([python, "-m", "app"], b"Enter sends"),
        "olladeck --demo": ([python, "-m", "app", "--demo"], b"palette"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", default="80x24")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    home = Path(tempfile.mkdtemp(prefix="olladeck-bench-"))
    env = environment(home)
    timed = programs()
    times: dict[str, list[float]] = {name: [] for name in timed}
    for argv, marker in timed.values():  # warm the file cache and bytecode
        first_paint(argv, marker, env, (width, height))
    for _ in range(args.runs):
        for name, (argv, marker) in timed.items():
            times[name].append(first_paint(argv, marker, env, (width, height)))
    shutil.rmtree(home, ignore_errors=True)
    bare = statistics.median(times["bare Textual app"])
    print(f"time to first paint, {args.runs} runs each, {width}x{height}, median (min):")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:18} {median * 1000:6.0f} ms ({min(values) * 1000:.0f} ms)"
            f"  {median / bare:.2f}x the bare app"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

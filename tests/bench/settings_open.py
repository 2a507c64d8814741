"""Time from Ctrl+T to the settings screen on the terminal, and from F3 to the models screen.

olladeck runs against its simulated server (`--demo`) in a real pseudo-terminal (80x24
unless --size). Once the server has answered, the key is written to the terminal and the
clock stops when the screen's first words reach it; Escape closes the screen, and the next
run starts when the conversation is back. The median of --runs is reported.

    python tests/bench/settings_open.py [--runs 15]
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
CTRL_T = b"\x14"
F3 = b"\x1bOR"
ESCAPE = b"\x1b"


class Terminal:
    """A program in a pseudo-terminal, read until a marker shows."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.environ.clear()
            os.environ.update(env)
            os.execv(argv[0], argv)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))

    def wait_for(self, marker: bytes, timeout: float = 20) -> float:
        """Seconds until `marker` is written to the terminal."""
        started = time.perf_counter()
        seen = b""
        while marker not in seen:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                raise TimeoutError(f"{marker!r} did not appear in {timeout} s")
            seen = seen[-256:] + os.read(self.fd, 65536)
        return time.perf_counter() - started

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the program has been silent for `quiet` seconds."""
        while select.select([self.fd], [], [], quiet)[0]:
            os.read(self.fd, 65536)

    def press(self, key: bytes) -> None:
        os.write(self.fd, key)

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", default="80x24")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    home = Path(tempfile.mkdtemp(prefix="olladeck-bench-"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHONPATH": str(HERE.parent.parent),
    }
    terminal = Terminal([sys.executable, "-m", "app", "--demo"], env, (width, height))
    screens = {
        "settings (Ctrl+T)": (CTRL_T, b"Sampling"),
        "models (F3)": (F3, b"Installed"),
    }
    times: dict[str, list[float]] = {name: [] for name in screens}
    try:
        terminal.wait_for(b"Ollama 0.13.0")
        terminal.drain()
        for run in range(args.runs + 1):
            for name, (key, marker) in screens.items():
                terminal.press(key)
                elapsed = terminal.wait_for(marker)
                if run:  # the first run warms imports and caches
                    times[name].append(elapsed)
                terminal.drain()
                terminal.press(ESCAPE)
                terminal.drain()
    finally:
        terminal.close()
        shutil.rmtree(home, ignore_errors=True)
    print(f"key to first paint of the screen, {args.runs} runs, {width}x{height}, median (min):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:18} {median * 1000:6.0f} ms ({min(values) * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Streaming cost: CPU the app spends to show a reply, beside a bare httpx loop.

The simulated server runs in its own process. olladeck runs in a real pseudo-terminal (its
output is read and thrown away by this script, as a terminal would), gets one prompt, and
streams the reply. CPU is the process's user+system time from /proc, not wall time.

Scenarios:
  fast    a reply of N tokens streamed as fast as the server can (N = 2,000 and 20,000):
          app CPU vs a bare httpx loop that reads and json-parses the same stream, time from
          the server's last chunk to the app being idle with the last token on screen, and
          how the cost grows from 2,000 to 20,000 tokens.
  rate    a reply streamed at 50 tokens/s: the app's CPU share of one core while streaming.

    python tests/bench/streaming.py [--tokens 20000] [--small 2000] [--rate 50 --rate-tokens 500]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
DONE_MARK = b"tok/s"  # the facts line under a finished reply


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(rate: float, tokens: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.demo",
            "--port",
            "0",
            "--rate",
            str(rate),
            "--reply-tokens",
            str(tokens),
            "--log-done",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line.rsplit(":", 1)[1])


def last_chunk_time(server: subprocess.Popen[str]) -> float:
    """The server prints `done <time.time()>` after the last chunk of each reply."""
    assert server.stdout is not None
    while True:
        line = server.stdout.readline()
        if line.startswith("done "):
            return float(line.split()[1])


def bare_loop(port: int) -> float:
    """CPU seconds of a plain httpx loop reading and parsing one reply."""
    code = f"""
import httpx, json, os, time
body = {{"model": "llama3.2", "messages": [{{"role": "user", "content": "hi"}}]}}
with httpx.Client(timeout=None) as c:
    t = os.times(); start = t.user + t.system
    with c.stream("POST", "http://127.0.0.1:{port}/api/chat", json=body) as r:
        for line in r.iter_lines():
            if line:
                json.loads(line)
    t = os.times(); print(t.user + t.system - start)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


class PtyApp:
    """olladeck in a pseudo-terminal; output is drained as a terminal would."""

    def __init__(self, port: int, home: Path, size: tuple[int, int] = (120, 40)) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(
                TERM="xterm-256color",
                XDG_DATA_HOME=str(home / "data"),
                XDG_CONFIG_HOME=str(home / "config"),
                PYTHONPATH=str(ROOT),
            )
            os.execv(
                sys.executable,
                [
                    sys.executable,
                    "-m",
                    "app",
                    "--host",
                    f"127.0.0.1:{port}",
                    "--model",
                    "llama3.2:latest",
                ],
            )
        import fcntl
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.tail = b""

    def drain(self, until: bytes | None = None, timeout: float = 120.0) -> float:
        """Read output until `until` appears (returns when); or for `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                data = os.read(self.fd, 1 << 20)
                self.tail = (self.tail + data)[-4096:]
                if until is not None and until in self.tail:
                    return time.time()
        if until is not None:
            raise TimeoutError(f"never saw {until!r}")
        return time.time()

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def run_app(port: int, server: subprocess.Popen[str], mark: bytes) -> dict[str, float]:
    """Send one prompt; measure CPU and latency until the finished reply is on screen."""
    with tempfile.TemporaryDirectory() as home:
        app = PtyApp(port, Path(home))
        try:
            app.drain(b"Ollama 0.13.0", timeout=30)  # connected
            app.drain(timeout=1.0)  # settle
            cpu_before, wall_before = cpu_seconds(app.pid), time.time()
            app.type("hi\r")
            shown = app.drain(mark)
            server_done = last_chunk_time(server)
            cpu_shown = cpu_seconds(app.pid)
            app.drain(timeout=1.0)
            cpu_after = cpu_seconds(app.pid)
            return {
                "cpu": cpu_shown - cpu_before,
                "wall": shown - wall_before,
                "lag": shown - server_done,
                "idle_cpu_1s": cpu_after - cpu_shown,
            }
        finally:
            app.close()


def fast(tokens: int) -> dict[str, float]:
    server, port = start_server(0, tokens)
    try:
        bare = bare_loop(port)
        last_chunk_time(server)
        result = run_app(port, server, DONE_MARK)
        result["bare"] = bare
        return result
    finally:
        server.kill()


def at_rate(rate: float, tokens: int) -> dict[str, float]:
    server, port = start_server(rate, tokens)
    try:
        started = time.time()
        bare = bare_loop(port)
        bare_wall = time.time() - started
        last_chunk_time(server)
        result = run_app(port, server, DONE_MARK)
        result["bare"] = bare
        result["bare_wall"] = bare_wall
        return result
    finally:
        server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--rate-tokens", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = {
        "small": fast(args.small),
        "large": fast(args.tokens),
        "rate": at_rate(args.rate, args.rate_tokens),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for key, n in (("small", args.small), ("large", args.tokens)):
        r = results[key]
        print(
            f"{n:>6} tokens as fast as possible: app {r['cpu']:.2f} s CPU, bare httpx loop "
            f"{r['bare']:.2f} s ({r['cpu'] / r['bare']:.1f}x); on screen {r['lag'] * 1000:.0f} ms "
            f"after the server's last chunk; {r['idle_cpu_1s'] * 1000:.0f} ms CPU in the "
            f"second after"
        )
    growth = results["large"]["cpu"] / results["small"]["cpu"]
    print(
        f"cost growth {args.small} -> {args.tokens} tokens: {growth:.1f}x "
        f"(tokens grew {args.tokens / args.small:.0f}x)"
    )
    r = results["rate"]
    print(
        f"{args.rate_tokens} tokens at {args.rate:g} tokens/s: {r['cpu']:.2f} s CPU over "
        f"{r['wall']:.1f} s = {r['cpu'] / r['wall'] * 100:.1f}% of one core (bare httpx loop: "
        f"{r['bare'] / r['bare_wall'] * 100:.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

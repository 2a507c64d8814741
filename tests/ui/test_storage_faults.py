"""Storage faults: an unwritable data dir, a full disk, a kill -9 in the middle of a reply."""

from __future__ import annotations

import errno
import os
import pty
import select
import signal
import struct
import sys
import time
import tomllib
from pathlib import Path

import pytest

from app.config import Config
from app.demo import ThreadedDemoServer
from app.store import atomic
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent.parent


async def test_an_unwritable_data_dir_is_reported_and_nothing_is_lost(make_app, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the data directory should be")
    app = make_app(config=Config(data_dir=str(blocked)), model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        # The reply still comes; the user is told plainly that nothing could be saved.
        notices = [n for n in app._notifications if n.title == "Save failed"]
        assert notices and "Could not save" in notices[0].message
        assert "kept in memory" in notices[0].message
        assert app.screen.current.messages[0].content == "hello"
        assert blocked.read_text().startswith("a file")


async def test_a_full_disk_keeps_the_reply_in_memory_and_retries(
    make_app, demo_server, monkeypatch, data_dir
):
    import app.screens.main as main_screen

    monkeypatch.setattr(main_screen, "SAVE_RETRY", 0.3)
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"first", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        (path,) = (data_dir / "conversations").glob("*.toml")
        before = path.read_text()

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        real_replace = os.replace
        monkeypatch.setattr(atomic.os, "replace", full)
        app.screen.prompt.focus()
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 4)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state != "streaming")
        await pilot.pause(0.3)
        assert any("No space left on device" in n.message for n in app._notifications) or (
            "No space left on device" in (app.screen.current.messages[-1].error or "")
        )
        assert path.read_text() == before  # the old file is intact, not half-written
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
        assert app.screen.current.messages[2].content == "second"  # kept in memory
        monkeypatch.setattr(atomic.os, "replace", real_replace)
        # Once the disk has room again, the retry writes everything, unprompted.
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 4)
        app.screen.prompt.focus()
        await pilot.press(*"third", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 6)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 6)
        saved = tomllib.loads(path.read_text())["messages"]
        assert [m["content"] for m in saved[::2]] == ["first", "second", "third"]


@pytest.mark.slow
def test_kill_9_mid_reply_loses_at_most_the_last_second(tmp_path):
    runner = ThreadedDemoServer(token_rate=40)
    url = runner.start()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(
            TERM="xterm-256color",
            XDG_DATA_HOME=str(tmp_path / "data"),
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            PYTHONPATH=str(ROOT),
        )
        os.execv(
            sys.executable,
            [sys.executable, "-m", "app", "--host", url, "--model", "llama3.2:latest"],
        )
    try:
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        seen = b""
        deadline = time.time() + 30
        while b"Ollama 0.13.0" not in seen and time.time() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                seen = (seen + os.read(fd, 65536))[-4096:]
        os.write(fd, b"hello\r")
        # Stream for about three seconds (40 tokens/s), draining the terminal meanwhile.
        start = time.time()
        while time.time() - start < 3.0:
            if select.select([fd], [], [], 0.1)[0]:
                os.read(fd, 65536)
        sent = len(runner.server.chat_requests())
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    finally:
        os.close(fd)
        runner.stop()
    assert sent == 1
    (path,) = (tmp_path / "data" / "olladeck" / "conversations").glob("*.toml")
    messages = tomllib.loads(path.read_text())["messages"]
    assert messages[0]["content"] == "hello"
    # Three seconds at 40 tokens/s streamed about 120 tokens; saves come at least once a
    # second, so at least the first two seconds' worth (~80 tokens, well over 100 chars).
    assert messages[1]["state"] == "streaming"
    assert len(messages[1]["content"]) > 100

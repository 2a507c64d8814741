"""Server faults against the real app: a clear message, nothing lost, the app responsive."""

from __future__ import annotations

import time
import tomllib

import pytest

from app.demo import Fault
from tests.conftest import screen_text, wait_until


def words(app) -> str:
    text = screen_text(app)
    for char in "▎█│┃╭╮╰╯─":
        text = text.replace(char, " ")
    return " ".join(text.split())


def saved_messages(data_dir) -> list[dict]:
    (path,) = (data_dir / "conversations").glob("*.toml")
    return tomllib.loads(path.read_text())["messages"]


async def start(pilot, text: str = "hello") -> None:
    await wait_until(pilot, lambda: pilot.app.screen.connection == "connected")
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: len(pilot.app.screen.current.messages) == 2)


def last(app):
    return app.screen.current.messages[-1]


async def still_responsive(pilot) -> None:
    """Typing works and no traceback is on screen."""
    pilot.app.screen.prompt.focus()
    await pilot.press(*"next")
    assert pilot.app.screen.prompt.text.endswith("next")
    assert "Traceback" not in screen_text(pilot.app)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("disconnect", "The connection to Ollama closed before the reply was finished"),
        ("error_line", "Ollama reported an error mid-reply: an injected failure"),
        ("garbage", "Ollama sent something unexpected: a line that is not JSON"),
        ("no_done", "closed before the reply was finished"),
    ],
)
async def test_mid_stream_faults_keep_the_partial_reply(
    make_app, demo_server, data_dir, kind, expected
):
    demo_server.inject(Fault(kind, after=20))
    app = make_app(model="llama3.2:latest", config=None)
    async with app.run_test(size=(80, 30)) as pilot:
        await start(pilot)
        await wait_until(pilot, lambda: last(app).state == "error")
        await pilot.pause(0.1)
        reply = last(app)
        assert reply.content  # the 20 chunks that came before the fault
        assert expected in (reply.error or "")
        assert expected in words(app)
        saved = saved_messages(data_dir)
        assert saved[0]["content"] == "hello"
        assert saved[1]["content"] == reply.content and saved[1]["state"] == "error"
        await still_responsive(pilot)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, "model 'x' not found"),
        (400, "invalid request"),
        (500, "llama runner process has terminated"),
    ],
)
async def test_http_errors_show_ollamas_text(make_app, demo_server, data_dir, status, error):
    demo_server.inject(Fault("http_error", status=status, message=error))
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 30)) as pilot:
        await start(pilot)
        await wait_until(pilot, lambda: last(app).state == "error")
        await pilot.pause(0.1)
        assert error in words(app)
        assert saved_messages(data_dir)[0]["content"] == "hello"
        await still_responsive(pilot)


async def test_a_hung_server_can_always_be_stopped(make_app, demo_server, data_dir):
    demo_server.inject(Fault("hang"))
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 30)) as pilot:
        await start(pilot)
        await pilot.pause(0.5)
        assert last(app).state == "streaming"
        assert "waiting for the reply from llama3.2:latest" in words(app)
        # Nothing has come back, yet the prompt is already on disk: it is saved before
        # the request is sent, so a hung server (or a crash now) cannot lose it.
        saved = saved_messages(data_dir)
        assert saved[0]["content"] == "hello"
        assert saved[1]["state"] == "streaming" and not saved[1].get("content")
        started = time.monotonic()
        await pilot.press("escape")
        await wait_until(pilot, lambda: last(app).state == "stopped")
        assert time.monotonic() - started < 2
        assert saved_messages(data_dir)[1]["state"] == "stopped"
        await still_responsive(pilot)


async def test_a_slow_first_token_is_waited_for(make_app, demo_server):
    demo_server.inject(Fault("slow_first_token", delay=1.5))
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 30)) as pilot:
        await start(pilot)
        await pilot.pause(0.8)
        assert last(app).state == "streaming"
        await still_responsive(pilot)
        await wait_until(pilot, lambda: last(app).state == "complete", timeout=15)
        assert last(app).stats.first_token_seconds >= 1.4


@pytest.mark.slow
async def test_a_reply_of_a_million_characters(make_app, demo_server, data_dir):
    demo_server.reply_tokens = 200_000  # about 1,000,000 characters
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await wait_until(pilot, lambda: last(app).state == "complete", timeout=120)
        await pilot.pause(0.2)
        reply = last(app)
        assert len(reply.content) > 900_000
        assert reply.stats.eval_count == 200_000
        assert len(saved_messages(data_dir)[1]["content"]) == len(reply.content)
        assert "tok/s" in words(app)
        await still_responsive(pilot)

"""A server error of megabytes: cut where it is read, shown at once, saved small."""

from __future__ import annotations

import time

import pytest

from app.demo import Fault
from app.ollama.errors import MAX_ERROR_CHARS
from tests.conftest import wait_until
from tests.ui.test_server_faults import last, saved_messages, still_responsive, words

BIG_ERROR = "runner failed: " + "x" * 2_000_000 + " END"
"""Two megabytes of error text, as a crashing runner might dump a log into it."""


@pytest.mark.parametrize("kind", ["http_error", "error_line"])
async def test_a_two_megabyte_error_is_cut_and_shown_at_once(make_app, demo_server, data_dir, kind):
    demo_server.inject(Fault(kind, after=5, message=BIG_ERROR))
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"hello")
        started = time.monotonic()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "characters more)" in words(app))
        # Uncut, the 2 MB text held the UI for seconds before it appeared.
        assert time.monotonic() - started < 1
        reply = last(app)
        assert reply.state == "error"
        assert "runner failed: xxx" in (reply.error or "") and "END" not in (reply.error or "")
        assert len(reply.error or "") < MAX_ERROR_CHARS + 200
        assert "(1,998,019 characters more)" in (reply.error or "").replace("\n", "")
        saved = saved_messages(data_dir)
        assert saved[0]["content"] == "hello"
        assert saved[1]["error"] == reply.error
        await still_responsive(pilot)

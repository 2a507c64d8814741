"""An empty conversation says where to type and which keys open the rest."""

from __future__ import annotations

import json

from app.config import Config
from tests.conftest import screen_text, wait_until

HINT = "Type a message below"


async def test_an_empty_conversation_shows_the_keys_as_bound(make_app, demo_server, data_dir):
    # Keys moved under [keymap]: the hint names the keys that work, not the defaults.
    app = make_app(config=Config(keymap={"models.manage": "f10", "app.help": "f12"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: HINT in screen_text(app))
        assert f"{HINT} · F10 models · Ctrl+P commands · F12 keys" in screen_text(app)
        assert "F3 models" not in screen_text(app)
        # Narrower, the hint wraps between its parts, never inside one.
        await pilot.resize_terminal(40, 24)
        await wait_until(pilot, lambda: "Ctrl+P commands · F12 keys" in screen_text(app))
        assert f"{HINT} · F10 models" in screen_text(app)
        await pilot.resize_terminal(80, 24)

        # It is no message: the first message replaces it, and it is neither sent nor saved.
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        assert HINT not in screen_text(app)
        assert [m["content"] for m in demo_server.chat_requests()[-1]["messages"]] == ["hello"]
        await wait_until(pilot, lambda: list(data_dir.glob("**/*.toml")))
        for path in data_dir.glob("**/*"):
            if path.is_file():
                assert HINT not in path.read_text(errors="replace"), path
        assert not any(HINT in json.dumps(r) for r in demo_server.chat_requests())

        # A new conversation is empty again: the hint is back.
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: HINT in screen_text(app))

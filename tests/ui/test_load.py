"""Ten conversations streaming at once, one on screen, switched between while they stream."""

from __future__ import annotations

import tomllib

import pytest

from app.demo.catalog import reply_text, tokenize
from tests.conftest import wait_until


@pytest.mark.slow
async def test_ten_streams_at_once_each_saved_completely(make_app, demo_server, data_dir):
    # Every reply waits 5 s for its first token (sending all ten takes about that long
    # here), then streams for about 3 s: all ten are under way at once unless sending
    # them takes over 8 s.
    demo_server.first_token_delay = 5.0
    demo_server.token_rate = 40
    tokens: list[str] = []
    demo_server.on_token = tokens.append
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        ids = []
        for number in range(10):
            await pilot.press("ctrl+n")
            await pilot.press(*f"q{number}", "enter")
            await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
            ids.append(app.screen.current.id)
        pane = app.screen.pane
        assert sorted(pane.streaming_ids) == sorted(ids)
        assert all(app.screen.conversations[c].messages[1].state == "streaming" for c in ids)
        # Switch around while they stream; each view picks up its reply where it stands.
        await wait_until(pilot, lambda: tokens)
        for conversation_id in ids[::-1] + ids[::3]:
            await app.screen.open_conversation(conversation_id)
            await pilot.pause(0.05)
            assert app.screen.current.id == conversation_id
        await wait_until(pilot, lambda: not pane.streaming_ids, timeout=30)
        await pilot.pause(0.2)
        for number, conversation_id in enumerate(ids):
            conversation = app.screen.conversations[conversation_id]
            assert conversation.messages[0].content == f"q{number}"
            assert conversation.messages[1].state == "complete"
            assert conversation.messages[1].content == reply_text(f"q{number}", 1)
    contents = {}
    for path in (data_dir / "conversations").glob("*.toml"):
        saved = tomllib.loads(path.read_text())
        contents[saved["id"]] = saved["messages"]
    assert sorted(contents) == sorted(ids)
    for number, conversation_id in enumerate(ids):
        user, reply = contents[conversation_id]
        assert user["content"] == f"q{number}"
        # Each reply is whole, and is the answer to its own prompt, not another's.
        expected = reply_text(f"q{number}", 1)
        assert expected.rstrip().endswith(f'You said: "q{number}"')
        assert reply["state"] == "complete" and reply["content"] == expected
        assert reply["stats"]["eval_count"] == len(tokenize(expected))
    assert len(demo_server.chat_requests()) == 10

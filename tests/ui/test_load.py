"""Ten conversations streaming at once, one on screen, switched between while they stream."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import wait_until


@pytest.mark.slow
async def test_ten_streams_at_once_each_saved_completely(make_app, demo_server, data_dir):
    demo_server.token_rate = 20  # about 7 seconds per reply
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
        assert len(pane.streaming_ids) >= 3  # several at once (more on a quiet machine)
        # Switch around while they stream; each view picks up its reply where it stands.
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
    contents = {}
    for path in (data_dir / "conversations").glob("*.toml"):
        saved = tomllib.loads(path.read_text())
        contents[saved["id"]] = saved["messages"]
    assert sorted(contents) == sorted(ids)
    for number, conversation_id in enumerate(ids):
        user, reply = contents[conversation_id]
        assert user["content"] == f"q{number}"
        assert reply["state"] == "complete" and reply["content"].startswith("## Welcome")
        assert reply["stats"]["eval_count"] > 50
    assert len(demo_server.chat_requests()) == 10

"""A [keymap] key name that names no key, text typed right after Enter, and imported
JSON checked as the settings screen checks it."""

from __future__ import annotations

import json

from app.config import parse_config
from app.widgets.prompt_input import PromptInput
from tests.conftest import wait_until


async def test_an_invalid_key_name_for_send_keeps_enter_sending(make_app):
    config = parse_config('[keymap]\n"chat.send" = "entr"\n')
    assert config.keymap_problems
    app = make_app(config=config, model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        app.screen.prompt.focus()
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) >= 1)
        assert app.screen.current.messages[0].content == "hi"


async def test_text_typed_right_after_enter_stays_in_the_input(make_app):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        prompt = app.screen.prompt
        prompt.focus()
        prompt.load_text("first line\nsecond")
        prompt.move_cursor(prompt.document.end)
        # Enter, then keys that reach the input before the message is handled.
        prompt.post_message(PromptInput.Submitted(prompt, prompt.text))
        prompt.insert(" and more")
        await wait_until(pilot, lambda: len(app.screen.current.messages) >= 1)
        assert app.screen.current.messages[0].content == "first line\nsecond"
        assert prompt.text == " and more"
        await pilot.press("!")  # the cursor is still after what was typed
        assert prompt.text == " and more!"
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")


async def test_imported_settings_are_checked_and_deep_json_is_refused_plainly(make_app, tmp_path):
    chat = tmp_path / "chat.json"
    chat.write_text(
        json.dumps(
            {
                "model": "llama3.2:latest",
                "messages": [{"role": "user", "content": "imported"}],
                "options": {"temperature": 99, "top_k": 40, "no_such_option": 1},
                "keep_alive": "ten minutes",
                "think": "very",
            }
        )
    )
    deep = tmp_path / "deep.json"
    deep.write_text('{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}")
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen._loaded)
        conversation = await app.screen._import(chat)
        assert conversation is not None
        assert conversation.chat_options.options == {"top_k": 40}
        assert conversation.chat_options.keep_alive is None
        assert conversation.chat_options.think is None
        title = "Some settings were not imported"
        await wait_until(pilot, lambda: any(n.title == title for n in app._notifications))
        (notice,) = [n for n in app._notifications if n.title == title]
        for name in ("temperature", "no_such_option", "keep_alive", "think"):
            assert name in notice.message
        assert await app.screen._import(deep) is None
        await wait_until(pilot, lambda: any(n.title == "Not imported" for n in app._notifications))
        (refused,) = [n for n in app._notifications if n.title == "Not imported"]
        assert refused.message.startswith("deep.json could not be imported: it is nested too")

"""Footers show whole keys: at 80 columns a key that does not fit is left out, not cut."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from app.models import ChatMessage, Conversation
from app.screens.chat_settings import ChatSettingsScreen
from app.screens.model_manager import ModelManagerScreen
from app.store import ConversationStore
from tests.conftest import footer_settled, screen_text, wait_until


def footer_keys(app) -> list[FooterKey]:
    footer = app.screen.query_one(Footer)
    return [key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]


def label(key: FooterKey) -> list[str]:
    return f"{key.key_display} {key.description}".split()


async def whole_keys_only(pilot, *, some_hidden: bool) -> list[FooterKey]:
    """Check the footer line: exactly the shown keys, each whole, in order, nothing cut;
    the palette key (if any) still at the right edge. Returns the hidden keys."""
    app = pilot.app
    await wait_until(pilot, lambda: footer_settled(app) and footer_keys(app))
    await pilot.pause()
    keys = footer_keys(app)
    shown = [key for key in keys if key.display]
    hidden = [key for key in keys if not key.display]
    line = screen_text(app).splitlines()[-1]
    keys_part, palette_mark, _palette = line.partition("▏")
    expected = [word for key in shown for word in label(key)]
    assert keys_part.split() == expected, (line, expected)
    if palette_mark:
        assert line.rstrip().endswith("^p palette")
    assert shown, line
    # The keys shown are the first ones: a key is never skipped for a shorter one after it.
    assert keys[: len(shown)] == shown
    assert bool(hidden) == some_hidden, (line, [key.description for key in hidden])
    return hidden


async def test_footers_drop_whole_keys_at_80_columns(make_app, data_dir, demo_server):
    reply = ChatMessage(role="assistant", content="An answer.")
    messages = [ChatMessage(role="user", content="a question"), reply]
    ConversationStore(data_dir).save(
        Conversation(id="keys", model="llama3.2:latest", messages=messages)
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "keys")
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        # The main screen, input focused: everything fits.
        await whole_keys_only(pilot, some_hidden=False)
        # The conversation focused: its keys first, the screen's keys that do not fit
        # are left out (they ran on under the palette key, cut: "^q Qu").
        app.screen.pane.focus()
        await wait_until(
            pilot, lambda: any(key.action == "copy_message" for key in footer_keys(app))
        )
        hidden = await whole_keys_only(pilot, some_hidden=True)
        assert "Quit" in [key.description for key in hidden]
        # Wide enough, they are all back.
        await pilot.resize_terminal(200, 24)
        await whole_keys_only(pilot, some_hidden=False)
        await pilot.resize_terminal(80, 24)
        await whole_keys_only(pilot, some_hidden=True)

        # The models screen: "f5 Refresh" does not fit at 80 columns (it showed "f5 Refre").
        app.screen.prompt.focus()
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelManagerScreen))
        hidden = await whole_keys_only(pilot, some_hidden=True)
        assert "Refresh" in [key.description for key in hidden]
        await pilot.resize_terminal(120, 24)
        await whole_keys_only(pilot, some_hidden=False)
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelManagerScreen))

        # The settings screen: its keys fit at 80 columns, and give way whole at 50.
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen))
        await whole_keys_only(pilot, some_hidden=False)
        await pilot.resize_terminal(50, 24)
        await whole_keys_only(pilot, some_hidden=True)

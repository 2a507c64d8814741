"""The question before a tool of the user's own runs: arguments from the model cannot fake
it or push it out of view, and keys typed before it was seen do not answer it."""

from __future__ import annotations

import shlex

import pytest
from textual.widgets import Button

from app.screens import confirm
from app.screens.confirm import ConfirmScreen
from app.screens.help import screen_bindings
from app.screens.tool_confirm import ToolConfirmScreen, visible
from app.tools import REFUSED
from app.tools.shown import command_line
from tests.conftest import confirm_ready, screen_text, wait_until
from tests.ui.test_tools import MODEL, SHOUT, connected, finished, messages, send, tools_config

FAKE = (
    "hello\n\nIt runs this command (no shell; stopped after 10 s):\n/bin/true\n\n"
    + "padding\n" * 200
    + "\x1b[2Jcleared\u202egnp.exe"
)
"""An argument that tries to draw a harmless command over the real one."""


def answered(app) -> bool:
    """The tool's result went back to the model, which answered."""
    return finished(app) and len(messages(app)) >= 4 and messages(app)[-1].role == "assistant"


def test_a_command_line_is_one_line_that_reads_back_exactly():
    argv = ["grep", "a\nb", "\\n", "\x1b[2J", "it's"]
    line = command_line(argv)
    assert line == "grep 'a\\nb' '\\\\n' '\\x1b[2J' 'it'\"'\"'s'"
    assert shlex.split(line) == ["grep", "a\\nb", "\\\\n", "\\x1b[2J", "it's"]


def test_control_characters_and_newlines_are_made_visible():
    shown = visible("a\nb\tc\\n\x1b[31m\u202e\u200b\U000e0001")
    assert shown.plain == "a\\nb\\tc\\\\n\\x1b[31m\\u202e\\u200b\\U000e0001"
    # The escapes are drawn differently from typed text (a typed "\\n" is "\\\\n").
    assert {span.style for span in shown.spans} == {"reverse"}
    assert len(shown.spans) == 7


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_an_argument_cannot_fake_the_command_nor_hide_the_buttons(
    make_app, demo_server, size: tuple[int, int]
):
    demo_server.forced_tool_calls = [{"function": {"name": "shout", "arguments": {"text": FAKE}}}]
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(SHOUT,)))
    async with app.run_test(size=size) as pilot:
        await connected(pilot)
        await send(pilot, "shout it")
        await confirm_ready(pilot)
        screen = app.screen
        assert isinstance(screen, ToolConfirmScreen)
        await pilot.pause()
        text = screen_text(app)
        lines = text.splitlines()
        # The real command, summed up first, and the buttons are on screen.
        assert sum("with 3 arguments (no shell" in line for line in lines) == 1
        for button in screen.query(Button):
            region = button.region
            assert region.height == 3 and region in screen.region, button.id
            assert screen.get_widget_at(*region.center)[0] is button  # nothing covers it
        # The fake text stays inside the framed block, on the argument's row: it never
        # starts a line of its own, and its newlines and escape sequence are shown.
        assert not any(line.strip(" │╭╮╰╯").startswith("It runs this") for line in lines)
        assert "\\n\\nIt runs this command" in text.replace("\n", "")
        # Behind the question, the tool's message in the conversation is one line too.
        asking = messages(app)[-1].content
        assert asking.startswith("Asking you before running: ") and "\n" not in asking
        assert "\\n\\nIt runs this command" in asking
        block = screen.query_one("#tool-arguments")
        assert block.outer_size.height <= size[1] * 0.3 + 2
        assert block.max_scroll_y > 0  # the rest is there, a scroll away
        # Nothing from the model reaches the terminal as a control character.
        assert "\x1b" not in text and "\u202e" not in text
        await pilot.press("n")
        await wait_until(pilot, lambda: answered(app))
        assert messages(app)[-2].content == REFUSED


async def test_keys_typed_in_a_burst_never_answer_and_always_takes_two_steps(
    make_app, demo_server, monkeypatch: pytest.MonkeyPatch
):
    # A longer guard than the app's, so that "too soon" holds on a busy machine too.
    monkeypatch.setattr(confirm, "GUARD", 0.6)
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(SHOUT,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "shout one")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolConfirmScreen))
        first = app.screen
        # Typed on as the question appears: a sentence with "a", "A", "y" and Enter in it.
        await pilot.press(*"a yes A", "enter", "y")
        assert app.screen is first and not first.always_chosen
        await confirm_ready(pilot)
        # F1 lists the capital A for "always", and no other key for it.
        ids = {row.binding_id for row in screen_bindings(first)}
        assert "tool_confirm.always" in ids and "confirm.always" not in ids
        # A lower-case a, however deliberate, is not "always"; nor is Enter "run".
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is first
        assert first.focused is not None and first.focused.id == "no"
        # A capital A asks again; that second question is guarded too.
        await confirm_ready(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: app.screen is not first)
        second = app.screen
        assert isinstance(second, ConfirmScreen) and not isinstance(second, ToolConfirmScreen)
        await pilot.press("y")  # too soon after it appeared
        assert app.screen is second
        await confirm_ready(pilot)
        await pilot.press("n")  # back to the first question, nothing allowed
        await wait_until(pilot, lambda: app.screen is first)
        await confirm_ready(pilot)
        await pilot.press("enter")  # "Don't run" has the focus
        await wait_until(pilot, lambda: answered(app))
        assert messages(app)[-2].content == REFUSED
        assert not first.always_chosen

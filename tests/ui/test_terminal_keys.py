"""Alt+Enter and Shift+Enter, as the bytes a terminal sends, start a new line."""

from __future__ import annotations

import sys

import pytest
from textual import events

from app.terminal_input import NewlineKeysParser
from tests.conftest import wait_until

# What terminals send for a modified Enter, and the key the app must see.
NEW_LINE_BYTES = {
    "\x1b\r": "alt+enter",  # ESC CR: Alt+Enter in xterm, GNOME Terminal, iTerm2, tmux…
    "\x1b[27;2;13~": "shift+enter",  # xterm modifyOtherKeys (tmux extended-keys too)
    "\x1b[27;3;13~": "alt+enter",
    "\x1b[13;2u": "shift+enter",  # kitty keyboard protocol (CSI u)
    "\x1b[13;3u": "alt+enter",
}


def parse(*chunks: str) -> list[events.Key]:
    """The keys Textual's parser (with olladeck's naming) makes of bytes read in chunks."""
    parser = NewlineKeysParser()
    keys: list[events.Key] = []
    for chunk in (*chunks, ""):  # "" is the end of input: a lone ESC is sent then
        keys.extend(event for event in parser.feed(chunk) if isinstance(event, events.Key))
    return keys


def test_the_parser_names_modified_enter_keys():
    for sequence, key in NEW_LINE_BYTES.items():
        assert [event.key for event in parse(sequence)] == [key], repr(sequence)
    # However the reads split the bytes, and with text around them.
    assert [event.key for event in parse("a\x1b", "\rb")] == ["a", "alt+enter", "b"]
    # Enter and Escape are still themselves.
    assert [event.key for event in parse("\r")] == ["enter"]
    assert [event.key for event in parse("\x1b")] == ["escape"]
    assert [event.key for event in parse("\x1b[27;5;13~")] == ["ctrl+enter"]


@pytest.mark.skipif(sys.platform == "win32", reason="Textual's Windows driver is kept")
def test_the_app_reads_the_terminal_with_that_parser(make_app):
    from app.terminal_input import NewlineKeysDriver

    assert make_app().driver_class is NewlineKeysDriver


async def test_alt_enter_bytes_start_a_new_line_and_send_nothing(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        prompt = app.screen.prompt
        await wait_until(pilot, lambda: prompt.has_focus)

        async def type_bytes(data: str) -> None:
            for key in parse(data):
                key.set_sender(app)
                app.post_message(key)
            await pilot.pause()

        await type_bytes("one")
        expected = "one"
        for number, sequence in enumerate(NEW_LINE_BYTES, start=2):
            await type_bytes(sequence + str(number))
            expected += f"\n{number}"
            assert prompt.text == expected, repr(sequence)
        assert len(prompt.text.splitlines()) == len(NEW_LINE_BYTES) + 1
        assert not app.screen.current.messages  # nothing was sent
        await type_bytes("\r")  # plain Enter sends
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        assert app.screen.current.messages[0].content == expected

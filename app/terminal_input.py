"""Keys as the terminal sends them: Alt+Enter and Shift+Enter start a new line.

Textual's input parser (`XTermParser`, Textual 8.2) reads ESC CR, which is how terminals
send Alt+Enter, as a plain `enter` with no modifier: the ESC becomes an "alt" flag that
only single characters keep. xterm's modifyOtherKeys form of a modified Enter
(`ESC[27;2;13~` for Shift+Enter, `ESC[27;3;13~` for Alt+Enter), which tmux with
`extended-keys` also sends, comes out as keys named `shift+\\r` and `\\r`. So Alt+Enter
sent the message instead of starting a new line.

Once parsed, ESC CR cannot be told from CR, so the fix is where bytes become keys: a
parser that names these sequences `alt+enter` / `shift+enter`, and a driver that reads
the terminal with it. Kitty's CSI u forms (`ESC[13;2u`, `ESC[13;3u`) already come out
right and are left to Textual.
"""

from __future__ import annotations

import os
import re
import selectors
from codecs import getincrementaldecoder
from collections.abc import Iterable

from textual import events
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

ALT_ENTER = "\x1b\r"
"""Alt+Enter in most terminals: ESC, then the CR that Enter sends."""

_MODIFY_OTHER_KEYS = re.compile(r"\x1b\[27;(\d+);(\d+)~")
"""xterm's modifyOtherKeys report of a modified key: ESC [ 27 ; modifiers ; code ~."""


class NewlineKeysParser(XTermParser):
    """Textual's terminal input parser, with Alt+Enter and xterm's modified keys named."""

    # `_sequence_to_key_events` is where Textual turns a whole sequence into keys: the
    # parser reads one character at a time and asks it after each, so how the bytes were
    # split between reads does not matter. (No public hook exists; tests/ui/
    # test_terminal_keys.py pins this against the installed Textual.)
    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if sequence == ALT_ENTER:
            yield events.Key("alt+enter", None)
            return
        match = _MODIFY_OTHER_KEYS.fullmatch(sequence)
        if match is not None:
            # The same report in kitty's CSI u form, which Textual reads correctly:
            # ESC [ code ; modifiers u.
            modifiers, code = match.groups()
            sequence = f"\x1b[{code};{modifiers}u"
        yield from super()._sequence_to_key_events(sequence, alt)


class NewlineKeysDriver(LinuxDriver):
    """Textual's Linux and macOS driver, reading the keys with `NewlineKeysParser`."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (`LinuxDriver.run_input_thread`, Textual
        8.2, with the parser above: Textual creates its own inside this method)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = NewlineKeysParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False
        ) -> None:
            for index, (_key, mask) in enumerate(selector_events):
                if mask & selectors.EVENT_READ:
                    last = index == len(selector_events) - 1
                    data = decode(os.read(self.fileno, 1024 * 4), final=final and last)
                    if not data:
                        break  # stdin is a pipe that was closed
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

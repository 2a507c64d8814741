"""Arguments of a tool call as a person should read them: exactly, on one line.

Arguments come from the model. A newline, a carriage return, an escape sequence or a
bidirectional override in one could draw text that is not there (a fake command, a
hidden part); here every such character becomes an escape, as Python writes it in a
string literal (`\\n`, `\\x1b`, `\\u202e`), and a backslash `\\\\`, so that what is shown
reads back as exactly one text. No Textual here.
"""

from __future__ import annotations

import shlex
import unicodedata
from collections.abc import Sequence

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls, formatting (bidi overrides, zero-width), surrogates, private use, unassigned,
line and paragraph separators: nothing a reader can see for what it is."""


def escape(character: str) -> str | None:
    """The escape shown for one character that cannot be shown as itself (None: it can)."""
    if character in _NAMED:
        return _NAMED[character]
    if unicodedata.category(character) not in _HIDDEN_CATEGORIES:
        return None
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escaped(text: str) -> str:
    """`text` on one line, every character that could draw or hide something escaped."""
    return "".join(escape(c) or c for c in text)


def command_line(argv: Sequence[str]) -> str:
    """A command on one line, as a shell would read it, its arguments escaped."""
    return shlex.join(escaped(argument) for argument in argv)

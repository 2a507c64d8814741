"""The one sanitizer: untrusted text made safe to show in a terminal.

Everything from a server, a file, the model or the config is untrusted: an escape
sequence in it (an OSC 2 retitles the terminal, an OSC 52 writes the clipboard, a CSI 2J
clears the screen) would reach the terminal as a command if it were shown as it is. Such
text is passed through `sanitize` or `one_line` where it enters the app; both return
`DisplayText`, the type the widgets' setters ask for, so that raw text cannot reach a
widget by mistake (a type checker refuses a plain `str` there).
"""

from __future__ import annotations

import re
from typing import NewType

DisplayText = NewType("DisplayText", str)
"""Text with no control character but newline and tab: safe to show (and to write to a
file a terminal may `cat`)."""

# C0 controls (but tab and newline), DEL and C1 controls become visible symbols, so that
# escape sequences from a model (or a pasted file) can never reach the terminal. A lone
# surrogate (JSON may carry one as `\ud800`) cannot be written as UTF-8: it becomes U+FFFD.
_CONTROL_MAP: dict[int, int | str] = {i: 0x2400 + i for i in range(0x20) if i not in (0x09, 0x0A)}
_CONTROL_MAP[0x7F] = 0x2421
_CONTROL_MAP.update({i: 0xFFFD for i in range(0x80, 0xA0)})
_CONTROL_MAP.update({i: 0xFFFD for i in range(0xD800, 0xE000)})
_HAS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def sanitize(text: str) -> DisplayText:
    """Text safe to display: control characters (ESC included) shown as symbols.

    `\\r\\n` line ends become `\\n`; a lone `\\r` becomes a visible symbol; C1 controls
    (`\\x9b` is a CSI on some terminals) and lone surrogates become `�`. Applying it twice
    changes nothing.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _HAS_CONTROL.search(text) is None:
        return DisplayText(text)
    return DisplayText(text.translate(_CONTROL_MAP))


# For a name on one line: newline and tab as symbols too, and what cannot be shown as
# escapes (a line or paragraph separator; a lone surrogate, which is how Python reads a
# byte of a file name that is not UTF-8).
_ONE_LINE_MAP: dict[int, int | str] = {**_CONTROL_MAP, 0x09: 0x2409, 0x0A: 0x240A}
_ONE_LINE_MAP.update({i: f"\\u{i:04x}" for i in (0x2028, 0x2029)})
_ONE_LINE_MAP.update({i: f"\\x{i - 0xDC00:02x}" for i in range(0xDC80, 0xDD00)})
_ONE_LINE_MAP.update({i: f"\\u{i:04x}" for i in range(0xD800, 0xE000) if not 0xDC80 <= i < 0xDD00})
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(text: str) -> DisplayText:
    """A name (model, title, file name, version) as plain text for one line.

    Newline, carriage return and tab become `␊`, `␍` and `␉`, other control characters
    symbols as in `sanitize`; a byte that is not UTF-8 (a lone surrogate) becomes `\\xff`.
    """
    if _NOT_ONE_LINE.search(text) is None:
        return DisplayText(text)
    return DisplayText(text.translate(_ONE_LINE_MAP))


def sanitize_optional(text: str | None) -> DisplayText | None:
    """`one_line` for a value that may be missing (a `done_reason`)."""
    return None if text is None else one_line(text)


EMPTY = DisplayText("")
"""No text (a default for `DisplayText` fields)."""

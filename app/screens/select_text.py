"""Select part of a message with the keyboard and copy it (works over SSH: OSC 52)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Selection

from .modal import KeyedModal


class SelectTextScreen(KeyedModal[None]):
    """A message in a read-only editor: move, extend the selection, copy."""

    BINDINGS = [
        Binding(
            "escape,q", "close", "Close", id="select.close", tooltip="Back to the conversation"
        ),
        Binding(
            "y,enter",
            "copy",
            "Copy",
            id="select.copy",
            tooltip="Copy the selection (or the current line if nothing is selected)",
        ),
        Binding(
            "w", "select_word", "Word", id="select.word", tooltip="Select the word at the cursor"
        ),
        Binding(
            "x",
            "select_line",
            "Line",
            id="select.line",
            tooltip="Select the line at the cursor (again: extend by a line)",
        ),
        Binding(
            "a", "select_everything", "All", id="select.all", tooltip="Select the whole message"
        ),
    ]

    def __init__(self, text: str) -> None:
        super().__init__(classes="dialog-screen")
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog select-text"):
            yield Static(
                Content(
                    "Arrows move · Shift+arrows extend by character/line · Ctrl+Shift+←/→ by "
                    "word · w word · x line · a all · y or Enter copies · Esc closes"
                ),
                classes="dialog-hint",
            )
            yield TextArea(self.text, read_only=True, soft_wrap=True, id="select-area")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False
        area.focus()

    @property
    def area(self) -> TextArea:
        return self.query_one(TextArea)

    def action_close(self) -> None:
        """Close without copying."""
        self.dismiss(None)

    def action_copy(self) -> None:
        """Copy what is selected (or the cursor's line)."""
        area = self.area
        text = area.selected_text
        if not text:
            row = area.cursor_location[0]
            text = area.document.get_line(row)
        if not text:
            self.notify("Nothing to copy: the selection is empty.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text):,} characters.")
        self.dismiss(None)

    def action_select_word(self) -> None:
        """Select the word under the cursor."""
        area = self.area
        row, column = area.cursor_location
        line = area.document.get_line(row)
        start = column
        while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
            start -= 1
        end = column
        while end < len(line) and (line[end].isalnum() or line[end] == "_"):
            end += 1
        area.selection = Selection((row, start), (row, end))

    def action_select_line(self) -> None:
        """Select the cursor's line; with a selection already, extend it by one line."""
        area = self.area
        selection = area.selection
        start_row = min(selection.start[0], selection.end[0])
        end_row = max(selection.start[0], selection.end[0])
        if not area.selected_text:
            end_row = start_row
        elif end_row + 1 < area.document.line_count:
            end_row += 1
        last = area.document.get_line(end_row)
        area.selection = Selection((start_row, 0), (end_row, len(last)))

    def action_select_everything(self) -> None:
        """Select the whole message."""
        self.area.select_all()

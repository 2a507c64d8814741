"""A read-only view of a long text (a Modelfile, a license) that can be copied."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea

from ..assets import STYLES
from ..chat import sanitize
from ..widgets.key_footer import KeyFooter
from .modal import KeyedModal


class TextViewerScreen(KeyedModal[None]):
    """Shows text literally, read-only; `c` copies all of it to the clipboard."""

    # Loaded when the screen is first shown, not at start-up.
    CSS_PATH = [STYLES / "settings.tcss"]

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="viewer.close", tooltip="Close the viewer"),
        Binding(
            "c",
            "copy_text",
            "Copy all",
            id="viewer.copy",
            tooltip="Copy the whole text to the clipboard",
        ),
    ]

    def __init__(self, title: str, text: str) -> None:
        """
        Args:
            title: What is shown (literally).
            text: The text (control characters are shown as symbols).
        """
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="viewer-dialog"):
            yield Static(Content(sanitize(self.title_text)), classes="dialog-title")
            yield TextArea(
                sanitize(self.text) or "(empty)",
                read_only=True,
                soft_wrap=True,
                show_cursor=True,
                id="viewer-text",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#viewer-text").focus()

    def action_close(self) -> None:
        """Close the viewer."""
        self.dismiss(None)

    def action_copy_text(self) -> None:
        """Copy the whole text (as the server sent it) to the clipboard."""
        if not self.text:
            self.notify("Nothing to copy: the text is empty.", severity="warning")
            return
        self.app.copy_to_clipboard(self.text)
        self.notify(f"Copied {len(self.text):,} characters.")

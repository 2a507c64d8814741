"""Says plainly when the server cannot be reached, how to fix it, and offers the demo."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from ..core.display_text import DisplayText


class ConnectionBanner(Vertical):
    """Shown above the conversation while Ollama is unreachable."""

    class DemoRequested(Message):
        """The user asked to use the built-in demo server."""

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="banner-text")
        yield Static(Content(""), id="banner-retry")
        with Horizontal(id="banner-actions"):
            yield Button("Use the demo server (F2)", id="banner-demo", compact=True)

    def show_problem(self, message: DisplayText, hint: str, retry_in: float | None) -> None:
        """Show why the server is unreachable.

        Args:
            message: What went wrong (display-safe: it may quote the server).
            hint: The app's own advice.
            retry_in: Seconds to the next try, if one is due.
        """
        text = f"Cannot reach Ollama. {message}"
        if hint:
            text += f"\n{hint}"
        self.query_one("#banner-text", Static).update(Content(text))
        retry = f"Trying again by itself (next try in {retry_in:.0f} s)." if retry_in else ""
        self.query_one("#banner-retry", Static).update(Content(retry))
        self.display = True

    def hide(self) -> None:
        self.display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "banner-demo":
            event.stop()
            self.post_message(self.DemoRequested())

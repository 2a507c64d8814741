"""Ask for one line of text (a name, a path), keyboard only: Enter accepts, Escape cancels."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static


class TextPromptScreen(ModalScreen[str | None]):
    """Dismisses with the text entered, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without changes"),
    ]

    def __init__(
        self,
        question: str,
        value: str = "",
        *,
        placeholder: str = "",
        validate: Callable[[str], str | None] | None = None,
        suggester: Suggester | None = None,
    ) -> None:
        """
        Args:
            question: What is asked.
            value: The text to start from.
            placeholder: Shown while the field is empty.
            validate: Returns an error message for unacceptable text, or None.
            suggester: Completion as you type (Right arrow accepts it).
        """
        super().__init__(classes="dialog-screen")
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.validate = validate
        self.suggester = suggester

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                suggester=self.suggester,
                id="prompt-input",
            )
            yield Static(Content(""), classes="dialog-error")
            yield Static(Content("Enter accepts · Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        problem = self.validate(text) if self.validate else None
        if problem:
            self.query_one(".dialog-error", Static).update(Content(problem))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)

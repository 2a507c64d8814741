"""A yes/no question, answered by keyboard: y / Enter confirms, n / Escape declines.

Optionally a third answer, "always" (a): it confirms, and `always_chosen` tells the caller
not to ask again.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that matters; dismisses with True or False."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Decline"),
        Binding(
            "a",
            "always",
            "Always",
            id="confirm.always",
            tooltip="Confirm, and do not ask again",
        ),
    ]

    def __init__(
        self,
        question: str,
        detail: str = "",
        *,
        yes: str = "Yes",
        no: str = "No",
        danger: bool = False,
        always: str = "",
    ) -> None:
        """
        Args:
            question: What is asked (shown literally, never as markup).
            detail: More context under the question (e.g. the exact command to run).
            yes: Label of the confirming button.
            no: Label of the declining button.
            danger: Style the confirming button as destructive.
            always: Label of a third button that confirms for good (none if empty).
        """
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail
        self.yes = yes
        self.no = no
        self.danger = danger
        self.always = always
        self.always_chosen = False
        """True if the user answered "always" (the screen then dismisses with True)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary"
                )
                if self.always:
                    yield Button(f"{self.always} (a)", id="always")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "always":
            self.action_always()
            return
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Close the dialog with this answer."""
        self.dismiss(answer)

    def action_always(self) -> None:
        """Confirm, and tell the caller not to ask again."""
        if self.always:
            self.always_chosen = True
            self.dismiss(True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "always":
            return bool(self.always)
        return True

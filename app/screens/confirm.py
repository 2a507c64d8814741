"""A yes/no question, answered by keyboard: y / Enter confirms, n / Escape / q declines.

Optionally a third answer, "always" (a): it confirms, and `always_chosen` tells the caller
not to ask again. Keys typed before the question appeared are never taken as an answer.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from .modal import FreshKeysModal


class ConfirmScreen(FreshKeysModal[bool]):
    """Ask before doing something that matters; dismisses with True or False."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n,escape,q", "answer(False)", "No", id="confirm.no", tooltip="Decline"),
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


class ChoiceScreen(FreshKeysModal[str]):
    """A question with a few answers, each a letter and a button; Escape or q takes the
    last one (the answer that changes nothing). Dismisses with the chosen answer's key."""

    BINDINGS = [
        Binding(
            "escape,q", "back", "Back", id="choice.back", tooltip="The answer that changes nothing"
        ),
    ]

    def __init__(self, question: str, detail: str, answers: list[tuple[str, str]]) -> None:
        """
        Args:
            question: What is asked (shown literally).
            detail: More context under the question.
            answers: (letter, label) of each answer; the last, focused at first, is the one
                Escape gives.
        """
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                for key, label in self.answers:
                    yield Button(f"{label} ({key})", id=f"answer-{key}", compact=True)

    def on_mount(self) -> None:
        # Enter alone changes nothing: the last answer is the one that keeps things as they are.
        self.query(Button).last().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    def fresh_key(self, event: events.Key) -> None:
        keys = [key for key, _ in self.answers]
        if event.character in keys:
            event.stop()
            self.dismiss(event.character)

    def action_back(self) -> None:
        """Give the answer that changes nothing."""
        self.dismiss(self.answers[-1][0])

"""A yes/no question, answered by keyboard: y / Enter confirms, n / Escape / q declines;
and a question with a few answers, each a letter (`ChoiceScreen`).

Optionally a third answer, "always" (a): it confirms, and `always_chosen` tells the caller
not to ask again.

Keys typed before the question could be read are not answers: for `GUARD` seconds after
the dialog appears, and as long as keys keep coming less than `GUARD` apart, a key that
would confirm is ignored (n and Escape still decline). So "d" then "y" typed in one
burst (a sentence typed into the conversation by mistake) cannot delete anything.
"""

from __future__ import annotations

import math
import time

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from ..core.display_text import EMPTY, DisplayText
from .modal import KeyedModal, ResultT

GUARD = 0.3
"""Seconds after the dialog appears, and after each key typed while it is open, during
which a key cannot answer it (a burst of typing is faster than a key every 0.3 s)."""


class GuardedQuestion(KeyedModal[ResultT]):
    """A question that keys typed before it could be read do not answer (see `GUARD`)."""

    DECLINE = "answer(False)"
    """The action of the keys that change nothing, taken at once."""

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")
        self._last_key_at = math.inf
        """When the dialog appeared or the last key reached it (the clock of `Event.time`);
        infinity until it has appeared."""
        self._quiet_since = math.inf
        """The same moment by `time.monotonic` (for `accepts_keys`)."""

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # The event is made when the screen is pushed (or shown again): the clock starts.
        self._last_key_at = event.time
        self._quiet_since = time.monotonic()

    @property
    def accepts_keys(self) -> bool:
        """True once a key typed now would be taken as an answer."""
        return time.monotonic() - self._quiet_since >= GUARD

    def on_key(self, event: events.Key) -> None:
        # Runs before the bindings (y, n, a) and the focused button's Enter: a key that
        # comes too soon is dropped, and keeps the guard up while a burst goes on.
        since = event.time - self._last_key_at
        self._last_key_at = max(self._last_key_at, event.time)
        self._quiet_since = time.monotonic()
        if since < GUARD and not self._declines(event.key):
            event.stop()
            event.prevent_default()
        else:
            self.answer_key(event)

    def _declines(self, key: str) -> bool:
        """The keys that change nothing (as bound now) answer at once: saying no is
        always safe."""
        active = self.active_bindings.get(key)
        return active is not None and active.binding.action == self.DECLINE

    def answer_key(self, event: events.Key) -> None:
        """A key that may answer (not typed too soon), before the bindings see it."""


class ConfirmScreen(GuardedQuestion[bool]):
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
        question: DisplayText,
        detail: DisplayText = EMPTY,
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
        super().__init__()
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


class ChoiceScreen(GuardedQuestion[str]):
    """A question with a few answers, each a letter and a button; Escape or q takes the
    last one (the answer that changes nothing). Dismisses with the chosen answer's letter."""

    BINDINGS = [
        Binding(
            "escape,q",
            "back",
            "Back",
            id="choice.back",
            tooltip="The answer that changes nothing",
        ),
    ]
    DECLINE = "back"

    def __init__(self, question: str, detail: str, answers: list[tuple[str, str]]) -> None:
        """
        Args:
            question: What is asked (shown literally).
            detail: More context under the question.
            answers: (letter, label) of each answer; the last, focused at first, is the one
                Escape gives.
        """
        super().__init__()
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

    def _declines(self, key: str) -> bool:
        return super()._declines(key) or key == self.answers[-1][0]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    def answer_key(self, event: events.Key) -> None:
        if event.character in [key for key, _ in self.answers]:
            event.stop()
            self.dismiss(event.character)

    def action_back(self) -> None:
        """Give the answer that changes nothing."""
        self.dismiss(self.answers[-1][0])

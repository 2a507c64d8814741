"""Ask for one line of text (a name, a path), keyboard only: Enter accepts, Escape cancels.

With a suggester (paths), the grey completion after the cursor is what Tab puts in the
field and what Enter accepts: the two never disagree.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import Suggester, SuggestionReady
from textual.widgets import Input, Static

from .modal import KeyedModal


class TextPromptScreen(KeyedModal[str | None]):
    """Dismisses with the text entered, or None when cancelled."""

    BINDINGS = [
        Binding(
            "escape,q", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without changes"
        ),
        Binding(
            "tab",
            "complete",
            "Complete",
            show=False,
            id="prompt.complete",
            tooltip="Accept the completion shown after the cursor",
        ),
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
        self._suggested = ("", "")
        """The last completion the suggester gave: (for this text, the completion)."""

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

    def on_suggestion_ready(self, event: SuggestionReady) -> None:
        # The field shows this completion while its text is still `event.value`.
        self._suggested = (event.value, event.suggestion or "")

    def on_descendant_focus(self) -> None:
        self._suggested = ("", "")  # the field drops its completion when it gets the focus

    @property
    def suggestion(self) -> str:
        """The completion shown in grey after the text ("" when none is shown)."""
        field = self.query_one(Input)
        value, suggestion = self._suggested
        if value != field.value or len(suggestion) <= len(value) or not field.has_focus:
            return ""
        return suggestion

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # Enter with a completion shown takes it, as Tab would have.
        text = self.suggestion or event.value
        problem = self.validate(text) if self.validate else None
        if problem:
            if text != event.value:
                self._set_value(text)  # the path named in the error is the one in the field
            self.query_one(".dialog-error", Static).update(Content(problem))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)

    def _set_value(self, text: str) -> None:
        field = self.query_one(Input)
        field.value = text
        field.cursor_position = len(text)

    async def action_complete(self) -> None:
        """Accept the completion shown (Tab, as in a shell); with none shown yet, work out
        the same one the suggester would and put it in."""
        suggestion = self.suggestion
        if suggestion:
            self._set_value(suggestion)
            return
        field = self.query_one(Input)
        value = field.value
        if self.suggester is None or not value:
            return
        completed = await self.suggester.get_suggestion(value)
        if completed and field.value == value:
            self._set_value(completed)


def complete_path(value: str, base: Path | None = None) -> str | None:
    """Complete the last part of a path as a shell would.

    One match: its whole name (with `/` after a folder); several: as far as they agree,
    or the first when they do not agree on more than was typed. `~` and paths relative
    to `base` (default: the working directory) work; hidden files only when `.` is typed.

    Returns:
        `value` completed, or None if there is nothing to add.
    """
    if not value:
        return None
    if value == "~":
        return "~/"
    head, slash, prefix = value.rpartition("/")
    folder = Path((head + slash) if slash else ".").expanduser()
    if not folder.is_absolute():
        folder = (base or Path.cwd()) / folder
    try:
        with os.scandir(folder) as entries:
            matches = sorted(
                (entry.name, entry.is_dir())
                for entry in entries
                if entry.name.startswith(prefix)
                and (prefix.startswith(".") or not entry.name.startswith("."))
            )
    except OSError:
        return None
    if not matches:
        return None
    if len(matches) == 1:
        name, is_dir = matches[0]
        completed = name + ("/" if is_dir else "")
    else:
        completed = os.path.commonprefix([name for name, _ in matches])  # noqa: RUF071 - names
        if len(completed) <= len(prefix):
            name, is_dir = matches[0]
            completed = name + ("/" if is_dir else "")
    if completed == prefix:
        return None
    return value[: len(value) - len(prefix)] + completed


class PathSuggester(Suggester):
    """Suggests file and folder names while a path is typed (the folder is read in a
    thread, so a slow disk never holds up typing)."""

    def __init__(self, base: Path | None = None) -> None:
        """
        Args:
            base: Where relative paths start (default: the working directory).
        """
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value, self.base)

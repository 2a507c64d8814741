"""Asking before a tool of the user's own runs: what runs, summed up first, then every
argument exactly, in a framed block of bounded height.

The arguments come from the model, so they are untrusted text: a newline in one could
otherwise draw a fake "It runs this command" inside the question and push the real command
and the buttons out of view. Here each argument is one row of a scrollable block with a
border, and every character that could draw or hide something (newline, tab, other control
characters, bidirectional and zero-width formatting, line separators) is shown as an escape
(`\\n`, `\\x1b`, `\\u202e`) in reverse video, a backslash as `\\\\`; the summary and the
buttons stay outside the block, always in view.

"Always allow" takes a deliberate key: a capital A, then a second question (itself
guarded against a burst of keys) that y confirms.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from ..core.display_text import DisplayText
from ..tools.shown import escape
from .confirm import ConfirmScreen, GuardedQuestion

ESCAPE_STYLE = "reverse"
"""How an escape is drawn: it never looks like the characters it is made of."""


def visible(text: str) -> Content:
    """`text` on one line, exactly: every character that could draw or hide something is
    shown as an escape, in reverse video (never read as markup)."""
    parts: list[str | tuple[str, str]] = []
    plain: list[str] = []
    for character in text:
        shown = escape(character)
        if shown is None:
            plain.append(character)
            continue
        if plain:
            parts.append("".join(plain))
            plain = []
        parts.append((shown, ESCAPE_STYLE))
    if plain:
        parts.append("".join(plain))
    return Content.assemble(*parts)


def summary(argv: Sequence[str], timeout: float) -> Content:
    """One line that says what runs: the program, how many arguments, no shell."""
    count = len(argv) - 1
    arguments = f"{count} argument{'s' if count != 1 else ''}"
    return Content.assemble(
        "It runs ",
        visible(argv[0]).stylize("bold"),
        f" with {arguments} (no shell; stopped after {timeout:g} s).",
    )


class ToolConfirmScreen(GuardedQuestion[bool]):
    """Run a tool of the user's own? y runs it once, n (or Escape) does not, A then y
    allows it for the rest of the session. Dismisses with True (run) or False;
    `always_chosen` says the user allowed it for good.

    Enter on its own does not run anything: "Don't run" has the focus.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Run", id="tool_confirm.run", tooltip="Run it once"),
        Binding(
            "n,escape,q",
            "answer(False)",
            "Don't run",
            id="tool_confirm.refuse",
            tooltip="Do not run it (the model is told)",
        ),
        Binding(
            "A,shift+a",
            "ask_always",
            "Always…",
            id="tool_confirm.always",
            tooltip="Allow this tool for the rest of the session (asks once more)",
        ),
    ]

    def __init__(
        self,
        question: DisplayText,
        description: DisplayText,
        argv: Sequence[str],
        timeout: float,
    ) -> None:
        """
        Args:
            question: What is asked (shown literally).
            description: The tool's description, from the config (shown literally).
            argv: The program and its arguments, exactly as they will be passed.
            timeout: Seconds before the program is stopped.
        """
        super().__init__()
        self.question = question
        self.detail = description
        self.argv = list(argv)
        self.timeout = timeout
        self.always_chosen = False
        """True if the user allowed the tool for good (the screen then dismisses with True)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog tool-confirm"):
            yield Static(Content(self.question), classes="dialog-title")
            yield Static(summary(self.argv, self.timeout), id="tool-summary")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            with VerticalScroll(id="tool-arguments") as block:
                block.border_title = "The command, one argument a row, exactly as passed"
                for index, argument in enumerate(self.argv):
                    with Horizontal(classes="tool-argument"):
                        yield Static(f"{index:>2}", classes="tool-argument-index")
                        yield Static(visible(argument), classes="tool-argument-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run (y)", id="yes", variant="error")
                yield Button("Always allow… (A)", id="always")
                yield Button("Don't run (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close the question with this answer."""
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "always":
            self.action_ask_always()
            return
        self.dismiss(event.button.id == "yes")

    def action_ask_always(self) -> None:
        """Ask once more before allowing the tool for the rest of the session."""
        second = ConfirmScreen(
            DisplayText("Run this tool from now on without asking, until olladeck quits?"),
            DisplayText(
                "Every call the model makes to it then runs at once, whatever its arguments."
            ),
            yes="Always allow",
            no="Back",
        )
        self.app.push_screen(second, self._always_answered)

    def _always_answered(self, allowed: bool | None) -> None:
        if allowed:
            self.always_chosen = True
            self.dismiss(True)

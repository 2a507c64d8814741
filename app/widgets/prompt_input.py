"""Where the user types: Enter sends; Ctrl+J, Alt+Enter or Shift+Enter start a new line."""

from __future__ import annotations

from pathlib import Path

from textual import events, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from ..attachments import is_image_file, pasted_paths


class PromptInput(TextArea):
    """A multi-line input that sends on Enter."""

    # Priority bindings: they come before TextArea's own handling of these keys, and, being
    # bindings with ids, they are listed in the help and can be changed under [keymap].
    # (Shift+Enter and Ctrl+Enter reach the app only from terminals that report them.)
    BINDINGS = [
        Binding(
            "enter",
            "send",
            "Send",
            priority=True,
            show=False,
            id="chat.send",
            tooltip="Send the message",
        ),
        Binding(
            "ctrl+j,alt+enter,shift+enter,ctrl+enter",
            "newline",
            "New line",
            priority=True,
            show=False,
            id="chat.newline",
            tooltip="Start a new line in the message",
        ),
        Binding(
            "up",
            "recall",
            "Recall",
            priority=True,
            show=False,
            id="chat.recall",
            tooltip="In an empty input: bring back your last message to edit it",
        ),
    ]

    class Submitted(Message):
        """The user pressed Enter to send."""

        def __init__(self, prompt_input: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt_input = prompt_input
            self.text = text
            """What was typed (not yet cleared: the receiver decides)."""

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    class RecallRequested(Message):
        """Up in an empty input: the user wants their last message back, to edit it."""

    class PathsPasted(Message):
        """What was pasted is only paths to image files (files dropped on the terminal)."""

        def __init__(self, prompt_input: PromptInput, paths: list[Path]) -> None:
            super().__init__()
            self.prompt_input = prompt_input
            self.paths = paths
            """The image files, in the order they were pasted."""

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.placeholder = "Message… (Enter sends · Ctrl+J new line)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recall":
            return not self.text  # otherwise Up moves the cursor, as usual
        return super().check_action(action, parameters)

    def action_send(self) -> None:
        """Send what was typed."""
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        """Start a new line."""
        if not self.read_only:
            self.insert("\n")

    def action_recall(self) -> None:
        """Up in an empty input: ask for the last message back."""
        self.post_message(self.RecallRequested())

    async def _on_paste(self, event: events.Paste) -> None:
        # Dropping a file on most terminals pastes its path. If the text is nothing but
        # paths, a worker looks at the files: images are attached, anything else is
        # inserted as the text it was. Other pastes go to TextArea as usual.
        paths = pasted_paths(event.text)
        if paths is None or self.read_only:
            return
        event.prevent_default()
        event.stop()
        self._check_pasted_paths(event.text, paths)

    @work(thread=True, group="paste", exit_on_error=False, description="Checking pasted paths")
    def _check_pasted_paths(self, text: str, paths: list[Path]) -> None:
        if all(is_image_file(path) for path in paths):
            self.post_message(self.PathsPasted(self, paths))
        else:
            self.app.call_from_thread(self._insert_pasted, text)

    def _insert_pasted(self, text: str) -> None:
        start, end = self.selection
        result = self.replace(text, start, end)
        self.move_cursor(result.end_location)

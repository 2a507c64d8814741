"""Where the user types: Enter sends; Ctrl+J, Alt+Enter or Shift+Enter start a new line."""

from __future__ import annotations

from pathlib import Path

from textual import events, work
from textual.message import Message
from textual.widgets import TextArea

from ..attachments import is_image_file, pasted_paths

NEWLINE_KEYS = frozenset({"ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"})


class PromptInput(TextArea):
    """A multi-line input that sends on Enter."""

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

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key == "up" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.RecallRequested())
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)

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

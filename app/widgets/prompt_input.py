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

    # Bindings with ids, so that they are listed in the help and can be changed under
    # [keymap]; they are acted on in `_on_key`, in order with the typed characters. (As
    # priority bindings they would run as soon as the key reaches the app, before the
    # characters typed just before it, in the same burst, are in the text.)
    # Shift+Enter and Ctrl+Enter reach the app only from terminals that report them.
    BINDINGS = [
        Binding(
            "enter",
            "send",
            "Send",
            show=False,
            id="chat.send",
            tooltip="Send the message",
        ),
        Binding(
            "ctrl+j,alt+enter,shift+enter,ctrl+enter",
            "newline",
            "New line",
            show=False,
            id="chat.newline",
            tooltip="Start a new line in the message",
        ),
        Binding(
            "up",
            "recall",
            "Recall",
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
        self._keymap_applied: object = None
        self._key_actions: dict[str, str] = {}
        self.placeholder = "Message… (Enter sends · Ctrl+J new line)"

    _OWN_ACTIONS = frozenset({"send", "newline", "recall"})

    def _own_action(self, key: str) -> str | None:
        """The action of ours bound to `key`, with the [keymap] overrides applied."""
        keymap = self.app._keymap
        if self._keymap_applied is not keymap:
            bindings = self._bindings.copy()
            if keymap:
                bindings.apply_keymap(keymap)
            self._key_actions = {
                key: binding.action
                for key, binding in bindings
                if binding.action in self._OWN_ACTIONS
            }
            self._keymap_applied = keymap
        return self._key_actions.get(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recall":
            return not self.text  # otherwise Up moves the cursor, as usual
        return super().check_action(action, parameters)

    async def _on_key(self, event: events.Key) -> None:
        action = self._own_action(event.key)
        if action == "recall" and self.text:
            # Up in a message moves the cursor, as usual (done here: the binding found
            # for the key is ours, and Textual would look no further).
            action = "cursor_up"
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
            return
        await super()._on_key(event)

    def action_send(self) -> None:
        """Send what was typed."""
        self.post_message(self.Submitted(self, self.text))

    def remove_sent(self, sent: str) -> None:
        """Take the text that was sent out of the input, keeping anything typed after it
        (keys typed right after Enter reach the input before the message is handled).
        Text that no longer starts with what was sent is left as it is: nothing typed
        is ever erased."""
        if not self.text.startswith(sent):
            return
        lines = sent.split("\n")
        end = (len(lines) - 1, len(lines[-1]))
        if self.text == sent:
            self.clear()
        else:
            self.delete((0, 0), end)

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

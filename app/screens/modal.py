"""What every dialog and screen over the main one shares: F1 (or ?) lists the keys of that
screen, and Ctrl+P offers each of its key actions by name.

Textual stops the app's own (non-priority) keys at a modal screen, so the app's F1 never
reaches one: each modal answers it itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen

if TYPE_CHECKING:
    from textual.widget import Widget

ResultT = TypeVar("ResultT")


class KeyedModal(ModalScreen[ResultT]):
    """A modal screen whose keys are listed by F1 and offered by the command palette."""

    BINDINGS = [
        Binding(
            "f1,question_mark",
            "screen_help",
            "Help",
            key_display="F1",
            id="dialog.help",
            tooltip="The keys of this screen (? outside text fields)",
        ),
    ]

    def action_screen_help(self) -> None:
        """List the keys of this screen."""
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(_keymap(self), screen=self))

    def key_bindings(self) -> list[Binding]:
        """This screen's own bindings (its class and its bases), first the most specific."""
        found: list[Binding] = []
        for cls in type(self).__mro__:
            for item in cls.__dict__.get("BINDINGS", ()):
                if isinstance(item, Binding):
                    found.append(item)
        return found

    def system_commands(self) -> Iterable[SystemCommand]:
        """Every action of this screen's keys, for the command palette (Ctrl+P)."""
        from .help import keys_text

        keymap = _keymap(self)
        seen: set[str] = set()
        for binding in self.key_bindings():
            action = binding.action
            if action in seen or action == "screen_help":
                continue
            seen.add(action)
            name = action.partition("(")[0]
            if self.check_action(name, ()) is False:
                continue
            keys = keys_text(keymap.get(binding.id or "", binding.key))
            help_text = f"{binding.tooltip or binding.description} ({keys})"
            yield SystemCommand(binding.description, help_text, partial(self.run_action, action))
        yield SystemCommand(
            "Help", "The keys of this screen (F1)", partial(self.run_action, "screen_help")
        )


def _keymap(node: Widget | KeyedModal[object]) -> dict[str, str]:
    services = getattr(node.app, "services", None)
    return dict(services.config.keymap) if services is not None else {}

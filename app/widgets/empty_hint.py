"""What an empty conversation shows: where to type, and the keys to the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from ..key_names import bound_key

if TYPE_CHECKING:
    from textual.screen import Screen

SEPARATOR = " · "


def hint_entries(screen: Screen[Any]) -> list[str]:
    """The hint's parts, with the keys bound now on `screen` ([keymap] included); a part
    whose key is not bound is left out."""
    entries = ["Type a message below"]
    for label, binding_id, action in (
        ("models", "models.manage", ""),
        ("commands", "", "command_palette"),
        ("keys", "app.help", ""),
    ):
        key = bound_key(screen, binding_id=binding_id, action=action)
        if key:
            entries.append(f"{key} {label}")
    return entries


def hint_lines(entries: list[str], width: int) -> list[str]:
    """The parts as lines of at most `width` cells, never splitting a part."""
    lines: list[str] = []
    for entry in entries:
        if lines and cell_len(lines[-1] + SEPARATOR + entry) <= width:
            lines[-1] += SEPARATOR + entry
        else:
            lines.append(entry)
    return lines

"""The images attached to the message being written, as chips under the input."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from ..chat import sanitize


@dataclass(frozen=True)
class Attachment:
    """An image ready to send."""

    name: str
    """The file name, for display."""
    ref: str
    """Its reference in the image store."""
    size: int
    """Bytes."""
    width: int = 0
    height: int = 0
    warning: str = ""
    """A problem worth knowing before sending (e.g. very large)."""


def human_size(size: float) -> str:
    """`512 B`, `3.4 KB`, `1.2 MB`."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


class AttachmentBar(Static):
    """Chips for the pending attachments; hidden when there are none."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.attachments: list[Attachment] = []

    def on_mount(self) -> None:
        self._refresh_chips()

    def set_attachments(self, attachments: list[Attachment]) -> None:
        """Show these attachments."""
        self.attachments = list(attachments)
        self._refresh_chips()

    def _refresh_chips(self) -> None:
        self.display = bool(self.attachments)
        chips = []
        for index, item in enumerate(self.attachments, 1):
            dims = f" {item.width}x{item.height}" if item.width else ""
            label = f" {index}: {sanitize(item.name)}{dims} {human_size(item.size)} "
            chips.append((label, "reverse"))
            chips.append("  ")
        self.update(Content.assemble(*chips))

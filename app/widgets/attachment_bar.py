"""The images attached to the message being written, as chips under the input.

The bar owns the worker threads that read, check and store each file, so typing goes on
while a large image is read. It can be focused (Shift+Tab from the input): Left and Right
choose a chip, Delete or Backspace removes it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ..attachments import Attachment, human_size, read_attachment
from ..chat import one_line, sanitize
from .image_preview import ImagePreview

if TYPE_CHECKING:
    from ..store import ImageStore

__all__ = ["Attachment", "AttachmentBar", "AttachmentChip", "human_size"]


def chip_lines(attachment: Attachment, index: int) -> Content:
    """The text of a chip: name, then what it is or what is wrong with it."""
    name = Content.styled(f"{index}. {one_line(attachment.name)}", "bold")
    if attachment.state == "reading":
        detail = Content.styled("reading…", "$text-muted")
    elif attachment.state == "error":
        detail = Content.styled(f"⚠ {sanitize(attachment.error)}", "$text-error")
    else:
        facts = attachment.facts
        detail = Content.styled(facts, "$text-muted")
        if attachment.warning:
            detail = Content("\n").join(
                [detail, Content.styled(f"⚠ {sanitize(attachment.warning)}", "$text-warning")]
            )
    return Content("\n").join([name, detail])


class AttachmentChip(Horizontal):
    """One attachment: a small preview (where possible), its name and facts or its error."""

    def __init__(self, attachment: Attachment, index: int) -> None:
        state = f"-{attachment.state}"
        super().__init__(classes=f"attachment-chip {state}")
        self.attachment = attachment
        self.index = index
        """Its place in the bar, from 1."""

    def compose(self) -> ComposeResult:
        if self.attachment.thumbnail is not None:
            yield ImagePreview(self.attachment.thumbnail, classes="chip-preview")
        yield Static(chip_lines(self.attachment, self.index), classes="chip-text")


@dataclass
class _Item:
    key: int
    attachment: Attachment


@dataclass
class _Batch:
    """Files attached together: what became of them is told once all are read."""

    pending: set[int]
    """The keys of those still being read."""
    announce: str
    """Said last; when not empty, the names attached are said first."""
    attached: dict[int, str] = field(default_factory=dict)
    """The names attached, by key (refused ones too: their chips say why)."""
    same: list[tuple[str, str]] = field(default_factory=list)
    """A name, and the name of the attachment with the same picture (so not attached)."""
    already: list[str] = field(default_factory=list)
    """The names of files given that were already attached."""

    def notice(self) -> str:
        """What to tell (empty: nothing worth a notice)."""
        parts: list[str] = []
        if self.attached and self.announce:
            names = ", ".join(one_line(self.attached[key]) for key in sorted(self.attached))
            parts.append(f"Attached {names}.")
        for name, other in self.same:
            parts.append(
                f"{one_line(name)} is the same picture as {one_line(other)}, already "
                "attached: it is attached once."
            )
        if self.already:
            names = ", ".join(one_line(n) for n in self.already)
            parts.append(f"{names} {'is' if len(self.already) == 1 else 'are'} already attached.")
        if parts and self.announce:
            parts.append(self.announce)
        return " ".join(parts)


class AttachmentBar(HorizontalScroll, can_focus=True):
    """Chips for the pending attachments; hidden when there are none."""

    BINDINGS = [
        Binding("left", "select(-1)", "Previous", id="attachments.previous", show=False),
        Binding("right", "select(1)", "Next", id="attachments.next", show=False),
        Binding(
            "delete,backspace",
            "remove",
            "Remove image",
            id="attachments.remove",
            tooltip="Remove the chosen image from the message",
        ),
    ]

    selected: reactive[int] = reactive(0)
    """The chip that Delete removes (its index)."""

    def __init__(self, images: ImageStore, *, id: str | None = None) -> None:
        """
        Args:
            images: Where checked images are stored (by content) before they are sent.
            id: The widget id.
        """
        super().__init__(id=id)
        self.images = images
        self._items: list[_Item] = []
        self._keys = itertools.count(1)
        self._batches: dict[int, _Batch] = {}
        """The batch each attachment being read belongs to, by key."""

    # -- state ------------------------------------------------------------------------------

    @property
    def attachments(self) -> list[Attachment]:
        """The attachments, in order."""
        return [item.attachment for item in self._items]

    @property
    def reading(self) -> int:
        """How many are still being read and checked."""
        return sum(1 for a in self.attachments if a.state == "reading")

    @property
    def refused(self) -> list[Attachment]:
        """Those that cannot be sent."""
        return [a for a in self.attachments if a.state == "error"]

    @property
    def refs(self) -> list[str]:
        """The image store references of those ready to send, in order."""
        return [a.ref for a in self.attachments if a.state == "ready"]

    @property
    def names(self) -> dict[str, str]:
        """The file name of each image ready to send, by reference."""
        return {a.ref: a.name for a in self.attachments if a.state == "ready" and a.name}

    def add_paths(self, paths: list[Path], *, announce: str = "") -> int:
        """Attach files: each is read and checked in a worker thread. Returns how many.

        A file already attached, or with the same picture as one attached, is not attached
        twice; a notice says so once all are read.

        Args:
            paths: The files.
            announce: When given, that notice also names the files attached, then says this.
        """
        known = {item.attachment.path for item in self._items}
        batch = _Batch(set(), announce)
        for path in paths:
            if str(path) in known:
                if path.name not in batch.already:
                    batch.already.append(path.name)
                continue
            known.add(str(path))
            key = next(self._keys)
            self._items.append(_Item(key, Attachment(path=str(path))))
            batch.pending.add(key)
            self._batches[key] = batch
            self._read(key, path)
        if batch.pending:
            self._changed()
        else:
            self._tell(batch)
        return len(batch.pending)

    def clear(self) -> None:
        """Forget every attachment (after sending)."""
        if not self._items:
            return
        self.workers.cancel_group(self, "attachments")
        self._items.clear()
        self._batches.clear()
        self.selected = 0
        self._changed()

    def remove_at(self, index: int) -> None:
        """Remove one attachment."""
        if 0 <= index < len(self._items):
            del self._items[index]
            self.selected = min(self.selected, max(0, len(self._items) - 1))
            self._changed()

    @work(thread=True, group="attachments", exit_on_error=False, description="Reading an image")
    def _read(self, key: int, path: Path) -> None:
        attachment = read_attachment(path, self.images)
        self.app.call_from_thread(self._read_done, key, attachment)

    def _read_done(self, key: int, attachment: Attachment) -> None:
        batch = self._batches.pop(key, None)
        for item in self._items:
            if item.key == key:
                item.attachment = attachment
                same: Attachment | None = None
                if attachment.state == "ready":
                    same = next(
                        (
                            other.attachment
                            for other in self._items
                            if other is not item and other.attachment.ref == attachment.ref
                        ),
                        None,
                    )
                if same is not None:
                    # The same picture under another name: send it once.
                    self._items.remove(item)
                    if batch is not None:
                        batch.same.append((attachment.name, same.name))
                elif batch is not None:
                    batch.attached[key] = attachment.name
                self._changed()
                break
        if batch is not None:
            batch.pending.discard(key)
            if not batch.pending:
                self._tell(batch)

    def _tell(self, batch: _Batch) -> None:
        notice = batch.notice()
        if notice:
            self.notify(notice, markup=False)

    def _changed(self) -> None:
        self.display = bool(self._items)
        if not self._items and self.has_focus:
            self.screen.focus_next()
        self.refresh(recompose=True)

    # -- drawing ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        for index, item in enumerate(self._items):
            chip = AttachmentChip(item.attachment, index + 1)
            chip.set_class(index == self.selected, "-selected")
            yield chip

    def on_mount(self) -> None:
        self.display = bool(self._items)

    def watch_selected(self, selected: int) -> None:
        for chip in self.query(AttachmentChip):
            chip.set_class(chip.index - 1 == selected, "-selected")
            if chip.index - 1 == selected:
                self.scroll_to_widget(chip, animate=False)

    # -- keys -------------------------------------------------------------------------------

    def action_select(self, step: int) -> None:
        """Choose the previous or next chip."""
        if self._items:
            self.selected = (self.selected + step) % len(self._items)

    def action_remove(self) -> None:
        """Remove the chosen chip's image."""
        self.remove_at(self.selected)

"""Choosing image files by keyboard: a folder tree of images, a path field, a preview.

The path field has the focus first, so a path can be typed at once. The tree lists folders
and files named like images (what is sent is judged by content later). Space marks files,
Enter attaches the marked ones (or the one under the cursor). The path field takes `~` and
paths relative to the folder shown; Tab completes it, Enter opens a folder or attaches a
file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DirectoryTree, Input, Static

from ..attachments import (
    IMAGE_SUFFIXES,
    KINDS,
    check_file,
    complete_path,
    decode_image,
    display_path,
    expand_path,
    human_size,
)
from ..chat import one_line, sanitize
from ..store import sniff_image_type
from ..widgets.image_preview import ImagePreview
from .modal import KeyedModal

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from rich.style import Style
    from textual.widgets._directory_tree import DirEntry
    from textual.widgets.tree import TreeNode

PREVIEW_PIXELS = 160
"""The longest side of the picture decoded for the picker's preview."""


@dataclass(frozen=True)
class PickedImages:
    """What the picker returns: the files to attach and the folder they came from."""

    paths: list[Path]
    folder: Path
    """The folder shown when they were chosen (the picker starts there next time)."""


@dataclass(frozen=True)
class _Preview:
    path: Path
    facts: str = ""
    error: str = ""
    image: PILImage | None = field(default=None, compare=False)


class ImageTree(DirectoryTree):
    """A folder tree that lists folders and image files; Space marks files."""

    BINDINGS = [
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            id="picker.mark",
            tooltip="Mark or unmark the image under the cursor (a folder opens or closes)",
        ),
        Binding(
            "backspace",
            "parent",
            "Up a folder",
            id="picker.parent",
            tooltip="Show the folder that contains this one",
        ),
    ]

    class MarksChanged(Message):
        """Files were marked or unmarked."""

    def __init__(self, path: Path, *, id: str | None = None) -> None:
        super().__init__(path, id=id)
        self.show_hidden = False
        """List files and folders whose names start with a dot."""
        self.marked: list[Path] = []
        """Files marked with Space, in the order they were marked."""

    def process_label(self, label: str | Text) -> Text:
        # File names are shown literally on one line: a newline, a tab or a byte that is
        # not UTF-8 as a visible symbol or escape, never cut or read as markup.
        if isinstance(label, str):
            return Text(one_line(label))
        return label.split()[0]

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        # Runs in the tree's loader thread.
        for path in paths:
            if path.name.startswith(".") and not self.show_hidden:
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES or self._safe_is_dir(path):
                yield path

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        if node.data is not None and node.data.path in self.marked:
            return Text.assemble(("● ", "bold"), label)
        return label

    def reset_node(
        self, node: TreeNode[DirEntry], label: str | Text, data: DirEntry | None = None
    ) -> Self:
        # The root shows the folder's whole path as `~/...` (shorter, and the same on every
        # machine), also after a reload, which would otherwise label it with its last part.
        if node is self.root and data is not None:
            label = display_path(data.path)
        return super().reset_node(node, label, data)

    def cursor_path(self) -> Path | None:
        """The file or folder under the cursor."""
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def action_toggle_mark(self) -> None:
        """Mark or unmark the file under the cursor; a folder opens or closes instead."""
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.allow_expand:
            node.toggle()
            return
        path = node.data.path
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked.append(path)
        node.refresh()
        self.post_message(self.MarksChanged())

    def action_parent(self) -> None:
        """Show the parent folder."""
        current = Path(self.path)
        if current.parent != current:
            self.path = current.parent


class PathInput(Input):
    """The path field: Tab completes the last part of the path."""

    BINDINGS = [
        Binding(
            "tab",
            "complete",
            "Complete",
            id="picker.complete",
            tooltip="Complete the file or folder name",
        ),
        Binding("down", "to_tree", "Tree", id="picker.to_tree", show=False),
    ]

    def action_complete(self) -> None:
        """Ask the screen to complete the path (it knows the folder shown)."""
        screen = self.screen
        if isinstance(screen, ImagePickerScreen):
            screen.complete(self.value)

    def action_to_tree(self) -> None:
        """Move to the folder tree."""
        self.screen.query_one(ImageTree).focus()


class ImagePickerScreen(KeyedModal[PickedImages | None]):
    """Pick image files to attach; dismisses with `PickedImages`, or None if cancelled."""

    BINDINGS = [
        Binding(
            "escape,q", "cancel", "Cancel", id="picker.cancel", tooltip="Close, attach nothing"
        ),
        Binding(
            "ctrl+g",
            "toggle_hidden",
            "Hidden files",
            id="picker.hidden",
            tooltip="Show or hide files and folders whose names start with a dot",
        ),
    ]

    def __init__(self, start: Path) -> None:
        """
        Args:
            start: The folder shown first.
        """
        super().__init__(classes="dialog-screen")
        self.start = start
        self._field_path = ("", "")
        """The path field's text as shown (on one line) and the real path it stands for."""

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="picker"):
            yield Static(Content("Attach images"), classes="dialog-title")
            yield PathInput(
                placeholder="Path to an image or a folder (Tab completes; ~ and relative work)",
                id="picker-path",
            )
            with Horizontal(id="picker-body"):
                yield ImageTree(self.start, id="picker-tree")
                with Vertical(id="picker-preview"):
                    yield ImagePreview(
                        placeholder="No image chosen", rows=16, columns=40, id="picker-image"
                    )
                    yield Static(Content(""), id="picker-facts")
            marked = Static(Content(""), id="picker-marked")
            marked.display = False
            yield marked
            yield Static(
                Content(
                    "↓ tree · Space mark · Enter attach · Backspace up · "
                    "Tab complete · Ctrl+G hidden · F1 keys · Esc cancel"
                ),
                classes="dialog-hint",
            )

    @property
    def image_tree(self) -> ImageTree:
        return self.query_one(ImageTree)

    @property
    def path_input(self) -> PathInput:
        return self.query_one(PathInput)

    def on_mount(self) -> None:
        # Typing goes to the path field at once (the tree takes no text): the folder shown
        # there is selected, so a typed path replaces it (a bare name is read relative to
        # that folder). Down moves to the tree.
        self._set_field(self._folder_text(self.start))
        self.path_input.focus()
        self.path_input.select_all()

    def _set_field(self, real: str, *, cursor_to_end: bool = True) -> None:
        """Put a real path in the path field, shown on one line (see `_real_path`)."""
        shown = one_line(real)
        self._field_path = (shown, real)
        field_ = self.path_input
        field_.value = shown
        if cursor_to_end:
            field_.cursor_position = len(shown)

    def _real_path(self, text: str) -> str:
        """The path the field's text stands for.

        A name with a newline, a tab or bytes that are not UTF-8 is shown escaped in the
        field; while the text still starts with what was put there, it means the real name.
        """
        shown, real = self._field_path
        if shown != real and text.startswith(shown):
            return real + text[len(shown) :]
        return text

    def _folder_text(self, folder: Path) -> str:
        text = display_path(folder)
        return text if text.endswith("/") else text + "/"

    @property
    def folder(self) -> Path:
        """The folder the tree shows."""
        return Path(self.image_tree.path)

    # -- preview ----------------------------------------------------------------------------

    @on(DirectoryTree.NodeHighlighted)
    def _highlighted(self, event: DirectoryTree.NodeHighlighted[DirEntry]) -> None:
        data = event.node.data
        if data is None:
            return
        if event.node.allow_expand:
            self.run_worker(
                self._show_preview(None),
                group="picker-show",
                exclusive=True,
                description="Clearing the preview",
            )
            return
        self._load_preview(data.path)

    @work(
        thread=True,
        exclusive=True,
        group="picker-preview",
        exit_on_error=False,
        description="Decoding an image for the preview",
    )
    def _load_preview(self, path: Path) -> None:
        """Check and decode the highlighted file (in a thread) and show it."""
        size, error = check_file(path)
        preview = _Preview(path, error=error)
        if not error:
            try:
                with path.open("rb") as handle:
                    data = handle.read()
            except OSError as exc:
                preview = _Preview(path, error=f"Cannot be read: {exc.strerror or exc}.")
            else:
                kind = sniff_image_type(data)
                if kind is None:
                    preview = _Preview(path, error=f"Not an image: the content is not {KINDS}.")
                else:
                    try:
                        decoded = decode_image(data, PREVIEW_PIXELS)
                    except ValueError as exc:
                        preview = _Preview(path, error=f"A damaged {kind.upper()} file: {exc}.")
                    else:
                        facts = f"{kind.upper()} · {decoded.width}x{decoded.height} · "
                        preview = _Preview(
                            path, facts=facts + human_size(size), image=decoded.thumbnail
                        )
        self.app.call_from_thread(self._show_preview, preview)

    async def _show_preview(self, preview: _Preview | None) -> None:
        facts = self.query_one("#picker-facts", Static)
        image = self.query_one("#picker-image", ImagePreview)
        if preview is None:
            await image.show(None, "A folder: Enter opens it")
            facts.update(Content(""))
            return
        if self.image_tree.cursor_path() != preview.path:
            return  # the cursor moved on meanwhile
        name = Content.styled(one_line(preview.path.name), "bold")
        if preview.error:
            await image.show(None)
            line = Content.styled(f"⚠ {sanitize(preview.error)}", "$text-error")
        else:
            # As large as the preview column allows (leaving room for the facts).
            room = self.query_one("#picker-preview").content_size
            rows = max(3, min(20, room.height - 4))
            await image.show(preview.image, "", rows=rows, columns=max(8, room.width))
            line = Content.styled(preview.facts, "$text-muted")
        facts.update(Content("\n").join([name, line]))

    # -- marking and choosing ---------------------------------------------------------------

    def on_image_tree_marks_changed(self) -> None:
        marked = self.image_tree.marked
        text = ""
        if marked:
            names = ", ".join(one_line(p.name) for p in marked)
            text = f"{len(marked)} marked: {names}"
        line = self.query_one("#picker-marked", Static)
        line.update(Content(text))
        line.display = bool(marked)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self._attach_paths([event.path])

    def _attach_paths(self, extra: list[Path]) -> None:
        paths = list(self.image_tree.marked)
        for path in extra:
            if path not in paths:
                paths.append(path)
        if paths:
            self.dismiss(PickedImages(paths, self.folder))

    # -- the path field ---------------------------------------------------------------------

    @on(Input.Submitted, "#picker-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self._real_path(event.value).strip()
        if not text:
            self._attach_paths([])
            return
        self._open_path(text)

    @work(
        thread=True,
        exclusive=True,
        group="picker-path",
        exit_on_error=False,
        description="Opening a typed path",
    )
    def _open_path(self, text: str) -> None:
        """A typed path: a folder is shown, a file attached, anything else explained."""
        path = expand_path(text, self.folder)
        if path.is_dir():
            self.app.call_from_thread(self._show_folder, path)
        elif path.exists():
            self.app.call_from_thread(self._attach_paths, [path])
        else:
            self.app.call_from_thread(
                self._path_problem, f"Not found: {display_path(path)} does not exist."
            )

    def _show_folder(self, folder: Path) -> None:
        self.image_tree.path = folder
        self._set_field(self._folder_text(folder))
        self.query_one("#picker-facts", Static).update(Content(""))

    def _path_problem(self, problem: str) -> None:
        self.query_one("#picker-facts", Static).update(
            Content.styled(f"⚠ {one_line(problem)}", "$text-error")
        )

    def complete(self, text: str) -> None:
        """Complete the typed path (Tab)."""
        self._complete(text, self._real_path(text), self.folder, self.image_tree.show_hidden)

    @work(
        thread=True,
        exclusive=True,
        group="picker-complete",
        exit_on_error=False,
        description="Completing a typed path",
    )
    def _complete(self, shown: str, text: str, base: Path, show_hidden: bool) -> None:
        completed, names = complete_path(text, base, show_hidden=show_hidden)
        self.app.call_from_thread(self._completed, shown, text, completed, names)

    def _completed(self, shown: str, typed: str, completed: str, names: list[str]) -> None:
        if self.path_input.value != shown:
            return  # typing went on meanwhile
        self._set_field(completed)
        facts = self.query_one("#picker-facts", Static)
        if not names:
            facts.update(Content.styled("Nothing matches.", "$text-muted"))
        elif len(names) > 1 and completed == typed:
            listed = ", ".join(one_line(n) for n in names[:12])
            more = f" and {len(names) - 12} more" if len(names) > 12 else ""
            facts.update(Content.styled(f"{listed}{more}", "$text-muted"))
        else:
            facts.update(Content(""))

    # -- actions ----------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Close without attaching anything."""
        self.dismiss(None)

    async def action_toggle_hidden(self) -> None:
        """Show or hide hidden files and folders."""
        tree = self.image_tree
        tree.show_hidden = not tree.show_hidden
        await tree.reload()
        state = "shown" if tree.show_hidden else "hidden"
        self.notify(f"Hidden files are {state}.", timeout=2)

"""A small picture of an image, drawn with textual-image.

textual-image speaks Kitty's graphics protocol and Sixel and falls back to Unicode
half-blocks. It is imported only when a preview is first drawn (it pulls in Pillow), and
never allowed to probe the terminal: see `_textual_image`.
"""

from __future__ import annotations

import io
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from textual.app import ComposeResult, RenderResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from textual.app import App

Protocol = Literal["halfblock", "kitty", "sixel", "off"]

PREVIEW_ENV = "OLLADECK_IMAGE_PREVIEW"
"""Set to `halfblock`, `kitty`, `sixel` or `off` to choose how previews are drawn."""


def preview_protocol(app: App[object]) -> Protocol:
    """How this terminal gets its previews.

    Headless runs (tests, screenshots) always use half-blocks, so what they draw never
    depends on the terminal they were started from. Otherwise `OLLADECK_IMAGE_PREVIEW`
    decides; by default Kitty (the one terminal whose graphics textual-image can place
    inside a Textual screen reliably) gets its protocol, every other terminal half-blocks.
    """
    if app.is_headless:
        return "halfblock"
    chosen = os.environ.get(PREVIEW_ENV, "").strip().lower()
    if chosen in ("halfblock", "kitty", "sixel", "off"):
        return chosen  # type: ignore[return-value]
    if os.environ.get("TERM") == "xterm-kitty":
        return "kitty"
    return "halfblock"


class _NotATerminal(io.StringIO):
    """Stands in for stdout while textual-image is imported (it is never written to)."""

    def isatty(self) -> bool:
        return False


def _textual_image() -> ModuleType:
    """`textual_image.widget`, imported without letting it query the terminal.

    On import, textual-image writes queries to stdout and reads the terminal's answers
    from stdin when stdout is a terminal. Once Textual runs, its input thread owns stdin:
    the answers would turn up as keystrokes and the reads would stall the UI. So stdout
    looks like a plain file for the length of the import: nothing is asked, the cell size
    defaults to 10x20 pixels (only the aspect of the preview depends on it), and the
    protocol is chosen by `preview_protocol` instead.
    """
    loaded = sys.modules.get("textual_image.widget")
    if loaded is not None:
        return loaded
    real_stdout = sys.__stdout__
    sys.__stdout__ = _NotATerminal()  # type: ignore[misc]
    try:
        import textual_image.widget as module
    finally:
        sys.__stdout__ = real_stdout  # type: ignore[misc]
    return module


def fit_cells(width: int, height: int, rows: int, columns: int) -> tuple[int, int]:
    """The cells (columns, rows) that show a `width` x `height` picture in at most
    `columns` x `rows` without distorting it (a cell is about twice as tall as wide)."""
    if width <= 0 or height <= 0:
        return 0, 0
    cols = round(rows * 2 * width / height)
    if cols > columns:
        cols = columns
        rows = round(cols * height / (2 * width))
    return max(1, cols), max(1, rows)


def _image_widget(protocol: Protocol, image: PILImage, rows: int, columns: int) -> Widget:
    module = _textual_image()
    kind = {
        "kitty": module.TGPImage,
        "sixel": module.SixelImage,
    }.get(protocol, module.HalfcellImage)
    widget: Widget = kind(image, classes="image-preview-picture")
    # A fixed size: textual-image measures "auto" from a height that is not known yet.
    widget.styles.width, widget.styles.height = fit_cells(*image.size, rows, columns)
    return widget


class ImagePreview(Widget):
    """Shows a PIL image (a thumbnail made in a worker thread), or a line of text."""

    DEFAULT_CSS = """
    ImagePreview {
        width: auto;
        height: auto;
    }
    ImagePreview > .image-preview-text {
        width: auto;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        image: PILImage | None = None,
        *,
        placeholder: str = "",
        rows: int = 3,
        columns: int = 8,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """
        Args:
            image: The picture (small: it is scaled on every draw).
            placeholder: Text shown when there is no picture or previews are off.
            rows: The most rows the picture may take.
            columns: The most columns the picture may take.
            id: The widget id.
            classes: CSS classes.
        """
        super().__init__(id=id, classes=classes)
        self.image = image
        self.placeholder = placeholder
        self.rows = rows
        self.columns = columns

    def render(self) -> RenderResult:
        # With neither a picture nor a placeholder there are no children: Textual would
        # draw the widget's name and id (`ImagePreview#picker-image`) in their place.
        return ""

    def compose(self) -> ComposeResult:
        protocol = preview_protocol(self.app)
        if self.image is not None and protocol != "off":
            yield _image_widget(protocol, self.image, self.rows, self.columns)
        elif self.placeholder:
            yield Static(Content(self.placeholder), classes="image-preview-text")

    async def show(
        self,
        image: PILImage | None,
        placeholder: str = "",
        *,
        rows: int | None = None,
        columns: int | None = None,
    ) -> None:
        """Show another picture (None: the placeholder text), optionally in another size."""
        self.image = image
        self.placeholder = placeholder
        self.rows = rows or self.rows
        self.columns = columns or self.columns
        await self.recompose()

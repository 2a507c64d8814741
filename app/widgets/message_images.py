"""The images of a sent message, as chips with small previews, read from the image store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from ..attachments import Attachment, stored_image_info
from ..chat import sanitize
from .image_preview import ImagePreview

if TYPE_CHECKING:
    from ..store import ImageStore


def image_facts(attachment: Attachment, index: int) -> Content:
    """`image 1` and its kind, size and dimensions, or why it cannot be shown."""
    title = Content.styled(f"image {index}", "bold")
    if attachment.state == "error":
        return Content("\n").join(
            [title, Content.styled(f"⚠ {sanitize(attachment.error)}", "$text-error")]
        )
    facts = attachment.facts
    return Content("\n").join([title, Content.styled(facts, "$text-muted")])


class MessageImages(Horizontal):
    """A row of chips, one per image of a message; facts and previews fill in from a thread."""

    def __init__(self, refs: list[str], *, classes: str | None = None) -> None:
        """
        Args:
            refs: The image store references (`<sha256>.<ext>`) of the message.
            classes: CSS classes.
        """
        super().__init__(classes=classes)
        self.refs = list(refs)
        self.infos: list[Attachment] | None = None
        """What was found in the store (None until read)."""

    def compose(self) -> ComposeResult:
        if self.infos is None:
            count = len(self.refs)
            yield Static(
                Content(f"▣ {count} image{'s' if count != 1 else ''} attached"),
                classes="message-images-count",
            )
            return
        for index, info in enumerate(self.infos, 1):
            with Horizontal(classes=f"message-image -{info.state}"):
                if info.thumbnail is not None:
                    yield ImagePreview(
                        info.thumbnail, rows=4, columns=12, classes="message-image-preview"
                    )
                yield Static(image_facts(info, index), classes="message-image-facts")

    def on_mount(self) -> None:
        images = self._image_store()
        if images is not None and self.refs:
            self._read(images)

    def _image_store(self) -> ImageStore | None:
        services = getattr(self.app, "services", None)
        store = getattr(services, "store", None)
        return getattr(store, "images", None)

    @work(thread=True, group="message-images", exit_on_error=False, description="Reading images")
    def _read(self, images: ImageStore) -> None:
        infos = [stored_image_info(images, ref) for ref in self.refs]
        self.app.call_from_thread(self._show, infos)

    async def _show(self, infos: list[Attachment]) -> None:
        self.infos = infos
        await self.recompose()

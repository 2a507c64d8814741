"""Images attached to a message: reading, validating and storing them, without the UI.

Everything here that touches the disk or decodes an image is meant to run in a worker
thread. Pillow is imported inside the functions that decode, never at start-up.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .store import ImageStore, ImageStoreError, sniff_image_type
from .store.atomic import atomic_write_text, ensure_private_dir

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

WARN_BYTES = 20_000_000
"""Above this size an attachment is sent, but with a warning on its chip."""
MAX_BYTES = 50_000_000
"""Above this size an attachment is refused.

Base64 makes a 50 MB file about 67 MB of JSON; Ollama's `/api/chat` takes images inline and
the history resends them on every later turn, so each request of the conversation would
carry that much (built in memory on both sides). Vision models shrink every image to
their encoder's input (well under 20 megapixels) anyway, so a bigger file adds no detail,
only a request that is too slow to be usable.
"""
THUMBNAIL_PIXELS = 96
"""The longest side of the small copy kept for previews."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".webp", ".gif", ".bmp"})
"""File names the picker lists (what is sent is judged by content, never by the name)."""
KINDS = "PNG, JPEG, WebP, GIF or BMP"

AttachmentState = Literal["reading", "ready", "error"]


def human_size(size: float) -> str:
    """`512 B`, `3.4 KB`, `1.2 MB`."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@dataclass(frozen=True)
class Attachment:
    """An image picked for the message being written (or why it cannot be sent)."""

    path: str
    """Where it was read from (as the user gave it, `~` expanded)."""
    state: AttachmentState = "reading"
    """`reading` while a worker checks it; `ready` to send; `error` if refused."""
    ref: str = ""
    """Its reference in the image store, once stored."""
    kind: str = ""
    """`png`, `jpeg`, `gif`, `webp` or `bmp`, from the content."""
    size: int = 0
    """Bytes."""
    width: int = 0
    height: int = 0
    warning: str = ""
    """A problem worth knowing before sending (e.g. very large); it is still sent."""
    error: str = ""
    """Why it cannot be sent (one plain sentence)."""
    thumbnail: PILImage | None = field(default=None, compare=False, repr=False)
    """A small RGB copy for previews (None: no preview)."""

    @property
    def name(self) -> str:
        """The file name, for display."""
        return Path(self.path).name or self.path

    @property
    def facts(self) -> str:
        """`PNG · 640x480 · 1.2 MB` (what is known of it)."""
        parts = (self.kind.upper(), self.dimensions, human_size(self.size) if self.size else "")
        return " · ".join(part for part in parts if part)

    @property
    def dimensions(self) -> str:
        """`640x480`, or empty when unknown."""
        return f"{self.width}x{self.height}" if self.width and self.height else ""


@dataclass(frozen=True)
class DecodedImage:
    """What Pillow found in an image."""

    width: int
    height: int
    thumbnail: PILImage


def decode_image(data: bytes, thumbnail_pixels: int = THUMBNAIL_PIXELS) -> DecodedImage:
    """Decode image bytes fully: dimensions and a small RGB thumbnail.

    Raises:
        ValueError: Pillow cannot decode it (damaged, truncated, or absurdly many pixels).
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            # JPEG can decode straight to a smaller size: much faster for big photos.
            image.draft("RGB", (thumbnail_pixels, thumbnail_pixels))
            image.thumbnail((thumbnail_pixels, thumbnail_pixels))
            thumbnail = _flatten(image)
    except Exception as exc:  # untrusted input: Pillow raises many kinds of error
        raise ValueError(str(exc) or type(exc).__name__) from None
    return DecodedImage(width, height, thumbnail)


def _flatten(image: PILImage) -> PILImage:
    """RGB, with transparency shown over mid grey (visible on dark and light themes)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _refuse(attachment: Attachment, error: str) -> Attachment:
    return replace(attachment, state="error", error=error)


def check_file(path: Path) -> tuple[int, str]:
    """Whether a path can be read as an image file, without reading it.

    Returns:
        The size in bytes, and an error sentence (empty if none).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return 0, "Not found: there is no such file."
    except PermissionError:
        return 0, "Cannot be read: permission denied."
    except OSError as exc:
        return 0, f"Cannot be read: {exc.strerror or exc}."
    if stat.S_ISDIR(info.st_mode):
        return 0, "This is a folder, not an image."
    if not stat.S_ISREG(info.st_mode):
        # Opening a pipe or a device could block for ever, so it is never opened.
        return 0, "Not a regular file (a pipe or a device), so it was not read."
    if info.st_size == 0:
        return 0, "The file is empty."
    if info.st_size > MAX_BYTES:
        return info.st_size, (
            f"Too large: {human_size(info.st_size)}, over the {human_size(MAX_BYTES)} "
            "limit for one image."
        )
    return info.st_size, ""


def read_attachment(path: Path, images: ImageStore) -> Attachment:
    """Check an image file, decode it, and put it in the image store (call in a thread).

    Never raises: a file that cannot be sent comes back in state `error`, saying why.
    """
    attachment = Attachment(path=str(path))
    size, error = check_file(path)
    if error:
        return _refuse(replace(attachment, size=size), error)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        return _refuse(attachment, "Cannot be read: permission denied.")
    except OSError as exc:
        return _refuse(attachment, f"Cannot be read: {exc.strerror or exc}.")
    attachment = replace(attachment, size=len(data))
    if len(data) > MAX_BYTES:  # it grew after the check
        return _refuse(attachment, f"Too large: over the {human_size(MAX_BYTES)} limit.")
    kind = sniff_image_type(data)
    if kind is None:
        return _refuse(attachment, f"Not an image: the content is not {KINDS}.")
    attachment = replace(attachment, kind=kind)
    try:
        decoded = decode_image(data)
    except ValueError as exc:
        return _refuse(attachment, f"A damaged {kind.upper()} file: {exc}.")
    attachment = replace(
        attachment, width=decoded.width, height=decoded.height, thumbnail=decoded.thumbnail
    )
    try:
        ref = images.put(data)
    except (ImageStoreError, OSError) as exc:
        return _refuse(attachment, f"Could not be stored: {exc}.")
    warning = ""
    if len(data) > WARN_BYTES:
        warning = (
            f"Large ({human_size(len(data))}): every later request of this conversation carries it."
        )
    return replace(attachment, state="ready", ref=ref, warning=warning)


def stored_image_info(images: ImageStore, ref: str) -> Attachment:
    """A stored image of the history as an attachment, for display (call in a thread)."""
    kind = ref.rsplit(".", 1)[-1] if "." in ref else ""
    attachment = Attachment(path=ref, kind=kind)
    try:
        data = images.read(ref)
    except ImageStoreError as exc:
        return _refuse(attachment, str(exc))
    attachment = replace(attachment, size=len(data))
    try:
        decoded = decode_image(data)
    except ValueError as exc:
        return _refuse(attachment, f"A damaged {kind.upper()} file: {exc}.")
    return replace(
        attachment,
        state="ready",
        ref=ref,
        width=decoded.width,
        height=decoded.height,
        thumbnail=decoded.thumbnail,
    )


# -- paths ------------------------------------------------------------------------------------


def expand_path(text: str, base: Path) -> Path:
    """A path as typed: `~` is the home folder; a relative path starts at `base`."""
    path = Path(os.path.expanduser(text.strip()))
    if not path.is_absolute():
        path = base / path
    return Path(os.path.normpath(path))


def display_path(path: Path) -> str:
    """A folder as shown to the user: under the home folder it starts with `~`."""
    try:
        home = Path.home()
    except RuntimeError:
        return str(path)
    try:
        relative = path.relative_to(home)
    except ValueError:
        return str(path)
    return "~" if str(relative) == "." else f"~{os.sep}{relative}"


def complete_path(text: str, base: Path, *, show_hidden: bool = False) -> tuple[str, list[str]]:
    """Complete the last part of a typed path, like a shell's Tab (call in a thread).

    Returns:
        The completed text (unchanged if nothing matches), and the names that matched.
    """
    head, _, prefix = text.rpartition(os.sep)
    folder = expand_path(head + os.sep if head or text.startswith(os.sep) else ".", base)
    if text.startswith("~") and os.sep not in text:
        # `~` alone (or `~user`) is completed to the home folder itself.
        home = expand_path(text, base)
        return (text + os.sep, [text]) if home.is_dir() else (text, [])
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return text, []
    matches: list[tuple[str, bool]] = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        if entry.name.startswith(".") and not (show_hidden or prefix.startswith(".")):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        matches.append((entry.name, is_dir))
    if not matches:
        return text, []
    names = [name for name, _ in matches]
    common = os.path.commonprefix(names)  # noqa: RUF071 - names, not paths
    completed = text[: len(text) - len(prefix)] + common
    if len(matches) == 1 and matches[0][1]:
        completed += os.sep
    return completed, names


def pasted_paths(text: str) -> list[Path] | None:
    """The file paths in pasted text, if that is all the text is (else None).

    Dropping files on a terminal pastes their paths: quoted (`'/a b.png'`), with
    backslash escapes (`/a\\ b.png`), or as `file://` URLs, separated by spaces or lines.
    """
    import shlex
    from urllib.parse import unquote, urlparse

    stripped = text.strip()
    if not stripped or len(stripped) > 8192:
        return None
    try:
        tokens = shlex.split(stripped)
    except ValueError:
        return None
    paths: list[Path] = []
    for token in tokens:
        if token.startswith("file://"):
            parsed = urlparse(token)
            if parsed.netloc not in ("", "localhost"):
                return None
            token = unquote(parsed.path)
        path = Path(os.path.expanduser(token))
        if not path.is_absolute():  # relative, or `~someone` who does not exist
            return None
        paths.append(path)
    return paths or None


def is_image_file(path: Path) -> bool:
    """True if `path` is a regular file whose first bytes say it is an image (cheap)."""
    if check_file(path)[1]:
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(32)
    except OSError:
        return False
    return sniff_image_type(head) is not None


# -- the picker's memory ------------------------------------------------------------------------

PICKER_STATE = "image-picker.json"
"""The small file, in the data directory, that remembers the picker's last folder."""


def load_last_folder(data_dir: Path) -> Path | None:
    """The folder the picker last attached from, if it still exists (call in a thread)."""
    import json

    try:
        state: Any = json.loads((data_dir / PICKER_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = state.get("last_folder") if isinstance(state, dict) else None
    if not isinstance(folder, str) or not folder:
        return None
    path = Path(folder)
    return path if path.is_absolute() and path.is_dir() else None


def save_last_folder(data_dir: Path, folder: Path) -> None:
    """Remember the folder the picker attached from (call in a thread).

    Raises:
        OSError: it could not be written.
    """
    import json

    ensure_private_dir(data_dir)
    text = json.dumps({"last_folder": str(folder)}, indent=2) + "\n"
    atomic_write_text(data_dir / PICKER_STATE, text)

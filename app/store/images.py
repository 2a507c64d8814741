"""Content-addressed image storage: each image is kept once, as `<sha256>.<ext>`.

Conversations refer to images by that name, so they stay small, and resending the history
works after the original file has gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from .atomic import atomic_write_bytes, ensure_private_dir

_REF = re.compile(r"^[0-9a-f]{64}\.(png|jpeg|gif|webp|bmp)$")


def sniff_image_type(data: bytes) -> str | None:
    """The image format from the file's first bytes (not its name), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    return None


class ImageStoreError(Exception):
    """An image could not be stored or found."""


class ImageStore:
    """Images under one directory, named by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        """Store image bytes (once) and return their reference, `<sha256>.<ext>`.

        Raises:
            ImageStoreError: the bytes are not a known image format.
            OSError: the write failed.
        """
        import hashlib

        kind = sniff_image_type(data)
        if kind is None:
            raise ImageStoreError("not a PNG, JPEG, GIF, WebP or BMP image")
        ref = f"{hashlib.sha256(data).hexdigest()}.{kind}"
        path = self.root / ref
        if not path.exists():
            ensure_private_dir(self.root)
            atomic_write_bytes(path, data)
        return ref

    def path(self, ref: str) -> Path:
        """Where a referenced image lives.

        Raises:
            ImageStoreError: the reference is malformed (never a path outside the store).
        """
        if not _REF.match(ref):
            raise ImageStoreError(f"not an image reference: {ref!r}")
        return self.root / ref

    def read(self, ref: str) -> bytes:
        """The bytes of a stored image.

        Raises:
            ImageStoreError: missing, unreadable, or changed since it was stored.
        """
        import hashlib

        try:
            data = self.path(ref).read_bytes()
        except OSError as exc:
            raise ImageStoreError(f"image {ref[:12]}… is missing from the store ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != ref.split(".", 1)[0]:
            raise ImageStoreError(f"image {ref[:12]}… in the store is damaged")
        return data

    def base64(self, ref: str) -> str:
        """A stored image as the base64 string `/api/chat` expects."""
        import base64

        return base64.b64encode(self.read(ref)).decode("ascii")

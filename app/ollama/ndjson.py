"""An incremental NDJSON decoder, independent of any I/O.

Bytes arrive in arbitrary pieces: a line may be split over many reads, and a multi-byte
UTF-8 character over two. Lines are only decoded once complete, so neither matters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .errors import OllamaProtocolError

MAX_LINE_BYTES = 256 * 1024 * 1024
"""A line longer than this is refused rather than buffered without bound."""


def _snippet(line: bytes, limit: int = 80) -> str:
    text = line[:limit].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text + ("…" if len(line) > limit else "")


class NDJSONDecoder:
    """Turns a byte stream into JSON objects, one per non-blank line."""

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_line_bytes

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Add bytes; return the objects of every line they complete.

        Raises:
            OllamaProtocolError: a complete line is not a JSON object, or a line is too long.
        """
        return list(self.iter_feed(data))

    def iter_feed(self, data: bytes) -> Iterator[dict[str, Any]]:
        """Add bytes (at once); yield the objects of the lines they complete, one by one,
        so that the lines before a bad one are delivered before its error is raised."""
        if b"\n" not in data:
            self._buffer += data
            if len(self._buffer) > self._max:
                raise OllamaProtocolError(f"a line longer than {self._max} bytes")
            return iter(())
        self._buffer += data
        *lines, rest = self._buffer.split(b"\n")
        self._buffer = bytearray(rest)
        return self._objects(lines)

    def _objects(self, lines: list[bytearray]) -> Iterator[dict[str, Any]]:
        for line in lines:
            obj = self._decode(line)
            if obj is not None:
                yield obj

    def close(self) -> list[dict[str, Any]]:
        """The stream ended: decode a last line that had no newline."""
        line, self._buffer = bytes(self._buffer), bytearray()
        obj = self._decode(line)
        return [] if obj is None else [obj]

    @staticmethod
    def _decode(line: bytes | bytearray) -> dict[str, Any] | None:
        line = line.strip()
        if not line:
            return None
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise OllamaProtocolError(f"a line that is not JSON: {_snippet(bytes(line))}") from None
        if not isinstance(obj, dict):
            raise OllamaProtocolError(f"a JSON line that is not an object: {_snippet(bytes(line))}")
        return obj

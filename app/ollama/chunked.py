"""Reading a streamed reply's body straight from the connection.

Ollama sends a streamed reply as HTTP/1.1 chunked transfer coding, one chunk per token.
Through httpx every chunk becomes an event of the HTTP parser and climbs half a dozen
async generators: at 20,000 tokens that is most of the CPU a reply costs. Once httpx has
read the status line and headers, `raw_body` takes the body from the connection in
large reads and undoes the chunked coding itself (`ChunkedDecoder`), in a few Python
steps per token. The connection is closed when the response is (httpx cannot reuse it:
its parser did not see the body).

Whenever the response is not one it can read this way (not HTTP/1.1, not chunked,
compressed, or an httpx that is built differently), `raw_body` says so and the caller
reads the body through httpx as usual.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .errors import OllamaDisconnectedError, OllamaProtocolError

MAX_SIZE_LINE = 4096
"""A chunk-size line (with its extensions) longer than this is refused."""
READ_BYTES = 64 * 1024

_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class ChunkedDecoder:
    """Undoes HTTP/1.1 chunked transfer coding, whatever pieces the bytes arrive in.

    `feed` returns the payload bytes that the data completes; `done` turns true at the
    last (zero-size) chunk, after which nothing more is read (trailers are not needed).
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._need = 0
        """Payload bytes of the current chunk still to come."""
        self._line_end = False
        """The current chunk's data is complete; its CRLF is still to come."""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Add bytes from the connection; return the payload they complete.

        Raises:
            OllamaProtocolError: the bytes are not chunked transfer coding.
        """
        if self.done:
            return b""
        buf = self._buffer + data if self._buffer else data
        out: list[bytes] = []
        pos, size = 0, len(buf)
        while pos < size:
            if self._need:
                end = min(pos + self._need, size)
                out.append(buf[pos:end])
                self._need -= end - pos
                pos = end
                self._line_end = not self._need
                continue
            eol = buf.find(b"\n", pos)
            if eol < 0:
                if size - pos > MAX_SIZE_LINE:
                    raise OllamaProtocolError("a chunk-size line that never ends")
                break
            line = buf[pos:eol]
            pos = eol + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if self._line_end:
                if line:
                    raise OllamaProtocolError("a chunk longer than its stated size")
                self._line_end = False
                continue
            digits = line.split(b";", 1)[0].strip(b" \t")
            if not _HEX.fullmatch(digits):
                shown = line[:40].decode("ascii", "replace")
                raise OllamaProtocolError(f"a chunk size that is not a number: {shown!r}")
            self._need = int(digits, 16)
            if not self._need:
                self.done = True
                pos = size
                break
        self._buffer = buf[pos:]
        return b"".join(out)


def _h11_connection(response: httpx.Response) -> Any | None:
    """The httpcore HTTP/1.1 connection under a streamed response, if it can be found."""
    node: Any = response.stream
    for _ in range(8):
        if hasattr(node, "_h11_state") and hasattr(node, "_network_stream"):
            return node
        for name in ("_stream", "_httpcore_stream", "_connection"):
            child = getattr(node, name, None)
            if child is not None:
                node = child
                break
        else:
            return None
    return None


def raw_body(response: httpx.Response) -> AsyncIterator[bytes] | None:
    """The body of a streamed chunked response, read from the connection in big pieces;
    None when the response must be read through httpx instead.

    Call it before any of the body was read. Errors leave as `OllamaDisconnectedError`
    (the connection dropped before the last chunk) or `OllamaProtocolError`.
    """
    headers = response.headers
    if (
        response.http_version != "HTTP/1.1"
        or headers.get("transfer-encoding", "").strip().lower() != "chunked"
        or headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        or response.is_stream_consumed
    ):
        return None
    stream = response.extensions.get("network_stream")
    connection = _h11_connection(response)
    if stream is None or connection is None or connection._network_stream is not stream:
        return None
    try:
        import h11

        state = connection._h11_state
        if state.their_state is not h11.SEND_BODY or state.our_state is not h11.DONE:
            return None
        buffered, closed = state.trailing_data
    except Exception:  # an h11 or httpcore that differs from the one this was written for
        return None
    return _read(stream, bytes(buffered), closed)


async def _read(stream: Any, buffered: bytes, closed: bool) -> AsyncIterator[bytes]:
    import httpcore

    decoder = ChunkedDecoder()
    data = buffered
    while True:
        if data:
            payload = decoder.feed(data)
            if payload:
                yield payload
            if decoder.done:
                return
        if closed:
            break
        try:
            data = await stream.read(READ_BYTES, timeout=None)
        except (httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
            raise OllamaDisconnectedError(str(exc) or type(exc).__name__) from exc
        closed = not data
    raise OllamaDisconnectedError(
        "peer closed connection without sending complete message body: incomplete chunked read"
    )

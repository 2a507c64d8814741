"""An async client for Ollama's HTTP API, built on httpx.

Every failure leaves as one of the typed errors in `errors.py`. Streaming calls have no read
timeout (a large model can take minutes to load before the first token) but are always
cancellable: cancelling the task that iterates them closes the connection at once.
"""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any

import httpx

from ..core.display_text import DisplayText, one_line, sanitize
from .chunked import raw_body
from .errors import (
    CapabilityError,
    ConnectionFailure,
    ModelNotFoundError,
    NotOllamaError,
    OllamaConnectionError,
    OllamaDisconnectedError,
    OllamaError,
    OllamaProtocolError,
    OllamaResponseError,
    OllamaStreamError,
    cut_error_text,
)
from .host import OllamaHost
from .ndjson import NDJSONDecoder
from .types import ChatChunk, ModelDetails, ModelInfo, PullProgress, RunningModel

USER_AGENT = "olladeck"


class OllamaTimeoutError(OllamaError):
    """A short request got no answer in time."""


def _connection_reason(exc: BaseException) -> ConnectionFailure:
    """Tell a refused connection from a DNS failure, from the exception chain."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, socket.gaierror):
            return "dns"
        if isinstance(node, ConnectionRefusedError):
            return "refused"
        if isinstance(node, ssl.SSLError):
            return "tls"
        if isinstance(node, OSError) and node.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "unreachable"
        node = node.__cause__ or node.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "name resolution" in text or "nodename" in text:
        return "dns"
    if "refused" in text:
        return "refused"
    if "unreachable" in text:
        return "unreachable"
    if "ssl" in text or "certificate" in text:
        return "tls"
    return "other"


def _dumps(body: dict[str, Any]) -> bytes:
    # As httpx encodes `json=`: compact, UTF-8, no NaN.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _error_text(body: bytes) -> tuple[DisplayText, bool]:
    """Ollama's `error` field from an error body, and whether there was one (Ollama
    always sends one); otherwise a short body as it is, or "" for a page (HTML). Made
    display-safe and cut to a bounded length here: it is shown to the user."""
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and isinstance(obj.get("error"), str):
        return sanitize(cut_error_text(obj["error"])), True
    text = body.decode("utf-8", "replace").strip()
    if "<" in text or len(text) > 200:
        return DisplayText(""), False  # a web page: its markup says nothing to the user
    return sanitize(text), False


def _stream_error(obj: dict[str, Any]) -> OllamaStreamError:
    """The error of an `{"error": ...}` line, display-safe and cut to a bounded length."""
    return OllamaStreamError(sanitize(cut_error_text(str(obj["error"]))))


class OllamaClient:
    """Talks to one Ollama server."""

    def __init__(
        self,
        host: OllamaHost,
        *,
        connect_timeout: float = 5.0,
        request_timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """
        Args:
            host: The server.
            connect_timeout: Seconds to wait for a TCP connection.
            request_timeout: Seconds to wait for a short (non-streamed) answer.
            transport: An httpx transport (tests may pass one; normally the network).
        """
        self.host = host
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.raw_reads = True
        """Read streamed chat replies from the connection in big pieces (`chunked.py`);
        False: through httpx, chunk by chunk."""
        self.on_unreachable: Callable[[OllamaError], object] | None = None
        """Called with the error whenever a request finds no server, or something that is
        not Ollama, at the address (so the app can say so, whatever the request was)."""

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            host = self.host
            # Credentials go in the Authorization header only; base_url never has them.
            auth = httpx.BasicAuth(host.username, host.password) if host.has_credentials else None
            self._client = httpx.AsyncClient(
                base_url=host.base_url,
                auth=auth,
                transport=self._transport,
                headers={"User-Agent": USER_AGENT},
                timeout=httpx.Timeout(self._request_timeout, connect=self._connect_timeout),
                # Ollama is usually on this machine or a LAN; a proxy from the
                # environment would only get in the way of 127.0.0.1.
                trust_env=not self.host.is_local,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _unreachable(self, error: OllamaError) -> OllamaError:
        """Tell `on_unreachable` about the error; returns it, to raise."""
        if self.on_unreachable is not None:
            self.on_unreachable(error)
        return error

    def _map_transport_error(self, exc: httpx.TransportError, *, streaming: bool) -> OllamaError:
        if isinstance(exc, httpx.ConnectTimeout):
            return self._unreachable(OllamaConnectionError(self.host.label, "timeout"))
        if isinstance(exc, httpx.ConnectError):
            reason = _connection_reason(exc)
            return self._unreachable(OllamaConnectionError(self.host.label, reason, str(exc)))
        if isinstance(exc, httpx.TimeoutException) and not streaming:
            return OllamaTimeoutError(
                f"Ollama at {self.host.label} did not answer within "
                f"{self._request_timeout:g} seconds."
            )
        return OllamaDisconnectedError(str(exc) or type(exc).__name__)

    async def _raise_for_status(self, response: httpx.Response, model: str = "") -> None:
        if response.status_code < 400:
            return
        try:
            body = await response.aread()
        except httpx.TransportError:
            body = b""
        status = response.status_code
        text, from_ollama = _error_text(body)
        if status == 404 and not from_ollama:
            # Ollama says 404 only for a missing model, in JSON: this is something else
            # (another program on the port, a web server, a wrong path prefix).
            raise self._unreachable(NotOllamaError(self.host.label, status))
        if status == 404 and "not found" in text.lower():
            raise ModelNotFoundError(status, text, model)
        if status == 400 and "does not support" in text:
            raise CapabilityError(status, text, model)
        raise OllamaResponseError(status, text)

    @staticmethod
    async def _encode(body: dict[str, Any] | None) -> dict[str, Any]:
        """The request's content, as httpx would send it for `json=body`.

        A chat body carries the whole history, images as base64 (megabytes): it is turned
        into JSON in a thread, so that the event loop (the UI) never waits for it.
        """
        if body is None:
            return {}
        if "messages" not in body:
            return {"json": body}
        content = await asyncio.to_thread(_dumps, body)
        return {"content": content, "headers": {"Content-Type": "application/json"}}

    @asynccontextmanager
    async def _stream(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> AsyncIterator[httpx.Response]:
        timeout = httpx.Timeout(None, connect=self._connect_timeout)
        try:
            content = await self._encode(body)
            async with self._http().stream(method, path, timeout=timeout, **content) as response:
                model = body.get("model", "") if body else ""
                await self._raise_for_status(response, model if isinstance(model, str) else "")
                yield response
        except httpx.TransportError as exc:
            raise self._map_transport_error(exc, streaming=True) from exc

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        try:
            response = await self._http().request(method, path, **(await self._encode(body)))
        except httpx.TransportError as exc:
            raise self._map_transport_error(exc, streaming=False) from exc
        model = body.get("model", "") if body else ""
        await self._raise_for_status(response, model if isinstance(model, str) else "")
        return response

    async def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self._request(method, path, body)
        try:
            obj = response.json()
        except ValueError:
            raise OllamaProtocolError(f"{path} answered with something that is not JSON") from None
        if not isinstance(obj, dict):
            raise OllamaProtocolError(f"{path} answered with JSON that is not an object")
        return obj

    async def _ndjson(
        self, method: str, path: str, body: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each object of an NDJSON response; raise on an error line."""
        async with self._stream(method, path, body) as response:
            decoder = NDJSONDecoder()
            try:
                async for data in response.aiter_bytes():
                    for obj in decoder.feed(data):
                        if "error" in obj:
                            raise _stream_error(obj)
                        yield obj
            except httpx.TransportError as exc:
                raise self._map_transport_error(exc, streaming=True) from exc
            for obj in decoder.close():
                if "error" in obj:
                    raise _stream_error(obj)
                yield obj

    # -- endpoints -------------------------------------------------------------------------

    async def version(self) -> DisplayText:
        """The server's version (`GET /api/version`)."""
        try:
            obj = await self._json("GET", "/api/version")
        except (OllamaProtocolError, ModelNotFoundError) as exc:
            # Not JSON, or no such endpoint: another program answers on this port.
            status = exc.status if isinstance(exc, ModelNotFoundError) else 200
            raise self._unreachable(NotOllamaError(self.host.label, status)) from None
        version = obj.get("version")
        if not isinstance(version, str):
            raise self._unreachable(NotOllamaError(self.host.label, 200))
        return one_line(version)

    async def tags(self) -> list[ModelInfo]:
        """The models on the server (`GET /api/tags`)."""
        obj = await self._json("GET", "/api/tags")
        models = obj.get("models")
        if not isinstance(models, list):
            return []
        return [ModelInfo.from_json(m) for m in models if isinstance(m, dict)]

    async def show(self, model: str) -> ModelDetails:
        """Details and capabilities of one model (`POST /api/show`)."""
        return ModelDetails.from_json(
            model, await self._json("POST", "/api/show", {"model": model})
        )

    async def ps(self) -> list[RunningModel]:
        """The models loaded in memory (`GET /api/ps`)."""
        obj = await self._json("GET", "/api/ps")
        models = obj.get("models")
        if not isinstance(models, list):
            return []
        return [RunningModel.from_json(m) for m in models if isinstance(m, dict)]

    async def chat_batches(self, body: dict[str, Any]) -> AsyncIterator[list[ChatChunk]]:
        """Stream a reply (`POST /api/chat` with `stream: true`), a network read at a time.

        Each item holds the chunks of one read, so a fast server costs one async step per
        read rather than per token. The last batch ends with the `done` chunk. Chunks that
        arrived before an error are delivered before it is raised. Iterate it inside
        `contextlib.aclosing` so that cancelling closes the connection at once.

        Raises:
            OllamaError: every failure, typed.
        """
        async with self._stream("POST", "/api/chat", {**body, "stream": True}) as response:
            decoder = NDJSONDecoder()
            raw = raw_body(response) if self.raw_reads else None
            try:
                async for data in raw if raw is not None else response.aiter_bytes():
                    batch: list[ChatChunk] = []
                    try:
                        for obj in decoder.iter_feed(data):
                            if "error" in obj:
                                raise _stream_error(obj)
                            chunk = ChatChunk.from_json(obj)
                            batch.append(chunk)
                            if chunk.done:
                                yield batch
                                return
                    except OllamaError:
                        if batch:
                            yield batch
                        raise
                    if batch:
                        yield batch
            except httpx.TransportError as exc:
                raise self._map_transport_error(exc, streaming=True) from exc
            for obj in decoder.close():
                if "error" in obj:
                    raise _stream_error(obj)
                chunk = ChatChunk.from_json(obj)
                yield [chunk]
                if chunk.done:
                    return
        raise OllamaDisconnectedError("the stream ended without its final line")

    async def chat_stream(self, body: dict[str, Any]) -> AsyncIterator[ChatChunk]:
        """Stream a reply chunk by chunk (see `chat_batches`), up to the `done` chunk."""
        async with aclosing(self.chat_batches(body)) as batches:
            async for batch in batches:
                for chunk in batch:
                    yield chunk

    async def chat(self, body: dict[str, Any]) -> ChatChunk:
        """Get a whole reply at once (`POST /api/chat` with `stream: false`).

        There is no read timeout: a non-streamed reply takes as long as the model needs.
        """
        async with self._stream("POST", "/api/chat", {**body, "stream": False}) as response:
            try:
                data = await response.aread()
            except httpx.TransportError as exc:
                raise self._map_transport_error(exc, streaming=True) from exc
        decoder = NDJSONDecoder()
        objs = decoder.feed(data) + decoder.close()
        if not objs:
            raise OllamaDisconnectedError("the reply was empty")
        obj = objs[-1]
        if "error" in obj:
            raise _stream_error(obj)
        chunk = ChatChunk.from_json(obj)
        if not chunk.done:
            raise OllamaDisconnectedError("the reply was not marked done")
        return chunk

    async def load(self, model: str, keep_alive: str | int | float | None = None) -> ChatChunk:
        """Load a model into memory: a chat request with no messages."""
        body: dict[str, Any] = {"model": model, "messages": []}
        if keep_alive is not None:
            body["keep_alive"] = keep_alive
        return await self.chat(body)

    async def unload(self, model: str) -> ChatChunk:
        """Unload a model at once: no messages and `keep_alive: 0`."""
        return await self.chat({"model": model, "messages": [], "keep_alive": 0})

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Pull a model, yielding progress lines until `success`."""
        async for obj in self._ndjson("POST", "/api/pull", {"model": model, "stream": True}):
            yield PullProgress.from_json(obj)

    async def delete(self, model: str) -> None:
        """Delete a model from the server."""
        await self._request("DELETE", "/api/delete", {"model": model})

    async def copy(self, source: str, destination: str) -> None:
        """Copy a model under a new name."""
        await self._request("POST", "/api/copy", {"source": source, "destination": destination})

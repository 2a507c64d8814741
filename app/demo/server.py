"""A simulated Ollama server: the real HTTP wire format, on the standard library alone.

It backs `olladeck --demo`, the tests and the benchmarks. Besides the endpoints it can
misbehave on purpose (`inject`): drop the connection mid-stream, send an error line or a
line that is not JSON, answer with an HTTP error, hang, delay the first token, split its
writes into pieces of a few bytes (cutting UTF-8 characters in two), end a reply with absurd
numbers (a count of hundreds of digits, negatives, floats, text), or answer a formatted
request with JSON nested thousands of levels deep (closed or not). A `hostile` server puts
terminal escape sequences (`HOSTILE`) in every string it sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .catalog import (
    DEMO_MODELS,
    PULLABLE,
    THINKING,
    DemoModel,
    ReplyPlan,
    canonical,
    choose_tool_calls,
    describe_images,
    json_reply,
    long_text,
    reply_text,
    tokenize,
    tool_answer,
)
from .large import large_reply_for

FaultKind = Literal[
    "disconnect",  # close the connection after `after` chunks (no final line)
    "error_line",  # send {"error": message} after `after` chunks, then end the stream
    "garbage",  # send a line that is not JSON after `after` chunks
    "no_done",  # end the stream cleanly but without the done line
    "http_error",  # answer `status` with {"error": message} before streaming
    "hang",  # read the request, then send nothing at all
    "hang_after",  # send `after` chunks, then nothing (connection stays open)
    "slow_first_token",  # wait `delay` seconds before the first chunk
    "slow",  # wait `delay` seconds before answering at all (any endpoint)
    "absurd_metrics",  # the done line carries `metrics` (huge, negative, float, text values)
    "deep_json",  # the reply is JSON nested `depth` levels deep (closed)
    "unclosed_json",  # the reply is JSON that opens `depth` levels and never closes them
    "absurd_numbers",  # /api/tags, /api/show, /api/ps or /api/pull: sizes, context
    # lengths, totals and expiry out of range (400 digits, negative, NaN, float, no date)
]

HUGE = int("9" * 400)
"""A number of 400 digits: valid JSON, too large for a float (or any real size)."""

ABSURD_METRICS: dict[str, Any] = {
    "total_duration": -5,
    "load_duration": 1.5,
    "prompt_eval_count": "NaN",
    "prompt_eval_duration": True,
    "eval_count": int("9" * 400),
    "eval_duration": 1,
}
"""What an `absurd_metrics` fault sends unless told otherwise: a count of 400 digits over
one nanosecond (tokens per second overflow a float), a negative, a float, text, a bool."""


HOSTILE = (
    "\x1b]2;PWNED-TITLE\x07"  # OSC 2: retitles the terminal
    "\x1b[31mPWNED-RED\x1b[0m"  # SGR colours
    "\x1b]52;c;UFdORUQ=\x07"  # OSC 52: writes the clipboard
    "\x1b[2J"  # CSI 2J: clears the screen
    "\x9b31mPWNED-C1"  # a C1 CSI
    "\x07"  # BEL
)
"""What a `hostile` server adds to every string it sends: escape sequences that a
terminal would obey if the client showed them as they are."""


@dataclass
class Fault:
    """One misbehaviour, applied to the next matching request."""

    kind: FaultKind
    after: int = 0
    """Chunks sent before the fault strikes."""
    status: int = 500
    message: str = "an injected failure"
    delay: float = 0.0
    path: str = "/api/chat"
    """The endpoint it applies to."""
    metrics: dict[str, Any] = field(default_factory=lambda: dict(ABSURD_METRICS))
    """For `absurd_metrics`: the metric fields of the done line (`float("nan")` is sent as
    a bare `NaN`, which Python's JSON reader accepts)."""
    depth: int = 5000
    """For `deep_json` and `unclosed_json`: how many levels the reply opens."""


@dataclass
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    body: Any
    """The decoded JSON body (None if there was none)."""
    headers: dict[str, str] = field(default_factory=dict)


# Types of the Modelfile options Ollama accepts in `options` (api/types.go, Options/Runner).
OPTION_TYPES: dict[str, str] = {
    **dict.fromkeys(
        [
            "num_keep",
            "seed",
            "num_predict",
            "top_k",
            "repeat_last_n",
            "mirostat",
            "num_ctx",
            "num_batch",
            "num_gpu",
            "main_gpu",
            "num_thread",
        ],
        "int",
    ),
    **dict.fromkeys(
        [
            "temperature",
            "top_p",
            "min_p",
            "typical_p",
            "repeat_penalty",
            "presence_penalty",
            "frequency_penalty",
            "mirostat_tau",
            "mirostat_eta",
            "tfs_z",
        ],
        "float",
    ),
    **dict.fromkeys(
        [
            "penalize_newline",
            "numa",
            "low_vram",
            "use_mmap",
            "use_mlock",
            "vocab_only",
            "f16_kv",
            "logits_all",
        ],
        "bool",
    ),
    "stop": "list",
}

_DURATION = re.compile(r"(-?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$")
_UNIT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def keep_alive_seconds(value: Any) -> float | None:
    """Seconds a model stays loaded (None: for ever). Go durations or numbers, like Ollama.

    Raises:
        ValueError: not a duration.
    """
    if value is None:
        return 300.0
    if isinstance(value, bool):
        raise ValueError("keep_alive must be a duration or a number")
    if isinstance(value, int | float):
        return None if value < 0 else float(value)
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError):
            number = float(text)
            return None if number < 0 else number
        match = _DURATION.match(text)
        if match:
            total = sum(float(n) * _UNITS[u] for n, u in _UNIT.findall(text))
            return None if match.group(1) == "-" else total
    raise ValueError(f'time: invalid duration "{value}"')


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_INSTALLED_AT = "2026-11-01T10:00:00.000000000Z"
"""`modified_at` of the models the server starts with."""
_THINKING_ON = (True, "high", "medium", "low", "max")
"""`think` values that ask for thinking (Ollama's `ThinkValue.Bool`)."""


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DemoServer:
    """A simulated Ollama server on an asyncio event loop."""

    def __init__(
        self,
        *,
        token_rate: float = 0.0,
        first_token_delay: float = 0.0,
        reply_tokens: int | None = None,
        split_writes: bool = False,
        pull_seconds: float = 2.0,
        load_seconds: float = 0.0,
        hostile: bool = False,
        large_replies: bool = False,
    ) -> None:
        """
        Args:
            token_rate: Tokens per second (0: as fast as possible).
            first_token_delay: Seconds before the first token of every reply.
            reply_tokens: Make every content reply exactly this many tokens long.
            split_writes: Write every response in pieces of 1-7 bytes.
            pull_seconds: How long a simulated pull takes.
            load_seconds: How long a simulated model load takes.
            hostile: Put escape sequences in every string sent (see `hostile`).
            large_replies: Answer a prompt `large:<name>` with a canned large reply at
                its own rate (see `large.py`).
        """
        self.token_rate = token_rate
        self.first_token_delay = first_token_delay
        self.reply_tokens = reply_tokens
        self.split_writes = split_writes
        self.pull_seconds = pull_seconds
        self.load_seconds = load_seconds
        self.tool_loop = False
        """When set, the model calls a tool again after every tool result (a looping model)."""
        self.forced_tool_calls: list[dict[str, Any]] | None = None
        """When set, a model offered tools makes these calls (`[{"function": {"name",
        "arguments"}}]`) instead of choosing: a model that gets names or arguments wrong."""
        self.basic_auth: tuple[str, str] | None = None
        """When set (user, password), every request without that HTTP basic auth is
        answered 401, as by Ollama behind a reverse proxy that asks for a password."""
        self.version = "0.13.0"
        self.hostile = hostile
        self.large_replies = large_replies
        """When set, every string the server sends carries `HOSTILE` (model names, details,
        capabilities, the version, error texts, done reasons, tool call names, thinking and
        content). It still finds a model by its name whatever follows it, so that a client
        that shows the escape sequences as symbols (and sends those back) can chat."""
        self.models: dict[str, DemoModel] = {m.name: m for m in DEMO_MODELS}
        self.modified: dict[str, str] = {}
        """When a model was pulled or copied here (RFC 3339); the others date from before."""
        self._recent: dict[str, int] = {}
        """Pulled or copied models, in the order they came (newest highest)."""
        self.registry: dict[str, DemoModel] = {m.name: m for m in (*DEMO_MODELS, *PULLABLE)}
        self.loaded: dict[str, float | None] = {}
        """Loaded model -> monotonic expiry (None: for ever)."""
        self.requests: list[RecordedRequest] = []
        self.on_reply_done: Callable[[], None] | None = None
        """Called after the last chunk of every streamed chat reply (benchmarks time it)."""
        self.on_token: Callable[[str], None] | None = None
        """With a `token_rate`: called (on the server's thread) with each content token of
        a streamed chat reply just before it is written, so that a client can never have
        a token the hook has not seen (tests compare it with what was saved)."""
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._rng = random.Random(1234)
        self.port = 0

    # -- control ----------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Make the next request to `fault.path` misbehave (thread-safe)."""
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path == path:
                    self._faults.remove(fault)
                    return fault
        return None

    def add_model(self, name: str) -> None:
        """Put a model of the registry on the server as if it had just been pulled."""
        model = self.registry[canonical(name)]
        self._arrived(model.name)
        self.models[model.name] = model

    def _arrived(self, name: str) -> None:
        self.modified[name] = self._stamp()
        self._recent[name] = max(self._recent.values(), default=0) + 1

    def _hostile(self, text: str) -> str:
        """`text` as a hostile server sends it."""
        return text + HOSTILE if self.hostile else text

    def chat_requests(self) -> list[Any]:
        """The bodies of every `/api/chat` request so far."""
        return [r.body for r in list(self.requests) if r.path == "/api/chat"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the port."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    # -- HTTP -------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                keep_alive = await self._dispatch(request, reader, writer)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._connections.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> RecordedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = ([*lines[0].split(" ", 2), "", ""])[:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        elif headers.get("content-length"):
            body = await reader.readexactly(int(headers["content-length"]))
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        return RecordedRequest(method, target.split("?")[0], parsed, headers)

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self.split_writes:
            writer.write(data)
            await writer.drain()
            return
        position = 0
        while position < len(data):
            step = self._rng.randint(1, 7)
            writer.write(data[position : position + step])
            await writer.drain()
            await asyncio.sleep(0.0005)
            position += step

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        reason = {
            200: "OK",
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            500: "Internal Server Error",
        }
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Date: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S GMT}\r\n\r\n"
        )
        await self._write(writer, head.encode("latin-1") + body)

    async def _send_json(self, writer: asyncio.StreamWriter, status: int, obj: Any) -> None:
        await self._send(writer, status, json.dumps(obj).encode("utf-8"))

    async def _start_stream(self, writer: asyncio.StreamWriter) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
            "Transfer-Encoding: chunked\r\n"
            f"Date: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S GMT}\r\n\r\n"
        )
        await self._write(writer, head.encode("latin-1"))

    async def _stream_line(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        await self._write(writer, b"%x\r\n%s\r\n" % (len(data), data))

    async def _end_stream(self, writer: asyncio.StreamWriter) -> None:
        await self._write(writer, b"0\r\n\r\n")

    async def _dispatch(
        self, request: RecordedRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        self.requests.append(request)
        if self.basic_auth is not None and not self._authorized(request):
            await self._send_json(writer, 401, {"error": "unauthorized"})
            return True
        fault = self._take_fault(request.path)
        if fault is not None and fault.kind == "hang":
            # Send nothing; wait for the client to give up.
            with contextlib.suppress(Exception):
                await reader.read()
            return False
        if fault is not None and fault.kind == "http_error":
            await self._send_json(writer, fault.status, {"error": self._hostile(fault.message)})
            return True
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        routes = {
            ("GET", "/"): self._root,
            ("HEAD", "/"): self._root,
            ("GET", "/api/version"): self._version,
            ("GET", "/api/tags"): self._tags,
            ("POST", "/api/show"): self._show,
            ("GET", "/api/ps"): self._ps,
            ("POST", "/api/chat"): self._chat,
            ("POST", "/api/pull"): self._pull,
            ("DELETE", "/api/delete"): self._delete,
            ("POST", "/api/copy"): self._copy,
        }
        handler = routes.get((request.method, request.path))
        if handler is None:
            await self._send(writer, 404, b"404 page not found", "text/plain")
            return True
        try:
            return await handler(request, writer, fault)
        except _BadRequest as exc:
            await self._send_json(writer, exc.status, {"error": self._hostile(exc.message)})
            return True

    def _authorized(self, request: RecordedRequest) -> bool:
        import base64

        assert self.basic_auth is not None
        user, password = self.basic_auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return request.headers.get("authorization", "") == f"Basic {token}"

    # -- endpoints ----------------------------------------------------------------------------

    async def _root(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        await self._send(writer, 200, b"Ollama is running", "text/plain; charset=utf-8")
        return True

    async def _version(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        await self._send_json(writer, 200, {"version": self._hostile(self.version)})
        return True

    def _details(self, model: DemoModel) -> dict[str, Any]:
        hostile = self._hostile
        return {
            "parent_model": "",
            "format": hostile("gguf"),
            "family": hostile(model.family),
            "families": [hostile(model.family)],
            "parameter_size": hostile(model.parameter_size),
            "quantization_level": hostile(model.quantization),
        }

    async def _tags(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        # Like Ollama: the most recently pulled (or copied) model first.
        ordered = sorted(
            self.models.values(),
            key=lambda m: self._recent.get(m.name, 0),
            reverse=True,
        )
        absurd = fault is not None and fault.kind == "absurd_numbers"
        models = [
            {
                "name": self._hostile(m.name),
                "model": self._hostile(m.name),
                "modified_at": self.modified.get(m.name, _INSTALLED_AT),
                "size": HUGE if absurd else m.size,
                "digest": f"{abs(hash(m.name)) & ((1 << 64) - 1):016x}" * 4,
                "details": self._details(m),
            }
            for m in ordered
        ]
        await self._send_json(writer, 200, {"models": models})
        return True

    def _model(self, body: Any, key: str = "model") -> DemoModel:
        if not isinstance(body, dict):
            raise _BadRequest(400, "invalid request body")
        name = body.get(key) or body.get("name")
        if not isinstance(name, str) or not name:
            raise _BadRequest(400, "model is required")
        model = self.models.get(canonical(name))
        if model is None and self.hostile:
            # The name it gave, whatever the client made of the escape sequences after it.
            known = [n for n in self.models if name.startswith(n)]
            model = self.models[max(known, key=len)] if known else None
        if model is None:
            raise _BadRequest(404, f"model '{name}' not found")
        return model

    async def _show(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        model = self._model(request.body)
        hostile = self._hostile
        capabilities = [*model.capabilities, HOSTILE] if self.hostile else list(model.capabilities)
        await self._send_json(
            writer,
            200,
            {
                "license": hostile(model.license),
                "modelfile": hostile(model.modelfile),
                "parameters": hostile('temperature 0.7\nstop "<|end|>"'),
                "template": hostile("{{ .Prompt }}"),
                "system": hostile(""),
                "details": self._details(model),
                "model_info": {
                    "general.architecture": model.family,
                    "general.parameter_count": 8_000_000_000,
                    f"{model.family}.context_length": (
                        float("nan")
                        if fault is not None and fault.kind == "absurd_numbers"
                        else model.context_length
                    ),
                },
                "capabilities": capabilities,
                "modified_at": "2026-11-01T10:00:00Z",
            },
        )
        return True

    def _expire(self) -> None:
        now = time.monotonic()
        for name, expiry in list(self.loaded.items()):
            if expiry is not None and expiry <= now:
                del self.loaded[name]

    async def _ps(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        self._expire()
        now_m, now_w = time.monotonic(), datetime.now(UTC)
        running = []
        for name, expiry in self.loaded.items():
            model = self.models.get(name) or self.registry[name]
            expires = (
                datetime(2318, 1, 1, tzinfo=UTC)
                if expiry is None
                else now_w + timedelta(seconds=expiry - now_m)
            )
            running.append(
                {
                    "name": self._hostile(name),
                    "model": self._hostile(name),
                    "size": model.size + 500_000_000,
                    "size_vram": int((model.size + 500_000_000) * 0.8),
                    "digest": "0" * 64,
                    "details": self._details(model),
                    "expires_at": _rfc3339(expires),
                    "context_length": min(model.context_length, 4096),
                }
            )
            if fault is not None and fault.kind == "absurd_numbers":
                running[-1].update(
                    size=HUGE, size_vram=-5, expires_at="99999-13-01T00:00:00Z", context_length=1.5
                )
        await self._send_json(writer, 200, {"models": running})
        return True

    async def _delete(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        model = self._model(request.body)
        del self.models[model.name]
        self.loaded.pop(model.name, None)
        await self._send(writer, 200, b"", "text/plain")
        return True

    async def _copy(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        body = request.body if isinstance(request.body, dict) else {}
        source = self._model(body, "source")
        destination = body.get("destination")
        if not isinstance(destination, str) or not destination:
            raise _BadRequest(400, "destination is required")
        name = canonical(destination)
        self.models[name] = DemoModel(
            name,
            source.family,
            source.parameter_size,
            source.quantization,
            source.size,
            source.capabilities,
            source.context_length,
        )
        self._arrived(name)
        await self._send(writer, 200, b"", "text/plain")
        return True

    async def _pull(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        body = request.body if isinstance(request.body, dict) else {}
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not name:
            raise _BadRequest(400, "model is required")
        await self._start_stream(writer)

        async def line(obj: dict[str, Any]) -> None:
            for key in ("status", "error"):
                if key in obj:
                    obj[key] = self._hostile(obj[key])
            await self._stream_line(writer, json.dumps(obj).encode() + b"\n")

        await line({"status": "pulling manifest"})
        model = self.registry.get(canonical(name))
        if model is None:
            await line({"error": "pull model manifest: file does not exist"})
            await self._end_stream(writer)
            return True
        import hashlib

        layers = [
            # Digests like real ones (distinct, hex), derived from the name: deterministic.
            (f"sha256:{hashlib.sha256(f'{model.name}/{i}'.encode()).hexdigest()}", size)
            for i, size in ((1, int(model.size * 0.97)), (2, 12_000), (3, int(model.size * 0.03)))
        ]
        steps = 20
        for digest, total in layers:
            for step in range(steps + 1):
                absurd = fault is not None and fault.kind == "absurd_numbers"
                await line(
                    {
                        "status": f"pulling {digest[7:19]}",
                        "digest": digest,
                        "total": HUGE if absurd else total,
                        "completed": -3 if absurd and step < steps else total * step // steps,
                    }
                )
                if fault is not None and fault.kind == "error_line" and step == fault.after:
                    await line({"error": fault.message})
                    await self._end_stream(writer)
                    return True
                await asyncio.sleep(self.pull_seconds / (steps * len(layers)))
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            await line({"status": status})
        self.models[model.name] = model
        self._arrived(model.name)
        await self._end_stream(writer)
        return True

    # -- chat -------------------------------------------------------------------------------

    def _validate_options(self, options: Any) -> dict[str, Any]:
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise _BadRequest(400, "options must be an object")
        for key, value in options.items():
            kind = OPTION_TYPES.get(key)
            ok = True
            if kind == "int":
                ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                    isinstance(value, float) and value.is_integer()
                )
            elif kind == "float":
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            elif kind == "bool":
                ok = isinstance(value, bool)
            elif kind == "list":
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            if not ok:
                raise _BadRequest(
                    500, f'option "{key}" must be of type {kind}, not {type(value).__name__}'
                )
        return options

    def _plan(self, model: DemoModel, body: dict[str, Any]) -> ReplyPlan:
        messages = body.get("messages") or []
        if not isinstance(messages, list):
            raise _BadRequest(400, "messages must be a list")
        think = body.get("think")
        tools = body.get("tools")
        if tools and "tools" not in model.capabilities:
            raise _BadRequest(
                400, f"registry.ollama.ai/library/{model.name} does not support tools"
            )
        options = self._validate_options(body.get("options"))
        prompt = ""
        last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
        prompt = next(
            (
                m.get("content", "")
                for m in reversed(messages)
                if isinstance(m, dict) and m.get("role") == "user"
            ),
            "",
        )
        prompt = prompt if isinstance(prompt, str) else ""
        turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "user")
        plan = ReplyPlan()

        if (
            tools
            and isinstance(tools, list)
            and (last.get("role") == "user" or (self.tool_loop and last.get("role") == "tool"))
        ):
            if self.forced_tool_calls is not None:
                plan.tool_calls = json.loads(json.dumps(self.forced_tool_calls))
            else:
                plan.tool_calls = choose_tool_calls(tools, prompt)
        if plan.tool_calls:
            return plan

        images = last.get("images") if last.get("role") == "user" else None
        fmt = body.get("format")
        if fmt not in (None, "", "json") and not isinstance(fmt, dict):
            raise _BadRequest(400, 'invalid format: expected "json" or a JSON schema')
        if last.get("role") == "tool":
            text = tool_answer(messages)
        elif fmt:
            text = json_reply(fmt, prompt)
        elif images:
            if "vision" not in model.capabilities:
                text = "This model cannot see images; it only read your text.\n"
            else:
                try:
                    text = describe_images(images)
                except ValueError as exc:
                    raise _BadRequest(400, str(exc)) from None
        else:
            text = reply_text(prompt, turn)
        content = long_text(self.reply_tokens) if self.reply_tokens else tokenize(text)

        thinking: list[str] = []
        if "thinking" in model.capabilities and think is not False and not fmt:
            thinking = tokenize(THINKING.replace("{prompt}", " ".join(prompt.split())[:80]))
            if think is None:
                # Older servers: the reasoning arrives inside the content.
                content = ["<think>", *thinking, "</think>\n\n", *content]
                thinking = []
        plan.thinking, plan.content = thinking, content

        limit = options.get("num_predict")
        if isinstance(limit, int | float) and not isinstance(limit, bool) and limit >= 0:
            limit = int(limit)
            if len(thinking) >= limit:
                plan.thinking, plan.content = thinking[:limit], []
                plan.done_reason = "length"
            elif len(thinking) + len(content) > limit:
                plan.content = content[: limit - len(thinking)]
                plan.done_reason = "length"
        return plan

    @staticmethod
    def _large_reply(messages: Any) -> tuple[list[str], float] | None:
        """(tokens, rate) of the large reply the last message asks for, if any."""
        last = messages[-1] if isinstance(messages, list) and messages else None
        if not isinstance(last, dict) or last.get("role") != "user":
            return None
        content = last.get("content")
        return large_reply_for(content) if isinstance(content, str) else None

    def _stamp(self) -> str:
        return _rfc3339(datetime.now(UTC))

    async def _chat(self, request: RecordedRequest, writer: Any, fault: Fault | None) -> bool:
        body = request.body
        if not isinstance(body, dict):
            raise _BadRequest(400, "invalid request body")
        model = self._model(body)
        try:
            keep = keep_alive_seconds(body.get("keep_alive"))
        except ValueError as exc:
            raise _BadRequest(400, str(exc)) from None
        messages = body.get("messages")
        stream = body.get("stream", True) is not False
        self._expire()
        # As Ollama checks them (server/routes.go, ChatHandler): thinking, then chat; the
        # name is the one asked for.
        think = body.get("think")
        asked = json.dumps(body.get("model") or model.name, ensure_ascii=False)
        if think in _THINKING_ON and "thinking" not in model.capabilities:
            raise _BadRequest(400, f"{asked} does not support thinking")
        if "completion" not in model.capabilities:
            raise _BadRequest(400, f"{asked} does not support chat")

        if not messages:
            # Load (or, with keep_alive 0, unload) the model and return at once.
            unload = keep == 0
            if unload:
                self.loaded.pop(model.name, None)
            else:
                await asyncio.sleep(self.load_seconds)
                self.loaded[model.name] = None if keep is None else time.monotonic() + keep
            final = {
                "model": self._hostile(model.name),
                "created_at": self._stamp(),
                "message": {"role": "assistant", "content": ""},
                "done_reason": self._hostile("unload" if unload else "load"),
                "done": True,
            }
            if stream:
                await self._start_stream(writer)
                await self._stream_line(writer, json.dumps(final).encode() + b"\n")
                await self._end_stream(writer)
            else:
                await self._send_json(writer, 200, final)
            return True

        plan = self._plan(model, body)
        token_rate = self.token_rate
        large = self._large_reply(messages) if self.large_replies else None
        if large is not None:
            (plan.thinking, plan.content), token_rate = ([], large[0]), large[1]
        if fault is not None and fault.kind in ("deep_json", "unclosed_json"):
            plan.thinking, plan.content = [], _nested_json(fault.depth, fault.kind == "deep_json")
        if self.hostile:
            plan.thinking = [*plan.thinking, HOSTILE] if plan.thinking else []
            plan.content = [*plan.content, HOSTILE]
            plan.done_reason = self._hostile(plan.done_reason)
            for call in plan.tool_calls:
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("name"), str):
                    function["name"] = self._hostile(function["name"])
        was_loaded = model.name in self.loaded
        started = time.monotonic()
        if not was_loaded:
            await asyncio.sleep(self.load_seconds)
        self.loaded[model.name] = None if keep is None else time.monotonic() + keep
        delay = self.first_token_delay + (
            fault.delay if fault is not None and fault.kind == "slow_first_token" else 0.0
        )
        prompt_chars = sum(
            len(m.get("content", ""))
            for m in messages
            if isinstance(m, dict) and isinstance(m.get("content"), str)
        )
        prompt_tokens = max(1, prompt_chars // 4) + 8 * len(messages)
        count = len(plan.thinking) + len(plan.content) + (1 if plan.tool_calls else 0)
        rate = token_rate or 42.0
        final: dict[str, Any] = {
            "model": self._hostile(model.name),
            "created_at": "",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": plan.done_reason,
        }

        def metrics() -> dict[str, Any]:
            if fault is not None and fault.kind == "absurd_metrics":
                return dict(fault.metrics)
            elapsed = time.monotonic() - started
            eval_ns = int(count / rate * 1e9) if not token_rate else int(elapsed * 1e9)
            load_ns = 0 if was_loaded else int(self.load_seconds * 1e9) + 1_000_000
            prompt_ns = int(prompt_tokens / 1500 * 1e9)
            return {
                "total_duration": load_ns + prompt_ns + max(eval_ns, 1),
                "load_duration": load_ns,
                "prompt_eval_count": prompt_tokens,
                "prompt_eval_duration": prompt_ns,
                "eval_count": count,
                "eval_duration": max(eval_ns, 1),
            }

        if not stream:
            await asyncio.sleep(delay + (count / token_rate if token_rate else 0))
            message: dict[str, Any] = {"role": "assistant", "content": "".join(plan.content)}
            if plan.thinking:
                message["thinking"] = "".join(plan.thinking)
            if plan.tool_calls:
                message["tool_calls"] = plan.tool_calls
            final.update(created_at=self._stamp(), message=message, **metrics())
            await self._send_json(writer, 200, final)
            return True

        await self._start_stream(writer)
        if delay:
            await asyncio.sleep(delay)
        interval = 1.0 / token_rate if token_rate else 0.0
        pieces: list[tuple[str, str]] = [("thinking", t) for t in plan.thinking]
        pieces += [("content", t) for t in plan.content]
        next_at = time.monotonic()
        sent = 0
        buffer: list[bytes] = []
        for field_name, token in pieces:
            if fault is not None and sent == fault.after:
                if buffer:
                    await self._write(writer, b"".join(buffer))
                    buffer.clear()
                if await self._fault(writer, fault):
                    return fault.kind not in ("disconnect", "hang_after")
            message = {"role": "assistant", "content": ""}
            message[field_name] = token
            line = (
                json.dumps(
                    {
                        "model": self._hostile(model.name),
                        "created_at": self._stamp(),
                        "message": message,
                        "done": False,
                    }
                ).encode()
                + b"\n"
            )
            sent += 1
            if interval:
                next_at += interval
                pause = next_at - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                if self.on_token is not None and field_name == "content":
                    self.on_token(token)
                await self._stream_line(writer, line)
            else:
                # As fast as possible: still one HTTP chunk per line, written in batches.
                buffer.append(b"%x\r\n%s\r\n" % (len(line), line))
                if len(buffer) >= 64:
                    await self._write(writer, b"".join(buffer))
                    buffer.clear()
        if buffer:
            await self._write(writer, b"".join(buffer))
        if fault is not None and sent <= fault.after and await self._fault(writer, fault):
            return fault.kind not in ("disconnect", "hang_after")
        if plan.tool_calls:
            tool_line = {
                "model": self._hostile(model.name),
                "created_at": self._stamp(),
                "message": {"role": "assistant", "content": "", "tool_calls": plan.tool_calls},
                "done": False,
            }
            await self._stream_line(writer, json.dumps(tool_line).encode() + b"\n")
        final.update(created_at=self._stamp(), **metrics())
        await self._stream_line(writer, json.dumps(final).encode() + b"\n")
        await self._end_stream(writer)
        if self.on_reply_done is not None:
            self.on_reply_done()
        return True

    async def _fault(self, writer: asyncio.StreamWriter, fault: Fault) -> bool:
        """Apply a mid-stream fault; True if the stream is over."""
        if fault.kind == "disconnect":
            writer.close()
            return True
        if fault.kind == "error_line":
            error = {"error": self._hostile(fault.message)}
            await self._stream_line(writer, json.dumps(error).encode() + b"\n")
            await self._end_stream(writer)
            return True
        if fault.kind == "garbage":
            await self._stream_line(writer, b"<html>502 Bad Gateway</html>\n")
            await self._end_stream(writer)
            return True
        if fault.kind == "no_done":
            await self._end_stream(writer)
            return True
        if fault.kind == "hang_after":
            await asyncio.sleep(3600)
            return True
        return False


def _nested_json(depth: int, closed: bool) -> list[str]:
    """A JSON reply nested `depth` levels deep (`{"a": [{"a": [...]}]}`), in pieces as a
    model streams them; `closed=False`: it never closes."""
    opening = '{"a": [' * (depth // 2) + ("[" if depth % 2 else "")
    closing = ("]" if depth % 2 else "") + "]}" * (depth // 2)
    text = opening + ("0" + closing if closed else "")
    return [text[i : i + 64] for i in range(0, len(text), 64)]


class ThreadedDemoServer:
    """Runs a `DemoServer` on its own event loop in a daemon thread.

    Used by `--demo` (so the simulated model never competes with the UI's loop) and by
    the tests (so they can drive the app on one loop while the server runs on another).
    """

    def __init__(self, **settings: Any) -> None:
        self.server = DemoServer(**settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> str:
        """Start listening on 127.0.0.1; returns the base URL."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self.server.start(port=port))
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="olladeck-demo-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self.server.url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self.server

    def __exit__(self, *exc: object) -> None:
        self.stop()

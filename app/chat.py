"""The chat logic that needs no UI: request bodies, reply buffering, safe display text."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from .models import ChatMessage, Conversation, ReplyStats, ToolCall

if TYPE_CHECKING:
    from .ollama.types import ChatChunk

# C0 controls (but tab and newline), DEL and C1 controls become visible symbols, so that
# escape sequences from a model (or a pasted file) can never reach the terminal.
_CONTROL_MAP = {i: 0x2400 + i for i in range(0x20) if i not in (0x09, 0x0A)}
_CONTROL_MAP[0x7F] = 0x2421
_CONTROL_MAP.update({i: 0xFFFD for i in range(0x80, 0xA0)})
_HAS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(text: str) -> str:
    """Text safe to display: control characters (ESC included) shown as symbols.

    `\\r\\n` line ends become `\\n`; a lone `\\r` becomes a visible symbol.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _HAS_CONTROL.search(text) is None:
        return text
    return text.translate(_CONTROL_MAP)


class ThinkSplitter:
    """Moves a leading `<think>…</think>` block out of streamed content.

    Older servers (and models without native thinking support) put their reasoning inside
    the content. Tags may be cut across chunks, so text that could still be part of a tag
    is held back until the next chunk decides it.
    """

    OPEN = "<think>"
    CLOSE = "</think>"

    def __init__(self) -> None:
        self._state = "start"
        self._held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """Split a content delta; returns `(thinking, content)`."""
        if self._state == "content":
            return "", text
        if self._state == "gap":
            return "", self._after_think(text)
        text = self._held + text
        self._held = ""
        if self._state == "start":
            stripped = text.lstrip()
            if stripped.startswith(self.OPEN):
                self._state = "thinking"
                text = stripped[len(self.OPEN) :]
            elif self.OPEN.startswith(stripped):
                self._held = text
                return "", ""
            else:
                self._state = "content"
                return "", text
        # thinking: look for the closing tag
        end = text.find(self.CLOSE)
        if end >= 0:
            self._state = "gap"
            return text[:end], self._after_think(text[end + len(self.CLOSE) :])
        keep = 0
        for size in range(min(len(self.CLOSE) - 1, len(text)), 0, -1):
            if self.CLOSE.startswith(text[-size:]):
                keep = size
                break
        if keep:
            self._held = text[-keep:]
            return text[:-keep], ""
        return text, ""

    def _after_think(self, text: str) -> str:
        """Drop the blank lines between the think block and the answer."""
        text = text.lstrip("\r\n")
        if text:
            self._state = "content"
        return text

    def flush(self) -> tuple[str, str]:
        """The stream ended: release anything held back."""
        held, self._held = self._held, ""
        if self._state == "thinking":
            return held, ""
        return "", held

    @property
    def active(self) -> bool:
        """False once past any think block: content then passes straight through."""
        return self._state != "content"


class ReplyBuffer:
    """Collects a streaming reply; the UI takes what is new once per frame.

    Adding a chunk is a list append: nothing is joined, parsed or drawn per token.
    """

    def __init__(self, message: ChatMessage, model: str) -> None:
        self.message = message
        self.started = time.monotonic()
        self._content: list[str] = [message.content] if message.content else []
        self._thinking: list[str] = [message.thinking] if message.thinking else []
        self._content_taken = 0
        self._thinking_taken = 0
        self._splitter = ThinkSplitter()
        self._first_token: float | None = None
        self._thinking_started: float | None = None
        self._thinking_ended: float | None = None
        self.version = 0
        """Bumped on every change: a cheap test for 'anything new?'."""
        self.done = False
        if message.stats is None:
            message.stats = ReplyStats(model=model)

    def add(self, chunk: ChatChunk) -> None:
        """Add a streamed chunk."""
        thinking, content = chunk.thinking, chunk.content
        if content and self._splitter.active:
            split_thinking, content = self._splitter.feed(content)
            thinking += split_thinking
        if thinking or content:
            moment = time.monotonic()
            if self._first_token is None:
                self._first_token = moment
            if thinking:
                self._thinking.append(thinking)
                if self._thinking_started is None:
                    self._thinking_started = moment
            if content:
                self._content.append(content)
                if self._thinking_started is not None and self._thinking_ended is None:
                    self._thinking_ended = moment
            self.version += 1
        if chunk.tool_calls:
            for call in chunk.tool_calls:
                function = call.get("function") if isinstance(call.get("function"), dict) else {}
                assert isinstance(function, dict)
                arguments = function.get("arguments")
                self.message.tool_calls.append(
                    ToolCall(
                        name=str(function.get("name", "")),
                        arguments=arguments if isinstance(arguments, dict) else {},
                    )
                )
            self.version += 1
        if chunk.done:
            self._finish_stats(chunk)

    def _finish_stats(self, chunk: ChatChunk) -> None:
        stats = self.message.stats
        assert stats is not None
        if chunk.model:
            stats.model = chunk.model
        for key, value in chunk.metrics.items():
            setattr(stats, key, value)
        stats.done_reason = chunk.done_reason

    def rewind(self) -> None:
        """Hand out everything again (a fresh view of the reply is being built)."""
        self._content_taken = 0
        self._thinking_taken = 0

    def take_content(self) -> str:
        """Content added since the last call."""
        if self._content_taken == len(self._content):
            return ""
        new = "".join(self._content[self._content_taken :])
        self._content_taken = len(self._content)
        return new

    def take_thinking(self) -> str:
        """Thinking added since the last call."""
        if self._thinking_taken == len(self._thinking):
            return ""
        new = "".join(self._thinking[self._thinking_taken :])
        self._thinking_taken = len(self._thinking)
        return new

    @property
    def is_thinking(self) -> bool:
        """True while the model reasons and has not started its answer."""
        return bool(self._thinking) and not self._content

    def sync(self) -> None:
        """Bring `message.content`/`thinking` and the timing stats up to date."""
        self.message.content = "".join(self._content)
        self.message.thinking = "".join(self._thinking)
        stats = self.message.stats
        assert stats is not None
        if self._first_token is not None:
            stats.first_token_seconds = round(self._first_token - self.started, 3)
        if self._thinking_started is not None:
            end = self._thinking_ended or time.monotonic()
            stats.thinking_seconds = round(end - self._thinking_started, 3)

    def finish(self, state: str, error: str | None = None) -> None:
        """The stream is over: flush held-back text, set the final state."""
        thinking, content = self._splitter.flush()
        if thinking:
            self._thinking.append(thinking)
        if content:
            self._content.append(content)
        if self._thinking_started is not None and self._thinking_ended is None:
            self._thinking_ended = time.monotonic()
        self.sync()
        self.message.state = state  # type: ignore[assignment]
        self.message.error = error
        self.done = True
        self.version += 1


def history_messages(conversation: Conversation, upto: int | None = None) -> list[ChatMessage]:
    """The messages that are sent as context: failed empty replies are left out."""
    messages = conversation.messages if upto is None else conversation.messages[:upto]
    return [
        m
        for m in messages
        if not (m.role == "assistant" and m.state in ("error", "streaming") and not m.content)
    ]


def message_to_api(message: ChatMessage, images_b64: list[str] | None = None) -> dict[str, Any]:
    """One message as `/api/chat` expects it. Thinking is not resent."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if images_b64:
        out["images"] = images_b64
    if message.tool_calls:
        out["tool_calls"] = [call.to_api() for call in message.tool_calls]
    if message.role == "tool" and message.tool_name:
        out["tool_name"] = message.tool_name
    return out


def chat_body(
    conversation: Conversation,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `/api/chat` request body: only what the user set is sent."""
    opts = conversation.chat_options
    body: dict[str, Any] = {"model": conversation.model, "messages": messages}
    if conversation.system.strip():
        body["messages"] = [{"role": "system", "content": conversation.system}, *messages]
    if opts.options:
        body["options"] = dict(opts.options)
    if opts.format is not None and opts.format != "":
        body["format"] = opts.format
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    if opts.think is not None:
        body["think"] = opts.think
    if tools:
        body["tools"] = tools
    body["stream"] = opts.stream
    return body

"""The chat logic that needs no UI: request bodies, reply buffering, safe display text."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# The sanitizer lives in core/display_text.py; re-exported for the modules that take it
# from here.
from .core.display_text import DisplayText as DisplayText
from .core.display_text import one_line as one_line
from .core.display_text import sanitize as sanitize
from .models import ChatMessage, Conversation, DeletedMessage, ReplyStats, ToolCall

if TYPE_CHECKING:
    from .ollama.types import ChatChunk


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
        stats.out_of_range = chunk.rejected
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
    """The messages that are sent as context.

    Left out: replies with nothing to send (failed, stopped before any text, or still
    empty: an empty assistant turn tells the model it said nothing), and replies or tool
    results before the first user message (the question they answered was deleted: a
    history that opens with the model's answer to nothing confuses it).
    """
    messages = conversation.messages if upto is None else conversation.messages[:upto]
    sent: list[ChatMessage] = []
    asked = False
    for m in messages:
        if m.role == "assistant" and not m.content and not m.tool_calls:
            continue
        if m.role == "user":
            asked = True
        elif m.role in ("assistant", "tool") and not asked:
            continue
        sent.append(m)
    return sent


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
    *,
    can_think: bool = True,
) -> dict[str, Any]:
    """The `/api/chat` request body: only what the user set is sent.

    With `can_think` False (the model lacks the `thinking` capability, or it is not known
    yet), a `think` that asks for thinking is left out: Ollama refuses it with a 400.
    `think: false` is still sent (every model accepts it).
    """
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
    if opts.think is not None and (can_think or opts.think is False):
        body["think"] = opts.think
    if tools:
        body["tools"] = tools
    body["stream"] = opts.stream
    return body


# -- versions: edits and regenerations keep what they replace -------------------------------


def _versions(head: ChatMessage, tail: list[ChatMessage]) -> list[list[ChatMessage]]:
    """All versions at a position, in creation order, the active one (`tail`) included."""
    position = min(head.variant, len(head.alternatives))
    return [*head.alternatives[:position], tail, *head.alternatives[position:]]


def _activate(
    conversation: Conversation, index: int, versions: list[list[ChatMessage]], target: int
) -> None:
    for version in versions:
        version[0].alternatives = []
    tail = versions[target]
    tail[0].alternatives = [v for i, v in enumerate(versions) if i != target]
    tail[0].variant = target
    conversation.messages[index:] = tail


def variant_position(message: ChatMessage) -> tuple[int, int] | None:
    """`(n, count)`: which of several versions this message heads, or None."""
    if not message.alternatives:
        return None
    return min(message.variant, len(message.alternatives)) + 1, len(message.alternatives) + 1


def replace_tail(
    conversation: Conversation, index: int, new: list[ChatMessage], *, keep_old: bool = True
) -> None:
    """Put `new` in place of `messages[index:]`; the old tail is kept as another version.

    Args:
        conversation: The conversation to change.
        index: Where the new version starts.
        new: Its first messages (at least one: for a regeneration, the empty reply).
        keep_old: Keep what is replaced (False for a failed, empty reply).
    """
    old = conversation.messages[index:]
    if not old:
        conversation.messages.extend(new)
        return
    versions = _versions(old[0], old)
    if not keep_old:
        versions = [v for v in versions if v is not old]
    versions.append(new)
    _activate(conversation, index, versions, len(versions) - 1)


def switch_variant(conversation: Conversation, index: int, step: int) -> None:
    """Show the next (`step=1`) or previous (`-1`) version at `index`."""
    tail = conversation.messages[index:]
    if not tail or not tail[0].alternatives:
        return
    versions = _versions(tail[0], tail)
    position = versions.index(tail)
    _activate(conversation, index, versions, (position + step) % len(versions))


def delete_message(conversation: Conversation, index: int) -> DeletedMessage:
    """Delete a message; deleting one version of several shows another instead.

    Returns what was removed, for `restore_message`.
    """
    messages = conversation.messages
    message = messages[index]
    after_id = messages[index - 1].id if index > 0 else None
    if not message.alternatives:
        del messages[index]
        return DeletedMessage([message], index, after_id)
    tail = messages[index:]
    versions = _versions(message, tail)
    position = versions.index(tail)
    versions.pop(position)
    _activate(conversation, index, versions, min(position, len(versions) - 1))
    return DeletedMessage(tail, index, after_id, position, conversation.messages[index].id)


def restore_message(conversation: Conversation, deleted: DeletedMessage) -> None:
    """Undo `delete_message`: the message (or version) is back where it was, and shown.

    Messages added since stay: next to it for a plain message, in the version that was
    shown instead for a version (which becomes another version again).
    """
    messages = conversation.messages
    ids = [m.id for m in messages]
    if deleted.version is not None and deleted.shown_id in ids:
        index = ids.index(deleted.shown_id)
        tail = messages[index:]
        versions = _versions(tail[0], tail)
        position = min(deleted.version, len(versions))
        versions.insert(position, list(deleted.messages))
        _activate(conversation, index, versions, position)
        return
    if deleted.after_id is None:
        index = 0
    elif deleted.after_id in ids:
        index = ids.index(deleted.after_id) + 1
    else:
        index = min(deleted.index, len(messages))
    if deleted.version is not None:
        # The versions it belonged to are gone: it comes back as a plain message.
        deleted.messages[0].alternatives = []
        deleted.messages[0].variant = 0
    messages[index:index] = deleted.messages


# -- context window ------------------------------------------------------------------------

CONTEXT_WARNING = 0.8
"""Share of the context window used at which the user is warned."""


@dataclass(frozen=True)
class ContextUsage:
    """How full the model's context window was at the last reply."""

    used: int
    """Prompt tokens plus output tokens of the last reply."""
    window: int
    """The context window, in tokens."""
    source: str
    """Where the window came from: `num_ctx`, `loaded` (/api/ps) or `model` (/api/show)."""

    @property
    def share(self) -> float:
        return self.used / self.window if self.window else 0.0

    @property
    def warning(self) -> bool:
        """Close to the point where Ollama silently drops the oldest messages."""
        return self.share >= CONTEXT_WARNING


def context_usage(
    conversation: Conversation, model_window: int = 0, loaded_window: int = 0
) -> ContextUsage | None:
    """The context meter: the last reply's tokens against the window that applies.

    The window is the conversation's `num_ctx` option if set, else the context the loaded
    model actually runs with (/api/ps), else the model's own maximum (/api/show).
    """
    stats = next(
        (
            m.stats
            for m in reversed(conversation.messages)
            if m.role == "assistant" and m.stats and m.stats.prompt_eval_count is not None
        ),
        None,
    )
    if stats is None:
        return None
    num_ctx = conversation.chat_options.options.get("num_ctx")
    if isinstance(num_ctx, int) and not isinstance(num_ctx, bool) and num_ctx > 0:
        window, source = num_ctx, "num_ctx"
    elif loaded_window > 0:
        window, source = loaded_window, "loaded"
    elif model_window > 0:
        window, source = model_window, "model"
    else:
        return None
    used = (stats.prompt_eval_count or 0) + (stats.eval_count or 0)
    return ContextUsage(used, window, source)

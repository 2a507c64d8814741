"""The data olladeck works with: plain dataclasses, no I/O and no Textual."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .core.display_text import DisplayText, one_line

Role = Literal["system", "user", "assistant", "tool"]
MessageState = Literal["complete", "streaming", "stopped", "error"]
FormatSpec = str | dict[str, Any] | None
"""`None`, `"json"`, or a JSON schema object."""
KeepAlive = str | int | float | None
"""A duration string (`"5m"`), seconds as a number, `-1` for ever, `0` to unload."""
Think = bool | str | None
"""`True`/`False`, or `"low"`/`"medium"`/`"high"` for models that accept a level."""


def now() -> datetime:
    """The current time, in UTC, to the microsecond."""
    return datetime.now(UTC)


def new_id() -> str:
    """A sortable, unique id: UTC time plus random hex (`20261128-064907-3fa2c1`)."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{os.urandom(3).hex()}"


@dataclass
class ToolCall:
    """A function call requested by the model."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    """The arguments, a JSON object (never a string)."""

    def to_api(self) -> dict[str, Any]:
        """As `/api/chat` expects it."""
        return {"function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class ReplyStats:
    """What the server reported about one reply, plus what we measured."""

    model: str = ""
    total_duration: int | None = None
    """Nanoseconds, the whole request."""
    load_duration: int | None = None
    """Nanoseconds spent loading the model."""
    prompt_eval_count: int | None = None
    """Prompt tokens."""
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    """Output tokens."""
    eval_duration: int | None = None
    done_reason: str | None = None
    """`stop`, `length` (cut off by num_predict), ..."""
    first_token_seconds: float | None = None
    """Time to first token, measured by olladeck."""
    thinking_seconds: float | None = None
    """How long the model reasoned before answering, measured by olladeck."""
    structured: bool = False
    """The request asked for JSON (`format`): the reply is shown as JSON."""
    out_of_range: tuple[str, ...] = ()
    """Metrics the server sent with a value out of range (kept as unknown, None)."""

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens per second: `eval_count / eval_duration * 1e9` (None when either
        is unknown, not positive, or the rate is too large to be real)."""
        count, duration = self.eval_count, self.eval_duration
        if not isinstance(count, int) or not isinstance(duration, int):
            return None
        if count <= 0 or duration <= 0:
            return None
        try:
            rate = count / duration * 1e9
        except OverflowError:  # counts of hundreds of digits (the parsers refuse them)
            return None
        return rate if rate < 1e15 else None


@dataclass
class ChatMessage:
    """One message of a conversation."""

    role: Role
    content: str = ""
    thinking: str = ""
    """The reasoning of an assistant reply (saved, never resent as content)."""
    images: list[str] = field(default_factory=list)
    """References into the image store (`<sha256>.<ext>`), not the bytes."""
    image_names: dict[str, str] = field(default_factory=dict)
    """The file name each image was attached from, by reference (none for an image that
    came without one, e.g. from an imported conversation). Shown, never sent."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_name: str | None = None
    """On a `tool` message: the tool whose result it carries."""
    created_at: datetime = field(default_factory=now)
    id: str = field(default_factory=lambda: os.urandom(6).hex())
    state: MessageState = "complete"
    """`streaming` while it arrives; `stopped` if the user stopped it; `error` if it failed."""
    error: str | None = None
    """Why the reply failed, shown inline."""
    stats: ReplyStats | None = None
    alternatives: list[list[ChatMessage]] = field(default_factory=list)
    """Other versions of the conversation from this message on (after an edit or a
    regeneration); each is a list of messages starting at this position."""
    variant: int = 0
    """This version's place among all versions (0-based; creation order)."""


@dataclass
class ChatOptions:
    """Request settings of a conversation, sent with every `/api/chat`."""

    options: dict[str, Any] = field(default_factory=dict)
    """Modelfile parameters the user set (only those: the model's defaults apply otherwise)."""
    format: FormatSpec = None
    keep_alive: KeepAlive = None
    think: Think = None
    stream: bool = True
    tools: bool = False
    """Offer tools to the model (sent only when its capabilities include `tools`)."""


@dataclass(frozen=True)
class DeletedMessage:
    """What `delete_message` removed, so that `restore_message` can put it back."""

    messages: list[ChatMessage]
    """The message; for one version of several, the whole version (from it on)."""
    index: int
    """Where it was."""
    after_id: str | None
    """The message before it (None: it was first); where it goes back if others moved."""
    version: int | None = None
    """For a version: its place among the versions (None: a plain message)."""
    shown_id: str | None = None
    """For a version: the head of the version shown instead of it."""
    deleted_at: datetime = field(default_factory=now)


@dataclass
class Conversation:
    """A conversation and its settings."""

    id: str = field(default_factory=new_id)
    title: str = ""
    model: str = ""
    system: str = ""
    """The system prompt (sent as the first message when not empty)."""
    chat_options: ChatOptions = field(default_factory=ChatOptions)
    messages: list[ChatMessage] = field(default_factory=list)
    host: str = ""
    """The Ollama host it last used (a name from the config, or a URL)."""
    pinned: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    deleted: list[DeletedMessage] = field(default_factory=list)
    """Messages deleted from it, oldest first: u brings back the last (also after a
    restart: they are saved with it, never sent)."""

    @property
    def display_title(self) -> DisplayText:
        """The title, or the start of the first user message, or a placeholder."""
        if self.title:
            return one_line(self.title)
        for message in self.messages:
            if message.role == "user" and message.content.strip():
                return title_from_text(message.content)
        return DisplayText("New conversation")


def title_from_text(text: str, limit: int = 48) -> DisplayText:
    """A one-line title from the start of a message."""
    line = one_line(" ".join(text.split()))
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return DisplayText(cut.rstrip(" ,.;:") + "…")

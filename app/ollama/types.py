"""Typed views of what Ollama's endpoints return."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..core.display_text import EMPTY, DisplayText, one_line, sanitize, sanitize_optional

METRIC_KEYS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


MAX_CONTEXT = 2**31 - 1
"""The largest context window taken as real (tokens; models have at most a few million)."""
MAX_COUNT = 2**63 - 1
"""The largest number Ollama can send for a size, a count or a duration (Go's int64; its
uint64 sizes never come near it). Anything larger is not a real value."""


def server_count(value: Any, limit: int = MAX_COUNT) -> int | None:
    """A count, size or duration from the server, range-checked: a whole number from 0 to
    `limit` (a float with no fraction counts as one), else None (unknown).

    Booleans, text, negatives, fractions, NaN, infinities and numbers of hundreds of
    digits all become None: nothing built from the value can then overflow or mislead.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= limit:
        return value
    return None


_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def server_time(value: Any) -> datetime | None:
    """A time from the server (RFC 3339, up to nine fractional digits, as Go writes it) as
    an aware datetime, or None when it is not one or lies too near the ends of the
    calendar (within two days of year 1 or 9999) to be shown in every time zone."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    cleaned = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if safe_moment(moment) else None


def safe_moment(moment: datetime) -> bool:
    """True if the moment can be moved to any time zone (`astimezone`) without leaving
    the calendar Python knows (years 1 to 9999)."""
    naive = moment.replace(tzinfo=None)
    return datetime(1, 1, 3) <= naive <= datetime(9999, 12, 29)


@dataclass(slots=True)
class ChatChunk:
    """One line of a `/api/chat` reply (or the whole reply when not streamed)."""

    content: str = ""
    """Content delta (or the whole content when not streamed)."""
    thinking: str = ""
    """Reasoning delta from a thinking model."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Raw tool calls, `[{"function": {"name": ..., "arguments": {...}}}]`."""
    done: bool = False
    """True on the last line."""
    done_reason: DisplayText | None = None
    """`stop`, `length`, `load`, `unload`, ... on the last line."""
    metrics: dict[str, int] = field(default_factory=dict)
    """Nanosecond timings and token counts from the last line (range-checked: a value out
    of range is left out, as unknown)."""
    rejected: tuple[str, ...] = ()
    """Metrics the last line had but with a value out of range (or not a number)."""
    model: DisplayText = EMPTY
    """The model that answered."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ChatChunk:
        """Build a chunk from a decoded line (already checked for `error`)."""
        message = obj.get("message")
        content = thinking = ""
        tool_calls: list[dict[str, Any]] = []
        if isinstance(message, dict):
            value = message.get("content")
            content = value if isinstance(value, str) else ""
            value = message.get("thinking")
            thinking = value if isinstance(value, str) else ""
            calls = message.get("tool_calls")
            if isinstance(calls, list):
                tool_calls = [call for call in calls if isinstance(call, dict)]
        done = obj.get("done") is True
        metrics: dict[str, int] = {}
        rejected: list[str] = []
        if done:
            for key in METRIC_KEYS:
                if obj.get(key) is None:
                    continue
                value = server_count(obj.get(key))
                if value is None:
                    rejected.append(key)
                else:
                    metrics[key] = value
        reason = obj.get("done_reason")
        model = obj.get("model")
        return cls(
            content=content,
            thinking=thinking,
            tool_calls=tool_calls,
            done=done,
            done_reason=sanitize_optional(reason if isinstance(reason, str) else None),
            metrics=metrics,
            rejected=tuple(rejected),
            model=one_line(model if isinstance(model, str) else ""),
        )


def _str(obj: dict[str, Any], key: str) -> DisplayText:
    # Server text is made display-safe here, where it enters (names on one line).
    value = obj.get(key)
    return sanitize(value) if isinstance(value, str) else EMPTY


def _name(obj: dict[str, Any], key: str) -> DisplayText:
    return one_line(_str(obj, key))


def _table(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """A JSON object inside `obj` (empty when missing or not an object)."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _count(obj: dict[str, Any], key: str) -> int | None:
    return server_count(obj.get(key))


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model on the server, from `/api/tags`."""

    name: DisplayText
    size: int | None = None
    """Bytes on disk (None: unknown, or out of range)."""
    modified_at: DisplayText = EMPTY
    digest: DisplayText = EMPTY
    family: DisplayText = EMPTY
    parameter_size: DisplayText = EMPTY
    quantization_level: DisplayText = EMPTY
    format: DisplayText = EMPTY

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ModelInfo:
        details = _table(obj, "details")
        return cls(
            name=_name(obj, "name") or _name(obj, "model"),
            size=_count(obj, "size"),
            modified_at=_name(obj, "modified_at"),
            digest=_name(obj, "digest"),
            family=_name(details, "family"),
            parameter_size=_name(details, "parameter_size"),
            quantization_level=_name(details, "quantization_level"),
            format=_name(details, "format"),
        )


EMBEDDING_MARK = " · embeddings only"
"""After the name of a model that cannot chat (`ModelDetails.embedding_only`), in the
model pickers."""


@dataclass(frozen=True, slots=True)
class ModelDetails:
    """What `/api/show` says about one model."""

    name: DisplayText
    capabilities: tuple[DisplayText, ...] = ()
    context_length: int | None = None
    """The model's own context window (None when the server did not say, or said a
    number out of range)."""
    family: DisplayText = EMPTY
    parameter_size: DisplayText = EMPTY
    quantization_level: DisplayText = EMPTY
    parameters: DisplayText = EMPTY
    template: DisplayText = EMPTY
    modelfile: DisplayText = EMPTY
    license: DisplayText = EMPTY
    system: DisplayText = EMPTY

    def supports(self, capability: str) -> bool:
        """True when the model lists the capability (`vision`, `tools`, `thinking`, ...)."""
        return capability in self.capabilities

    @property
    def embedding_only(self) -> bool:
        """True for a model that only makes embeddings: it cannot chat. (A server too old
        to list capabilities lists none: such a model is not taken for one.)"""
        return "embedding" in self.capabilities and "completion" not in self.capabilities

    @classmethod
    def from_json(cls, name: str, obj: dict[str, Any]) -> ModelDetails:
        details = _table(obj, "details")
        info = _table(obj, "model_info")
        context = None
        for key, value in info.items():
            if isinstance(key, str) and key.endswith(".context_length"):
                context = server_count(value, MAX_CONTEXT)
                break
        caps = obj.get("capabilities")
        capabilities = (
            tuple(one_line(c) for c in caps if isinstance(c, str)) if isinstance(caps, list) else ()
        )
        return cls(
            name=one_line(name),
            capabilities=capabilities,
            context_length=context,
            family=_name(details, "family"),
            parameter_size=_name(details, "parameter_size"),
            quantization_level=_name(details, "quantization_level"),
            parameters=_str(obj, "parameters"),
            template=_str(obj, "template"),
            modelfile=_str(obj, "modelfile"),
            license=_str(obj, "license"),
            system=_str(obj, "system"),
        )


@dataclass(frozen=True, slots=True)
class RunningModel:
    """A loaded model, from `/api/ps` (every number range-checked: None is unknown)."""

    name: DisplayText
    size: int | None = None
    """Bytes in memory."""
    size_vram: int | None = None
    """Of which in the GPU's memory."""
    expires_at: datetime | None = None
    """When it unloads (far in the future for `keep_alive: -1`)."""
    context_length: int | None = None
    """The context window it was loaded with."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RunningModel:
        return cls(
            name=_name(obj, "name") or _name(obj, "model"),
            size=_count(obj, "size"),
            size_vram=_count(obj, "size_vram"),
            expires_at=server_time(obj.get("expires_at")),
            context_length=server_count(obj.get("context_length"), MAX_CONTEXT),
        )


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One line of `/api/pull` progress."""

    status: DisplayText
    digest: DisplayText = EMPTY
    total: int | None = None
    """Bytes of the layer (None: unknown, or out of range)."""
    completed: int | None = None
    """Bytes of it downloaded so far (None: unknown, or out of range)."""

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PullProgress:
        return cls(
            status=_str(obj, "status"),
            digest=_name(obj, "digest"),
            total=_count(obj, "total"),
            completed=_count(obj, "completed"),
        )

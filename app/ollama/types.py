"""Typed views of what Ollama's endpoints return."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """Nanosecond timings and token counts from the last line."""
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
        if done:
            for key in METRIC_KEYS:
                value = obj.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
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
            model=one_line(model if isinstance(model, str) else ""),
        )


def _str(obj: dict[str, Any], key: str) -> DisplayText:
    # Server text is made display-safe here, where it enters (names on one line).
    value = obj.get(key)
    return sanitize(value) if isinstance(value, str) else EMPTY


def _name(obj: dict[str, Any], key: str) -> DisplayText:
    return one_line(_str(obj, key))


def _int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model on the server, from `/api/tags`."""

    name: DisplayText
    size: int = 0
    """Bytes on disk."""
    modified_at: DisplayText = EMPTY
    digest: DisplayText = EMPTY
    family: DisplayText = EMPTY
    parameter_size: DisplayText = EMPTY
    quantization_level: DisplayText = EMPTY
    format: DisplayText = EMPTY

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ModelInfo:
        details = obj.get("details") if isinstance(obj.get("details"), dict) else {}
        assert isinstance(details, dict)
        return cls(
            name=_name(obj, "name") or _name(obj, "model"),
            size=_int(obj, "size"),
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
    context_length: int = 0
    """The model's own context window (0 when the server did not say)."""
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
        details = obj.get("details") if isinstance(obj.get("details"), dict) else {}
        assert isinstance(details, dict)
        info = obj.get("model_info") if isinstance(obj.get("model_info"), dict) else {}
        assert isinstance(info, dict)
        context = 0
        for key, value in info.items():
            if key.endswith(".context_length") and isinstance(value, int):
                context = value
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
    """A loaded model, from `/api/ps`."""

    name: DisplayText
    size: int = 0
    size_vram: int = 0
    expires_at: DisplayText = EMPTY
    context_length: int = 0

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RunningModel:
        return cls(
            name=_name(obj, "name") or _name(obj, "model"),
            size=_int(obj, "size"),
            size_vram=_int(obj, "size_vram"),
            expires_at=_name(obj, "expires_at"),
            context_length=_int(obj, "context_length"),
        )


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One line of `/api/pull` progress."""

    status: DisplayText
    digest: DisplayText = EMPTY
    total: int = 0
    completed: int = 0

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PullProgress:
        return cls(
            status=_str(obj, "status"),
            digest=_name(obj, "digest"),
            total=_int(obj, "total"),
            completed=_int(obj, "completed"),
        )

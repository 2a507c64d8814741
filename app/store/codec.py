"""Conversations to TOML and back.

Schema 1 (one file per conversation):

    schema_version = 1
    id = "20261128-064907-3fa2c1"
    title = "..."                     model, system, host, pinned, created_at, updated_at
    [settings]
    stream = true                     think, keep_alive, format ("json") or format_schema,
                                      tools (true when tool calling is on; absent: off)
    [settings.options]                only the Modelfile parameters the user set
    [[messages]]                      id, role, content, created_at, state, and when present:
                                      thinking, images, tool_name, error
    [messages.image_names]            the file each image was attached from, by reference
    [[messages.tool_calls]]           name, arguments (a JSON string: exact for any JSON)
    [messages.stats]                  the server's metrics for a reply (out_of_range: those it
                                      sent out of range, kept as unknown)
    [[messages.alternatives]]         other versions from this message on (edits, regenerations),
                                      each with its own `messages`; `variant` orders them
    [[deleted]]                       messages deleted (for undo, never sent): index, after_id,
                                      version, shown_id, deleted_at, and the `messages`

JSON schemas and tool arguments are kept as JSON strings because TOML has no null and
cannot hold every JSON document; everything else is plain TOML a person can read, text of
several lines as multi-line strings (between triple quotes).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from datetime import UTC, datetime
from typing import Any

import tomli_w

from ..core.display_text import one_line, sanitize_optional
from ..models import ChatMessage, ChatOptions, Conversation, DeletedMessage, ReplyStats, ToolCall

SCHEMA_VERSION = 1
_ROLES = ("system", "user", "assistant", "tool")
_STATES = ("complete", "streaming", "stopped", "error")
MAX_STAT = 2**63 - 1
"""The largest count or duration a reply's stats can hold (Ollama's int64)."""
_STAT_INTS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


class CodecError(ValueError):
    """A TOML document is not a valid conversation; the text says what is wrong."""


class NewerSchemaError(CodecError):
    """The file was written by a newer olladeck with a schema this one does not know."""


_MANGLED_HOST = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)?\[(?P<inner>[^\]]*@[^\]]*)\](?::\d*)?")
"""`http://[user:password@host:port]:80`: how a host with credentials was once recorded."""


def without_credentials(host: str) -> str:
    """A conversation's recorded host without a `user:password@` in it: a password is
    never saved (and one saved by an older version is dropped when the file is read)."""
    if "@" not in host:
        return host
    mangled = _MANGLED_HOST.match(host)
    if mangled is not None:
        host = f"{mangled['scheme'] or ''}{mangled['inner']}{host[mangled.end() :]}"
    scheme, sep, rest = host.partition("://")
    if not sep:
        scheme, rest = "", host
    authority, slash, path = rest.partition("/")
    return f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{path}"


def _clean_text(text: str) -> str:
    """Replace lone surrogates (which JSON escapes can produce) so the text encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16: a valid surrogate pair becomes its character, a lone one U+FFFD.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {_clean_text(str(k)): _scrub(v) for k, v in value.items() if v is not None}
    return value


# -- to TOML -------------------------------------------------------------------------------


def message_document(message: ChatMessage) -> dict[str, Any]:
    """One message as a TOML table (a plain dict)."""
    doc: dict[str, Any] = {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at,
        "state": message.state,
    }
    if message.thinking:
        doc["thinking"] = message.thinking
    if message.images:
        doc["images"] = list(message.images)
        names = {ref: name for ref, name in message.image_names.items() if ref in message.images}
        if names:
            doc["image_names"] = names
    if message.tool_name is not None:
        doc["tool_name"] = message.tool_name
    if message.error is not None:
        doc["error"] = message.error
    if message.tool_calls:
        doc["tool_calls"] = [
            {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)}
            for call in message.tool_calls
        ]
    if message.stats is not None:
        stats = message.stats
        table: dict[str, Any] = {"model": stats.model}
        for key in _STAT_INTS:
            value = getattr(stats, key)
            if value is not None:
                table[key] = value
        if stats.done_reason is not None:
            table["done_reason"] = stats.done_reason
        if stats.first_token_seconds is not None:
            table["first_token_seconds"] = stats.first_token_seconds
        if stats.thinking_seconds is not None:
            table["thinking_seconds"] = stats.thinking_seconds
        if stats.structured:
            table["structured"] = True
        if stats.out_of_range:
            table["out_of_range"] = list(stats.out_of_range)
        doc["stats"] = table
    if message.alternatives:
        doc["variant"] = message.variant
        doc["alternatives"] = [
            {"messages": [message_document(m) for m in version]} for version in message.alternatives
        ]
    return doc


def conversation_document(conversation: Conversation) -> dict[str, Any]:
    """A conversation as a plain dict ready for `tomli_w`.

    Cheap enough for the UI thread (strings are shared, not copied); the slow part,
    `dumps_document`, can then run in a worker thread on this consistent snapshot.
    """
    opts = conversation.chat_options
    settings: dict[str, Any] = {"stream": opts.stream}
    if opts.think is not None:
        settings["think"] = opts.think
    if opts.keep_alive is not None:
        settings["keep_alive"] = opts.keep_alive
    if isinstance(opts.format, str):
        settings["format"] = opts.format
    elif isinstance(opts.format, dict):
        settings["format_schema"] = json.dumps(opts.format, ensure_ascii=False)
    if opts.options:
        settings["options"] = dict(opts.options)
    if opts.tools:
        settings["tools"] = True
    return {
        "schema_version": SCHEMA_VERSION,
        "id": conversation.id,
        "title": conversation.title,
        "model": conversation.model,
        "system": conversation.system,
        "host": without_credentials(conversation.host),
        "pinned": conversation.pinned,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "settings": settings,
        "messages": [message_document(m) for m in conversation.messages],
        **(
            {"deleted": [_deleted_document(d) for d in conversation.deleted]}
            if conversation.deleted
            else {}
        ),
    }


def _deleted_document(deleted: DeletedMessage) -> dict[str, Any]:
    doc: dict[str, Any] = {"index": deleted.index, "deleted_at": deleted.deleted_at}
    if deleted.after_id is not None:
        doc["after_id"] = deleted.after_id
    if deleted.version is not None:
        doc["version"] = deleted.version
    if deleted.shown_id is not None:
        doc["shown_id"] = deleted.shown_id
    doc["messages"] = [message_document(m) for m in deleted.messages]
    return doc


def deleted_from_document(doc: dict[str, Any]) -> list[DeletedMessage]:
    """The `[[deleted]]` entries of a conversation document (damaged ones left out)."""
    raw = doc.get("deleted")
    if not isinstance(raw, list):
        return []
    return [d for d in map(_deleted, raw) if d is not None]


def _deleted(table: Any) -> DeletedMessage | None:
    """A `[[deleted]]` entry, or None if it is not a valid one (it is only for undo: a
    damaged one is left out rather than making the whole file unreadable)."""
    try:
        if not isinstance(table, dict):
            return None
        messages = [_message(m, i) for i, m in enumerate(_get(table, "messages", list, []))]
        index = _get(table, "index", int, 0)
        version = _get(table, "version", int, None)
        when = _get(table, "deleted_at", datetime, None)
        if not messages or index < 0 or (version is not None and version < 0):
            return None
        return DeletedMessage(
            messages,
            index,
            _get(table, "after_id", str, None),
            version,
            _get(table, "shown_id", str, None),
            _aware(when) if when is not None else datetime.now(UTC),
        )
    except CodecError:
        return None


def dumps_document(document: dict[str, Any]) -> str:
    """TOML text of a document from `conversation_document`.

    Text that cannot be encoded (lone surrogates from JSON escapes) and values TOML cannot
    hold (None) are cleaned rather than failing the save.
    """
    # Long text is written as multi-line strings so a person can read and edit the file.
    # A multi-line TOML string cannot hold a CR LF pair (TOML reads it back as LF), so a
    # document with one anywhere is written with one-line strings: nothing is ever changed.
    multiline = not _has_crlf(document)
    try:
        text = tomli_w.dumps(document, multiline_strings=multiline)
        text.encode("utf-8")
    except (UnicodeEncodeError, TypeError):
        text = tomli_w.dumps(_scrub(document), multiline_strings=multiline)
    return text


def _has_crlf(value: Any) -> bool:
    """True if a string anywhere in `value` (a document of dicts, lists and scalars) holds
    a CR LF pair."""
    if isinstance(value, str):
        return "\r\n" in value
    if isinstance(value, dict):
        return any(_has_crlf(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_crlf(v) for v in value)
    return False


def dumps(conversation: Conversation) -> str:
    """A conversation as TOML text."""
    return dumps_document(conversation_document(conversation))


# -- from TOML -----------------------------------------------------------------------------


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = table.get(key, default)
    if value is default:
        return value
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise CodecError(f"'{key}' has the wrong type ({type(value).__name__})")
    return value


def _aware(value: datetime) -> datetime:
    """A datetime with a time zone (a hand-written local time is taken as UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _json_field(table: dict[str, Any], key: str) -> Any:
    raw = _get(table, key, str, None)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise CodecError(f"'{key}' is not valid JSON: {exc}") from None
    except RecursionError:
        raise CodecError(f"'{key}' is JSON nested too deeply") from None


def _stat_count(value: Any) -> int | None:
    """A saved count or duration, or None when it is not a whole number from 0 to
    `MAX_STAT` (a hand-edited or damaged value must not stop the file from opening)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STAT:
        return value
    return None


def _stat_seconds(value: Any) -> float | None:
    """Saved seconds, or None unless a finite number from 0 to a year."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not 0 <= value <= MAX_STAT:
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and 0 <= seconds <= 366 * 86400 else None


def _stats(raw: dict[str, Any]) -> ReplyStats:
    """The `[messages.stats]` table. Only ever shown: a value of the wrong type or out of
    range is taken as unknown rather than making the file unreadable."""
    model = raw.get("model")
    reason = raw.get("done_reason")
    stats = ReplyStats(model=one_line(model if isinstance(model, str) else ""))
    for key in _STAT_INTS:
        setattr(stats, key, _stat_count(raw.get(key)))
    stats.done_reason = sanitize_optional(reason if isinstance(reason, str) else None)
    stats.first_token_seconds = _stat_seconds(raw.get("first_token_seconds"))
    stats.thinking_seconds = _stat_seconds(raw.get("thinking_seconds"))
    stats.structured = raw.get("structured") is True
    rejected = raw.get("out_of_range")
    if isinstance(rejected, list):
        stats.out_of_range = tuple(key for key in _STAT_INTS if key in rejected)
    return stats


def _message(table: Any, index: int) -> ChatMessage:
    if not isinstance(table, dict):
        raise CodecError(f"message {index + 1} is not a table")
    try:
        role = _get(table, "role", str, None)
        if role not in _ROLES:
            raise CodecError(f"unknown role {role!r}")
        state = _get(table, "state", str, "complete")
        if state not in _STATES:
            raise CodecError(f"unknown state {state!r}")
        images = _get(table, "images", list, [])
        if not all(isinstance(i, str) for i in images):
            raise CodecError("'images' must be a list of strings")
        # Only shown: an entry that is not a name of one of the images is left out.
        raw_names = table.get("image_names")
        names = (
            {
                ref: name
                for ref, name in raw_names.items()
                if ref in images and isinstance(name, str) and name
            }
            if isinstance(raw_names, dict)
            else {}
        )
        calls: list[ToolCall] = []
        for raw_call in _get(table, "tool_calls", list, []):
            if not isinstance(raw_call, dict):
                raise CodecError("a tool call is not a table")
            arguments = _json_field(raw_call, "arguments")
            calls.append(
                ToolCall(
                    name=_get(raw_call, "name", str, ""),
                    arguments=arguments if isinstance(arguments, dict) else {},
                )
            )
        stats = None
        raw_stats = table.get("stats")
        if isinstance(raw_stats, dict):
            stats = _stats(raw_stats)
        alternatives: list[list[ChatMessage]] = []
        for raw_version in _get(table, "alternatives", list, []):
            if not isinstance(raw_version, dict):
                raise CodecError("an alternative is not a table")
            version = [
                _message(m, i) for i, m in enumerate(_get(raw_version, "messages", list, []))
            ]
            if version:
                alternatives.append(version)
        message = ChatMessage(
            role=role,
            content=_get(table, "content", str, ""),
            thinking=_get(table, "thinking", str, ""),
            images=list(images),
            image_names=names,
            tool_calls=calls,
            tool_name=_get(table, "tool_name", str, None),
            state=state,
            error=_get(table, "error", str, None),
            stats=stats,
            alternatives=alternatives,
            variant=min(max(_get(table, "variant", int, 0), 0), len(alternatives)),
        )
        created = _get(table, "created_at", datetime, None)
        if created is not None:
            message.created_at = _aware(created)
        message_id = _get(table, "id", str, None)
        if message_id:
            message.id = message_id
    except CodecError as exc:
        raise CodecError(f"message {index + 1}: {exc}") from None
    return message


def options_from_settings(settings: dict[str, Any]) -> ChatOptions:
    """The `[settings]` table of a conversation as `ChatOptions`.

    Raises:
        CodecError: a setting has the wrong type.
    """
    options = _get(settings, "options", dict, {})
    fmt: Any = _get(settings, "format", str, None)
    schema = _json_field(settings, "format_schema")
    if schema is not None:
        if not isinstance(schema, dict):
            raise CodecError("'format_schema' is not a JSON object")
        fmt = schema
    return ChatOptions(
        options=dict(options),
        format=fmt,
        keep_alive=_get(settings, "keep_alive", (str, int, float), None),
        think=_get(settings, "think", (bool, str), None),
        stream=_get(settings, "stream", bool, True),
        tools=_get(settings, "tools", bool, False),
    )


def message_from_document(table: dict[str, Any]) -> ChatMessage:
    """One `[[messages]]` table (as `message_document` makes it) as a `ChatMessage`.

    Raises:
        CodecError: the table is not a valid message.
    """
    return _message(table, 0)


def from_document(doc: dict[str, Any]) -> Conversation:
    """Build a conversation from parsed TOML.

    Raises:
        NewerSchemaError: a schema from a newer olladeck.
        CodecError: anything else wrong, with what and where.
    """
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CodecError("no schema_version: not an olladeck conversation")
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"schema_version {version} is newer than this olladeck understands ({SCHEMA_VERSION})"
        )
    conversation_id = _get(doc, "id", str, "")
    if not conversation_id:
        raise CodecError("no id")
    chat_options = options_from_settings(_get(doc, "settings", dict, {}))
    raw_messages = _get(doc, "messages", list, [])
    conversation = Conversation(
        id=conversation_id,
        # Names from a file are shown: display-safe from here on.
        title=one_line(_get(doc, "title", str, "")),
        model=one_line(_get(doc, "model", str, "")),
        system=_get(doc, "system", str, ""),
        chat_options=chat_options,
        messages=[_message(m, i) for i, m in enumerate(raw_messages)],
        host=without_credentials(_get(doc, "host", str, "")),
        pinned=_get(doc, "pinned", bool, False),
    )
    conversation.deleted = deleted_from_document(doc)
    created = _get(doc, "created_at", datetime, None)
    if created is not None:
        conversation.created_at = _aware(created)
    updated = _get(doc, "updated_at", datetime, None)
    if updated is not None:
        conversation.updated_at = _aware(updated)
    return conversation


def loads(text: str) -> Conversation:
    """Parse TOML text into a conversation.

    Raises:
        CodecError: the text is not TOML or not a conversation; says where and why.
    """
    try:
        doc = tomllib.loads(text)
        return from_document(doc)
    except tomllib.TOMLDecodeError as exc:
        raise CodecError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise CodecError("nested too deeply to read") from None

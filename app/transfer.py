"""Export a conversation to Markdown or to `/api/chat` JSON, and import that JSON.

The JSON is exactly the request body olladeck would send to continue the conversation
(model, the system prompt as the first message, the messages, and the settings the user
set), so `curl http://127.0.0.1:11434/api/chat -d @file.json` replays it. No Textual here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .chat import DisplayText, chat_body, history_messages, message_to_api, sanitize
from .models import ChatMessage, ChatOptions, Conversation, ToolCall

_C1 = re.compile("[\x7f-\x9f\ud800-\udfff]")

_ROLES = ("system", "user", "assistant", "tool")


class ImportProblem(ValueError):
    """A file is not `/api/chat` JSON olladeck can import; the text says why."""


def export_body(conversation: Conversation, image_b64: Callable[[str], str]) -> dict[str, Any]:
    """The `/api/chat` body for the whole conversation, as olladeck would send it.

    Args:
        conversation: What to export.
        image_b64: Turns an image reference into base64 (reads the image store).
    """
    messages = [
        message_to_api(m, [image_b64(ref) for ref in m.images])
        for m in history_messages(conversation)
    ]
    return chat_body(conversation, messages)


def export_json(conversation: Conversation, image_b64: Callable[[str], str]) -> str:
    """`export_body` as pretty JSON text.

    JSON escapes the C0 controls (ESC as `\\u001b`); DEL and the C1 controls (`\\x9b`
    starts a sequence on some terminals) are escaped too, so that the file is safe to `cat`.
    """
    text = json.dumps(export_body(conversation, image_b64), indent=2, ensure_ascii=False)
    # Only inside strings (JSON's own syntax is ASCII): the escape means the same character.
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _heading(message: ChatMessage) -> str:
    when = f"{message.created_at:%Y-%m-%d %H:%M}"
    if message.role == "assistant":
        model = message.stats.model if message.stats and message.stats.model else ""
        return f"## Assistant{f' · {model}' if model else ''} · {when}"
    if message.role == "tool":
        name = f" · {message.tool_name}" if message.tool_name else ""
        return f"## Tool result{name} · {when}"
    return f"## {'You' if message.role == 'user' else 'System'} · {when}"


def export_markdown(conversation: Conversation) -> DisplayText:
    """The conversation as a Markdown document a person can read.

    Control characters (but newline and tab) are written as visible symbols (ESC as
    `␛`): a terminal showing the file never gets an escape sequence from it.
    """
    lines = [f"# {conversation.display_title}", ""]
    lines.append(f"- Model: {conversation.model or 'none'}")
    lines.append(f"- Started: {conversation.created_at:%Y-%m-%d %H:%M} UTC")
    lines.append(f"- Last activity: {conversation.updated_at:%Y-%m-%d %H:%M} UTC")
    lines.append("")
    if conversation.system.strip():
        lines += ["## System prompt", "", conversation.system.rstrip(), ""]
    for message in conversation.messages:
        lines += [_heading(message), ""]
        if message.thinking:
            lines += [
                "<details><summary>Thinking</summary>",
                "",
                message.thinking.rstrip(),
                "",
                "</details>",
                "",
            ]
        if message.content:
            lines += [message.content.rstrip(), ""]
        for call in message.tool_calls:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
            lines += [f"Tool call: `{call.name}` with `{arguments}`", ""]
        if message.images:
            count = len(message.images)
            names = [message.image_names[r] for r in message.images if r in message.image_names]
            listed = f": {', '.join(names)}" if names else ""
            lines += [f"*{count} image{'s' if count != 1 else ''} attached{listed}*", ""]
        if message.state == "stopped":
            lines += ["*(stopped)*", ""]
        elif message.state == "error" and message.error:
            lines += [f"*(failed: {message.error})*", ""]
    return sanitize("\n".join(lines).rstrip("\n") + "\n")


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ImportProblem(f"{what} is not a string")
    return value


def _message(raw: Any, index: int, put_image: Callable[[bytes], str]) -> ChatMessage:
    import base64
    import binascii

    where = f"message {index + 1}"
    if not isinstance(raw, dict):
        raise ImportProblem(f"{where} is not an object")
    role = raw.get("role")
    if role not in _ROLES:
        raise ImportProblem(f"{where} has an unknown role {role!r}")
    message = ChatMessage(role=role, content=_string(raw.get("content", ""), f"{where}'s content"))
    thinking = raw.get("thinking")
    if thinking is not None:
        message.thinking = _string(thinking, f"{where}'s thinking")
    images = raw.get("images") or []
    if not isinstance(images, list):
        raise ImportProblem(f"{where}'s images are not a list")
    for image in images:
        try:
            data = base64.b64decode(_string(image, f"an image of {where}"), validate=True)
        except (binascii.Error, ValueError):
            raise ImportProblem(f"an image of {where} is not base64") from None
        try:
            message.images.append(put_image(data))
        except ValueError as exc:
            raise ImportProblem(f"an image of {where}: {exc}") from None
    calls = raw.get("tool_calls") or []
    if not isinstance(calls, list):
        raise ImportProblem(f"{where}'s tool_calls are not a list")
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise ImportProblem(f"a tool call of {where} has no function")
        arguments = function.get("arguments", {})
        if not isinstance(arguments, dict):
            raise ImportProblem(f"a tool call of {where} has arguments that are not an object")
        name = _string(function.get("name", ""), f"a tool name of {where}")
        message.tool_calls.append(ToolCall(name=name, arguments=arguments))
    tool_name = raw.get("tool_name")
    if tool_name is not None:
        message.tool_name = _string(tool_name, f"{where}'s tool_name")
    return message


def _checked_settings(data: dict[str, Any], dropped: list[str]) -> ChatOptions:
    """The request settings of an imported body, checked as the settings screen checks
    them (`options.py`); an invalid one is left out (never sent) and noted in `dropped`."""
    from .options import InvalidValue, check_format, check_keep_alive, check_option, check_think

    raw_options = data.get("options")
    raw_options = {} if raw_options is None else raw_options
    if not isinstance(raw_options, dict):
        raise ImportProblem("options is not an object")
    options: dict[str, Any] = {}
    for name, value in raw_options.items():
        try:
            options[name] = check_option(str(name), value)
        except InvalidValue as exc:
            dropped.append(f"option {name}: {exc}")
    fmt = data.get("format")
    if fmt is not None and not isinstance(fmt, str | dict):
        raise ImportProblem('format is neither "json" nor a JSON schema')
    keep_alive = data.get("keep_alive")
    if keep_alive is not None and (
        isinstance(keep_alive, bool) or not isinstance(keep_alive, str | int | float)
    ):
        raise ImportProblem("keep_alive is neither a duration nor a number")
    think = data.get("think")
    if think is not None and not isinstance(think, bool | str):
        raise ImportProblem("think is neither true/false nor a level")
    stream = data.get("stream", True)
    if not isinstance(stream, bool):
        raise ImportProblem("stream is not true or false")
    settings: dict[str, Any] = {}
    for key, value, check in (
        ("format", fmt, check_format),
        ("keep_alive", keep_alive, check_keep_alive),
        ("think", think, check_think),
    ):
        try:
            settings[key] = check(value)
        except InvalidValue as exc:
            dropped.append(f"{key}: {exc}")
            settings[key] = None
    return ChatOptions(options=options, stream=stream, **settings)


def import_body(
    data: Any,
    put_image: Callable[[bytes], str],
    *,
    host: str = "",
    dropped: list[str] | None = None,
) -> Conversation:
    """A new conversation from an `/api/chat` body (as `export_body` writes it).

    Args:
        data: The parsed JSON.
        put_image: Stores image bytes, returns the reference (raises ValueError for bytes
            that are not an image).
        host: Recorded as the conversation's host.
        dropped: Gets a line for each setting left out because it is invalid (checked as
            the settings screen checks it: an invalid value is never sent).

    Raises:
        ImportProblem: not a chat body; says what is wrong.
    """
    if not isinstance(data, dict):
        raise ImportProblem("the file is not a JSON object")
    model = _string(data.get("model", ""), "model")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list):
        raise ImportProblem("there is no list of messages")
    messages = [_message(m, i, put_image) for i, m in enumerate(raw_messages)]
    system = ""
    if messages and messages[0].role == "system" and not messages[0].images:
        system = messages.pop(0).content
    chat_options = _checked_settings(data, dropped if dropped is not None else [])
    return Conversation(
        model=model, system=system, chat_options=chat_options, messages=messages, host=host
    )


def import_json(
    text: str,
    put_image: Callable[[bytes], str],
    *,
    host: str = "",
    dropped: list[str] | None = None,
) -> Conversation:
    """`import_body` for JSON text.

    Raises:
        ImportProblem: not JSON, nested too deeply to read, or not a chat body.
    """
    deep = ImportProblem(
        "it is nested too deeply to read (arrays or objects inside one another hundreds of times)"
    )
    try:
        data = json.loads(text)
    except RecursionError:
        raise deep from None
    except ValueError as exc:
        raise ImportProblem(f"not valid JSON ({exc})") from None
    try:
        return import_body(data, put_image, host=host, dropped=dropped)
    except RecursionError:
        raise deep from None

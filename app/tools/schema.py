"""Checking a tool call's arguments against the tool's JSON schema.

A small subset of JSON Schema, the part tool definitions use: `type` (one or a list),
`properties`, `required`, `additionalProperties: false`, `enum`, `items`, `minimum` and
`maximum`. What it does not know, it lets through: the tool itself still checks its input.
"""

from __future__ import annotations

import json
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _matches(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    expected = _TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(schema: Any, value: Any, where: str, depth: int = 0) -> str | None:
    if not isinstance(schema, dict) or depth > 20:
        return None
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    if kinds and not any(_matches(value, k) for k in kinds if isinstance(k, str)):
        return f"{where} should be {' or '.join(map(str, kinds))}, not {_show(value)}"
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return f"{where} should be one of {', '.join(map(_show, enum))}, not {_show(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and value < low:
            return f"{where} should be at least {low}, not {_show(value)}"
        if isinstance(high, int | float) and value > high:
            return f"{where} should be at most {high}, not {_show(value)}"
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _check(schema.get("items"), item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
    if isinstance(value, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        for name in required if isinstance(required, list) else []:
            if name not in value:
                return (
                    f"missing required argument {name!r}"
                    if depth == 0
                    else (f"{where} lacks {name!r}")
                )
        for name, item in value.items():
            label = f"argument {name!r}" if depth == 0 else f"{where}.{name}"
            if name in properties:
                problem = _check(properties[name], item, label, depth + 1)
                if problem:
                    return problem
            elif schema.get("additionalProperties") is False:
                known = ", ".join(map(repr, properties)) or "none"
                return f"unknown {label} (known: {known})"
    return None


def check_arguments(schema: dict[str, Any], arguments: Any) -> str | None:
    """What is wrong with a call's arguments, as one phrase; None if they fit the schema."""
    if not isinstance(arguments, dict):
        return f"the arguments should be a JSON object, not {_show(arguments)}"
    return _check(schema, arguments, "the arguments")

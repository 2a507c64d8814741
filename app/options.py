"""What a conversation may send besides its messages, and how to read it from typed text.

Modelfile options (`options` in `/api/chat`), `keep_alive`, `format` and `think`: each has a
spec (type, range, one-line description) and a parser that turns what the user typed into
the exact JSON value to send, or refuses it with one plain sentence. Nothing here imports
Textual, so the same rules check `config.toml`, the editors and the tests.

The option list follows Ollama's `api/types.go` (`Options` and `Runner`) and
`docs/modelfile.md`; the Mirostat family is kept for the servers that still use it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .models import Conversation, FormatSpec, KeepAlive, Think

OptionKind = Literal["int", "float", "bool", "list"]

INT32_MAX = 2**31 - 1
"""The runner keeps most integer options in a C `int`: anything larger would wrap."""


class InvalidValue(ValueError):
    """Text (or a value) that cannot be sent; the message says why, in one sentence."""


@dataclass(frozen=True)
class OptionSpec:
    """One Modelfile parameter `/api/chat` accepts in `options`."""

    name: str
    kind: OptionKind
    """`int` and `float` are sent as JSON numbers of that type, `list` as strings."""
    group: str
    """Heading it is shown under."""
    description: str
    """One line: what it does."""
    default: str = ""
    """The usual default, shown as a hint while the field is empty (the model's own applies)."""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[int, ...] = ()
    """For an option with a few allowed values (mirostat)."""

    @property
    def range_text(self) -> str:
        """The allowed values in words: `0 to 1`, `at least 1`, `0, 1 or 2`."""
        if self.choices:
            *head, last = (str(c) for c in self.choices)
            return f"{', '.join(head)} or {last}"
        low = _number_text(self.minimum)
        # A bound that only guards against overflow is not worth reading about.
        maximum = self.maximum if self.maximum is not None and self.maximum < INT32_MAX else None
        high = _number_text(maximum)
        if self.minimum is not None and maximum is not None:
            return f"{low} to {high}"
        if self.minimum is not None:
            return f"at least {low}"
        if maximum is not None:
            return f"at most {high}"
        return ""


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}" if abs(value) >= 100_000 else str(int(value))
    return f"{value:g}"


SAMPLING = "Sampling"
LENGTH = "Length and repetition"
MIROSTAT = "Mirostat"
RUNNER = "Memory and hardware (applied when the model loads)"

OPTION_SPECS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "temperature", "float", SAMPLING,
        "Randomness: higher is more creative, 0 always picks the likeliest token.",
        "0.8", 0, 5,
    ),
    OptionSpec(
        "top_k", "int", SAMPLING,
        "Sample only from the k likeliest tokens (lower is more conservative).",
        "40", 0, INT32_MAX,
    ),
    OptionSpec(
        "top_p", "float", SAMPLING,
        "Sample from the likeliest tokens whose probabilities add up to p.",
        "0.9", 0, 1,
    ),
    OptionSpec(
        "min_p", "float", SAMPLING,
        "Drop tokens less likely than p times the likeliest one.",
        "0.0", 0, 1,
    ),
    OptionSpec(
        "typical_p", "float", SAMPLING,
        "Locally typical sampling; 1 turns it off.",
        "1.0", 0, 1,
    ),
    OptionSpec(
        "seed", "int", SAMPLING,
        "Random seed: the same seed and prompt give the same reply (-1 random).",
        "-1", -1, 2**32 - 1,
    ),
    OptionSpec(
        "num_predict", "int", LENGTH,
        "Most tokens to generate (-1 no limit, -2 until the context is full).",
        "-1", -2, INT32_MAX,
    ),
    OptionSpec(
        "stop", "list", LENGTH,
        'Stop sequences, comma-separated (\\n is a newline; quote with "" for spaces).',
    ),
    OptionSpec(
        "repeat_penalty", "float", LENGTH,
        "How strongly repeated tokens are penalised (1 turns it off).",
        "1.1", 0, 5,
    ),
    OptionSpec(
        "repeat_last_n", "int", LENGTH,
        "How far back to look for repetition (0 off, -1 the whole context).",
        "64", -1, INT32_MAX,
    ),
    OptionSpec(
        "presence_penalty", "float", LENGTH,
        "Penalise tokens that already appeared at all.",
        "0.0", -2, 2,
    ),
    OptionSpec(
        "frequency_penalty", "float", LENGTH,
        "Penalise tokens by how often they already appeared.",
        "0.0", -2, 2,
    ),
    OptionSpec(
        "num_keep", "int", LENGTH,
        "Prompt tokens kept when the context is shifted (-1 all).",
        "4", -1, INT32_MAX,
    ),
    OptionSpec(
        "mirostat", "int", MIROSTAT,
        "Mirostat sampling: 0 off, 1 Mirostat, 2 Mirostat 2.0.",
        "0", choices=(0, 1, 2),
    ),
    OptionSpec(
        "mirostat_tau", "float", MIROSTAT,
        "Mirostat target: lower is more focused and coherent.",
        "5.0", 0, 100,
    ),
    OptionSpec(
        "mirostat_eta", "float", MIROSTAT,
        "Mirostat learning rate: how fast it reacts to the text so far.",
        "0.1", 0, 1,
    ),
    OptionSpec(
        "num_ctx", "int", RUNNER,
        "Context window in tokens (more costs memory; reloads the model).",
        "model's", 1, INT32_MAX,
    ),
    OptionSpec(
        "num_batch", "int", RUNNER,
        "Prompt tokens processed at once.",
        "512", 1, INT32_MAX,
    ),
    OptionSpec(
        "num_gpu", "int", RUNNER,
        "Layers offloaded to the GPU (0 CPU only, -1 decide automatically).",
        "auto", -1, INT32_MAX,
    ),
    OptionSpec(
        "main_gpu", "int", RUNNER,
        "Which GPU holds small tensors when several are used.",
        "0", 0, 1024,
    ),
    OptionSpec(
        "num_thread", "int", RUNNER,
        "CPU threads (0 decide automatically; best: physical cores).",
        "auto", 0, 4096,
    ),
    OptionSpec(
        "use_mmap", "bool", RUNNER,
        "Map the model file into memory instead of reading it (true/false).",
        "auto",
    ),
)  # fmt: skip

SPECS: dict[str, OptionSpec] = {spec.name: spec for spec in OPTION_SPECS}
"""Every option, by name."""

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(spec.group for spec in OPTION_SPECS))
"""Group headings in display order."""


# -- options ------------------------------------------------------------------------------

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _spec(name: str) -> OptionSpec:
    spec = SPECS.get(name)
    if spec is None:
        raise InvalidValue(f"'{name}' is not an option Ollama knows")
    return spec


def _check_range(spec: OptionSpec, value: float) -> None:
    if spec.choices and value not in spec.choices:
        raise InvalidValue(f"{spec.name} must be {spec.range_text}")
    low, high = spec.minimum, spec.maximum
    if high is not None and value > high and high >= INT32_MAX:
        raise InvalidValue(f"{spec.name} is too large (at most {_number_text(high)})")
    if (low is not None and value < low) or (high is not None and value > high):
        what = "a whole number" if spec.kind == "int" else "a number"
        joint = "from" if " to " in spec.range_text else "of"
        raise InvalidValue(f"{spec.name} must be {what} {joint} {spec.range_text}")


def parse_option(name: str, text: str) -> Any:
    """The value to send for what the user typed; None when the field is empty (unset).

    Raises:
        InvalidValue: not a value of the option's type, or out of range.
    """
    spec = _spec(name)
    text = text.strip()
    if not text:
        return None
    if spec.kind == "int":
        if not _INT.fullmatch(text):
            if _FLOAT.fullmatch(text):
                raise InvalidValue(f"{name} must be a whole number, not {text}")
            raise InvalidValue(f"{name} must be a whole number")
        value: Any = int(text)
        _check_range(spec, value)
        return value
    if spec.kind == "float":
        if not _FLOAT.fullmatch(text):
            raise InvalidValue(f"{name} must be a number (like {spec.default or '0.5'})")
        number = float(text)
        if not math.isfinite(number):
            raise InvalidValue(f"{name} must be a finite number")
        _check_range(spec, number)
        return number
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidValue(f"{name} must be true or false")
    return parse_stop(text)


def check_option(name: str, value: Any) -> Any:
    """A value from a file (config.toml, a conversation) as it is to be sent.

    Integers given for a float option become floats; everything else must already be of
    the right type.

    Raises:
        InvalidValue: unknown option, wrong type or out of range.
    """
    spec = _spec(name)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise InvalidValue(f"{name} must be true or false")
        return value
    if spec.kind == "list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise InvalidValue(f"{name} must be a list of non-empty strings")
        return list(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(f"{name} must be a number")
    if spec.kind == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise InvalidValue(f"{name} must be a whole number")
            value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise InvalidValue(f"{name} must be a finite number")
    _check_range(spec, value)
    return value


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Every option of a table checked (see `check_option`), ready to send.

    Raises:
        InvalidValue: the first option that is wrong.
    """
    return {name: check_option(name, value) for name, value in options.items()}


def option_problems(options: Mapping[str, Any]) -> dict[str, str]:
    """Options that would be refused, by name, with why (empty when all are fine)."""
    problems: dict[str, str] = {}
    for name, value in options.items():
        try:
            check_option(name, value)
        except InvalidValue as exc:
            problems[name] = str(exc)
    return problems


def format_option(name: str, value: Any) -> str:
    """The text an editor shows for a value (`parse_option` reads it back to the same)."""
    if value is None:
        return ""
    spec = SPECS.get(name)
    if isinstance(value, bool):
        return "true" if value else "false"
    if spec is not None and spec.kind == "list" and isinstance(value, list):
        return format_stop([str(v) for v in value])
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- stop sequences -------------------------------------------------------------------------

_BARE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", ",": ","}
_PLAIN = re.compile(r"[^\s\",\\\x00-\x1f\x7f-\x9f][^\",\\\x00-\x1f\x7f-\x9f]*")


def parse_stop(text: str) -> list[str]:
    """Stop sequences from `a, b, "  quoted, with spaces "`.

    Items are separated by commas. A bare item is trimmed and may use `\\n`, `\\t`, `\\r`,
    `\\\\` and `\\,`; an item in double quotes is a JSON string, kept exactly.

    Raises:
        InvalidValue: an empty item, or a quoted item that is not a JSON string.
    """
    items: list[str] = []
    position, end = 0, len(text)
    decoder = json.JSONDecoder()
    while True:
        while position < end and text[position] in " \t":
            position += 1
        if position < end and text[position] == '"':
            try:
                value, position = decoder.raw_decode(text, position)
            except ValueError:
                raise InvalidValue("stop: a quoted sequence is not closed or not valid") from None
            while position < end and text[position] in " \t":
                position += 1
            if position < end and text[position] != ",":
                raise InvalidValue("stop: put a comma after each quoted sequence")
        else:
            # (character, escaped): only unescaped blanks at the ends are trimmed.
            chars: list[tuple[str, bool]] = []
            while position < end and text[position] != ",":
                char = text[position]
                if char == "\\" and position + 1 < end and text[position + 1] in _BARE_ESCAPES:
                    chars.append((_BARE_ESCAPES[text[position + 1]], True))
                    position += 2
                    continue
                chars.append((char, False))
                position += 1
            while chars and not chars[-1][1] and chars[-1][0] in " \t":
                chars.pop()
            value = "".join(char for char, _ in chars)
        if not value:
            raise InvalidValue("stop: a stop sequence cannot be empty")
        items.append(value)
        if position >= end:
            return items
        position += 1  # the comma
        if not text[position:].strip(" \t"):
            raise InvalidValue("stop: a stop sequence cannot be empty")


def format_stop(items: Iterable[str]) -> str:
    """Stop sequences as text: plain ones bare, anything else as a JSON string."""
    parts = []
    for item in items:
        if _PLAIN.fullmatch(item) and item == item.strip():
            parts.append(item)
        else:
            # DEL and C1 controls are escaped too, so the text never carries them raw.
            escape_all = any(0x7F <= ord(c) <= 0x9F for c in item)
            parts.append(json.dumps(item, ensure_ascii=escape_all))
    return ", ".join(parts)


# -- keep_alive -------------------------------------------------------------------------------

_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9}
_UNIT_NS.update({"m": 60 * 10**9, "h": 3600 * 10**9})
_DURATION = re.compile(r"([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)")
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_MAX_NS = 2**63 - 1


def parse_keep_alive(text: str) -> KeepAlive:
    """`keep_alive` from typed text: None when empty (the server's default, 5 minutes).

    A number is seconds and is sent as a JSON number (`300`, `1.5`; negative keeps the
    model loaded for ever, `0` unloads it after the reply); anything else must be a Go
    duration (`5m`, `1h30m`, `300ms`, `-1m`) and is sent as that string, which is what
    Ollama parses (it does not read a number inside a string).

    Raises:
        InvalidValue: neither a number nor a duration, or longer than Go can count.
    """
    text = text.strip()
    if not text:
        return None
    if _INT.fullmatch(text):
        seconds: int | float = int(text)
    elif _FLOAT.fullmatch(text):
        seconds = float(text)
        if not math.isfinite(seconds):
            raise InvalidValue("keep_alive must be a finite number of seconds")
    else:
        duration_seconds(text)
        return text
    if seconds > 0 and seconds * 10**9 > _MAX_NS:
        raise InvalidValue("keep_alive is too long: use -1 to keep the model loaded for ever")
    return seconds


def duration_seconds(text: str) -> float:
    """Seconds in a Go duration string (`1h30m` -> 5400.0), like `time.ParseDuration`.

    Raises:
        InvalidValue: not a duration, or out of Go's range (about 292 years).
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidValue(
            "keep_alive must be a duration like 5m, 1h30m or 300ms, "
            "a number of seconds, -1 (for ever) or 0 (unload)"
        )
    nanos = 0.0
    for number, unit in _DURATION_PART.findall(match.group(2)):
        nanos += float(number) * _UNIT_NS[unit]
    if nanos > _MAX_NS:
        raise InvalidValue("keep_alive is too long: use -1 to keep the model loaded for ever")
    seconds = nanos / 1e9
    return -seconds if match.group(1) == "-" else seconds


def check_keep_alive(value: Any) -> KeepAlive:
    """A `keep_alive` from a file, checked; a number written as a string becomes a number.

    Raises:
        InvalidValue: not a duration string or a number.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue("keep_alive must be a duration string or a number of seconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue("keep_alive must be a finite number of seconds")
    if isinstance(value, str):
        return parse_keep_alive(value)
    return parse_keep_alive(repr(value) if isinstance(value, float) else str(value))


def format_keep_alive(value: KeepAlive) -> str:
    """The text an editor shows for a `keep_alive` value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def describe_keep_alive(value: KeepAlive) -> str:
    """In words: `for ever`, `unload after each reply`, `5m`."""
    if value is None:
        return "server default (5m)"
    seconds = duration_seconds(value) if isinstance(value, str) else float(value)
    if seconds < 0:
        return "for ever"
    if seconds == 0:
        return "unload after each reply"
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"  # 1.5 is sent as 1.5: not rounded to 2s
    return short_duration(seconds)


def short_duration(seconds: float) -> str:
    """`45s`, `5m`, `1h30m`, `2d3h`, `300ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    text = "".join(f"{n}{unit}" for n, unit in parts if n)
    return text or "0s"


# -- format --------------------------------------------------------------------------------

_SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("not", "additionalProperties", "items", "contains", "propertyNames")
_NON_NEGATIVE = ("minLength", "maxLength", "minItems", "maxItems", "minProperties")


def parse_schema(text: str) -> dict[str, Any]:
    """A JSON schema object from text, checked as JSON and as a schema.

    Raises:
        InvalidValue: not JSON (with line and column), not an object, or not a schema.
    """
    if not text.strip():
        raise InvalidValue("The schema is empty: write a JSON schema object, or choose json.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    return check_schema(value)


def check_schema(value: Any) -> dict[str, Any]:
    """A schema object, checked.

    Raises:
        InvalidValue: not an object, or a keyword with a value a schema cannot have.
    """
    if not isinstance(value, dict):
        raise InvalidValue('A schema must be a JSON object, like {"type": "object"}.')
    problem = _schema_problem(value, "")
    if problem:
        raise InvalidValue(problem)
    return value


def _schema_problem(schema: Any, path: str) -> str | None:
    where = f" at {path}" if path else ""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return f"Not a schema{where}: expected an object."
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not kinds:
            return f"'type'{where} is an empty list."
        for item in kinds:
            if item not in _SCHEMA_TYPES:
                return (
                    f"'type'{where} is {json.dumps(item)}: use one of "
                    + ", ".join(sorted(_SCHEMA_TYPES))
                    + "."
                )
    for key in _SCHEMA_MAPS:
        if key in schema:
            table = schema[key]
            if not isinstance(table, dict):
                return f"'{key}'{where} must be an object of schemas."
            for name, sub in table.items():
                problem = _schema_problem(sub, f"{path}.{key}.{name}".lstrip("."))
                if problem:
                    return problem
    for key in _SCHEMA_LISTS:
        if key in schema:
            items = schema[key]
            if not isinstance(items, list) or not items:
                return f"'{key}'{where} must be a non-empty list of schemas."
            for index, sub in enumerate(items):
                problem = _schema_problem(sub, f"{path}.{key}[{index}]".lstrip("."))
                if problem:
                    return problem
    for key in _SCHEMA_ONE:
        if key in schema:
            sub = schema[key]
            if key == "items" and isinstance(sub, list):
                for index, item in enumerate(sub):
                    problem = _schema_problem(item, f"{path}.items[{index}]".lstrip("."))
                    if problem:
                        return problem
                continue
            problem = _schema_problem(sub, f"{path}.{key}".lstrip("."))
            if problem:
                return problem
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            return f"'required'{where} must be a list of property names."
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        return f"'enum'{where} must be a non-empty list."
    for key in _NON_NEGATIVE:
        if key in schema:
            count = schema[key]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                return f"'{key}'{where} must be a whole number of at least 0."
    if "pattern" in schema and not isinstance(schema["pattern"], str):
        return f"'pattern'{where} must be a string."
    return None


def check_format(value: Any) -> FormatSpec:
    """A `format` from a file: None, `"json"`, JSON text of a schema, or a schema table.

    Raises:
        InvalidValue: anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if value.strip() == "json":
            return "json"
        if value.strip().startswith("{"):
            return parse_schema(value)
        raise InvalidValue('format must be "json" or a JSON schema object')
    return check_schema(value)


def format_schema_text(schema: Mapping[str, Any]) -> str:
    """A schema as the editor shows it: indented JSON."""
    return json.dumps(schema, indent=2, ensure_ascii=False)


# -- think ----------------------------------------------------------------------------------

THINK_CHOICES: tuple[tuple[str, str], ...] = (
    ("model default", "default"),
    ("on", "on"),
    ("off", "off"),
    ("low effort", "low"),
    ("medium effort", "medium"),
    ("high effort", "high"),
)
"""Label and key of each `think` setting (keys, because a Select cannot hold None)."""

_THINK_VALUES: dict[str, Think] = {
    "default": None,
    "on": True,
    "off": False,
    "low": "low",
    "medium": "medium",
    "high": "high",
}


def think_from_key(key: str) -> Think:
    """The `think` value of a `THINK_CHOICES` key."""
    return _THINK_VALUES[key]


def think_key(value: Think) -> str:
    """The `THINK_CHOICES` key of a `think` value."""
    if value is None:
        return "default"
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value if value in _THINK_VALUES else "default"


def check_think(value: Any) -> Think:
    """A `think` from a file.

    Raises:
        InvalidValue: not true, false, "low", "medium" or "high".
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("low", "medium", "high"):
        return value
    raise InvalidValue('think must be true, false, "low", "medium" or "high"')


# -- summary ---------------------------------------------------------------------------------


SUMMARY_OPTIONS = 6
"""Options listed one per line in the summary; the rest are counted."""


def settings_summary(conversation: Conversation) -> list[str]:
    """What a conversation sets, a short line each (for the 34-column sidebar)."""
    opts = conversation.chat_options
    lines = [f"{name} {format_option(name, value)}" for name, value in opts.options.items()]
    if len(lines) > SUMMARY_OPTIONS:
        hidden = len(lines) - SUMMARY_OPTIONS + 1
        lines[SUMMARY_OPTIONS - 1 :] = [f"… and {hidden} more options"]
    system = " ".join(conversation.system.split())
    if system:
        lines.append(f"system: {system[:50] + '…' if len(system) > 50 else system}")
    if isinstance(opts.format, dict):
        props = opts.format.get("properties")
        count = len(props) if isinstance(props, dict) else 0
        lines.append(f"format: schema ({count} field{'s' if count != 1 else ''})")
    elif opts.format:
        lines.append(f"format: {opts.format}")
    request: list[str] = []
    if opts.think is not None:
        request.append(f"think {think_key(opts.think)}")
    if not opts.stream:
        request.append("stream off")
    if request:
        lines.append(" · ".join(request))
    if opts.keep_alive is not None:
        lines.append(f"keep loaded: {describe_keep_alive(opts.keep_alive)}")
    return lines


def model_parameters(text: str) -> dict[str, str]:
    """The model's own option values from `/api/show`'s `parameters` (`name value` lines).

    A name given on several lines (`stop`) has its values joined with commas.
    """
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, _, value = line.strip().partition(" ")
        value = value.strip()
        if name in SPECS and value:
            values.setdefault(name, []).append(value)
    return {name: ", ".join(found) for name, found in values.items()}


EXAMPLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "capital": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "capital", "languages"],
}
"""A starting point for a new schema (Ollama's structured-outputs example)."""

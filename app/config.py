"""`config.toml` and the places olladeck keeps things.

Paths come from platformdirs; `XDG_CONFIG_HOME` and `XDG_DATA_HOME` are honoured on every
platform (platformdirs only does so on Linux), so tests and users can move them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_NAME = "olladeck"


def config_dir() -> Path:
    """Where `config.toml` and the system prompt library live."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / APP_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_data_dir() -> Path:
    """Where conversations and images are saved, unless the config says otherwise."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    """The config file."""
    return config_dir() / "config.toml"


NOT_A_SETTING = {"setting": False}
"""Metadata of a `Config` field that is not read from the file (what reading it found)."""


@dataclass(frozen=True)
class Config:
    """Settings from `config.toml`. Every field is optional in the file."""

    host: str = ""
    """The Ollama server, in any form OLLAMA_HOST accepts. Empty: OLLAMA_HOST, else
    http://127.0.0.1:11434. A name from [hosts] works too."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Named Ollama servers (e.g. `laptop = "127.0.0.1"`, `gpu = "http://gpu-box:11434"`)."""
    default_model: str = ""
    """Model for new conversations. Empty: the first model the server lists (the most
    recently pulled) that can chat; embedding-only models are passed over."""
    theme: str = "textual-dark"
    """One of Textual's themes (switch with the command palette; the choice is remembered)."""
    data_dir: str = ""
    """Where conversations are saved. Empty: the platform's data directory."""
    options: dict[str, Any] = field(default_factory=dict)
    """Default Modelfile options for new conversations (e.g. `temperature = 0.7`)."""
    system: str = ""
    """Default system prompt for new conversations."""
    keep_alive: str | int | float | None = None
    """How long a model stays loaded after a reply, for new conversations: a duration
    (`"5m"`, `"1h30m"`), seconds, -1 for ever, 0 to unload at once. Unset: the server's
    default (5 minutes)."""
    think: bool | str | None = None
    """`think` for new conversations: true, false, or "low"/"medium"/"high". Unset: the
    model decides. Asking for thinking is sent only to models whose capabilities list
    `thinking` (Ollama refuses it for the others)."""
    format: str | dict[str, Any] | None = None
    """`format` for new conversations: "json", or a JSON schema (a table, or JSON text)."""
    stream: bool = True
    """Stream replies as they are written (false: the whole reply arrives at once)."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Key overrides: binding id to keys, e.g. `"chat.send" = "ctrl+s"`."""
    render_fps: int = 8
    """How often a streaming reply is redrawn, per second (lower it on a slow link)."""
    tools: ToolsConfig = field(default_factory=lambda: ToolsConfig())
    """Tool calling: the folders the file tools may read, your own tools (`[tools]`)."""
    title_from_model: bool = False
    """Ask the conversation's model for a short title after its first reply (in the
    background); otherwise the title is the start of the first message."""
    rejected_hosts: tuple[str, ...] = field(default=(), metadata=NOT_A_SETTING)
    """Not a setting: the `[hosts]` names left out because their address is malformed."""
    host_problems: tuple[str, ...] = field(default=(), metadata=NOT_A_SETTING)
    """Not a setting: why `host` or a `[hosts]` entry was left out (said at start)."""
    keymap_problems: tuple[str, ...] = field(default=(), metadata=NOT_A_SETTING)
    """Not a setting: `[keymap]` entries left out because a key name is invalid (said at
    start; the binding keeps its default keys)."""

    @property
    def resolved_data_dir(self) -> Path:
        """The data directory, with `~` expanded."""
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()


class ConfigError(Exception):
    """The config file could not be used; the text names the file and the line."""


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "hosts": dict,
    "default_model": str,
    "theme": str,
    "data_dir": str,
    "options": dict,
    "system": str,
    "keymap": dict,
    "render_fps": int,
    "tools": dict,
    "keep_alive": (str, int, float),
    "think": (bool, str),
    "format": (str, dict),
    "stream": bool,
    "title_from_model": bool,
}
_BOOLEAN = frozenset({"think", "stream"})
"""Settings that may be true/false (TOML booleans are refused everywhere else)."""


_KIND_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
}


def _kind_text(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = [_KIND_NAMES.get(k, k.__name__) for k in kinds if not (k is int and float in kinds)]
    return " or ".join(dict.fromkeys(names))


def _line_of(text: str, key: str, table: str | None = None) -> str:
    """` (line N)` for where `key` is set in the text (inside `[table]` if given), or ''."""
    import re

    in_table = table is None
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = table is not None and stripped.strip("[] ") == table
            if table is None:
                break  # top-level keys come before the first table
            continue
        if in_table and pattern.match(line):
            return f" (line {number})"
    return ""


def parse_config(text: str, source: str = "config.toml") -> Config:
    """Parse config text.

    Raises:
        ConfigError: not TOML (the message names the line) or a setting of the wrong type.
    """
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in doc.items():
        kind = _FIELDS.get(key)
        if kind is None:
            raise ConfigError(f"{source}{_line_of(text, key)}: unknown setting '{key}'")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kind) or (
            isinstance(value, bool) and bool not in kinds and key not in _BOOLEAN
        ):
            raise ConfigError(
                f"{source}{_line_of(text, key)}: '{key}' should be {_kind_text(kind)}"
            )
        values[key] = value
    for table in ("hosts", "keymap"):
        for name, value in values.get(table, {}).items():
            if not isinstance(value, str):
                where = _line_of(text, name, table)
                raise ConfigError(f"{source}{where}: [{table}] '{name}' should be a string")
    fps = values.get("render_fps", 8)
    if not 1 <= fps <= 120:
        where = _line_of(text, "render_fps")
        raise ConfigError(f"{source}{where}: 'render_fps' should be between 1 and 120")
    if "tools" in values:
        values["tools"] = _parse_tools(values["tools"], source)
    _check_request_defaults(values, source)
    _drop_bad_hosts(values, text, source)
    _drop_bad_keys(values, text, source)
    return Config(**values)


def _drop_bad_keys(values: dict[str, Any], text: str, source: str) -> None:
    """Leave out `[keymap]` entries with a key name that names no key, saying why (in
    place): such a binding would never run (Enter sending nothing), so it keeps its
    default keys instead."""
    from .key_names import invalid_key_names

    keymap = dict(values.get("keymap", {}))
    problems: list[str] = []
    for binding_id, keys in list(keymap.items()):
        invalid = invalid_key_names(keys)
        if invalid:
            del keymap[binding_id]
            names = ", ".join(f"'{name}'" for name in invalid)
            where = _line_of(text, binding_id, "keymap")
            problems.append(
                f"{source}{where}: [keymap] '{binding_id}': {names} is not a key name "
                "(F1 shows the names); its default keys are kept."
            )
    if problems:
        values["keymap"] = keymap
        values["keymap_problems"] = tuple(problems)


def _drop_bad_hosts(values: dict[str, Any], text: str, source: str) -> None:
    """Leave out `host` and `[hosts]` entries that name no server, saying why (in place):
    a typo in one address must not stop olladeck from starting."""
    from .ollama.host import InvalidHost, check_host

    problems: list[str] = []
    hosts = dict(values.get("hosts", {}))
    rejected: list[str] = []
    for name, address in list(hosts.items()):
        try:
            check_host(address)
        except InvalidHost as exc:
            del hosts[name]
            rejected.append(name)
            where = _line_of(text, name, "hosts")
            problems.append(f"{source}{where}: [hosts] '{name}': {exc} It is left out.")
    host = values.get("host", "")
    instead = "OLLAMA_HOST or the default is used instead."
    if host in rejected:
        values["host"] = ""
        problems.append(f"{source}: 'host' names [hosts] '{host}', which is left out; {instead}")
    elif host and host not in hosts:
        try:
            check_host(host)
        except InvalidHost as exc:
            values["host"] = ""
            problems.append(f"{source}{_line_of(text, 'host')}: 'host': {exc} {instead}")
    if problems:
        values["hosts"] = hosts
        values["rejected_hosts"] = tuple(rejected)
        values["host_problems"] = tuple(problems)


# -- [tools] --------------------------------------------------------------------------------

BUILTIN_TOOL_NAMES = ("current_time", "calculator", "read_file", "list_directory")
"""Names of the built-in tools (a tool of your own cannot take one)."""


@dataclass(frozen=True)
class UserToolConfig:
    """A tool of your own (`[[tools.custom]]`): a program run with the model's arguments.

    The program is started directly, never through a shell. Each element of `command`
    may contain `{name}` placeholders for the arguments: the value replaces the
    placeholder inside that one element (strings as they are, other values as JSON), so
    spaces, quotes or `;` in a value can never split or chain commands. An element whose
    argument the model left out is dropped.
    """

    name: str
    """What the model calls it (letters, digits, `_`, `-`, `.`)."""
    description: str
    """What it does, for the model."""
    command: tuple[str, ...]
    """The program and its arguments, e.g. `["grep", "-rn", "--", "{pattern}", "~/notes"]`."""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    """A JSON schema of the arguments (an object with `properties`)."""
    timeout: float = 10.0
    """Seconds before the program is stopped (its result is then an error)."""
    max_output: int = 16_384
    """Most bytes of output passed on to the model; more is an error."""


@dataclass(frozen=True)
class ToolsConfig:
    """The `[tools]` table."""

    enabled: bool = False
    """Whether new conversations start with tools on (Ctrl+G switches per conversation)."""
    allowed_folders: tuple[str, ...] = ()
    """Folders `read_file` and `list_directory` may read (none: those tools are not
    offered). Symlinks and `..` are resolved before the check."""
    max_rounds: int = 8
    """Most rounds of tool calls for one message before olladeck stops asking."""
    max_file_bytes: int = 65_536
    """Most bytes `read_file` returns from one file."""
    custom: tuple[UserToolConfig, ...] = ()
    """Your own tools (`[[tools.custom]]`); each run asks you first."""


_TOOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A `{name}` placeholder in a tool's command."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_tools(table: dict[str, Any], source: str) -> ToolsConfig:
    known = {"enabled", "allowed_folders", "max_rounds", "max_file_bytes", "custom"}
    for key in table:
        if key not in known:
            raise ConfigError(f"{source}: unknown setting 'tools.{key}'")
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{source}: 'tools.enabled' should be true or false")
    folders = table.get("allowed_folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) and f for f in folders):
        raise ConfigError(f"{source}: 'tools.allowed_folders' should be a list of folder paths")
    rounds = table.get("max_rounds", 8)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or not 1 <= rounds <= 100:
        raise ConfigError(f"{source}: 'tools.max_rounds' should be a whole number from 1 to 100")
    file_bytes = table.get("max_file_bytes", 65_536)
    if not isinstance(file_bytes, int) or isinstance(file_bytes, bool) or file_bytes < 1:
        raise ConfigError(f"{source}: 'tools.max_file_bytes' should be a positive whole number")
    custom = table.get("custom", [])
    if not isinstance(custom, list):
        raise ConfigError(f"{source}: 'tools.custom' should be tables ([[tools.custom]])")
    tools: list[UserToolConfig] = []
    for index, raw in enumerate(custom, 1):
        tool = _parse_user_tool(raw, f"{source}: [[tools.custom]] number {index}")
        if tool.name in BUILTIN_TOOL_NAMES or any(t.name == tool.name for t in tools):
            raise ConfigError(
                f"{source}: [[tools.custom]] number {index}: the name {tool.name!r} is taken"
            )
        tools.append(tool)
    return ToolsConfig(
        enabled=enabled,
        allowed_folders=tuple(folders),
        max_rounds=rounds,
        max_file_bytes=file_bytes,
        custom=tuple(tools),
    )


def _parse_user_tool(raw: Any, where: str) -> UserToolConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} should be a table")
    known = {"name", "description", "command", "parameters", "timeout", "max_output"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{where}: unknown setting '{key}'")
    name = raw.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: 'name' should be a name of letters, digits, '_', '-' or '.' "
            "(up to 64, not starting with a digit)"
        )
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where} ({name}): 'description' should be a string")
    command = raw.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) for part in command)
        or not command[0]
    ):
        raise ConfigError(
            f"{where} ({name}): 'command' should be a list of strings, the program first "
            '(e.g. ["grep", "-rn", "--", "{pattern}", "~/notes"])'
        )
    parameters = raw.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict):
        raise ConfigError(f"{where} ({name}): 'parameters' should be a table (a JSON schema)")
    parameters = dict(parameters)
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    properties = parameters["properties"]
    if parameters["type"] != "object" or not isinstance(properties, dict):
        raise ConfigError(
            f"{where} ({name}): 'parameters' should be an object schema with 'properties'"
        )
    for part in command:
        for placeholder in PLACEHOLDER.findall(part):
            if placeholder not in properties:
                raise ConfigError(
                    f"{where} ({name}): 'command' uses {{{placeholder}}}, which is not one "
                    "of its parameters"
                )
    timeout = raw.get("timeout", 10.0)
    if not _number(timeout) or not 0 < timeout <= 3600:
        raise ConfigError(f"{where} ({name}): 'timeout' should be seconds, more than 0")
    max_output = raw.get("max_output", 16_384)
    if not isinstance(max_output, int) or isinstance(max_output, bool) or max_output < 1:
        raise ConfigError(f"{where} ({name}): 'max_output' should be a positive whole number")
    return UserToolConfig(
        name=name,
        description=description,
        command=tuple(command),
        parameters=parameters,
        timeout=float(timeout),
        max_output=max_output,
    )


def _check_request_defaults(values: dict[str, Any], source: str) -> None:
    """Options, keep_alive, think and format are checked as they would be sent (in place)."""
    if not any(key in values for key in ("options", "keep_alive", "think", "format")):
        return
    from .options import (
        InvalidValue,
        check_format,
        check_keep_alive,
        check_options,
        check_think,
    )

    try:
        if "options" in values:
            values["options"] = check_options(values["options"])
        if "keep_alive" in values:
            values["keep_alive"] = check_keep_alive(values["keep_alive"])
        if "think" in values:
            values["think"] = check_think(values["think"])
        if "format" in values:
            values["format"] = check_format(values["format"])
    except InvalidValue as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: Path | None = None) -> tuple[Config, str | None]:
    """Read the config file; a missing file is the defaults.

    Returns:
        The config, and an error message if the file was broken (the defaults are then used).
    """
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(), None
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), f"Could not read {path}: {exc}. Using the defaults."
    try:
        config = parse_config(text, str(path))
    except ConfigError as exc:
        return Config(), f"{exc}. Using the defaults."
    return config, "\n".join((*config.host_problems, *config.keymap_problems)) or None


# -- the file on disk -------------------------------------------------------------------------

TEMPLATE = """# olladeck configuration. Every setting is optional: remove the "#" to use one.
# A broken file is reported (with its line) and olladeck starts with the defaults.

# The Ollama server: any form OLLAMA_HOST accepts ("gpu-box", "gpu-box:11434",
# "https://host/path"), or a name from [hosts]. Unset: OLLAMA_HOST, else 127.0.0.1:11434.
# host = "gpu"

# Model for new conversations (unset: the newest model on the server that can chat).
# default_model = "llama3.2"

# One of Textual's themes; changing the theme from the command palette (Ctrl+P) saves
# it here.
theme = "textual-dark"

# Default system prompt for new conversations.
# system = "Answer briefly."

# Ask the model for a short title after a conversation's first reply (in the background);
# otherwise the title is the start of the first message.
# title_from_model = false

# Defaults for new conversations' requests.
# keep_alive = "10m"        # how long a model stays loaded: "5m", "1h", seconds, -1, 0
# think = true              # sent to models that can think; or "low" / "medium" / "high"
# format = "json"           # or a JSON schema as a table
# stream = true

# Redraws per second while a reply streams (lower it on a slow link).
# render_fps = 8

# Where conversations are saved (unset: the platform's data directory).
# data_dir = "~/notes/olladeck"

# Named Ollama servers, to switch between (F9, or the command palette).
# [hosts]
# laptop = "127.0.0.1"
# gpu = "http://gpu-box:11434"

# Default Modelfile options for new conversations (Ctrl+T edits them per conversation).
# [options]
# temperature = 0.7
# num_ctx = 8192

# Keys: a binding's id (F1 lists them) to the keys you want, comma separated.
# [keymap]
# "conversation.new" = "ctrl+n,f12"

# Tool calling (Ctrl+G turns it on per conversation).
# [tools]
# enabled = false
# allowed_folders = ["~/notes"]
# [[tools.custom]]
# name = "grep_notes"
# description = "Search my notes for a pattern"
# command = ["grep", "-rn", "--", "{pattern}", "~/notes"]
# [tools.custom.parameters]
# type = "object"
# required = ["pattern"]
# [tools.custom.parameters.properties.pattern]
# type = "string"
"""


def ensure_config_file(path: Path | None = None) -> bool:
    """Write the commented template if there is no config file yet.

    Returns:
        True if the file was created.
    """
    from .store.atomic import atomic_write_text, ensure_private_dir

    # A symlinked config.toml (dotfiles kept elsewhere) is written through the link.
    path = (path or config_path()).resolve()
    if path.exists():
        return False
    ensure_private_dir(path.parent)
    atomic_write_text(path, TEMPLATE)
    return True


_THEME_LINE = re.compile(r"(?m)^[ \t]*#?[ \t]*theme[ \t]*=.*$")


def save_theme(theme: str, path: Path | None = None) -> None:
    """Remember a theme in config.toml, keeping everything else in the file as it is.

    A config.toml that is a symlink stays one: the file it points to is rewritten (in
    its own folder, atomically), not the link replaced by a plain file.

    Raises:
        OSError: the file could not be written.
        ConfigError: the file is broken; it is left alone.
    """
    from .store.atomic import atomic_write_text

    path = (path or config_path()).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = TEMPLATE
    parse_config(text, str(path))  # never rewrite a file the user must fix first
    line = f'theme = "{theme}"'
    if _THEME_LINE.search(text):
        updated = _THEME_LINE.sub(line, text, count=1)
    else:
        updated = f"{line}\n{text}"
    try:
        placed = parse_config(updated, str(path)).theme == theme
    except ConfigError:
        placed = False
    if not placed:
        # The line found sat inside a table; a top-level line goes first instead.
        updated = f"{line}\n{_THEME_LINE.sub('', text)}"
    atomic_write_text(path, updated)

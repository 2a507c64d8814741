"""`config.toml` and the places olladeck keeps things.

Paths come from platformdirs; `XDG_CONFIG_HOME` and `XDG_DATA_HOME` are honoured on every
platform (platformdirs only does so on Linux), so tests and users can move them.
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Config:
    """Settings from `config.toml`. Every field is optional in the file."""

    host: str = ""
    """The Ollama server, in any form OLLAMA_HOST accepts. Empty: OLLAMA_HOST, else
    http://127.0.0.1:11434. A name from [hosts] works too."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Named Ollama servers (e.g. `laptop = "127.0.0.1"`, `gpu = "http://gpu-box:11434"`)."""
    default_model: str = ""
    """Model for new conversations. Empty: the first model the server lists."""
    theme: str = "textual-dark"
    """One of Textual's themes (switch with the command palette; the choice is remembered)."""
    data_dir: str = ""
    """Where conversations are saved. Empty: the platform's data directory."""
    options: dict[str, Any] = field(default_factory=dict)
    """Default Modelfile options for new conversations (e.g. `temperature = 0.7`)."""
    system: str = ""
    """Default system prompt for new conversations."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Key overrides: binding id to keys, e.g. `"chat.send" = "ctrl+s"`."""
    render_fps: int = 20
    """How often a streaming reply is redrawn, per second (lower it on a slow link)."""
    keep_alive: str | int | float | None = None
    """Default `keep_alive` for new conversations (`"10m"`, seconds, `-1` for ever)."""
    think: bool | str | None = None
    """Default `think` for new conversations (`true`/`false`, or `"low"`/`"medium"`/`"high"`)."""
    format: str | dict[str, Any] | None = None
    """Default `format` for new conversations: `"json"`, or a JSON schema as a table."""
    title_from_model: bool = False
    """Ask the conversation's model for a short title after its first reply (in the
    background); otherwise the title is the start of the first message."""

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
    "keep_alive": (str, int, float),
    "think": (bool, str),
    "format": (str, dict),
    "title_from_model": bool,
}


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
            raise ConfigError(f"{source}: unknown setting '{key}'")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
            expected = kind.__name__ if isinstance(kind, type) else "value"
            raise ConfigError(f"{source}: '{key}' should be a {expected}")
        values[key] = value
    for table in ("hosts", "keymap"):
        for name, value in values.get(table, {}).items():
            if not isinstance(value, str):
                raise ConfigError(f"{source}: [{table}] '{name}' should be a string")
    fps = values.get("render_fps", 20)
    if not 1 <= fps <= 120:
        raise ConfigError(f"{source}: 'render_fps' should be between 1 and 120")
    return Config(**values)


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
        return parse_config(text, str(path)), None
    except ConfigError as exc:
        return Config(), f"{exc}. Using the defaults."

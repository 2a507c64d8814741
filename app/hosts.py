"""Named Ollama hosts from `config.toml` (`[hosts]`): which one is in use, which comes next.

No Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .config import Config
from .ollama.host import OllamaHost, check_host, parse_host


def resolve_host(arg: str | None, config: Config, environ: Mapping[str, str]) -> OllamaHost:
    """The server to use at start: `--host`, else the config's `host`, else `OLLAMA_HOST`,
    else Ollama's default (http://127.0.0.1:11434).

    The first of them that is set (not empty) wins, and is either a name from `[hosts]`
    or an address in any form OLLAMA_HOST accepts. A name whose `[hosts]` entry was left
    out as malformed (reported at start) counts as not set.

    Args:
        arg: The `--host` argument (None when not given).
        config: The loaded config (malformed addresses already left out).
        environ: The environment (`os.environ`).

    Raises:
        InvalidHost: `--host` or OLLAMA_HOST is malformed.
    """
    for wanted in (arg, config.host, environ.get("OLLAMA_HOST", "")):
        if not wanted or wanted in config.rejected_hosts:
            continue
        return check_host(config.hosts.get(wanted, wanted))
    return check_host("")


def named_hosts(config: Config) -> dict[str, OllamaHost]:
    """Every `[hosts]` entry, resolved, in the file's order."""
    return {name: parse_host(value) for name, value in config.hosts.items()}


def host_name(config: Config, host: OllamaHost) -> str:
    """The name the config gives this host, or "" when it has none."""
    for name, candidate in named_hosts(config).items():
        if candidate == host:
            return name
    return ""


def next_host(config: Config, current: str) -> str | None:
    """The name after `current` in `[hosts]` (wrapping round); None with fewer than two."""
    names = list(config.hosts)
    if len(names) < 2:
        return None
    if current not in names:
        return names[0]
    return names[(names.index(current) + 1) % len(names)]


DEMO_HOST = "demo"
"""What a conversation made with the built-in demo server records as its host (the
server's port is new every time, so its address would mean nothing later)."""


def conversation_host(config: Config, host: OllamaHost) -> str:
    """What a conversation records as its host: the config's name for it, else the URL."""
    return host_name(config, host) or host.base_url

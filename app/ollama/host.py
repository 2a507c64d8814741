"""Resolve an Ollama host the way Ollama's own CLI does.

This follows `envconfig.Host()` in the ollama repository: quotes and spaces are trimmed,
a missing scheme means `http` with port 11434, an explicit `http://` or `https://` without a
port means 80 or 443, a missing host means this machine, an invalid port falls back to the
default, and anything after the first `/` is a path prefix. Like Ollama's client, an
unspecified bind address (`0.0.0.0`, `::`) is replaced by the loopback address to connect to.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_PORT = 11434


@dataclass(frozen=True)
class OllamaHost:
    """Where an Ollama server listens."""

    scheme: str
    """`http` or `https`."""
    host: str
    """Host name or IP address, without brackets."""
    port: int
    """TCP port."""
    path: str = ""
    """Path prefix (without leading slash), for servers behind a reverse proxy."""

    @property
    def netloc(self) -> str:
        """`host:port`, with brackets around an IPv6 address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL requests are made against, e.g. `http://127.0.0.1:11434`."""
        url = f"{self.scheme}://{self.netloc}"
        return f"{url}/{self.path}" if self.path else url

    @property
    def is_local(self) -> bool:
        """True when the server is on this machine (loopback)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def is_insecure_remote(self) -> bool:
        """True for plain HTTP to another machine: prompts travel unencrypted."""
        return self.scheme == "http" and not self.is_local

    def __str__(self) -> str:
        return self.base_url


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """Go's `net.SplitHostPort`: None where Go returns an error."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not hostport[end + 1 :].startswith(":"):
            return None
        host, port = hostport[1:end], hostport[end + 2 :]
        return (host, port) if ":" not in port else None
    if hostport.count(":") != 1:
        return None
    host, _, port = hostport.partition(":")
    return host, port


def _clean(value: str) -> str:
    """Ollama's `envconfig.Var`: spaces, then quotes, then spaces trimmed."""
    return value.strip().strip("\"'").strip()


def parse_host(value: str | None) -> OllamaHost:
    """Parse an `OLLAMA_HOST` value (or `--host` argument) as Ollama does.

    Args:
        value: `host`, `host:port`, `:port`, `scheme://host[:port][/path]`, `[v6]:port`,
            or empty/None for the default.

    Returns:
        The host to connect to.
    """
    text = _clean(value or "")
    default_port = str(DEFAULT_PORT)
    scheme, sep, hostport = text.partition("://")
    if not sep:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    elif scheme == "http":
        default_port = "80"
    elif scheme == "https":
        default_port = "443"
    scheme = scheme.lower() or "http"

    hostport, _, path = hostport.partition("/")
    split = _split_host_port(hostport)
    if split is None:
        host, port = "127.0.0.1", default_port
        stripped = hostport.strip("[]")
        try:
            host = str(ipaddress.ip_address(stripped))
        except ValueError:
            if hostport:
                host = hostport
    else:
        host, port = split

    try:
        port_number = int(port)
        if not 0 <= port_number <= 65535:
            raise ValueError(port)
    except ValueError:
        port_number = int(default_port)

    # A missing host or an unspecified bind address means this machine.
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return OllamaHost(scheme=scheme, host=host, port=port_number, path=path.strip("/"))


HOST_FORMS = (
    "host, host:port, :port, scheme://host[:port][/path] (scheme http or https), [IPv6]:port"
)
"""The forms of a host olladeck (and Ollama) accepts, for messages."""

_NAME = re.compile(r"(?:[\w-]+(?:\.[\w-]+)*\.?|\.)")
"""A host name: labels of letters, digits, `-` and `_`, joined by dots."""
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


class InvalidHost(ValueError):
    """A host that no server can be reached at; the text names it and the accepted forms."""

    def __init__(self, value: str, why: str) -> None:
        super().__init__(f"{value!r} is not a valid Ollama host ({why}). Accepted: {HOST_FORMS}.")
        self.value = value
        self.why = why


def check_host(value: str | None) -> OllamaHost:
    """Parse a host as `parse_host` does, refusing what cannot name a server.

    Everything Ollama's own CLI can connect to is accepted (an invalid port falls back to
    the default there too); refused are hosts its URL parser would reject or no lookup
    could resolve: unbalanced brackets, spaces or other characters no host name has, a
    scheme other than http or https.

    Raises:
        InvalidHost: malformed.
    """
    text = _clean(value or "")
    shown = value or ""
    if _SPACE_OR_CONTROL.search(text):
        raise InvalidHost(shown, "it contains a space or a control character")
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() not in ("", "http", "https"):
        raise InvalidHost(shown, f"the scheme is {scheme!r}, not http or https")
    parsed = parse_host(text)
    host = parsed.host
    if _is_ip(host):
        return parsed
    if not _NAME.fullmatch(host) or len(host) > 253:
        raise InvalidHost(shown, f"{host!r} is neither a host name nor an IP address")
    if any(len(label) > 63 for label in host.split(".")):
        raise InvalidHost(shown, "a part of the host name is longer than 63 characters")
    return parsed


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True

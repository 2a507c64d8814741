"""Resolve an Ollama host the way Ollama's own CLI does.

This follows `envconfig.Host()` in the ollama repository: quotes and spaces are trimmed,
a missing scheme means `http` with port 11434, an explicit `http://` or `https://` without a
port means 80 or 443, a missing host means this machine, an invalid port falls back to the
default, and anything after the first `/` is a path prefix. Like Ollama's client, an
unspecified bind address (`0.0.0.0`, `::`) is replaced by the loopback address to connect to.

Unlike Ollama's envconfig, which knows nothing of `user:password@` (it takes the whole
`user:password@host:port` for a host name and ends up with `[user:password@host:port]:80`),
credentials before the host are read as a URL's userinfo would be: up to the last `@`,
percent-decoded. They are sent as HTTP basic auth and live only in memory: `base_url`,
`netloc` and `str()` never carry them, and `label` shows the password as `••••`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

DEFAULT_PORT = 11434
MASK = "••••"
"""Shown instead of a password."""


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
    username: str = ""
    """User name for HTTP basic auth ("" when the host names none)."""
    password: str = field(default="", repr=False)
    """Password for HTTP basic auth: kept in memory and sent in the request headers only."""

    @property
    def netloc(self) -> str:
        """`host:port`, with brackets around an IPv6 address (never the credentials)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def has_credentials(self) -> bool:
        """True when requests carry HTTP basic auth."""
        return bool(self.username or self.password)

    @property
    def label(self) -> str:
        """How the host is shown: `netloc`, after `user:••••@` when it has credentials."""
        if not self.has_credentials:
            return self.netloc
        secret = f":{MASK}" if self.password else ""
        return f"{self.username}{secret}@{self.netloc}"

    @property
    def base_url(self) -> str:
        """The URL requests are made against, e.g. `http://127.0.0.1:11434`."""
        url = f"{self.scheme}://{self.netloc}"
        return f"{url}/{self.path}" if self.path else url

    @property
    def is_local(self) -> bool:
        """True when the server is on this machine (loopback), in any of its forms:
        `localhost`, 127.0.0.0/8, `::1`, and IPv4 loopback mapped into IPv6
        (`::ffff:127.0.0.1`)."""
        if self.host.lower().rstrip(".") == "localhost":
            return True
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped.is_loopback
        return address.is_loopback

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


def _split_userinfo(hostport: str) -> tuple[str, str, str]:
    """`user:password@host:port` -> (host:port, user, password), percent-decoded; a URL's
    userinfo ends at the last `@` (as Go's and Python's URL parsers read it)."""
    userinfo, at, rest = hostport.rpartition("@")
    if not at:
        return hostport, "", ""
    user, _, password = userinfo.partition(":")
    return rest, unquote(user), unquote(password)


def redact(value: str) -> str:
    """A host as typed, with the password in it (if any) replaced by `••••`: for messages
    that quote what the user gave."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return value
    user = userinfo.partition(":")[0]
    return f"{scheme}{sep}{user}:{MASK}@{hostport}{slash}{path}"


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
    hostport, username, password = _split_userinfo(hostport)
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
    return OllamaHost(
        scheme=scheme,
        host=host,
        port=port_number,
        path=path.strip("/"),
        username=username,
        password=password,
    )


HOST_FORMS = (
    "host, host:port, :port, scheme://host[:port][/path] (scheme http or https; "
    "user:password@ before the host for basic auth), [IPv6]:port"
)
"""The forms of a host olladeck (and Ollama) accepts, for messages."""

_NAME = re.compile(r"(?:[\w-]+(?:\.[\w-]+)*\.?|\.)")
"""A host name: labels of letters, digits, `-` and `_`, joined by dots."""
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


class InvalidHost(ValueError):
    """A host that no server can be reached at; the text names it and the accepted forms."""

    def __init__(self, value: str, why: str) -> None:
        value = redact(value)
        super().__init__(f"{value!r} is not a valid Ollama host ({why}). Accepted: {HOST_FORMS}.")
        self.value = value
        """The host as given, its password (if any) masked."""
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

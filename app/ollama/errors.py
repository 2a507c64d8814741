"""Typed errors from talking to Ollama, each with one plain sentence for the user."""

from __future__ import annotations

from typing import Literal

from ..core.display_text import DisplayText, sanitize

ConnectionFailure = Literal["refused", "dns", "timeout", "unreachable", "tls", "other"]


MAX_ERROR_CHARS = 2000
"""A server's error text is kept to this many characters where it is read: a text of
megabytes would stall the UI in the banner, the inline error and the saved message."""


def cut_error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` cut to its first `limit` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} characters more)"


class OllamaError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: DisplayText = sanitize(message)
        """One plain sentence saying what went wrong (display-safe: it may quote the
        server)."""

    @property
    def hint(self) -> str:
        """How the user might fix it (may be empty)."""
        return ""

    @property
    def permanent(self) -> bool:
        """True when asking again the same way cannot help (the request or the server
        must change first)."""
        return False


class OllamaConnectionError(OllamaError):
    """The server could not be reached at all."""

    def __init__(self, netloc: str, reason: ConnectionFailure, detail: str = "") -> None:
        texts = {
            "refused": f"Nothing is listening at {netloc} (connection refused).",
            "dns": f"The host name in {netloc} could not be resolved (DNS lookup failed).",
            "timeout": f"Connecting to {netloc} timed out.",
            "unreachable": f"The network to {netloc} is unreachable.",
            "tls": f"The TLS handshake with {netloc} failed.",
            "other": f"Could not connect to {netloc}.",
        }
        message = texts[reason]
        if detail and reason in ("other", "tls"):
            message = f"{message[:-1]}: {detail}."
        super().__init__(message)
        self.netloc = netloc
        self.reason: ConnectionFailure = reason

    @property
    def hint(self) -> str:
        if self.reason == "refused":
            return "Start Ollama with `ollama serve`, or point OLLAMA_HOST (or --host) at it."
        if self.reason == "dns":
            return "Check the host name in OLLAMA_HOST or --host."
        if self.reason == "timeout":
            return "Check that the machine is up and that no firewall blocks the port."
        return "Check OLLAMA_HOST or --host."


class OllamaResponseError(OllamaError):
    """The server answered with an HTTP error status before any streaming began."""

    def __init__(self, status: int, error: str) -> None:
        text = error.strip() or f"HTTP {status}"
        super().__init__(f"Ollama answered {status}: {text}")
        self.status = status
        self.error = text
        """Ollama's own `error` text (or the status when it gave none)."""


class ModelNotFoundError(OllamaResponseError):
    """The model is not pulled on this server (HTTP 404)."""

    def __init__(self, status: int, error: str, model: str = "") -> None:
        super().__init__(status, error)
        self.model = model
        name = f"'{model}' " if model else ""
        self.message = sanitize(f"The model {name}is not on this server: {self.error}")

    @property
    def hint(self) -> str:
        return PULL_HINT

    @property
    def permanent(self) -> bool:
        return True


PULL_HINT = "Pull it on the Pull tab of the models screen (F3)."
"""Where a missing model is pulled: in the app itself."""


class CapabilityError(OllamaResponseError):
    """The model cannot do what was asked (HTTP 400 `"<model>" does not support chat`,
    `... thinking`, `... tools`)."""

    def __init__(self, status: int, error: str, model: str = "") -> None:
        super().__init__(status, error)
        self.model = model
        lowered = self.error.lower()
        self.capability = next(
            (c for c in ("chat", "thinking", "tools", "generate") if f"support {c}" in lowered),
            "",
        )
        """What the model lacks: `chat`, `thinking`, `tools`, `generate` or "" (other)."""

    @property
    def hint(self) -> str:
        if self.capability in ("chat", "generate"):
            return "Choose a chat model in the sidebar or on the models screen (F3)."
        if self.capability == "thinking":
            return (
                "Set think to the model's default or off (Ctrl+T, Request tab), or choose "
                "a model that can think."
            )
        if self.capability == "tools":
            return "Turn tools off (Ctrl+G), or choose a model that lists tools."
        return "Choose another model."

    @property
    def permanent(self) -> bool:
        return True


class NotOllamaError(OllamaError):
    """Something answers at the address, but it is not Ollama (a wrong port, a web page)."""

    def __init__(self, netloc: str, status: int) -> None:
        super().__init__(f"Something answers at {netloc}, but it is not Ollama.")
        self.netloc = netloc
        self.status = status

    @property
    def hint(self) -> str:
        return (
            "Check the address and port in OLLAMA_HOST or --host "
            "(Ollama listens on port 11434 unless told otherwise)."
        )

    @property
    def permanent(self) -> bool:
        return True


PERMANENT_MARKS = ("does not support", "is not on this server", "but it is not Ollama")
"""Phrases of the permanent errors' sentences (a saved error is only its text)."""


def is_permanent(text: str) -> bool:
    """True when an error's text (as saved with a reply) says asking again cannot help."""
    return any(mark in text for mark in PERMANENT_MARKS)


class OllamaStreamError(OllamaError):
    """The server sent an `{"error": ...}` line after streaming had started."""

    def __init__(self, error: str) -> None:
        super().__init__(f"Ollama reported an error mid-reply: {error}")
        self.error = error


class OllamaDisconnectedError(OllamaError):
    """The connection dropped or the stream ended before the final `done` line."""

    def __init__(self, detail: str = "") -> None:
        message = "The connection to Ollama closed before the reply was finished"
        super().__init__(f"{message} ({detail})." if detail else f"{message}.")


class OllamaProtocolError(OllamaError):
    """The server sent something that is not Ollama's wire format."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Ollama sent something unexpected: {detail}")

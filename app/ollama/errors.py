"""Typed errors from talking to Ollama, each with one plain sentence for the user."""

from __future__ import annotations

from typing import Literal

ConnectionFailure = Literal["refused", "dns", "timeout", "unreachable", "tls", "other"]


class OllamaError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        """One plain sentence saying what went wrong."""

    @property
    def hint(self) -> str:
        """How the user might fix it (may be empty)."""
        return ""


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
        self.message = f"The model {name}is not on this server: {self.error}"

    @property
    def hint(self) -> str:
        return f"Pull it first (ollama pull {self.model or '<model>'})."


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

"""What the app is given to work with: config, store and the Ollama connection.

Passed down to the widgets that need it, so nothing reaches for a global and tests can
hand in a store under a temporary directory and a server on a free port.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .ollama.host import OllamaHost
from .store import ConversationStore

if TYPE_CHECKING:
    from .ollama.client import OllamaClient
    from .ollama.errors import OllamaError


class Services:
    """Config, store and a lazily created Ollama client."""

    def __init__(self, config: Config, store: ConversationStore, host: OllamaHost) -> None:
        self.config = config
        self.store = store
        self.host = host
        self.demo = False
        """True when talking to the built-in simulated server."""
        self.config_file: Path | None = None
        """The config file in use (None: the default place)."""
        self._client: OllamaClient | None = None
        self._retired: list[OllamaClient] = []
        self.on_unreachable: Callable[[OllamaError], object] | None = None
        """Called when a request to the current host finds no server (or not Ollama)."""

    def client(self) -> OllamaClient:
        """The client for the current host (httpx is imported on first use, not at start)."""
        if self._client is None or self._client.host != self.host:
            from .ollama.client import OllamaClient

            if self._client is not None:
                self._retired.append(self._client)
            self._client = OllamaClient(self.host)
            self._client.on_unreachable = partial(self._unreachable, self.host)
        return self._client

    def _unreachable(self, host: OllamaHost, error: OllamaError) -> None:
        # A reply still streaming from a host left behind says nothing about this one.
        if host == self.host and self.on_unreachable is not None:
            self.on_unreachable(error)

    async def set_host(self, host: OllamaHost, *, demo: bool = False) -> None:
        """Talk to another server from now on.

        Replies already streaming from the old server go on; its client is closed on exit.
        """
        if self._client is not None:
            self._retired.append(self._client)
        self.host = host
        self.demo = demo
        self._client = None

    async def aclose(self) -> None:
        """Close every connection pool."""
        clients = [*self._retired, *([self._client] if self._client else [])]
        self._retired, self._client = [], None
        for client in clients:
            await client.aclose()

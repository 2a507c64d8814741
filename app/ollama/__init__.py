"""Talking to Ollama. Nothing here imports Textual.

The client module imports httpx, which is slow to import; import it from
`app.ollama.client` only where needed, after the first paint.
"""

from .errors import (
    ModelNotFoundError,
    OllamaConnectionError,
    OllamaDisconnectedError,
    OllamaError,
    OllamaProtocolError,
    OllamaResponseError,
    OllamaStreamError,
)
from .host import OllamaHost, parse_host

__all__ = [
    "ModelNotFoundError",
    "OllamaConnectionError",
    "OllamaDisconnectedError",
    "OllamaError",
    "OllamaHost",
    "OllamaProtocolError",
    "OllamaResponseError",
    "OllamaStreamError",
    "parse_host",
]

"""olladeck: a keyboard-first terminal chat client for Ollama."""

__version__ = "0.1.0"

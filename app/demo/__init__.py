"""A simulated Ollama server, for `--demo`, the tests and the benchmarks."""

from .server import DemoServer, Fault, RecordedRequest, ThreadedDemoServer

__all__ = ["DemoServer", "Fault", "RecordedRequest", "ThreadedDemoServer"]

"""A simulated Ollama server, for `--demo`, the tests and the benchmarks."""

from .server import HOSTILE, DemoServer, Fault, RecordedRequest, ThreadedDemoServer

__all__ = ["HOSTILE", "DemoServer", "Fault", "RecordedRequest", "ThreadedDemoServer"]

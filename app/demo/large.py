"""Large canned replies for the benchmarks (`tests/bench/large_replies.py`).

A server started with `large_replies` answers a prompt that is exactly `large:<name>` with
the reply of that name, streamed at that reply's own rate; any other prompt is answered as
usual. Off by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import long_text

PREFIX = "large:"


@dataclass(frozen=True)
class LargeReply:
    """What a large reply says, and how fast."""

    description: str
    rate: float
    """Tokens per second (0: as fast as the server can)."""


LARGE_REPLIES: dict[str, LargeReply] = {
    "line": LargeReply("a 1 MB reply on one line", 0.0),
    "table": LargeReply("a 3,000-row Markdown table", 0.0),
    "list": LargeReply("a list growing to 10,000 items at 400 items/s", 400.0),
    "nested": LargeReply("a list nested 1,000 deep", 0.0),
    "flood": LargeReply("50,000 tokens as fast as possible", 0.0),
}


def _line() -> list[str]:
    """1 MiB of words on one line, in 32-character tokens (no newline until the end)."""
    words = "".join(f"word{i % 997} " for i in range(200_000))[: 1 << 20]
    return [words[i : i + 32] for i in range(0, len(words), 32)] + ["\n"]


def _table() -> list[str]:
    """A header and 3,000 rows of four cells, each row in four tokens."""
    out = ["| # | name | value | note |\n", "|---|---|---|---|\n"]
    for i in range(1, 3001):
        out += [f"| {i} ", f"| item {i} ", f"| {i * 37 % 1000} ", f"| row {i} of 3000 |\n"]
    return out


def _list() -> list[str]:
    """10,000 list items, one token each."""
    return [f"- item {i}\n" for i in range(1, 10_001)]


def _nested() -> list[str]:
    """A list whose every item is nested under the previous one, 1,000 levels."""
    out: list[str] = []
    for level in range(1000):
        if level:
            out.append("  " * level)
        out += [f"- level {level + 1}", "\n"]
    return out


def large_reply_tokens(name: str) -> list[str]:
    """The tokens of the large reply `name` (a key of `LARGE_REPLIES`)."""
    if name == "line":
        return _line()
    if name == "table":
        return _table()
    if name == "list":
        return _list()
    if name == "nested":
        return _nested()
    if name == "flood":
        return long_text(50_000)
    raise KeyError(name)


def large_reply_for(prompt: str) -> tuple[list[str], float] | None:
    """(tokens, rate) if `prompt` asks for a large reply, else None."""
    text = prompt.strip()
    if not text.startswith(PREFIX) or text[len(PREFIX) :] not in LARGE_REPLIES:
        return None
    name = text[len(PREFIX) :]
    return large_reply_tokens(name), LARGE_REPLIES[name].rate

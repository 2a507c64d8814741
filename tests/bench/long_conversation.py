"""Opening and scrolling a long conversation (2,000 messages, about 1M characters).

1. Launch: olladeck starts in a real pseudo-terminal with that conversation saved as its
   most recent one; the clock stops when the last message is on the screen.
2. Scrolling: in the app (headless), Page Up from the end to the start, one key at a time:
   the time each key takes until the screen is updated (median and worst).

    python tests/bench/long_conversation.py [--messages 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from app.models import ChatMessage, Conversation  # noqa: E402
from app.store import ConversationStore  # noqa: E402

PARAGRAPH = (
    "Streaming text keeps arriving, token after token, and the client must keep up without "
    "redrawing what it has already shown, however long the conversation grows. "
)


def build(messages: int) -> Conversation:
    """A conversation of `messages` messages, about 500 characters each, with Markdown."""
    when = datetime(2026, 1, 5, tzinfo=UTC)
    items = []
    for i in range(messages):
        if i % 2 == 0:
            items.append(
                ChatMessage(role="user", content=f"question {i}: " + PARAGRAPH * 3, created_at=when)
            )
        else:
            body = f"## answer {i}\n\n{PARAGRAPH * 3}\n\n- one\n- two\n\n```python\nx = {i}\n```\n"
            items.append(ChatMessage(role="assistant", content=body, created_at=when))
    return Conversation(
        id="long-conversation",
        title="long",
        model="llama3.2:latest",
        messages=items,
        updated_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


def launch_time(home: Path, marker: bytes) -> float:
    from tests.bench.startup import first_paint

    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "OLLAMA_HOST": "127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }
    return first_paint([sys.executable, "-m", "app"], marker, env, (120, 40))


async def in_app(home: Path) -> tuple[float, float, list[float]]:
    """(load seconds, open seconds, seconds per Page Up) measured inside the app.

    Load: reading and parsing the TOML file. Open: from asking to show the conversation to
    its end being drawn (the screen update included). Page Up: one page of scrolling towards
    the start, the screen update included. Keys are not simulated: the action and the
    screen update are timed directly, so the numbers are the app's own work.
    """
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    from app.app import OlladeckApp
    from app.config import Config
    from app.ollama.host import parse_host
    from app.services import Services

    config = Config()
    store = ConversationStore(config.resolved_data_dir)
    started = time.perf_counter()
    loaded = store.load("long-conversation")
    load = time.perf_counter() - started
    services = Services(config, store, parse_host("127.0.0.1:9"))
    app = OlladeckApp(services)
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.pause(0.5)
        screen.conversations[loaded.id] = loaded
        pane = screen.pane
        pane.warm_up()
        await app.workers.wait_for_complete()
        started = time.perf_counter()
        await screen.open_conversation(loaded.id)
        screen._on_timer_update()  # draw now
        opened = time.perf_counter() - started
        pane.focus()
        await pilot.pause(0.2)
        while pane._top > 0:
            started = time.perf_counter()
            pane.action_page(-1)
            screen._on_timer_update()
            times.append(time.perf_counter() - started)
            await pilot.pause(0)
    return load, opened, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        conversation = build(args.messages)
        store = ConversationStore(home / "data" / "olladeck")
        store.save(conversation)
        size = store.path_for(conversation.id).stat().st_size
        chars = sum(len(m.content) for m in conversation.messages)
        marker = f"answer {args.messages - 1}".encode()
        launches = [launch_time(home, marker) for _ in range(args.runs)]
        load, opened, scrolls = asyncio.run(in_app(home))
    print(f"{args.messages} messages, {chars:,} characters, {size / 1e6:.1f} MB of TOML")
    print(
        f"launch to the last message on screen: median {statistics.median(launches) * 1000:.0f} ms"
        f" (min {min(launches) * 1000:.0f} ms, {args.runs} runs)"
    )
    print(
        f"in the app: reading the file {load * 1000:.0f} ms; showing its end {opened * 1000:.0f} ms"
    )
    print(
        f"Page Up from the end to the start: {len(scrolls)} pages, median "
        f"{statistics.median(scrolls) * 1000:.1f} ms, worst {max(scrolls) * 1000:.1f} ms per key"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""History at scale: 5,000 saved conversations (about 200 MB of TOML).

Measures, on a generated data dir:

- launch: from exec to the newest conversation's title on the terminal (a real
  pseudo-terminal, as `startup.py` does), with the index already built and on a first
  launch that has to build it;
- filter: from a keystroke in the list's filter box to the list showing the new rows
  (the real app under Textual's Pilot);
- full text: a query against the index (what the search dialog runs), for a few kinds of
  query;
- the time a first launch takes to index everything (in a thread, while the app is usable).

    python tests/bench/history.py [--conversations 5000] [--kb 40] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.startup import first_paint  # noqa: E402

MARKER_TITLE = "Benchmark conversation {n}"
RARE_WORD = "zanzibarite"
"""Appears in exactly one message of the corpus."""


def _vocabulary(rng: random.Random, size: int = 6000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(size * 2)}
    vocabulary = sorted(words)[:size]
    rng.shuffle(vocabulary)
    # Zipf-like: a few words are everywhere, most are rare, as in real text.
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    return vocabulary, weights


def generate(data_dir: Path, conversations: int, kb_each: int, seed: int = 7) -> int:
    """Write `conversations` TOML files of about `kb_each` KB; returns the bytes written.

    Conversation `n` is titled `Benchmark conversation n` and is `n` minutes newer than
    the first, so the last one is at the top of the list.
    """
    from app.models import ChatMessage, Conversation, ReplyStats
    from app.store.codec import dumps

    rng = random.Random(seed)
    vocabulary, weights = _vocabulary(rng)
    folder = data_dir / "conversations"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    messages_each = 20
    words_each = max(8, kb_each * 1024 // messages_each // 7)
    pool = rng.choices(vocabulary, weights=weights, k=200_000)
    total = 0
    rare_at = conversations // 3
    for n in range(conversations):
        moment = start + timedelta(minutes=n)
        messages = []
        for m in range(messages_each):
            begin = rng.randrange(0, len(pool) - words_each)
            words = pool[begin : begin + words_each]
            if n == rare_at and m == 7:
                words = [*words[:10], RARE_WORD, *words[10:]]
            role = "user" if m % 2 == 0 else "assistant"
            messages.append(
                ChatMessage(
                    role=role,
                    content=" ".join(words),
                    created_at=moment,
                    stats=ReplyStats(model="llama3.2:latest", eval_count=len(words))
                    if role == "assistant"
                    else None,
                )
            )
        conversation = Conversation(
            id=f"{moment:%Y%m%d-%H%M%S}-{n:06x}",
            title=MARKER_TITLE.format(n=n),
            model="llama3.2:latest",
            messages=messages,
            created_at=moment,
            updated_at=moment,
        )
        data = dumps(conversation).encode("utf-8")
        (folder / f"{conversation.id}.toml").write_bytes(data)
        total += len(data)
    return total


def build_index(data_dir: Path) -> float:
    """Index every file from scratch; returns the seconds it took."""
    from app.store import ConversationStore

    for suffix in ("", "-wal", "-shm"):
        Path(f"{data_dir / 'index.sqlite3'}{suffix}").unlink(missing_ok=True)
    store = ConversationStore(data_dir)
    started = time.perf_counter()
    store.reconcile()
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def measure_launch(
    home: Path, newest: int, runs: int, *, first: bool, marker: bytes | None = None
) -> list[float]:
    """Seconds from exec to the newest conversation's title on screen (a 120x40 pty), or
    to `marker` if given."""
    data_dir = home / "data" / "olladeck"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "OLLAMA_HOST": "127.0.0.1:9",  # nothing listens: no server needed for the list
        "PYTHONPATH": str(ROOT),
    }
    marker = marker or MARKER_TITLE.format(n=newest)[:18].encode()
    argv = [sys.executable, "-m", "app"]
    times = []
    for _ in range(runs):
        if first:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{data_dir / 'index.sqlite3'}{suffix}").unlink(missing_ok=True)
        times.append(first_paint(argv, marker, env, (120, 40)))
    return times


async def _filter_times(home: Path, queries: list[str]) -> list[float]:
    from textual import events

    from app.app import OlladeckApp
    from app.config import Config
    from app.ollama.host import parse_host
    from app.services import Services
    from app.store import ConversationStore

    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    config = Config()
    services = Services(
        config, ConversationStore(config.resolved_data_dir), parse_host("127.0.0.1:9")
    )
    app = OlladeckApp(services)
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.screen._loaded and app.screen.query("ConversationList")):
            await pilot.pause(0.05)
        widget = app.screen.query_one("ConversationList")
        while not widget.row_ids:
            await pilot.pause(0.05)
        widget.options.focus()
        await pilot.press("slash")
        for query in queries:
            await pilot.press("ctrl+u")
            await pilot.pause(0.3)
            for character in query:
                expected = widget.filter_text + character
                started = time.perf_counter()
                # As the terminal driver delivers a key (Pilot.press adds its own waits).
                app.post_message(events.Key(character, character))
                # Updated: the rows (and their options) for the new text are in the list;
                # the next frame draws them.
                while widget.shown_filter != expected:
                    await asyncio.sleep(0.0005)
                times.append(time.perf_counter() - started)
                await pilot.pause(0.05)
    return times


def measure_filter(home: Path, queries: list[str]) -> list[float]:
    """Seconds from a keystroke in the filter box to the list showing the new rows."""
    return asyncio.run(_filter_times(home, queries))


def measure_search(data_dir: Path, queries: list[str], runs: int) -> dict[str, float]:
    """Median seconds of each full-text query (a fresh connection, as the dialog's thread)."""
    from app.store.index import ConversationIndex

    results: dict[str, float] = {}
    for query in queries:
        samples = []
        for _ in range(runs):
            index = ConversationIndex(data_dir / "index.sqlite3")
            started = time.perf_counter()
            index.search(query)
            samples.append(time.perf_counter() - started)
            index.close()
        results[query] = statistics.median(samples)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--kb", type=int, default=40, help="size of each conversation, in KB")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated data dir")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="olladeck-history-"))
    data_dir = home / "data" / "olladeck"
    try:
        started = time.perf_counter()
        size = generate(data_dir, args.conversations, args.kb)
        print(
            f"generated {args.conversations:,} conversations, {size / 1e6:.0f} MB of TOML "
            f"in {time.perf_counter() - started:.0f} s ({home})"
        )
        newest = args.conversations - 1
        first = measure_launch(home, newest, max(1, args.runs // 2), first=True)
        # The input is ready for typing long before the list: it needs neither the index
        # nor the files.
        typing = measure_launch(home, newest, args.runs, first=True, marker=b"Enter sends")
        build = build_index(data_dir)
        index_size = sum(p.stat().st_size for p in data_dir.glob("index.sqlite3*"))
        print(f"index built in {build:.1f} s (one thread), {index_size / 1e6:.0f} MB on disk")
        warm = measure_launch(home, newest, args.runs, first=False)
        letters = measure_filter(home, ["conversation 12", "99"])
        queries = [RARE_WORD, "zanzib", *_common_queries(data_dir)]
        search = measure_search(data_dir, queries, args.runs)
        print()
        print(
            f"launch to list shown, index built:  {statistics.median(warm) * 1000:6.0f} ms"
            f" (median of {len(warm)}, max {max(warm) * 1000:.0f} ms)"
        )
        print(
            f"launch to list shown, first launch: {statistics.median(first) * 1000:6.0f} ms"
            f" (median of {len(first)})"
        )
        print(
            f"launch to input ready, first launch: {statistics.median(typing) * 1000:5.0f} ms"
            f" (median of {len(typing)})"
        )
        print(
            f"filter keystroke to list updated:   {statistics.median(letters) * 1000:6.0f} ms"
            f" (median of {len(letters)}, max {max(letters) * 1000:.0f} ms)"
        )
        for query, seconds in search.items():
            print(f"full-text query {query!r:28} {seconds * 1000:6.0f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return 0


def _common_queries(data_dir: Path) -> list[str]:
    """The most frequent word, and two frequent words together (the slowest queries)."""
    import tomllib

    first = next(iter(sorted((data_dir / "conversations").glob("*.toml"))))
    words = tomllib.loads(first.read_text())["messages"][0]["content"].split()
    common = max(set(words), key=words.count)
    second = sorted(set(words), key=words.count)[-2]
    return [common, f"{common} {second}"]


if __name__ == "__main__":
    sys.exit(main())

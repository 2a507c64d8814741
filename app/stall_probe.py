"""An opt-in probe of event-loop stalls, for benchmarks (`tests/bench/large_replies.py`).

With `OLLADECK_STALL_LOG=<file>` in the environment, a callback is scheduled on the app's
event loop every 10 ms; whenever it runs more than 5 ms late (the loop was busy: a frame
being drawn, a reply being parsed), it appends `<unix time> <lateness in ms>` to the file.
Without the variable nothing is scheduled.
"""

from __future__ import annotations

import asyncio
import os
import time

ENV = "OLLADECK_STALL_LOG"
PERIOD = 0.010
THRESHOLD = 0.005


def start_if_asked() -> None:
    """Start the probe on the running loop if `OLLADECK_STALL_LOG` names a file."""
    path = os.environ.get(ENV)
    if not path:
        return
    loop = asyncio.get_running_loop()
    out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives with the app)

    def tick(expected: float) -> None:
        now = loop.time()
        late = now - expected
        if late > THRESHOLD:
            out.write(f"{time.time():.4f} {late * 1000:.1f}\n")
        loop.call_at(now + PERIOD, tick, now + PERIOD)

    first = loop.time() + PERIOD
    loop.call_at(first, tick, first)

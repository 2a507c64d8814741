"""What the models screen shows: pull progress lines and the loaded models' figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.ollama.types import PullProgress
from app.pull import PullTracker, short_digest
from app.widgets.pull_view import eta_text, layer_line, rate_text, text_bar
from app.widgets.running_models import countdown, parse_expiry, processor_text


class Clock:
    def __call__(self) -> float:
        return 100.0


def test_pull_text_helpers():
    assert text_bar(0.5, 10) == "█████░░░░░"
    assert text_bar(2, 4) == "████" and text_bar(-1, 4) == "░░░░"
    assert rate_text(None) == "" and rate_text(2_500_000) == "2.5 MB/s"
    assert eta_text(None) == "" and eta_text(0) == "done" and eta_text(65) == "ETA 1m5s"
    assert short_digest("sha256:0123456789abcdef") == "0123456789ab"
    tracker = PullTracker("m", clock=Clock())
    tracker.update(PullProgress("pulling", "sha256:" + "f" * 64, total=4_000_000_000, completed=0))
    line = layer_line(tracker.layers["sha256:" + "f" * 64])
    assert line.startswith("ffffffffffff") and "0%" in line and "4.0 GB" in line
    assert len(line) < 70  # fits the models screen at 80 columns


def test_ps_helpers():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_expiry("2026-01-01T12:04:59.123456789Z") == datetime(
        2026, 1, 1, 12, 4, 59, 123456, tzinfo=UTC
    )
    assert parse_expiry("2026-01-01T05:00:00.5-07:00") == datetime(
        2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC
    )
    assert parse_expiry("") is None and parse_expiry("soon") is None
    assert countdown(now + timedelta(seconds=299), now) == "4:59"
    assert countdown(now + timedelta(hours=1, seconds=5), now) == "1:00:05"
    assert countdown(now + timedelta(days=2, hours=3), now) == "2d 3h"
    assert countdown(datetime(2318, 1, 1, tzinfo=UTC), now) == "for ever"
    assert countdown(now - timedelta(seconds=1), now) == "unloading"
    assert countdown(None, now) == "?"
    assert processor_text(100, 100) == "100% GPU"
    assert processor_text(100, 0) == "100% CPU"
    assert processor_text(100, 80) == "20%/80% CPU/GPU"
    assert processor_text(0, 0) == ""

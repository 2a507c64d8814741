"""Every number from the server is range-checked where it is read: whatever the server
sends (counts of hundreds of digits, negatives, floats, NaN, text, booleans), the parsers
give a number in range or None, and nothing built from them raises."""

from __future__ import annotations

import json
import math
import re
import string
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.app import App

from app.models import ChatMessage, ReplyStats
from app.ollama.ndjson import NDJSONDecoder
from app.ollama.types import (
    MAX_CONTEXT,
    MAX_COUNT,
    METRIC_KEYS,
    ChatChunk,
    ModelDetails,
    ModelInfo,
    PullProgress,
    RunningModel,
    server_count,
    server_time,
)
from app.pull import PullTracker
from app.rendering import MessageItem, Palette, Renderer, stats_text
from app.store.codec import dumps, loads
from app.widgets.attachment_bar import human_size
from app.widgets.pull_view import eta_text, layer_line, rate_text
from app.widgets.running_models import countdown, processor_text

hostile_numbers = (
    st.integers()
    | st.integers(min_value=10**18, max_value=10**400)
    | st.integers(min_value=-(10**400), max_value=-1)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.sampled_from(["NaN", "Infinity", "-1", "1e400", "", "12"])
    | st.text(max_size=12)
    | st.lists(st.integers(), max_size=2)
)
"""What a server might send where a number is expected."""


RENDERER = Renderer(Palette.from_variables(App().get_css_variables(), True))


def in_range(value: object, limit: int = MAX_COUNT) -> bool:
    return value is None or (
        type(value) is int and 0 <= value <= limit  # never a bool or a float
    )


@given(hostile_numbers)
def test_a_server_count_is_a_whole_number_in_range_or_unknown(value: object) -> None:
    count = server_count(value)
    assert in_range(count)
    if type(value) is int and 0 <= value <= MAX_COUNT:
        assert count == value
    if isinstance(value, bool | str) or (isinstance(value, int) and value < 0):
        assert count is None


@given(st.dictionaries(st.sampled_from(METRIC_KEYS), hostile_numbers))
def test_a_done_line_never_gives_metrics_out_of_range(metrics: dict[str, object]) -> None:
    line = {"model": "m", "message": {"role": "assistant", "content": "x"}, "done": True}
    chunk = ChatChunk.from_json({**line, **metrics})
    assert all(in_range(value) for value in chunk.metrics.values())
    assert set(chunk.metrics) | set(chunk.rejected) == {
        key for key, value in metrics.items() if value is not None
    }
    stats = ReplyStats(model="m")
    for key, value in chunk.metrics.items():
        setattr(stats, key, value)
    stats.out_of_range = chunk.rejected
    rate = stats.tokens_per_second
    assert rate is None or (math.isfinite(rate) and rate > 0)
    stats_text(stats, "complete")  # never raises
    # Saved and read back: the same, and the file opens.
    message = ChatMessage(role="assistant", content="x", stats=stats)
    from app.models import Conversation

    again = loads(dumps(Conversation(messages=[message]))).messages[0].stats
    assert again is not None
    assert [getattr(again, k) for k in METRIC_KEYS] == [getattr(stats, k) for k in METRIC_KEYS]


number_texts = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e400", "-0", "1.5", "1E3", "true", "null", '"7"']
) | st.integers(min_value=-(10**300), max_value=10**300).map(str)


@given(st.dictionaries(st.sampled_from(METRIC_KEYS), number_texts, min_size=1))
def test_a_done_line_as_bytes_never_gives_metrics_out_of_range(
    metrics: dict[str, str],
) -> None:
    # As on the wire: bare NaN and 1e400 (infinity) are accepted by Python's JSON reader.
    fields = ", ".join(f'"{key}": {text}' for key, text in metrics.items())
    line = f'{{"model": "m", "message": {{"content": ""}}, "done": true, {fields}}}\n'
    decoder = NDJSONDecoder()
    (obj,) = decoder.feed(line.encode())
    chunk = ChatChunk.from_json(obj)
    assert all(in_range(value) for value in chunk.metrics.values())


@given(st.dictionaries(st.sampled_from(["size", "name", "details"]), hostile_numbers))
def test_tags_sizes(obj: dict[str, object]) -> None:
    info = ModelInfo.from_json(obj)
    assert in_range(info.size)
    if info.size is not None:
        human_size(info.size)  # a size of hundreds of digits would overflow a float


context_keys = st.sampled_from(["llama.context_length", "general.context_length"])


@given(st.dictionaries(context_keys, hostile_numbers, max_size=1))
def test_show_context_length(model_info: dict[str, object]) -> None:
    details = ModelDetails.from_json("m", {"model_info": model_info, "capabilities": ["x", 3]})
    assert in_range(details.context_length, MAX_CONTEXT)
    assert details.capabilities == ("x",)


expiries = (
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z"))
    | st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-14:00", "soon"])
    | st.text(alphabet=string.digits + "-:TZ.+", max_size=40)
    | hostile_numbers
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "size": hostile_numbers,
            "size_vram": hostile_numbers,
            "context_length": hostile_numbers,
            "expires_at": expiries,
        },
    )
)
def test_ps_sizes_and_expiry(obj: dict[str, object]) -> None:
    running = RunningModel.from_json({"name": "m", **obj})
    assert in_range(running.size) and in_range(running.size_vram)
    assert in_range(running.context_length, MAX_CONTEXT)
    expires = running.expires_at
    assert expires is None or expires.tzinfo is not None
    if expires is not None:
        expires.astimezone()  # any local zone can show it
    processor_text(running.size or 0, running.size_vram or 0)
    countdown(expires, datetime.now(UTC))


@given(st.lists(st.tuples(hostile_numbers, hostile_numbers), max_size=5))
def test_pull_progress_totals(lines: list[tuple[object, object]]) -> None:
    tracker = PullTracker("m", clock=time.monotonic)
    for total, completed in lines:
        progress = PullProgress.from_json(
            {"status": "pulling", "digest": "sha256:ab", "total": total, "completed": completed}
        )
        assert in_range(progress.total) and in_range(progress.completed)
        tracker.update(progress)
    assert 0.0 <= tracker.fraction <= 1.0
    for layer in tracker.layers.values():
        layer_line(layer)
    rate_text(tracker.speed())
    eta_text(tracker.eta())


@pytest.mark.parametrize("text", ["", "soon", "2026-13-01T00:00:00Z", "+10000-01-01T00:00:00Z"])
def test_a_time_that_is_not_one_is_unknown(text: str) -> None:
    assert server_time(text) is None


def test_times_near_the_ends_of_the_calendar_are_unknown() -> None:
    assert server_time("9999-12-31T23:00:00Z") is None
    assert server_time("0001-01-01T00:30:00Z") is None
    assert server_time("2318-01-01T00:00:00Z") == datetime(2318, 1, 1, tzinfo=UTC)


stat_values = (
    st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.booleans()
    | st.text(max_size=5)
)


@given(
    st.dictionaries(
        st.sampled_from([*METRIC_KEYS, "first_token_seconds", "thinking_seconds"]),
        stat_values,
    ),
    st.datetimes(timezones=st.just(UTC)),
)
def test_any_saved_stats_or_date_opens_and_draws(stats: dict[str, object], moment) -> None:
    import tomli_w

    table = {k: v for k, v in stats.items() if not (isinstance(v, float) and math.isnan(v))}
    document = {
        "schema_version": 1,
        "id": "20260101-000000-abcdef",
        "created_at": moment,
        "updated_at": moment,
        "messages": [
            {
                "id": "a",
                "role": "assistant",
                "content": "x",
                "created_at": moment,
                "stats": {"model": "m", **table},
            }
        ],
    }
    text = tomli_w.dumps(document)
    conversation = loads(text)  # never raises for any value of a stat
    message = conversation.messages[0]
    assert message.stats is not None
    for key in METRIC_KEYS:
        assert in_range(getattr(message.stats, key))
    for key in ("first_token_seconds", "thinking_seconds"):
        value = getattr(message.stats, key)
        assert value is None or (math.isfinite(value) and value >= 0)
    item = MessageItem(message)
    renderer = RENDERER
    for y in range(item.height(60)):
        item.line(renderer, 60, y)
    assert item.failure is None  # drawn as usual, not as the plain-text fallback


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Los_Angeles"])
def test_headers_of_dates_at_the_ends_of_the_calendar(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        renderer = RENDERER
        for moment in (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)):
            item = MessageItem(ChatMessage(role="user", content="x", created_at=moment))
            header = item.line(renderer, 60, 0)
            assert header is not None and re.search(r"You · \d\d:\d\d", header.text)
            assert item.failure is None
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_json_lines_of_hostile_numbers_are_json() -> None:
    # The simulated server's absurd metrics go through Python's JSON writer as they are.
    from app.demo.server import ABSURD_METRICS

    line = json.dumps({"done": True, **ABSURD_METRICS})
    chunk = ChatChunk.from_json(json.loads(line))
    assert chunk.metrics == {"eval_duration": 1}
    assert set(chunk.rejected) == set(METRIC_KEYS) - {"eval_duration"}


def nesting(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_json_depth_counts_the_nesting_and_ignores_strings(value: object) -> None:
    from app.rendering import json_depth

    assert json_depth(json.dumps(value)) == nesting(value)


def test_a_formatted_reply_deeper_than_the_limit_is_shown_as_it_came() -> None:
    from app.demo.server import _nested_json
    from app.rendering import MAX_JSON_DEPTH, ViewState

    for depth, formatted in ((MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)):
        content = "".join(_nested_json(depth, closed=True))
        message = ChatMessage(role="assistant", content=content, stats=ReplyStats(structured=True))
        item = MessageItem(message, ViewState(json_format=True))
        text = "\n".join(line.text for y in range(3) if (line := item.line(RENDERER, 80, y)))
        assert ("nested too deeply to format" not in text) == formatted

"""Hostile values from the server or a file never crash the app, nor every later start.

Each test drives the real app against the simulated server, checks that the reply is on
screen with a sentence saying what happened, that it was saved, and that a second app
started on the same data dir opens the saved conversation.
"""

from __future__ import annotations

import time
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.demo import Fault
from app.models import ChatMessage, ChatOptions, Conversation, ReplyStats
from app.store import ConversationStore
from tests.conftest import screen_text, wait_until

MODEL = "llama3.2:latest"


def words(app) -> str:
    text = screen_text(app)
    for char in "▎█│┃╭╮╰╯─":
        text = text.replace(char, " ")
    return " ".join(text.split())


def saved(data_dir: Path) -> dict:
    (path,) = (data_dir / "conversations").glob("*.toml")
    return tomllib.loads(path.read_text())


async def send(pilot, text: str) -> None:
    app = pilot.app
    before = len(app.screen.current.messages)
    app.screen.prompt.focus()
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: len(app.screen.current.messages) == before + 2)


def drawn(app, index: int) -> str:
    """All the lines of one message as the pane draws them (scrolled into view or not)."""
    pane = app.screen.pane
    item = pane._items[index]
    width = pane._width
    lines = (item.line(pane.renderer, width, y) for y in range(item.height(width)))
    return "\n".join(line.text for line in lines if line is not None)


def last(app) -> ChatMessage:
    return app.screen.current.messages[-1]


async def opened(pilot, conversation_id: str) -> None:
    """Wait until the saved conversation is open and drawn (the app opens the newest)."""
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.current.id == conversation_id)
    pane = app.screen.pane
    await wait_until(pilot, lambda: len(pane._items) == len(app.screen.current.messages) > 0)


async def test_absurd_metrics_keep_the_reply_and_every_later_start(make_app, demo_server, data_dir):
    demo_server.inject(Fault("absurd_metrics"))
    app = make_app(model=MODEL)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "hello")
        await wait_until(pilot, lambda: last(app).state == "complete")
        reply = last(app)
        assert reply.content
        stats = reply.stats
        assert stats is not None
        # The 400-digit count, the negative, the float, the text and the bool: unknown.
        assert stats.eval_count is None and stats.total_duration is None
        assert stats.load_duration is None and stats.prompt_eval_count is None
        assert stats.prompt_eval_duration is None and stats.eval_duration == 1
        assert stats.tokens_per_second is None
        await wait_until(pilot, lambda: "Ollama sent numbers out of range" in words(app))
        assert "eval_count" in words(app)
        await wait_until(pilot, lambda: saved(data_dir)["messages"][1]["state"] == "complete")
        cid = app.screen.current.id
    file = saved(data_dir)
    assert file["messages"][1]["content"] == reply.content
    assert "eval_count" not in file["messages"][1]["stats"]
    assert "eval_count" in file["messages"][1]["stats"]["out_of_range"]

    # A file the old app saved mid-reply (its count of 400 digits, over 1 ns): still opens.
    path = data_dir / "conversations" / f"{cid}.toml"
    huge = f"eval_count = {'9' * 400}\neval_duration = 1\n"
    path.write_text(path.read_text().replace("eval_duration = 1\n", huge, 1))
    again = make_app(model=MODEL)
    async with again.run_test(size=(100, 30)) as pilot:
        await opened(pilot, cid)
        await wait_until(pilot, lambda: "Ollama sent numbers out of range" in words(again))
        assert again.screen.current.messages[1].stats.eval_count is None
        assert (data_dir / "conversations" / f"{cid}.toml").exists()  # not quarantined


def formatted_conversation(data_dir: Path) -> Conversation:
    """A saved conversation that asks for JSON replies (`format`)."""
    conversation = Conversation(model=MODEL, chat_options=ChatOptions(format="json"))
    conversation.messages = [
        ChatMessage(role="user", content="start"),
        ChatMessage(role="assistant", content='{"ok": true}', stats=ReplyStats(structured=True)),
    ]
    ConversationStore(data_dir).save(conversation)
    return conversation


async def test_json_nested_thousands_deep_is_shown_as_it_came(make_app, demo_server, data_dir):
    conversation = formatted_conversation(data_dir)
    demo_server.inject(Fault("deep_json", depth=5000))
    app = make_app(model=MODEL)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(pilot, conversation.id)
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "deep")
        await wait_until(pilot, lambda: last(app).state == "complete")
        assert last(app).content.startswith('{"a": [{"a": [')
        assert last(app).content.endswith("]}]}")
        await wait_until(pilot, lambda: "nested too deeply to format" in drawn(app, 3))
        assert '{"a": [{"a": [' in drawn(app, 3)
        assert "]}]}" in words(app)  # its end, on screen
        # Never closed: the same, and the app goes on.
        demo_server.inject(Fault("unclosed_json", depth=5000))
        await send(pilot, "unclosed")
        await wait_until(pilot, lambda: last(app).state == "complete")
        assert last(app).content.endswith('{"a": [')
        await wait_until(pilot, lambda: "nested too deeply to format" in drawn(app, 5))
        await wait_until(pilot, lambda: len(saved(data_dir)["messages"]) == 6)
        await wait_until(pilot, lambda: saved(data_dir)["messages"][5]["state"] == "complete")
        assert "Traceback" not in screen_text(app)
        replies = [m.content for m in app.screen.current.messages[3::2]]
    file = saved(data_dir)
    assert [m["content"] for m in file["messages"][3::2]] == replies

    again = make_app(model=MODEL)
    async with again.run_test(size=(100, 30)) as pilot:
        await opened(pilot, conversation.id)
        assert len(again.screen.current.messages) == 6
        await wait_until(pilot, lambda: "nested too deeply to format" in drawn(again, 5))
        assert "nested too deeply to format" in drawn(again, 3)
        assert '{"a": [{"a": [' in words(again)


@pytest.mark.parametrize(
    ("zone", "year"), [("Pacific/Kiritimati", 9999), ("America/Los_Angeles", 1)]
)
async def test_a_date_at_the_end_of_the_calendar_opens(make_app, data_dir, monkeypatch, zone, year):
    moment = (
        datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
        if year == 9999
        else datetime(1, 1, 1, 0, 30, tzinfo=UTC)
    )
    # Its last change written with a zone: in UTC, past the calendar's end (year 10000 or 0).
    beyond = moment.replace(tzinfo=timezone(timedelta(hours=-5 if year == 9999 else 5)))
    conversation = Conversation(model=MODEL, created_at=moment, updated_at=beyond)
    conversation.messages = [
        ChatMessage(role="user", content="from the far end", created_at=moment),
        ChatMessage(role="assistant", content="of time", created_at=moment),
    ]
    ConversationStore(data_dir).save(conversation)
    # (conftest sets TZ=UTC; this zone cannot show the moment: astimezone() overflows.)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        with pytest.raises(OverflowError):
            moment.astimezone()
        app = make_app(model=MODEL)
        async with app.run_test(size=(100, 30)) as pilot:
            await opened(pilot, conversation.id)
            await wait_until(pilot, lambda: "from the far end" in words(app))
            assert "of time" in words(app)
            assert "00:30 UTC" in words(app) or "23:30 UTC" in words(app)
            await wait_until(pilot, lambda: "▶ from the far end" in words(app))  # the list
        assert (data_dir / "conversations" / f"{conversation.id}.toml").exists()
        assert not (data_dir / "quarantine").exists()
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


async def test_a_reply_worker_that_fails_ends_in_error_saved_and_said(
    make_app, demo_server, data_dir, monkeypatch
):
    import app.chat

    def broken(self, chunk) -> None:  # a fault in olladeck itself, met at the done line
        raise OverflowError("integer division result too large for a float")

    with monkeypatch.context() as patch:
        patch.setattr(app.chat.ReplyBuffer, "_finish_stats", broken)
        olladeck = make_app(model=MODEL)
        async with olladeck.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: olladeck.screen.connection == "connected")
            await send(pilot, "hello")
            await wait_until(pilot, lambda: last(olladeck).state == "error")
            reply = last(olladeck)
            assert reply.content  # what arrived before the failure
            assert "Something went wrong in olladeck while handling the reply" in (
                reply.error or ""
            )
            assert "OverflowError" in (reply.error or "")
            await wait_until(pilot, lambda: "Something went wrong in olladeck" in words(olladeck))
            assert "waiting for the reply" not in words(olladeck)  # no spinner left turning
            assert not olladeck.screen.pane.is_streaming(olladeck.screen.current.id)
            await wait_until(pilot, lambda: saved(data_dir)["messages"][1]["state"] == "error")
            cid = olladeck.screen.current.id
        assert saved(data_dir)["messages"][1]["content"] == reply.content
        log = (data_dir / "errors.log").read_text()
        assert f"A reply in conversation {cid} failed" in log
        assert "Traceback" in log and "OverflowError" in log

    again = make_app(model=MODEL)
    async with again.run_test(size=(100, 30)) as pilot:
        await opened(pilot, cid)
        await wait_until(pilot, lambda: "Something went wrong in olladeck" in words(again))


async def test_a_message_that_fails_to_draw_is_shown_as_plain_text(make_app, data_dir, monkeypatch):
    conversation = Conversation(model=MODEL)
    conversation.messages = [
        ChatMessage(role="user", content="a **question**"),
        ChatMessage(role="assistant", content="an *answer*", stats=ReplyStats(model=MODEL)),
    ]
    ConversationStore(data_dir).save(conversation)
    import app.rendering

    def broken(stats, state) -> str:  # a value no drawing code foresaw
        raise ValueError("cannot draw this")

    monkeypatch.setattr(app.rendering, "stats_text", broken)
    olladeck = make_app(model=MODEL)
    async with olladeck.run_test(size=(100, 30)) as pilot:
        await opened(pilot, conversation.id)
        await wait_until(pilot, lambda: "Shown as plain text" in words(olladeck))
        text = words(olladeck)
        assert "an *answer*" in text  # the reply, as plain text (no Markdown)
        assert "it could not be drawn (ValueError: cannot draw this)" in text
        assert "You ·" in text  # the other message is drawn as usual
        notices = [n.message for n in olladeck._notifications]
        assert len(notices) == 1  # said once, however often it is drawn
        assert "could not be drawn (ValueError); it is shown as plain text" in notices[0]
        assert "errors.log" in notices[0]
        assert "Traceback" not in screen_text(olladeck)
    log = (data_dir / "errors.log").read_text()
    assert f"of conversation {conversation.id} could not be drawn" in log
    assert "ValueError: cannot draw this" in log


async def test_absurd_sizes_context_expiry_and_pull_totals_are_unknown(make_app, demo_server):
    from textual.widgets import DataTable

    from app.screens.model_manager import ModelManagerScreen
    from app.widgets.pull_view import PullView
    from app.widgets.running_models import RunningModels

    for path in ("/api/tags", "/api/show"):
        demo_server.inject(Fault("absurd_numbers", path=path))
    demo_server.pull_seconds = 0.3
    app = make_app(model=MODEL)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: MODEL in app.screen._details)
        assert app.screen._details[MODEL].context_length is None  # NaN: unknown
        assert all(m.size is None for m in app.screen._models)  # 400 digits: unknown
        await send(pilot, "hello")  # loads the model
        await wait_until(pilot, lambda: last(app).state == "complete")
        for _ in range(30):  # every poll of the loaded models while the test looks
            demo_server.inject(Fault("absurd_numbers", path="/api/ps"))
        demo_server.inject(Fault("absurd_numbers", path="/api/pull"))
        demo_server.inject(Fault("absurd_numbers", path="/api/tags"))  # asked again by F3
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelManagerScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.models)
        table = screen.query_one("#installed-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(screen.models))
        assert "?" in [str(cell) for cell in table.get_row_at(0)]
        screen.query_one("#models-tabs").active = "running"
        running = screen.query_one(RunningModels)
        await wait_until(pilot, lambda: running.models)
        (loaded,) = running.models
        assert loaded.size is None and loaded.size_vram is None
        assert loaded.expires_at is None and loaded.context_length is None
        assert "llama3.2:latest ?" in words(app)  # size and time left unknown
        screen.query_one("#models-tabs").active = "pull"
        await pilot.pause()
        view = screen.query_one(PullView)
        screen.query_one("#pull-name").value = "tinyllama"
        screen.query_one("#pull-name").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.tracker is not None and view.tracker.finished)
        await wait_until(pilot, lambda: "tinyllama · success" in words(app))
        assert all(layer.total == 0 for layer in view.tracker.layers.values())  # unknown
        assert "Traceback" not in screen_text(app)


async def test_a_pull_worker_that_fails_says_so(make_app, demo_server, data_dir, monkeypatch):
    import app.pull
    from app.screens.model_manager import ModelManagerScreen
    from app.widgets.pull_view import PullView

    def broken(self, progress) -> None:  # a fault in olladeck itself
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(app.pull.PullTracker, "update", broken)
    olladeck = make_app(model="mistral:7b")  # not on the server: F3 offers to pull it
    async with olladeck.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: olladeck.screen.connection == "connected")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(olladeck.screen, ModelManagerScreen))
        view = olladeck.screen.query_one(PullView)
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.tracker is not None and not view.pulling)
        await wait_until(
            pilot, lambda: "olladeck failed while following the pull" in words(olladeck)
        )
        assert "ZeroDivisionError" in words(olladeck)
    assert "Pulling mistral:7b failed" in (data_dir / "errors.log").read_text()

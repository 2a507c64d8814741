"""What the model sidebar and the settings screen look like (SVG snapshots)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Input

from app.config import Config
from app.models import ChatMessage, ChatOptions, Conversation
from app.store import ConversationStore
from tests.conftest import settle, wait_until

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def tuned_conversation(data_dir) -> Conversation:
    conversation = Conversation(
        id="20260105-093000-bbbbbb",
        title="Tuned for reasoning",
        model="qwen3:8b",
        system="You are a careful reviewer. Point out risks first.",
        chat_options=ChatOptions(
            options={"temperature": 0.6, "num_ctx": 16384, "top_k": 20},
            format={"type": "object", "properties": {"risk": {"type": "string"}}},
            keep_alive="1h",
            think=True,
            stream=False,
        ),
        created_at=WHEN,
        updated_at=WHEN,
        messages=[ChatMessage(role="user", content="Review this plan.", created_at=WHEN, id="u1")],
    )
    ConversationStore(data_dir).save(conversation)
    return conversation


CONFIG = Config(hosts={"laptop": "127.0.0.1", "gpu": "http://gpu-box:11434"})


def test_sidebar_with_hosts_badges_and_settings(snap_compare, make_app, data_dir):
    """The sidebar: a Host picker (two named hosts; the demo server is in use, so it says so),
    qwen3:8b with its facts, the completion/tools/thinking badges and its context length,
    then the settings summary: three options, the system prompt, the schema, and
    think on · stream off · keep 1h. The footer lists Ctrl+T, F3-F5, F8 and F9."""
    tuned_conversation(data_dir)
    app = make_app(config=CONFIG, demo=True)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(
            pilot, lambda: app.screen.query("Footer") and app.screen.query("ModelSidebar")
        )
        await wait_until(pilot, lambda: app.screen.current.model == "qwen3:8b")
        await wait_until(pilot, lambda: "qwen3:8b" in app.screen._details, timeout=30)
        await wait_until(pilot, lambda: app.screen.query("#settings-summary"))
        app.screen.prompt.cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_settings_screen_at_80_columns(snap_compare, make_app, data_dir):
    """Ctrl+T at 80x24 over the tuned conversation: the Options tab with temperature 0.6
    (the model's own 0.7 as the hint of nothing), top_k typed as -5 and marked invalid with
    its reason under it; the temperature setting, which has the focus, has a bar at its left;
    the footer lists F1 Help, ^s Apply, esc Close, ^r Reset field, ^l Reset tab and ^g
    Discard."""
    tuned_conversation(data_dir)
    app = make_app(config=CONFIG, demo=True)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(
            pilot, lambda: app.screen.query("Footer") and app.screen.query("ModelSidebar")
        )
        await wait_until(pilot, lambda: "qwen3:8b" in app.screen._details, timeout=30)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.screen.query("#option-top_k"))
        await pilot.pause()
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        app.screen.query_one("#option-top_k").focus()
        await pilot.press("ctrl+u", "minus", "5")
        app.screen.query_one("#option-temperature").focus()
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

"""What the screen looks like (SVG snapshots, compared exactly)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.config import Config
from app.models import ChatMessage, Conversation, ReplyStats
from app.store import ConversationStore
from tests.conftest import settle, wait_until

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

REPLY = """Here is a comparison.

| Model | Parameters | Good at |
| --- | ---: | --- |
| llama3.2 | 3.2B | quick answers |
| qwen3 | 8.2B | reasoning |

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

- short and **clear**
- literal `[bold]markup[/]` stays literal
"""


def saved_conversation(data_dir) -> Conversation:
    conversation = Conversation(
        id="20260105-093000-aaaaaa",
        title="Comparing small models",
        model="llama3.2:latest",
        created_at=WHEN,
        updated_at=WHEN,
        messages=[
            ChatMessage(
                role="user",
                content="Compare two small models in a table, with code.",
                created_at=WHEN,
                id="m1",
            ),
            ChatMessage(
                role="assistant",
                content=REPLY,
                created_at=WHEN,
                id="m2",
                stats=ReplyStats(
                    model="llama3.2:latest",
                    eval_count=88,
                    eval_duration=2 * 10**9,
                    prompt_eval_count=31,
                    done_reason="stop",
                    first_token_seconds=0.21,
                ),
            ),
        ],
    )
    ConversationStore(data_dir).save(conversation)
    return conversation


@pytest.mark.parametrize(("width", "height"), [(120, 40)])
def test_main_screen_with_a_conversation(snap_compare, make_app, data_dir, width, height):
    """The conversation list (one entry), the reply with its table, code block, list and facts
    line, the input, and the sidebar showing llama3.2 with its badges; status says demo server."""
    saved_conversation(data_dir)
    app = make_app(demo=True)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(
            pilot, lambda: app.screen.query("Footer") and app.screen.query("ModelSidebar")
        )
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(pilot, lambda: "llama3.2:latest" in app.screen._details)
        app.screen.prompt.cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=(width, height), run_before=run_before)


THOUGHT = "The user wants a comparison. A table fits, then a short code sample to show usage."


def reasoning_conversation(data_dir) -> None:
    conversation = Conversation(
        id="20260105-093000-bbbbbb",
        title="Thinking reply",
        model="deepseek-r1:8b",
        created_at=WHEN,
        updated_at=WHEN,
        messages=[
            ChatMessage(
                role="user",
                content="Compare two small models, with code.",
                created_at=WHEN,
                id="t1",
            ),
            ChatMessage(
                role="assistant",
                content=REPLY,
                thinking=THOUGHT,
                created_at=WHEN,
                id="t2",
                stats=ReplyStats(
                    model="deepseek-r1:8b",
                    eval_count=120,
                    eval_duration=3 * 10**9,
                    prompt_eval_count=20,
                    done_reason="stop",
                    first_token_seconds=0.4,
                    thinking_seconds=2.5,
                ),
            ),
        ],
    )
    ConversationStore(data_dir).save(conversation)


@pytest.mark.parametrize("unfold", [False, True])
def test_finished_reply_with_thinking_code_and_table(snap_compare, make_app, data_dir, unfold):
    """A finished reply from a reasoning model at 100x40 (side regions hidden): the folded
    "Thought for 2.5 s" line (unfolded: the reasoning in italics), the table, code block 1
    with its label and highlighting, the list, and the facts line with the model's speed."""
    reasoning_conversation(data_dir)
    app = make_app(demo=True)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: app.screen.current.id == "20260105-093000-bbbbbb")
        await wait_until(pilot, lambda: "deepseek-r1:8b" in app.screen._details)
        app.screen.prompt.cursor_blink = False
        if unfold:
            pane = app.screen.pane
            pane.focus()
            await wait_until(pilot, lambda: pane.has_focus and pane.selected == 1)
            await pilot.press("t")
            await wait_until(pilot, lambda: pane._items[1].thinking_open)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen_sizes_and_themes(snap_compare, make_app, data_dir, theme, size):
    """The main screen with a conversation open. At 80x24 the side regions are folded away
    and the conversation uses the whole width; at 160x48 the list and the sidebar are
    beside it. In the light theme every colour comes from the theme (nothing stays dark)."""
    saved_conversation(data_dir)
    app = make_app(demo=True, config=Config(theme=theme))

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(
            pilot, lambda: app.screen.query("Footer") and app.screen.query("ModelSidebar")
        )
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(pilot, lambda: "llama3.2:latest" in app.screen._details)
        app.screen.prompt.cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

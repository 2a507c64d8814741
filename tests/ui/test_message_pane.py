"""The message pane: Markdown while streaming, thinking, versions, copy, facts, JSON, tools."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime

from app.models import ChatMessage, ChatOptions, Conversation, ReplyStats, ToolCall
from app.screens.select_text import SelectTextScreen
from app.store import ConversationStore
from app.widgets.message_pane import MessagePane
from tests.conftest import confirm_ready, footer_settled, screen_text, wait_until

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def pane(app) -> MessagePane:
    return app.screen.query_one("#messages", MessagePane)


def words(app) -> str:
    """The screen's text with layout characters removed (for phrases that wrap)."""
    text = screen_text(app)
    for char in "▎█│┃╭╮╰╯─":
        text = text.replace(char, " ")
    return " ".join(text.split())


def complete(app) -> bool:
    messages = app.screen.current.messages
    return (
        bool(messages)
        and messages[-1].role == "assistant"
        and messages[-1].state
        in (
            "complete",
            "error",
            "stopped",
        )
    )


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.connection == "connected")


async def ask(pilot, text: str) -> None:
    pilot.app.screen.prompt.focus()
    count = len(pilot.app.screen.current.messages)
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: len(pilot.app.screen.current.messages) >= count + 2)
    await wait_until(pilot, lambda: len(pilot.app.screen.current.messages) >= 2)
    await wait_until(pilot, lambda: complete(pilot.app))
    await pilot.pause(0.1)


def save(data_dir, conversation: Conversation) -> None:
    ConversationStore(data_dir).save(conversation)


async def test_markdown_blocks_all_show_after_streaming(make_app, demo_server):
    """A known failure of incremental Markdown rendering: blocks blank at the end."""
    demo_server.token_rate = 400
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(110, 60)) as pilot:  # sidebar hidden, list shown
        await connected(pilot)
        await ask(pilot, "hello")
        text = screen_text(app)
        # The heading, the numbered list, the table, the code block and the last paragraph.
        assert "Welcome to the olladeck demo" in text
        assert "1 Press Escape while a reply streams" in words(app)
        assert "Ctrl+J" in text and "New conversation" in text  # table cells
        assert "def greet(name: str) -> str:" in text  # code, highlighted, in full
        assert 'You said: "hello"' in text
        assert "<div>" not in text


async def test_thinking_field_is_folded_once_the_answer_starts(make_app, demo_server, data_dir):
    app = make_app(model="deepseek-r1:8b")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        app.screen.current.chat_options.think = True
        await ask(pilot, "why is the sky blue")
        reply = app.screen.current.messages[-1]
        assert reply.thinking.startswith("The user wrote")
        assert not reply.content.startswith("<think>")
        text = words(app)
        assert "Thought for" in text and "(t unfolds)" in text
        assert "Let me think about what they want" not in text  # folded
        app.screen.query_one("#messages").focus()
        await pilot.press("t")  # (a command key runs once no typing follows it)
        await wait_until(pilot, lambda: "Let me think about what they want" in words(app))
        await ask(pilot, "and at sunset")
        # Thinking is saved but never sent back to the model as content.
        history = demo_server.chat_requests()[-1]["messages"]
        assert history[0]["role"] == "user" and history[1]["role"] == "assistant"
        assert "thinking" not in history[1] and "The user wrote" not in history[1]["content"]
        saved = tomllib.loads(next((data_dir / "conversations").glob("*.toml")).read_text())
        assert saved["messages"][1]["thinking"].startswith("The user wrote")


async def test_while_streaming_reasoning_shows_then_folds_and_markdown_is_drawn(
    make_app, demo_server
):
    demo_server.token_rate = 40
    app = make_app(model="deepseek-r1:8b")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        app.screen.current.chat_options.think = True
        app.screen.prompt.focus()
        await pilot.press(*"hi", "enter")
        # While the model only reasons, its reasoning is shown as it arrives.
        await wait_until(pilot, lambda: "Thinking" in words(app) and "The user wrote" in words(app))
        assert "Welcome" not in words(app)
        # Once the answer starts, the reasoning folds away and the heading is drawn as one.
        await wait_until(pilot, lambda: "Welcome to the olladeck demo" in words(app), timeout=10)
        assert pane(app).is_streaming(app.screen.current.id)
        text = words(app)
        assert "## Welcome" not in text and "**simulated" not in text
        assert "(t unfolds)" in text and "The user wrote" not in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: complete(app))


async def test_think_tags_in_content_become_thinking(make_app, demo_server):
    app = make_app(model="deepseek-r1:8b")  # think unset: the demo puts <think> in content
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "hi there")
        reply = app.screen.current.messages[-1]
        assert "think" not in demo_server.chat_requests()[-1]
        assert reply.thinking.startswith("The user wrote") and "<think>" not in reply.content
        assert reply.content.startswith("## Welcome")
        assert reply.stats.thinking_seconds is not None
        assert "Thought for" in words(app)


async def test_regenerate_keeps_the_old_reply_as_a_variant(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "hello")
        first = app.screen.current.messages[-1]
        app.screen.query_one("#messages").focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen.current.messages[-1] is not first)
        await wait_until(pilot, lambda: complete(app))
        await pilot.pause(0.1)
        second = app.screen.current.messages[-1]
        assert second.alternatives == [[first]]
        assert "‹ 2/2 ›" in screen_text(app)
        assert len(demo_server.chat_requests()) == 2
        # The regenerated request carries the same history (not the old reply).
        assert demo_server.chat_requests()[-1]["messages"] == [{"role": "user", "content": "hello"}]
        pane(app).reveal_message(second.id)
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: app.screen.current.messages[-1] is first)
        assert "‹ 1/2 ›" in screen_text(app)
        path = next((data_dir / "conversations").glob("*.toml"))
        await wait_until(
            pilot, lambda: tomllib.loads(path.read_text())["messages"][1]["id"] == first.id
        )
        saved = tomllib.loads(path.read_text())
        assert len(saved["messages"]) == 2
        assert saved["messages"][1]["alternatives"][0]["messages"][0]["id"] == second.id


async def test_edit_resends_from_there_and_keeps_the_old_branch(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "first question")
        await ask(pilot, "second question")
        old_tail = list(app.screen.current.messages)
        app.screen.query_one("#messages").focus()
        await pilot.press("k", "k", "k")  # from the last message up to the first
        assert pane(app).selected_message is old_tail[0]
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen.prompt.text == "first question")
        assert "Editing an earlier message" in screen_text(app)
        app.screen.prompt.clear()
        await pilot.press(*"better question", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2 and complete(app))
        messages = app.screen.current.messages
        assert messages[0].content == "better question"
        assert messages[0].alternatives == [old_tail]
        assert demo_server.chat_requests()[-1]["messages"] == [
            {"role": "user", "content": "better question"}
        ]
        pane(app).focus()
        pane(app).reveal_message(messages[0].id)
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: app.screen.current.messages[0].content == "first question")
        assert [m.content for m in app.screen.current.messages[::2]] == [
            "first question",
            "second question",
        ]


async def test_escape_cancels_an_edit_and_restores_the_input(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "question")
        app.screen.prompt.insert("draft in progress")
        app.screen.query_one("#messages").focus()
        await pilot.press("k", "e")
        await wait_until(pilot, lambda: app.screen.prompt.text == "question")
        await pilot.press("escape")
        assert app.screen.prompt.text == "draft in progress"
        assert app.screen._editing is None


async def test_delete_asks_then_removes_and_saves(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "hello")
        app.screen.query_one("#messages").focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")  # declined: nothing happens
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert len(app.screen.current.messages) == 2
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 1)
        path = next((data_dir / "conversations").glob("*.toml"))
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 1)


async def test_copy_message_code_block_and_selection(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await connected(pilot)
        await ask(pilot, "write some python code")
        reply = app.screen.current.messages[-1]
        app.screen.query_one("#messages").focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: app.clipboard == reply.content)
        assert any(
            f"Copied the message: {len(reply.content):,} characters" in n.message
            for n in app._notifications
        )
        await pilot.press("1")
        await wait_until(pilot, lambda: app.clipboard.startswith("from collections import Counter"))
        assert app.clipboard.rstrip().endswith('print(word_counts(open("README.md").read()))')
        await pilot.press("2")  # there is no second block: nothing is claimed
        await wait_until(
            pilot, lambda: any("has 1 code block" in n.message for n in app._notifications)
        )
        assert app.clipboard.startswith("from collections import Counter")
        # Keyboard selection: open the message, select a line, copy it.
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, SelectTextScreen))
        await pilot.press("x", "y")
        await pilot.pause(0.1)
        assert app.clipboard == "Here is a small, complete example."
        assert not isinstance(app.screen, SelectTextScreen)


async def test_code_block_numbers_on_screen_are_the_keys_that_copy_them(make_app, data_dir):
    content = (
        "Steps:\n\n1. Install it:\n\n   ```bash\n   pip install foo\n   ```\n\n"
        "2. Then run:\n\n```python\nprint('hi')\n```\n\n    indented = True\n"
    )
    messages = [
        ChatMessage(role="user", content="how?", created_at=WHEN),
        ChatMessage(role="assistant", content=content, created_at=WHEN),
    ]
    save(data_dir, Conversation(id="code", model="llama3.2:latest", messages=messages))
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "code")
        pane(app).focus()
        await pilot.pause(0.1)
        labels = re.findall(r" (\d) +(bash|python|code) *│", screen_text(app))
        assert labels == [("1", "bash"), ("2", "python"), ("3", "code")]
        for key, code in (("1", "pip install foo"), ("2", "print('hi')"), ("3", "indented = True")):
            await pilot.press(key)
            await wait_until(pilot, lambda code=code: app.clipboard == code)


async def test_keys_act_on_the_newest_message_after_a_new_exchange(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await ask(pilot, "one")
        first = app.screen.current.messages[1]
        pane(app).focus()
        await pilot.press("g", "j")  # select the first reply
        assert pane(app).selected_message is first
        await ask(pilot, "two")  # back in the input, another exchange
        pane(app).focus()
        await pilot.pause(0.1)
        assert pane(app).selected_message is app.screen.current.messages[-1]
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].alternatives)
        await wait_until(pilot, lambda: complete(app))
        messages = app.screen.current.messages
        # The newest reply was asked again; the first exchange is untouched.
        assert messages[1] is first and not first.alternatives
        assert [m.content for m in messages[:3]] == ["one", first.content, "two"]
        assert messages[3].alternatives


async def footer_line(pilot, expected: str) -> str:
    """The footer's line once it is rebuilt for the keys in force and shows `expected`
    (it is recomposed after a refresh, so it may be blank or stale for a moment)."""
    app = pilot.app
    await wait_until(pilot, lambda: footer_settled(app))
    await wait_until(pilot, lambda: expected in screen_text(app).splitlines()[-1])
    return screen_text(app).splitlines()[-1]


async def test_the_footer_lists_the_message_keys_at_80_columns(make_app, data_dir):
    older = ChatMessage(role="assistant", content="An older answer.", created_at=WHEN)
    reply = ChatMessage(
        role="assistant",
        content="Use this:\n\n```python\nprint(1)\n```\n",
        thinking="They want code.",
        created_at=WHEN,
    )
    reply.alternatives = [[older]]
    messages = [ChatMessage(role="user", content="code please", created_at=WHEN), reply]
    save(data_dir, Conversation(id="keys", model="llama3.2:latest", messages=messages))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "keys")
        await wait_until(pilot, lambda: app.screen.query("Footer"))
        pane(app).focus()
        footer = await footer_line(pilot, "c Copy")
        for shown in ("c Copy", "1-9 Code", "v Select", "r Regen", "d Delete", "t Thinking"):
            assert shown in footer, (shown, footer)
        assert "[ ] Versions" in footer and footer.rstrip().endswith("palette")
        await pilot.press("k")  # the user's message: Edit instead of Regen
        footer = await footer_line(pilot, "e Edit")
        assert "e Edit" in footer and "Regen" not in footer


async def test_facts_line_and_length_cut_off(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 30)) as pilot:
        await connected(pilot)
        app.screen.current.chat_options = ChatOptions(options={"num_predict": 12})
        await ask(pilot, "hello")
        stats = app.screen.current.messages[-1].stats
        assert stats.done_reason == "length" and stats.eval_count == 12
        text = words(app)
        assert "tok/s" in text and "first token" in text
        assert "in → 12 out tokens" in text
        assert "cut off: hit the num_predict limit" in text


async def test_context_meter_warns_before_the_window_is_full(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await connected(pilot)
        app.screen.current.chat_options = ChatOptions(options={"num_ctx": 2048})
        await ask(pilot, "hello")
        stats = app.screen.current.messages[-1].stats
        used = stats.prompt_eval_count + stats.eval_count
        await wait_until(
            pilot, lambda: "context" in str(app.screen.query_one("#transcript").border_subtitle)
        )
        assert f"context {used:,}/2,048 ({used / 2048:.0%} of num_ctx)" in screen_text(app)
        assert "⚠" not in str(app.screen.query_one("#transcript").border_subtitle)
        app.screen.current.chat_options = ChatOptions(options={"num_ctx": used + 10})
        app.screen.update_context_meter()
        await pilot.pause(0.1)
        subtitle = str(app.screen.query_one("#transcript").border_subtitle)
        assert "oldest messages soon dropped" in subtitle and "⚠" in subtitle
        assert any("Context almost full" in (n.title or "") for n in app._notifications)


async def test_json_format_is_pretty_printed_and_invalid_json_flagged(
    make_app, demo_server, data_dir
):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        schema = {
            "type": "object",
            "properties": {"city": {"type": "string"}, "pop": {"type": "integer"}},
        }
        app.screen.current.chat_options = ChatOptions(format=schema)
        await ask(pilot, "largest city")
        assert demo_server.chat_requests()[-1]["format"] == schema
        text = screen_text(app)
        assert '"city": "example city",' in text and '"pop": 42' in text
    bad = Conversation(
        id="bad-json",
        title="bad json",
        model="llama3.2:latest",
        updated_at=datetime(2030, 1, 1, tzinfo=UTC),
        messages=[
            ChatMessage(role="user", content="json please", created_at=WHEN),
            ChatMessage(
                role="assistant",
                content="{not json",
                created_at=WHEN,
                stats=ReplyStats(model="llama3.2:latest", structured=True),
            ),
        ],
    )
    save(data_dir, bad)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "bad-json")
        await pilot.pause(0.2)
        assert "The reply is not valid JSON" in screen_text(app)


async def test_tool_calls_and_tool_results_are_shown(make_app, data_dir):
    conversation = Conversation(
        id="tools",
        model="qwen3:8b",
        messages=[
            ChatMessage(role="user", content="what time is it", created_at=WHEN),
            ChatMessage(
                role="assistant",
                content="",
                created_at=WHEN,
                tool_calls=[ToolCall("current_time", {"timezone": "UTC"})],
            ),
            ChatMessage(
                role="tool",
                content="2026-01-05T09:30:00Z",
                tool_name="current_time",
                created_at=WHEN,
            ),
            ChatMessage(role="assistant", content="It is half past nine.", created_at=WHEN),
        ],
    )
    save(data_dir, conversation)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "tools")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert '⚙ tool call current_time {"timezone": "UTC"}' in text
        assert "Tool result · current_time" in text
        assert "2026-01-05T09:30:00Z" in text


async def test_following_stops_when_scrolled_up_and_resumes_at_the_end(make_app, demo_server):
    demo_server.token_rate = 200
    demo_server.reply_tokens = 1500
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await pilot.press(*"go", "enter")
        the_pane = pane(app)
        await wait_until(pilot, lambda: the_pane._total > 60)
        # Following: the end is on screen (the view jumps a third of a screen at a time).
        view = the_pane._view_height
        assert the_pane._follow and the_pane._top <= the_pane._total <= the_pane._top + view
        the_pane.focus()
        await pilot.press("pageup")
        top = the_pane._top
        assert not the_pane._follow
        await wait_until(pilot, lambda: the_pane._total > top + 80)
        assert the_pane._top == top  # the view stayed where the user put it
        await pilot.press("G", "end")
        await pilot.pause(0.1)
        assert the_pane._follow
        await pilot.press("escape")
        await wait_until(pilot, lambda: complete(app))


async def test_j_and_k_move_between_messages_and_keys_show_in_the_footer(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        await ask(pilot, "one")
        await ask(pilot, "two")
        the_pane = pane(app)
        the_pane.focus()
        await pilot.pause(0.1)
        assert the_pane.selected == 3
        await pilot.press("k")
        assert the_pane.selected_message.content == "two"
        await pilot.press("j")
        assert the_pane.selected == 3
        await pilot.press("g")
        assert the_pane.selected == 0
        footer = await footer_line(pilot, "Edit")
        assert "Copy" in footer and "Edit" in footer


async def test_a_long_conversation_opens_at_its_end(make_app, data_dir):
    messages = []
    for i in range(2000):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"message {i} " + "lorem ipsum dolor sit amet " * 20
        messages.append(ChatMessage(role=role, content=text, created_at=WHEN))
    save(data_dir, Conversation(id="long", model="llama3.2:latest", messages=messages))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "long", timeout=20)
        await pilot.pause(0.2)
        assert "message 1999" in screen_text(app)
        the_pane = pane(app)
        laid_out = sum(1 for item in the_pane._items if item.laid_out)
        assert laid_out < 20  # only what is on screen was laid out
        the_pane.focus()
        await pilot.press("g")  # to the very first message, rendered on demand
        await pilot.pause(0.1)
        assert "message 0 " in screen_text(app)

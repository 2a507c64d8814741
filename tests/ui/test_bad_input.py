"""Bad input: enormous pastes, control characters and markup in everything that is shown."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from textual import events

from app.models import ChatMessage, Conversation
from app.store import ConversationStore
from tests.conftest import screen_text, wait_until


async def test_a_one_megabyte_paste_is_sent_whole_and_the_app_stays_responsive(
    make_app, demo_server, data_dir
):
    big = ("All work and no play makes a dull prompt. " * 24 + "\n") * 1000  # ~1 MB
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        app.screen.post_message(events.Paste(big))  # as the terminal delivers a paste
        await wait_until(pilot, lambda: len(app.screen.prompt.text) == len(big), timeout=20)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(
            pilot, lambda: app.screen.current.messages[-1].state == "complete", timeout=20
        )
        assert demo_server.chat_requests()[-1]["messages"][0]["content"] == big
        started = time.monotonic()
        await pilot.press("x")  # typing is not held up by the big message on screen
        assert time.monotonic() - started < 1.0
        assert app.screen.prompt.text == "x"
        pane = app.screen.pane
        user_item = pane._items[0]
        rendered = sum(1 for part in user_item.parts() if part.rendered_at(pane._width - 2))
        assert len(user_item.parts()) > 100 and rendered < 20  # drawn a screenful at a time


async def test_markup_and_escapes_in_titles_model_names_and_errors_stay_literal(
    make_app, demo_server, data_dir
):
    when = datetime(2026, 1, 5, tzinfo=UTC)
    conversation = Conversation(
        id="odd",
        title="[bold red]Title[/] \x1b[2J",
        model="[link=http://x]evil[/link]:latest",
        updated_at=when,
        messages=[
            ChatMessage(role="user", content="hi", created_at=when),
            ChatMessage(
                role="assistant",
                content="",
                state="error",
                error="[blink]boom[/blink] \x1b]52;c;AAAA\x07",
                created_at=when,
            ),
        ],
    )
    ConversationStore(data_dir).save(conversation)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "odd")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "[bold red]Title[/] ␛[2J" in text  # in the conversation list
        assert "[link=http://x]evil[/link]:latest" in text  # header, status line
        assert "[blink]boom[/blink] ␛]52;c;AAAA␇" in text  # the inline error
        assert "\x1b" not in text and "\x07" not in text


async def test_a_model_name_with_markup_from_the_server_is_listed_literally(make_app, demo_server):
    from app.demo.catalog import DEMO_MODELS

    base = DEMO_MODELS[0]
    name = "[link=http://x]evil[/link]:latest"
    demo_server.models[name] = type(base)(
        name,
        base.family,
        base.parameter_size,
        base.quantization,
        base.size,
        base.capabilities,
        base.context_length,
    )
    app = make_app(model=name)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: app.screen.query("ModelSidebar"))
        await pilot.pause(0.3)
        assert name in screen_text(app)
        assert app.is_running

"""Keyboard safety in the conversation pane: typed text goes to the input, a confirmation
is not answered by the burst that opened it, a deleted message comes back with u, and
what is sent to the model has no empty or orphaned replies."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from app.models import ChatMessage, Conversation, ReplyStats
from app.screens.confirm import ConfirmScreen
from app.screens.main import MainScreen
from app.store import ConversationStore
from app.widgets.message_pane import MessagePane
from tests.conftest import confirm_ready, key_now, screen_text, send_key, type_burst, wait_until

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MODEL = "llama3.2:latest"


def conversation_path(data_dir: Path, conversation_id: str) -> Path:
    return data_dir / "conversations" / f"{conversation_id}.toml"


def saved_messages(data_dir: Path, conversation_id: str) -> list[dict]:
    return tomllib.loads(conversation_path(data_dir, conversation_id).read_text())["messages"]


def seed(data_dir: Path, messages: list[ChatMessage], conversation_id: str = "keys") -> None:
    conversation = Conversation(
        id=conversation_id, model=MODEL, messages=messages, created_at=WHEN, updated_at=WHEN
    )
    ConversationStore(data_dir).save(conversation)


def exchange() -> list[ChatMessage]:
    """Two questions and answers; the first reply has reasoning and code (so t, 1, c, v,
    r and d are all keys in force on it)."""
    return [
        ChatMessage(role="user", content="first question", created_at=WHEN, id="u1"),
        ChatMessage(
            role="assistant",
            content="First answer.\n\n```python\nprint(1)\n```\n",
            thinking="They asked a first question.",
            created_at=WHEN,
            id="a1",
            stats=ReplyStats(model=MODEL, eval_count=5, eval_duration=10**9),
        ),
        ChatMessage(role="user", content="second question", created_at=WHEN, id="u2"),
        ChatMessage(role="assistant", content="Second answer.", created_at=WHEN, id="a2"),
    ]


def pane(app) -> MessagePane:
    return app.screen_stack[0].query_one("#messages", MessagePane)


async def opened(pilot, conversation_id: str = "keys") -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.connection == "connected")
    await wait_until(pilot, lambda: app.screen.current.id == conversation_id)


async def into_pane(pilot) -> MessagePane:
    """From the input, Shift+Tab into the conversation (the last message is selected)."""
    app = pilot.app
    app.screen.prompt.focus()
    await pilot.pause()
    await pilot.press("shift+tab")
    found = pane(app)
    await wait_until(pilot, lambda: found.has_focus and found.selected is not None)
    return found


async def test_a_sentence_typed_in_the_pane_goes_to_the_input_and_changes_nothing(
    make_app, demo_server, data_dir
):
    seed(data_dir, exchange())
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        path = conversation_path(data_dir, "keys")
        before = path.read_bytes()
        screen = app.screen
        prompt = screen.prompt
        for sentence in (
            # The first letter is no key of the pane: the keys move to the input at once.
            "what? today, yes",
            # A command key first: the next key comes too soon for it to be a command.
            "do it? yes",
            "try it, y",
            # A key that only moves runs at once; typing after it takes its letter too,
            # and the selection goes back.
            "go on, d y",
        ):
            found = await into_pane(pilot)
            selected = found.selected
            found._select(1)  # the reply with reasoning and code: every key is in force
            selected = found.selected
            thinking = found._items[1].thinking_open
            prompt.clear()
            await type_burst(pilot, sentence)
            await wait_until(pilot, lambda sentence=sentence: prompt.text == sentence)
            assert app.focused is prompt
            assert app.screen is screen  # no dialog opened
            assert found.selected == selected
            assert found._items[1].thinking_open == thinking
            assert len(screen.current.messages) == 4 and not demo_server.chat_requests()
        await pilot.pause(0.3)  # a held key would have run by now
        assert app.screen is screen and prompt.text == sentence
        assert path.read_bytes() == before


async def test_a_key_alone_is_still_a_command_and_escape_or_i_goes_back_to_the_input(
    make_app, demo_server, data_dir
):
    seed(data_dir, exchange())
    demo_server.token_rate = 30
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        screen = app.screen
        found = await into_pane(pilot)
        found._select(1)
        await pilot.press("t")  # alone: it folds and unfolds the reasoning
        await wait_until(pilot, lambda: found._items[1].thinking_open)
        for key in ("escape", "i"):
            found.focus()
            await wait_until(pilot, lambda: found.has_focus)
            await pilot.press(key)
            await wait_until(pilot, lambda: app.focused is screen.prompt)
            assert screen.prompt.text == ""
        # While a reply streams, Escape stops it first; the next one goes to the input.
        await pilot.press(*"tell me", "enter")
        await wait_until(pilot, lambda: len(screen.current.messages) == 6)
        await wait_until(pilot, lambda: found.is_streaming(screen.current.id))
        found.focus()
        await wait_until(pilot, lambda: found.has_focus)
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "stopped")
        assert app.focused is found
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is screen.prompt)


async def test_confirm_ignores_a_key_typed_in_the_same_burst(make_app, demo_server, data_dir):
    seed(data_dir, exchange())
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        path = conversation_path(data_dir, "keys")
        before = path.read_bytes()
        await into_pane(pilot)
        await pilot.press("d")
        # Typed right after d, before the question was drawn (the app reads them later).
        typed = [key_now(pilot, "y"), key_now(pilot, "enter")]
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        for event in typed:
            await send_key(pilot, event)
        assert app.screen is dialog and path.read_bytes() == before
        await confirm_ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert path.read_bytes() == before and len(app.screen.current.messages) == 4


async def test_a_deleted_message_comes_back_with_u(make_app, demo_server, data_dir):
    messages = exchange()
    # The last reply has an older version: deleting the shown one shows the other.
    messages[3].alternatives = [
        [ChatMessage(role="assistant", content="Older answer.", created_at=WHEN, id="old")]
    ]
    messages[3].variant = 1
    seed(data_dir, messages)
    app = make_app()
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await opened(pilot)
        screen = app.screen
        original = saved_messages(data_dir, "keys")
        found = await into_pane(pilot)
        assert found.check_action("undo_delete", ()) is False  # nothing to undo yet
        found._select(1)
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(saved_messages(data_dir, "keys")) == 3)
        assert [m["id"] for m in saved_messages(data_dir, "keys")] == ["u1", "u2", "a2"]
        notice = app._notifications
        assert any("Press u in the conversation" in n.message for n in notice)
        # A version: the older one is shown instead.
        found._select(2)
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.current.messages[-1].id == "old")
        await wait_until(pilot, lambda: saved_messages(data_dir, "keys")[-1]["id"] == "old")
        # u brings back the last deletion, then the one before: the file is as it was.
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current.messages[-1].id == "a2")
        assert found.selected_message is screen.current.messages[-1]
        await pilot.press("u")
        await wait_until(pilot, lambda: saved_messages(data_dir, "keys") == original)
        assert [m.id for m in screen.current.messages] == ["u1", "a1", "u2", "a2"]
        assert found.selected_message is screen.current.messages[1]  # shown where it is back
        assert found.check_action("undo_delete", ()) is False
        # The palette entry runs the same undo.
        found._select(0)
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(saved_messages(data_dir, "keys")) == 3)
        (undo,) = [c for c in screen.system_commands() if c.title == "Undo the message deletion"]
        undo.callback()
        await wait_until(pilot, lambda: saved_messages(data_dir, "keys") == original)


async def test_a_deleted_message_can_be_brought_back_after_a_restart(
    make_app, demo_server, data_dir
):
    """Deleted messages are saved with the conversation (never sent): u works next time."""
    seed(data_dir, exchange())
    original = saved_messages(data_dir, "keys")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        found = await into_pane(pilot)
        found._select(1)
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(saved_messages(data_dir, "keys")) == 3)
    saved = tomllib.loads(conversation_path(data_dir, "keys").read_text())
    (entry,) = saved["deleted"]
    assert [m["id"] for m in entry["messages"]] == ["a1"]
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        found = await into_pane(pilot)
        await wait_until(pilot, lambda: found.check_action("undo_delete", ()) is True)
        await pilot.press("u")
        await wait_until(pilot, lambda: saved_messages(data_dir, "keys") == original)
        request_count = len(demo_server.chat_requests())
        await pilot.press("escape", *"next", "enter")
        await wait_until(pilot, lambda: len(demo_server.chat_requests()) == request_count + 1)
    assert "deleted" not in tomllib.loads(conversation_path(data_dir, "keys").read_text())
    sent = demo_server.chat_requests()[-1]["messages"]
    assert [m["content"] for m in sent[:2]] == [
        "first question",
        "First answer.\n\n```python\nprint(1)\n```\n",
    ]


async def test_a_reply_whose_question_was_deleted_is_not_sent_first(
    make_app, demo_server, data_dir
):
    seed(data_dir, exchange())
    app = make_app()
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await opened(pilot)
        screen = app.screen
        found = await into_pane(pilot)
        found._select(0)
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.current.messages) == 3)
        assert screen.current.messages[0].role == "assistant"  # still shown
        # Asking again for it would send no question at all: it says so instead.
        found._select(0)
        await pilot.press("r")
        await wait_until(
            pilot, lambda: any("Nothing to ask again" in n.message for n in app._notifications)
        )
        assert not demo_server.chat_requests() and len(screen.current.messages) == 3
        screen.prompt.focus()
        await pilot.press(*"and then?", "enter")
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "complete")
    sent = demo_server.chat_requests()[-1]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "second question"),
        ("assistant", "Second answer."),
        ("user", "and then?"),
    ]


async def test_regenerating_keeps_the_selection_on_the_new_reply(make_app, demo_server, data_dir):
    seed(data_dir, exchange())
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        screen = app.screen
        found = await into_pane(pilot)
        assert found.selected == 3
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.current.messages[-1].id != "a2")
        assert found.selected == 3 and found.selected_message is screen.current.messages[-1]
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "complete")
        assert found.selected_message is screen.current.messages[-1]
        # The keys act on it: another r asks again for the same place.
        await pilot.press("r")
        await wait_until(pilot, lambda: len(demo_server.chat_requests()) == 2)
        assert screen.current.messages[-1].alternatives


async def test_a_reply_stopped_before_any_text_is_not_sent_back(make_app, demo_server, data_dir):
    messages = [
        ChatMessage(role="user", content="first question", created_at=WHEN, id="u1"),
        ChatMessage(
            role="assistant",
            content="",
            thinking="Half a thought",
            state="stopped",
            created_at=WHEN,
            id="a1",
        ),
    ]
    seed(data_dir, messages)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        screen = app.screen
        await pilot.press(*"again", "enter")
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "complete")
        saved = saved_messages(data_dir, "keys")
        await wait_until(pilot, lambda: len(saved_messages(data_dir, "keys")) == 4)
        saved = saved_messages(data_dir, "keys")
        assert saved[1]["id"] == "a1" and saved[1]["state"] == "stopped"  # kept, as shown
    sent = demo_server.chat_requests()[-1]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "first question"),
        ("user", "again"),
    ]


async def test_the_vision_warning_counts_the_images_of_the_history(
    make_app, demo_server, data_dir, tmp_path
):
    store = ConversationStore(data_dir)
    old = tmp_path / "old.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(old, format="PNG")
    ref = store.images.put(old.read_bytes())
    messages = [
        ChatMessage(role="user", content="look", images=[ref], created_at=WHEN, id="u1"),
        ChatMessage(role="assistant", content="A picture.", created_at=WHEN, id="a1"),
    ]
    seed(data_dir, messages)
    new = tmp_path / "new.png"
    Image.new("RGB", (8, 8), (9, 9, 9)).save(new, format="PNG")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        screen = app.screen
        bar = screen.attachments
        # No new image, but the history's goes with the request: asked, and counted.
        await pilot.press(*"and now?", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert "Send the 1 image anyway?" in text
        assert "1 from earlier messages" in " ".join(text.split())
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        # A new one too: two images go with the request, and the question says so.
        bar.add_paths([new])
        await wait_until(pilot, lambda: bar.attachments and not bar.reading)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = " ".join(screen_text(app).split())
        assert "Send the 2 images anyway?" in text
        assert "1 new, 1 from earlier messages" in text
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "complete")
        assert len(demo_server.chat_requests()[-1]["messages"][0]["images"]) == 1
        # Agreed once: the next message resends the same images without asking again.
        await pilot.press(*"more", "enter")
        await wait_until(pilot, lambda: len(screen.current.messages) == 6)
        assert app.screen is screen

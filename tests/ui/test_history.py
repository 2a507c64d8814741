"""The conversation list and history, driven by keys against the real app and server."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from app.config import Config
from app.models import ChatMessage, ChatOptions, Conversation
from app.screens.main import MainScreen
from app.store import ConversationStore
from tests.conftest import confirm_ready, screen_text, type_burst, wait_until

START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def seed(data_dir, titles: list[str], messages: int = 2) -> list[Conversation]:
    """Save conversations, the first in `titles` the oldest."""
    store = ConversationStore(data_dir)
    saved = []
    for number, title in enumerate(titles):
        moment = START + timedelta(minutes=number)
        conversation = Conversation(
            id=f"20260105-0930{number:02d}-aaaaaa",
            title=title,
            model="llama3.2:latest",
            created_at=moment,
            updated_at=moment,
            messages=[
                ChatMessage(
                    role="user" if i % 2 == 0 else "assistant",
                    content=f"{title} message {i}",
                    created_at=moment,
                    id=f"m{i}",
                )
                for i in range(messages)
            ],
        )
        store.save(conversation)
        saved.append(conversation)
    store.close()
    return saved


def conversation_list(app):
    return app.screen.query_one("ConversationList")


def rows(app) -> list[str]:
    return conversation_list(app).row_ids


def titles(app) -> list[str]:
    widget = conversation_list(app)
    return [widget.entry(cid).title for cid in widget.row_ids]


async def started(pilot, app, count: int) -> None:
    """Wait until the index is reconciled and the list shows `count` rows."""
    await wait_until(pilot, lambda: app.screen._loaded and app.screen.query("ConversationList"))
    await wait_until(pilot, lambda: len(rows(app)) == count)


async def focus_list(pilot, app) -> None:
    conversation_list(app).options.focus()
    await pilot.pause()


async def type_path(pilot, app, path: str) -> None:
    """Fill the path dialog and accept it (typing a long path key by key is slow)."""
    await wait_until(pilot, lambda: app.screen_stack[-1].query("Input"))
    field = app.screen_stack[-1].query_one("Input")
    field.value = path
    await pilot.press("enter")


def on_top(app, screen_name: str) -> bool:
    return app.screen_stack[-1].__class__.__name__ == screen_name


def files(data_dir, folder: str = "conversations"):
    return sorted((data_dir / folder).glob("*.toml"))


async def test_list_is_newest_first_with_current_highlighted(make_app, data_dir):
    seed(data_dir, ["Oldest", "Middle", "Newest"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 3)
        await wait_until(pilot, lambda: app.screen.current.title == "Newest")
        assert titles(app) == ["Newest", "Middle", "Oldest"]
        # The conversation on screen is marked; each row says when, and which model.
        await wait_until(pilot, lambda: "▶ Newest" in screen_text(app))
        assert "2026-01-05 · llama3.2:latest" in screen_text(app)
        widget = conversation_list(app)
        assert widget.highlighted_id == app.screen.current.id


def marked(app) -> list[str]:
    """The rows drawn with the "this one is on screen" marker."""
    options = conversation_list(app).options
    return [
        str(options.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(options.option_count)
        if str(options.get_option_at_index(i).prompt).startswith("▶")
    ]


async def test_the_marker_moves_at_once_when_another_conversation_opens(make_app, data_dir):
    """The marker follows the conversation on screen straight away, not only after the
    list is read from the index again (which may be busy)."""
    saved = seed(data_dir, ["Oldest", "Newest"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 2)
        await wait_until(pilot, lambda: marked(app) == ["▶ Newest"])
        # Keep the list from being read again: only the marker update can move it.
        app.screen.refresh_list = lambda: None
        await app.screen.open_conversation(saved[0].id)
        assert marked(app) == ["▶ Oldest"]
        app.screen.action_new_conversation()
        assert marked(app) == []


async def test_only_the_opened_conversation_is_parsed(make_app, data_dir, monkeypatch):
    seed(data_dir, [f"Topic {n}" for n in range(30)])
    # A first run builds the index.
    first = make_app()
    async with first.run_test(size=(120, 40)) as pilot:
        await started(pilot, first, 30)
    parsed = []
    real_read = ConversationStore._read

    def counting(self, path):
        parsed.append(path.stem)
        return real_read(self, path)

    monkeypatch.setattr(ConversationStore, "_read", counting)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 30)
        await wait_until(pilot, lambda: app.screen.current.title == "Topic 29")
        assert parsed == [app.screen.current.id]  # the list came from the index
        await focus_list(pilot, app)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen.current.title == "Topic 28")
        assert len(parsed) == 2


async def test_new_conversation_starts_from_the_config_defaults(make_app, data_dir, demo_server):
    seed(data_dir, ["Old one"])
    config = Config(
        default_model="qwen3:8b",
        system="Answer briefly.",
        options={"temperature": 0.2},
        keep_alive="10m",
        think=False,
    )
    app = make_app(config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await wait_until(pilot, lambda: app.screen.current.title == "Old one")
        await pilot.press("ctrl+n")
        current = app.screen.current
        assert not current.messages and current.model == "qwen3:8b"
        assert current.system == "Answer briefly."
        assert current.chat_options.options == {"temperature": 0.2}
        assert current.chat_options.keep_alive == "10m"
        assert current.chat_options.think is False
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: current.messages[-1].state == "complete")
        await wait_until(pilot, lambda: len(rows(app)) == 2)
        assert rows(app)[0] == current.id  # newest activity first
    body = demo_server.chat_requests()[-1]
    assert body["model"] == "qwen3:8b" and body["keep_alive"] == "10m"
    assert body["messages"][0] == {"role": "system", "content": "Answer briefly."}


async def test_each_conversation_keeps_its_own_settings(make_app, data_dir, demo_server):
    store = ConversationStore(data_dir)
    first = Conversation(
        id="20260105-093000-aaaaaa",
        title="Formal",
        model="qwen3:8b",
        system="Be formal.",
        chat_options=ChatOptions(options={"seed": 1}, format="json", keep_alive=30, think=True),
        messages=[ChatMessage(role="user", content="one"), ChatMessage(role="assistant")],
        updated_at=START,
    )
    second = Conversation(
        id="20260105-093100-bbbbbb",
        title="Casual",
        model="llama3.2:latest",
        messages=[ChatMessage(role="user", content="two"), ChatMessage(role="assistant")],
        updated_at=START + timedelta(minutes=1),
    )
    store.save(first)
    store.save(second)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 2)
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: app.screen.current.title == "Casual")
        await focus_list(pilot, app)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen.current.title == "Formal")
        assert app.screen.status.model == "qwen3:8b"
        await pilot.press(*"again", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
    body = demo_server.chat_requests()[-1]
    assert body["model"] == "qwen3:8b"
    assert body["messages"][0] == {"role": "system", "content": "Be formal."}
    assert body["options"] == {"seed": 1} and body["format"] == "json"
    assert body["keep_alive"] == 30 and body["think"] is True


async def test_rename_from_the_list(make_app, data_dir):
    seed(data_dir, ["Before"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await focus_list(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: on_top(app, "TextPromptScreen"))
        await pilot.press("ctrl+u", *"After [b]it[/b]", "enter")
        await wait_until(pilot, lambda: titles(app) == ["After [b]it[/b]"])
        await wait_until(
            pilot,
            lambda: tomllib.loads(files(data_dir)[0].read_text())["title"] == "After [b]it[/b]",
        )
        assert "After [b]it[/b]" in screen_text(app)  # shown literally


async def test_pin_moves_a_conversation_to_the_top(make_app, data_dir):
    seed(data_dir, ["Old", "New"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 2)
        assert titles(app) == ["New", "Old"]
        await focus_list(pilot, app)
        await pilot.press("j", "p")
        await wait_until(pilot, lambda: titles(app) == ["Old", "New"])
        assert "★ Old" in screen_text(app)
        await wait_until(pilot, lambda: tomllib.loads(files(data_dir)[0].read_text())["pinned"])
        await pilot.press("p")  # and back
        await wait_until(pilot, lambda: titles(app) == ["New", "Old"])


async def test_delete_asks_moves_to_trash_and_u_restores(make_app, data_dir):
    seed(data_dir, ["Keep", "Delete me"])
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(pilot, app, 2)
        await wait_until(pilot, lambda: app.screen.current.title == "Delete me")
        await focus_list(pilot, app)
        await pilot.press("d")
        await wait_until(pilot, lambda: on_top(app, "ConfirmScreen"))
        await pilot.press("n")  # declined: nothing happens
        await pilot.pause(0.1)
        assert len(files(data_dir)) == 2
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: titles(app) == ["Keep"])
        assert len(files(data_dir)) == 1 and len(files(data_dir, "trash")) == 1
        assert app.screen.current.title == "Keep"  # the next one is opened
        assert any("Press u" in n.message for n in app._notifications)
        await focus_list(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: sorted(titles(app)) == ["Delete me", "Keep"])
        assert len(files(data_dir)) == 2 and not files(data_dir, "trash")
        assert app.screen.current.title == "Delete me"
        assert [m.content for m in app.screen.current.messages] == [
            "Delete me message 0",
            "Delete me message 1",
        ]


async def test_trash_view_restores_what_an_earlier_session_deleted(make_app, data_dir):
    seed(data_dir, ["Keep", "Deleted long ago"])
    store = ConversationStore(data_dir)
    store.trash("20260105-093001-aaaaaa")
    store.close()
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(pilot, app, 1)
        await focus_list(pilot, app)
        await pilot.press("u")  # nothing deleted in this session: it says where to look
        await wait_until(pilot, lambda: any("trash" in n.message for n in app._notifications))
        await pilot.press("t")
        await wait_until(pilot, lambda: conversation_list(app).mode == "trash")
        await wait_until(pilot, lambda: "Deleted long ago" in screen_text(app))
        assert "Trash · 1" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: conversation_list(app).mode == "conversations")
        await wait_until(pilot, lambda: sorted(titles(app)) == ["Deleted long ago", "Keep"])
        assert app.screen.current.title == "Deleted long ago"


async def test_duplicate_makes_an_independent_copy(make_app, data_dir):
    seed(data_dir, ["Original"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await focus_list(pilot, app)
        await pilot.press("c")
        await wait_until(pilot, lambda: sorted(titles(app)) == ["Original", "Original (copy)"])
        assert app.screen.current.title == "Original (copy)"
        assert [m.content for m in app.screen.current.messages] == [
            "Original message 0",
            "Original message 1",
        ]
        assert len(files(data_dir)) == 2


async def test_filter_by_title_as_you_type(make_app, data_dir):
    seed(data_dir, ["Rust lifetimes", "Python typing", "rusty nails", "Ünïcode títles"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 4)
        await focus_list(pilot, app)
        await pilot.press("slash", *"RUST")
        await wait_until(pilot, lambda: sorted(titles(app)) == ["Rust lifetimes", "rusty nails"])
        assert "2 found" in screen_text(app)
        await pilot.press("ctrl+u", *"ünï")
        await wait_until(pilot, lambda: titles(app) == ["Ünïcode títles"])
        await pilot.press("enter")  # opens the first match
        await wait_until(pilot, lambda: app.screen.current.title == "Ünïcode títles")
        await focus_list(pilot, app)
        await pilot.press("escape")  # clears the filter
        await wait_until(pilot, lambda: len(titles(app)) == 4)


async def test_full_text_search_jumps_to_an_old_message(make_app, data_dir):
    # Far more messages than the pane mounts when a conversation opens.
    (long_one, _) = seed(data_dir, ["Long talk", "Other"], messages=150)
    store = ConversationStore(data_dir)
    long_one = store.load(long_one.id)
    long_one.messages[3].content = "the zanzibar treaty of 1890"
    store.save(long_one)
    store.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 2)
        await wait_until(pilot, lambda: app.screen.current.title == "Other")
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: on_top(app, "SearchScreen"))
        await pilot.press(*"zanzib")  # the start of a word is enough
        search = app.screen_stack[-1]
        await wait_until(pilot, lambda: len(search.hits) == 1)
        assert search.last_seconds < 1
        assert "Long talk" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.title == "Long talk")
        pane = app.screen.pane
        await wait_until(pilot, lambda: pane.selected_message is not None)
        assert pane.selected_message.id == "m3"  # an old message, selected and focused
        assert pane.has_focus
        await pilot.pause(0.2)
        assert "the zanzibar treaty of 1890" in screen_text(app)  # scrolled into view


async def test_a_search_hit_is_not_hidden_by_the_list_overlay(make_app, data_dir):
    seed(data_dir, ["Long talk", "Other"], messages=4)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, app, 2)
        await pilot.press("ctrl+l")  # at 80 columns the list comes over the conversation
        await wait_until(pilot, lambda: app.screen.has_class("-overlay-list"))
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: on_top(app, "SearchScreen"))
        await pilot.press(*"talk message 2")
        search = app.screen_stack[-1]
        await wait_until(pilot, lambda: len(search.hits) >= 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.title == "Long talk")
        await pilot.pause(0.2)
        assert not app.screen.has_class("-overlay-list")
        assert "Long talk message 2" in screen_text(app)


async def test_export_json_replays_and_imports_back_equal(make_app, demo_server, tmp_path):
    app = make_app(model="llama3.2:latest")
    target = tmp_path / "exports"
    target.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"first question", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        await pilot.press(*"second", "enter")
        await wait_until(
            pilot,
            lambda: (
                len(app.screen.current.messages) == 4
                and app.screen.current.messages[-1].state == "complete"
            ),
        )
        original = app.screen.current
        await app.run_action("screen.export_json")  # the same action as E in the list
        await wait_until(pilot, lambda: on_top(app, "TextPromptScreen"))
        await type_path(pilot, app, f"{target}/chat.json")
        await wait_until(pilot, lambda: (target / "chat.json").exists())
        exported = json.loads((target / "chat.json").read_text())
        # Exactly what was sent for the last reply, plus that reply.
        sent = demo_server.chat_requests()[-1]
        assert exported["messages"][:-1] == sent["messages"]
        assert exported["messages"][-1] == {
            "role": "assistant",
            "content": original.messages[-1].content,
        }
        assert {k: v for k, v in exported.items() if k != "messages"} == {
            k: v for k, v in sent.items() if k != "messages"
        }
        await app.run_action("screen.import_conversation")
        await wait_until(pilot, lambda: on_top(app, "TextPromptScreen"))
        await type_path(pilot, app, f"{target}/chat.json")
        await wait_until(pilot, lambda: app.screen.current is not original)
        imported = app.screen.current
        assert [(m.role, m.content) for m in imported.messages] == [
            (m.role, m.content) for m in original.messages
        ]
        assert imported.model == original.model
        await wait_until(pilot, lambda: len(rows(app)) == 2)
        await app.run_action("screen.export_json")
        await wait_until(pilot, lambda: on_top(app, "TextPromptScreen"))
        await type_path(pilot, app, f"{target}/again.json")
        await wait_until(pilot, lambda: (target / "again.json").exists())
        assert json.loads((target / "again.json").read_text()) == exported


async def test_export_markdown_with_tab_completion(make_app, data_dir, tmp_path):
    seed(data_dir, ["Notes"])
    folder = tmp_path / "somewhere-unique"
    folder.mkdir()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await focus_list(pilot, app)
        await pilot.press("e")
        await wait_until(pilot, lambda: on_top(app, "TextPromptScreen"))
        await wait_until(pilot, lambda: app.screen_stack[-1].query("Input"))
        prompt_input = app.screen_stack[-1].query_one("Input")
        # Focusing the field selects its text: set ours after that, or typing replaces it.
        await wait_until(pilot, lambda: prompt_input.has_focus)
        await pilot.pause()
        prompt_input.value = f"{tmp_path}/somewhere"
        prompt_input.cursor_position = len(prompt_input.value)
        await pilot.press(*"-u")
        await wait_until(pilot, lambda: prompt_input._suggestion.endswith("somewhere-unique/"))
        await pilot.press("tab")
        assert prompt_input.value == f"{folder}/"
        await pilot.press(*"notes.md", "enter")
        await wait_until(pilot, lambda: (folder / "notes.md").exists())
    text = (folder / "notes.md").read_text()
    assert text.startswith("# Notes\n")
    assert "## You" in text and "Notes message 0" in text and "Notes message 1" in text


async def test_a_streaming_conversation_stays_the_same_object(make_app, data_dir, demo_server):
    seed(data_dir, ["Elsewhere"])
    demo_server.token_rate = 30
    demo_server.reply_tokens = 60
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press("ctrl+n", *"tell me a story", "enter")
        streaming = app.screen.current
        await wait_until(pilot, lambda: app.screen.pane.is_streaming(streaming.id))
        await wait_until(pilot, lambda: len(rows(app)) == 2)
        await focus_list(pilot, app)
        conversation_list(app).highlight("20260105-093000-aaaaaa")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.title == "Elsewhere")
        conversation_list(app).highlight(streaming.id)
        await focus_list(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.id == streaming.id)
        assert app.screen.current is streaming
        await wait_until(pilot, lambda: streaming.messages[-1].state == "complete", timeout=15)
        assert len(streaming.messages[-1].content) > 100


async def test_title_from_the_model(make_app, data_dir, demo_server):
    app = make_app(config=Config(title_from_model=True), model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"how do tides work on mars", "enter")
        await wait_until(pilot, lambda: app.screen.current.title)
        assert app.screen.current.title == "How Do Tides Work On"
        await wait_until(pilot, lambda: titles(app) == ["How Do Tides Work On"])
    asked = demo_server.chat_requests()[-1]
    assert asked["stream"] is False
    assert "how do tides work on mars" in asked["messages"][0]["content"]


@asynccontextmanager
async def both_open(one, two) -> AsyncIterator[tuple[Any, Any]]:
    """Two olladeck instances on one data dir, each showing the conversation "Shared"."""
    async with (
        one.run_test(size=(120, 40), notifications=True) as p1,
        two.run_test(size=(120, 40), notifications=True) as p2,
    ):
        for app, pilot in ((one, p1), (two, p2)):
            await started(pilot, app, 1)
            await wait_until(pilot, lambda app=app: app.screen.current.title == "Shared")
        yield p1, p2


async def test_two_instances_on_one_data_dir_lose_nothing(make_app, data_dir, demo_server):
    (shared,) = seed(data_dir, ["Shared"])
    # Replies of 60 tokens at 40 a second: both instances stream into the same
    # conversation at once, each saving its partial reply every second.
    demo_server.token_rate = 40
    demo_server.reply_tokens = 60
    one = make_app(model="llama3.2:latest")
    two = make_app(model="llama3.2:latest")
    async with both_open(one, two) as (p1, p2):
        for app, pilot in ((one, p1), (two, p2)):
            await wait_until(pilot, lambda app=app: app.screen.connection == "connected")
        await p1.press(*"from one", "enter")
        await wait_until(p1, lambda: one.screen.pane.is_streaming(shared.id))
        await p2.press(*"from two", "enter")
        await wait_until(p2, lambda: "from two" in [m.content for m in two.screen.current.messages])
        for app, pilot in ((one, p1), (two, p2)):
            await wait_until(
                pilot, lambda app=app: not app.screen.pane.is_streaming(shared.id), timeout=15
            )
        # Both instances end up with all six messages, question before answer.
        expected_users = ["Shared message 0", "from one", "from two"]
        for app, pilot in ((one, p1), (two, p2)):
            await wait_until(
                pilot,
                lambda app=app: (
                    [m.content for m in app.screen.current.messages if m.role == "user"]
                    == expected_users
                ),
            )
            roles = [m.role for m in app.screen.current.messages]
            assert roles == ["user", "assistant"] * 3
            await wait_until(
                pilot,
                lambda app=app: all(m.state == "complete" for m in app.screen.current.messages),
            )
        assert any("another olladeck" in n.message for n in two._notifications)
        # And the first shows the second's messages, not only has them.
        await wait_until(
            p1,
            lambda: "from two" in [item.message.content for item in one.screen.pane._items],
        )
    (path,) = files(data_dir)
    saved = tomllib.loads(path.read_text())
    assert [m["content"] for m in saved["messages"] if m["role"] == "user"] == expected_users
    assert all(m["state"] == "complete" for m in saved["messages"])
    assert all(len(m["content"]) > 100 for m in saved["messages"][2:] if m["role"] == "assistant")
    assert shared.id == path.stem


async def test_a_conflicting_change_is_saved_as_a_copy_and_said(make_app, data_dir):
    (shared,) = seed(data_dir, ["Shared"])
    one = make_app()
    two = make_app()
    async with both_open(one, two) as (p1, p2):
        # Both change the system prompt, differently; one saves first.
        one.screen.current.system = "Answer in French."
        one.screen._save_soon(one.screen.current)
        await wait_until(p1, lambda: "French" in files(data_dir)[0].read_text())
        two.screen.current.system = "Answer in German."
        two.screen._save_soon(two.screen.current)
        await wait_until(p2, lambda: len(files(data_dir)) == 2)
        await wait_until(p2, lambda: any("was saved as" in n.message for n in two._notifications))
        await wait_until(p2, lambda: "Shared (conflict copy)" in titles(two))
        await wait_until(p2, lambda: "Shared (conflict copy)" in screen_text(two))
    systems = {tomllib.loads(path.read_text())["system"] for path in files(data_dir)}
    assert systems == {"Answer in French.", "Answer in German."}  # nothing lost
    original = tomllib.loads((data_dir / "conversations" / f"{shared.id}.toml").read_text())
    assert original["system"] == "Answer in French."  # the file keeps the first writer's


async def test_a_file_changed_by_a_sync_tool_is_picked_up(make_app, data_dir):
    """A file replaced behind olladeck's back (no index update): the list and the open
    conversation follow within a few seconds, and nothing typed here is lost."""
    from app.store.codec import dumps

    (synced,) = seed(data_dir, ["Before sync"])
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(pilot, app, 1)
        await wait_until(pilot, lambda: app.screen.current.title == "Before sync")
        live = app.screen.current
        synced.title = "After sync"
        synced.messages.append(ChatMessage(role="user", content="typed on the laptop"))
        path = files(data_dir)[0]
        path.write_text(dumps(synced))
        os.utime(path, ns=(10**18, 10**18))  # a stamp nobody wrote here
        await wait_until(pilot, lambda: titles(app) == ["After sync"], timeout=8)
        await wait_until(pilot, lambda: live.messages[-1].content == "typed on the laptop")
        assert app.screen.current is live  # merged into the open conversation, not reloaded
        assert any("1 new message" in n.message for n in app._notifications)
        await wait_until(pilot, lambda: "typed on the laptop" in screen_text(app))


async def test_g_and_G_go_to_the_first_and_last_rows(make_app, data_dir):
    seed(data_dir, [f"Topic {n:03d}" for n in range(130)], messages=1)  # more than a page
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 130)
        await focus_list(pilot, app)
        widget = conversation_list(app)
        await pilot.press("G")
        assert widget.highlighted_id == rows(app)[-1]
        assert widget.entry(widget.highlighted_id).title == "Topic 000"
        await pilot.press("g")
        assert widget.highlighted_id == rows(app)[0]
        await pilot.press("j", "j", "k")
        assert widget.highlighted_id == rows(app)[1]


async def test_relative_times_age_while_the_app_is_open(make_app, data_dir, monkeypatch):
    from app.widgets import conversation_list as module

    store = ConversationStore(data_dir)
    moment = datetime.now(UTC) - timedelta(seconds=20)
    store.save(Conversation(id="fresh", title="Fresh", model="m", updated_at=moment))
    store.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 1)
        await wait_until(pilot, lambda: "just now · m" in screen_text(app))

        class Later(datetime):
            @classmethod
            def now(cls, tz=None):
                return moment + timedelta(minutes=10, seconds=5)

        monkeypatch.setattr(module, "datetime", Later)
        conversation_list(app).refresh_times()
        await wait_until(pilot, lambda: "10m ago · m" in screen_text(app))


def test_relative_time_words():
    from app.widgets.conversation_list import relative_time

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert relative_time(now - timedelta(seconds=30), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5m ago"
    assert relative_time(now - timedelta(hours=3), now) == "3h ago"
    assert relative_time(now - timedelta(days=2), now) == "2d ago"
    assert relative_time(now - timedelta(days=9), now) == "2026-02-20"


async def test_a_sentence_typed_in_the_list_goes_to_the_input_and_changes_nothing(
    make_app, data_dir
):
    """The rows' keys are letters (d deletes, u restores, t shows the trash, r renames):
    a sentence typed there by mistake lands in the message input, and no key of it runs."""
    seed(data_dir, ["Keep", "Also keep"])
    before = {path.name: path.read_bytes() for path in files(data_dir)}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app, 2)
        await focus_list(pilot, app)
        highlighted = conversation_list(app).options.highlighted
        sentence = "what about today, yes all done"
        await type_burst(pilot, sentence)
        await wait_until(pilot, lambda: app.screen.prompt.text == sentence)
        assert app.screen.prompt.has_focus
        assert isinstance(app.screen, MainScreen)  # no dialog opened
        assert conversation_list(app).mode == "conversations"  # t did not open the trash
        assert conversation_list(app).options.highlighted == highlighted
        await pilot.pause(0.3)  # longer than a held command key waits
        assert isinstance(app.screen, MainScreen)
    assert {path.name: path.read_bytes() for path in files(data_dir)} == before
    assert not files(data_dir, "trash")

"""Files changed under the running app: a sync tool writing a conversation slowly, an
unreadable file moved aside (and said so), a damaged index rebuilt."""

from __future__ import annotations

import threading
import time
import tomllib

from app.models import ChatMessage
from app.store import ConversationStore
from app.store.codec import conversation_document, dumps_document
from tests.conftest import wait_until


async def _chat_once(pilot, text: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.connection == "connected")
    app.screen.prompt.focus()
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")


async def test_a_file_written_slowly_in_place_is_merged_not_quarantined(make_app, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _chat_once(pilot, "here")
        conversation_id = app.screen.current.id
        path = data_dir / "conversations" / f"{conversation_id}.toml"
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 2)
        # The other device's version: one message more, written a piece at a time.
        other = ConversationStore(data_dir).load(conversation_id)
        other.messages.append(ChatMessage(role="user", content="from the laptop"))
        data = dumps_document(conversation_document(other)).encode()
        started = threading.Event()

        def sync_tool() -> None:
            # Every part ends inside the new message's text: each is invalid TOML.
            at = data.index(b"from the laptop") + 4
            parts = [data[:at], *(data[i : i + 1] for i in range(at, at + 7)), data[at + 7 :]]
            with path.open("r+b") as handle:
                handle.truncate(0)
                for part in parts:
                    handle.write(part)
                    handle.flush()
                    started.set()
                    time.sleep(0.2)

        writer = threading.Thread(target=sync_tool)
        writer.start()
        started.wait()
        app.screen.prompt.focus()
        await pilot.press(*"meanwhile", "enter")  # saved while the file is half there
        await wait_until(
            pilot,
            lambda: any(m.content == "from the laptop" for m in app.screen.current.messages),
        )
        writer.join()
        contents = [m.content for m in app.screen.current.messages]
        assert "meanwhile" in contents
        assert not (data_dir / "quarantine").exists()
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
    saved = [m["content"] for m in tomllib.loads(path.read_text())["messages"]]
    assert "from the laptop" in saved and "meanwhile" in saved


async def test_a_file_found_unreadable_when_saving_is_moved_aside_and_said(make_app, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _chat_once(pilot, "first")
        path = data_dir / "conversations" / f"{app.screen.current.id}.toml"
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 2)
        path.write_text("schema_version = [\n")  # damaged in place by something else
        await _chat_once(pilot, "second")
        await wait_until(
            pilot,
            lambda: any(
                n.title == "A conversation file was moved aside" for n in app._notifications
            ),
        )
        (notice,) = [
            n for n in app._notifications if n.title == "A conversation file was moved aside"
        ]
        assert path.name in notice.message and "quarantine" in notice.message
        (moved,) = (data_dir / "quarantine").iterdir()
        assert moved.read_text() == "schema_version = [\n"
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 4)


async def test_a_damaged_index_is_rebuilt_and_said(make_app, data_dir):
    store = ConversationStore(data_dir)
    for number in range(3):
        from app.models import Conversation

        conversation = Conversation(title=f"Saved {number}", model="llama3.2:latest")
        conversation.messages = [ChatMessage(role="user", content=f"lighthouse {number}")]
        store.save(conversation)
    store.close()
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen._loaded)
        widget = app.screen._list_widget()
        await wait_until(pilot, lambda: len(widget.row_ids) == 3)
        index = data_dir / "index.sqlite3"
        index.write_bytes(b"this is not a database" * 1000)
        app.screen.refresh_list()
        await wait_until(pilot, lambda: any(n.title == "Index damaged" for n in app._notifications))
        await wait_until(pilot, lambda: any(n.title == "Index rebuilt" for n in app._notifications))
        await wait_until(pilot, lambda: len(widget.row_ids) == 3)
        hits = app.screen.services.store.index.search("lighthouse")
        assert len(hits) == 3

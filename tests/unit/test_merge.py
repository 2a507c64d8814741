"""Two instances (or a sync tool) writing one conversation: nothing is ever lost."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.models import ChatMessage, Conversation
from app.store import ConversationStore
from app.store.codec import conversation_document, dumps
from app.store.merge import apply_merge, merge_documents

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def conversation(*texts: str) -> Conversation:
    return Conversation(
        id="20260105-093000-aaaaaa",
        title="Shared",
        model="llama3.2:latest",
        created_at=WHEN,
        updated_at=WHEN,
        messages=[
            ChatMessage(
                role="user" if i % 2 == 0 else "assistant",
                content=text,
                id=f"m{i}",
                created_at=WHEN,
            )
            for i, text in enumerate(texts)
        ],
    )


def contents(c: Conversation) -> list[str]:
    return [m.content for m in c.messages]


def pair(data_dir):
    """Two stores on one data dir, as two olladeck instances have; reports collected."""
    one, two = ConversationStore(data_dir), ConversationStore(data_dir)
    reports: list = []
    one.on_merge = reports.append
    two.on_merge = reports.append
    return one, two, reports


def test_appends_from_both_sides_are_merged_question_next_to_answer(data_dir):
    one, two, reports = pair(data_dir)
    mine = conversation("hello", "hi there")
    one.save(mine)
    theirs = two.load(mine.id)
    mine.messages += [ChatMessage(role="user", content="a1"), ChatMessage(role="assistant")]
    mine.messages[-1].content = "a2"
    one.save(mine)
    theirs.messages += [ChatMessage(role="user", content="b1"), ChatMessage(role="assistant")]
    theirs.messages[-1].content = "b2"
    assert two.save(theirs)
    on_disk = one.load(mine.id)
    assert contents(on_disk) == ["hello", "hi there", "a1", "a2", "b1", "b2"]
    (report,) = reports
    assert report.conversation_id == mine.id and len(report.result.added) == 2
    assert report.copy_id is None
    apply_merge(theirs, report.result, set(report.written_ids))
    assert contents(theirs) == contents(on_disk)
    # Once applied, saving again changes nothing and reports nothing.
    two.save(theirs)
    assert len(reports) == 1 and contents(one.load(mine.id)) == contents(on_disk)


def test_an_unchanged_file_is_written_without_reading_it(store, monkeypatch):
    mine = conversation("hello")
    store.save(mine)
    mine.messages.append(ChatMessage(role="assistant", content="hi"))
    reads = []
    real = type(store.path_for(mine.id)).read_bytes
    monkeypatch.setattr(
        type(store.path_for(mine.id)), "read_bytes", lambda p: reads.append(p) or real(p)
    )
    store.save(mine)
    assert reads == []


def test_a_touched_file_is_not_a_change(data_dir):
    one, _two, reports = pair(data_dir)
    mine = conversation("hello")
    one.save(mine)
    path = one.path_for(mine.id)
    os.utime(path, ns=(5, 5))
    mine.messages.append(ChatMessage(role="assistant", content="hi"))
    one.save(mine)
    assert reports == [] and contents(one.load(mine.id)) == ["hello", "hi"]


def test_a_sync_bringing_back_an_older_file_loses_nothing(data_dir):
    one, _two, reports = pair(data_dir)
    mine = conversation("one", "two")
    one.save(mine)
    older = one.path_for(mine.id).read_text()
    mine.messages.append(ChatMessage(role="user", content="three"))
    one.save(mine)
    # Another machine's version, which never saw "three", arrives over ours.
    one.path_for(mine.id).write_text(older)
    mine.messages.append(ChatMessage(role="assistant", content="four"))
    one.save(mine)
    assert contents(one.load(mine.id)) == ["one", "two", "three", "four"]
    assert reports == []  # nothing new came from the other side


def test_a_conflicting_edit_keeps_both_versions(data_dir):
    one, two, reports = pair(data_dir)
    mine = conversation("question", "answer")
    one.save(mine)
    theirs = two.load(mine.id)
    mine.messages[1].content = "answer edited here"
    one.save(mine)
    theirs.messages[1].content = "answer edited there"
    two.save(theirs)
    (report,) = reports
    assert report.result.conflict and report.copy_id
    assert report.copy_title == "Shared (conflict copy)"
    # The other side's version stays in the file; ours is saved as a new conversation.
    assert contents(one.load(mine.id)) == ["question", "answer edited here"]
    copy = two.load(report.copy_id)
    assert contents(copy) == ["question", "answer edited there"]
    assert {e.title for e in two.index.entries()} == {"Shared", "Shared (conflict copy)"}
    apply_merge(theirs, report.result, set(report.written_ids))
    assert contents(theirs) == ["question", "answer edited here"]


def test_settings_changed_on_one_side_are_taken(data_dir):
    one, two, reports = pair(data_dir)
    mine = conversation("hello")
    one.save(mine)
    theirs = two.load(mine.id)
    mine.system = "Be brief."
    mine.title = "Renamed here"
    one.save(mine)
    theirs.messages.append(ChatMessage(role="assistant", content="hi"))
    two.save(theirs)
    (report,) = reports
    assert not report.result.conflict
    apply_merge(theirs, report.result, set(report.written_ids))
    assert theirs.system == "Be brief." and theirs.title == "Renamed here"
    saved = one.load(mine.id)
    assert saved.system == "Be brief." and contents(saved) == ["hello", "hi"]


def test_a_streaming_reply_wins_over_an_older_copy_of_itself(data_dir):
    one, two, _reports = pair(data_dir)
    mine = conversation("question")
    reply = ChatMessage(role="assistant", content="partial", state="streaming")
    mine.messages.append(reply)
    one.save(mine)
    theirs = two.load(mine.id)  # sees the partial reply
    theirs.title = "Renamed there"
    reply.content = "partial and more"
    one.save(mine)
    two.save(theirs)  # writes its stale copy of the partial reply
    reply.content = "partial and more, finished"
    reply.state = "complete"
    one.save(mine)
    saved = one.load(mine.id)
    assert contents(saved) == ["question", "partial and more, finished"]
    assert saved.title == "Renamed there"


def test_two_stores_writing_at_once_from_threads_lose_nothing(data_dir):
    one, two, _reports = pair(data_dir)
    shared = conversation("start")
    one.save(shared)
    copies = [shared, two.load(shared.id)]
    stores = [one, two]

    def writer(side: int) -> None:
        for n in range(15):
            copies[side].messages.append(ChatMessage(role="user", content=f"{side}-{n}"))
            stores[side].save(copies[side])

    threads = [threading.Thread(target=writer, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = contents(one.load(shared.id))
    assert sorted(saved) == sorted(["start", *(f"{s}-{n}" for s in (0, 1) for n in range(15))])
    for side in (0, 1):  # each side's own order is kept
        own = [c for c in saved if c.startswith(f"{side}-")]
        assert own == [f"{side}-{n}" for n in range(15)]


def test_apply_merge_keeps_the_same_message_objects(data_dir):
    base = conversation("q", "a")
    base_doc = conversation_document(base)
    live = conversation("q", "a")
    live.messages.append(ChatMessage(role="user", content="mine", id="x1"))
    ours = conversation_document(live)
    other = conversation("q", "a")
    other.messages.append(ChatMessage(role="user", content="theirs", id="y1"))
    result = merge_documents(base_doc, ours, conversation_document(other))
    kept = live.messages[2]
    newer = ChatMessage(role="assistant", content="typed after the snapshot", id="x2")
    live.messages.append(newer)
    apply_merge(live, result, {m["id"] for m in ours["messages"]})
    assert contents(live) == ["q", "a", "theirs", "mine", "typed after the snapshot"]
    assert live.messages[3] is kept and live.messages[4] is newer


ids = st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=6)


@given(ids, ids, ids)
def test_merging_never_drops_a_message_either_side_added(common, mine_new, their_new):
    mine_new = [f"o{i}" for i in mine_new]
    their_new = [f"t{i}" for i in their_new]

    def doc(message_ids: list[str]) -> dict:
        c = conversation()
        c.messages = [
            ChatMessage(role="user", content=f"text {i}", id=i, created_at=WHEN)
            for i in message_ids
        ]
        return conversation_document(c)

    base = doc(common)
    result = merge_documents(base, doc(common + mine_new), doc(common + their_new))
    merged = [m["id"] for m in result.document["messages"]]
    assert sorted(merged) == sorted(common + mine_new + their_new)
    # Each side's messages stay in their order.
    assert [i for i in merged if i in mine_new] == mine_new
    assert [i for i in merged if i in their_new] == their_new
    assert not result.conflict


def test_a_file_that_became_unreadable_is_kept_aside_and_ours_written(store):
    mine = conversation("hello")
    store.save(mine)
    store.path_for(mine.id).write_text("schema_version = [ broken")
    mine.messages.append(ChatMessage(role="assistant", content="hi"))
    store.save(mine)
    assert contents(store.load(mine.id)) == ["hello", "hi"]
    assert list(store.quarantine_dir.iterdir())


def test_deleted_conversations_go_to_the_trash_and_come_back(store):
    mine = conversation("hello")
    store.save(mine)
    entry = store.trash(mine.id)
    assert entry is not None and entry.title == "Shared"
    assert not store.path_for(mine.id).exists()
    assert store.index.entries() == []
    assert store.save(mine) is False  # a late save does not bring it back
    assert [e.name for e in store.trash_entries()] == [entry.name]
    assert store.restore(entry.name) == mine.id
    assert contents(store.load(mine.id)) == ["hello"]
    assert [e.id for e in store.index.entries()] == [mine.id]
    assert store.trash_entries() == []


def test_restoring_over_an_existing_id_gives_a_new_id(store):
    mine = conversation("first life")
    store.save(mine)
    entry = store.trash(mine.id)
    assert entry is not None
    again = ConversationStore(store.root)
    again.path_for(mine.id).write_text(dumps(conversation("second life")))
    restored = store.restore(entry.name)
    assert restored != mine.id
    assert contents(store.load(restored)) == ["first life"]
    assert contents(store.load(mine.id)) == ["second life"]

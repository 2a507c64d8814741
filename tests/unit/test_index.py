"""The index: rebuilt from the files, kept in step with every write, fast to query."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.models import ChatMessage, Conversation
from app.store import ConversationStore
from app.store.codec import conversation_document, dumps
from app.store.index import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConversationIndex,
    display_title,
    fts_query,
    quick_document,
)
from tests.unit.test_codec_properties import conversations

START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def make(number: int, title: str = "", *texts: str, pinned: bool = False) -> Conversation:
    moment = START + timedelta(minutes=number)
    return Conversation(
        id=f"c{number:03d}",
        title=title,
        model="llama3.2:latest",
        pinned=pinned,
        created_at=moment,
        updated_at=moment,
        messages=[
            ChatMessage(role="user" if i % 2 == 0 else "assistant", content=text, id=f"m{i}")
            for i, text in enumerate(texts)
        ],
    )


def test_list_is_pinned_first_then_newest(store: ConversationStore):
    store.save(make(1, "old"))
    store.save(make(2, "pinned but older", pinned=True))
    store.save(make(3, "new"))
    store.save(make(4, "", "A question about Rust lifetimes"))
    entries = store.index.entries()
    assert [e.title for e in entries] == [
        "pinned but older",
        "A question about Rust lifetimes",  # no title: the first message
        "new",
        "old",
    ]
    assert entries[0].pinned and entries[1].message_count == 1
    assert entries[1].updated_at == START + timedelta(minutes=4)


def test_title_filter_ignores_case_in_any_script(store):
    store.save(make(1, "Ünïcode Títles"))
    store.save(make(2, "plain"))
    assert [e.title for e in store.index.entries("ÜNÏ")] == ["Ünïcode Títles"]
    assert [e.title for e in store.index.entries("  titles ")] == []  # accents matter
    assert [e.title for e in store.index.entries("LAI")] == ["plain"]


def test_full_text_finds_words_prefixes_and_highlights(store):
    store.save(make(1, "Geography", "Where is Zanzibar?", "Off the coast of Tanzania."))
    store.save(make(2, "Cooking", "How long to boil an egg", "About nine minutes."))
    (hit,) = store.index.search("zanzibar")
    assert (hit.conversation_id, hit.message_id, hit.role) == ("c001", "m0", "user")
    assert hit.title == "Geography"
    assert f"{HIGHLIGHT_START}Zanzibar{HIGHLIGHT_END}" in hit.snippet
    assert [h.message_id for h in store.index.search("tanz")] == ["m1"]  # a word's start
    assert store.index.search("nine egg") == []  # every word must be in one message
    assert [h.conversation_id for h in store.index.search("boil EGG")] == ["c002"]


def test_an_edit_re_indexes_only_that_message(store):
    conversation = make(1, "t", "first text", "second text")
    store.save(conversation)
    conversation.messages[1].content = "replaced words"
    store.save(conversation)
    assert store.index.search("second") == []
    assert [h.message_id for h in store.index.search("replaced")] == ["m1"]
    assert [h.message_id for h in store.index.search("first")] == ["m0"]


def test_reconcile_reads_only_new_and_changed_files(store):
    for number in range(5):
        store.save(make(number, f"conversation {number}", "hello"))
    store.close()
    (store.root / "index.sqlite3").unlink()  # a first launch: nothing indexed
    fresh = ConversationStore(store.root)
    read: list[str] = []
    real = fresh.read_for_index

    def counting(path):
        read.append(path.stem)
        return real(path)

    fresh.read_for_index = counting  # type: ignore[method-assign]
    report = fresh.reconcile()
    assert report.parsed == 5 and sorted(read) == [f"c{n:03d}" for n in range(5)]
    assert read[0] == "c004"  # newest first: the top of the list is there soonest
    read.clear()
    assert fresh.reconcile().parsed == 0 and read == []  # nothing changed, nothing read
    path = fresh.path_for("c002")
    path.write_text(dumps(make(2, "edited elsewhere", "hello")))
    os.utime(path, ns=(1, 1))  # a different stamp
    (store.root / "conversations" / "c003.toml").unlink()
    report = fresh.reconcile()
    assert read == ["c002"] and report.removed == 1
    assert [e.title for e in fresh.index.entries()] == [
        "conversation 4",
        "edited elsewhere",
        "conversation 1",
        "conversation 0",
    ]


def test_unreadable_files_are_reported_once_and_quarantined(store):
    store.ensure_dirs()
    (store.conversations_dir / "bad.toml").write_text("schema_version = [\n")
    (store.conversations_dir / "future.toml").write_text('schema_version = 99\nid = "future"\n')
    report = store.reconcile()
    reasons = sorted(reason for _path, reason in report.failed or [])
    assert len(reasons) == 2
    assert "could not be read" in reasons[0] and "newer" in reasons[1]
    assert list(store.quarantine_dir.iterdir())
    assert (store.conversations_dir / "future.toml").exists()  # never touched
    assert store.reconcile().failed == []  # not reported again


def test_a_damaged_index_is_rebuilt(store):
    store.save(make(1, "kept", "text"))
    store.close()
    index_path = store.root / "index.sqlite3"
    for suffix in ("-wal", "-shm"):
        (store.root / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    index_path.write_bytes(b"this is not a database" * 100)
    fresh = ConversationStore(store.root)
    fresh.reconcile()
    assert [e.title for e in fresh.index.entries()] == ["kept"]


def test_other_connections_see_changes_by_generation(store):
    store.save(make(1, "one"))
    other = ConversationIndex(store.root / "index.sqlite3")
    before = other.generation()
    store.save(make(2, "two"))
    assert other.generation() != before
    assert {e.title for e in other.entries()} == {"one", "two"}
    other.close()


@given(st.text(max_size=40))
def test_any_typed_query_is_safe(text):
    query = fts_query(text)
    assert query.count('"') % 2 == 0
    index = ConversationIndex(_shared_index_path())
    index.search(text)  # never a syntax error, whatever was typed
    index.close()


_PATH: list = []


def _shared_index_path():
    if not _PATH:
        import tempfile
        from pathlib import Path

        _PATH.append(Path(tempfile.mkdtemp()) / "index.sqlite3")
    return _PATH[0]


@given(conversations)
def test_quick_read_agrees_with_the_full_parser(conversation):
    """What the index reads quickly is what the full TOML parser reads."""
    full = conversation_document(conversation)
    quick = quick_document(dumps(conversation))
    if quick is None:  # declined only for a list option (stop sequences) of several lines
        lists = [v for v in conversation.chat_options.options.values() if isinstance(v, list)]
        assert any("\n" in item for value in lists for item in value)
        return
    for key in ("id", "title", "model", "pinned", "created_at", "updated_at"):
        assert quick[key] == full[key]
    assert [(m["id"], m["role"], m["content"]) for m in quick["messages"]] == [
        (m["id"], m["role"], m["content"]) for m in full["messages"]
    ]
    assert display_title(quick) == conversation.display_title


def test_quick_read_gives_up_on_hand_written_toml():
    assert quick_document("schema_version = 1\ntitle = 'literal'\n") is None
    assert quick_document('schema_version = 1 # comment\nid = "x"\n') is None
    assert quick_document('schema_version = 2\nid = "x"\n') is None
    assert quick_document('id = "x"\n') is None


tricky = st.text(alphabet="\n\r\t\"\\[]= a#'", max_size=30)


@given(st.lists(tricky, min_size=1, max_size=4), tricky, st.lists(tricky, max_size=2))
def test_quick_read_of_multiline_text_agrees_or_declines(contents, title, stop):
    """Lines of a reply that look like TOML (`[[messages]]`, `key = "x"`, quotes,
    backslashes) never confuse the quick reader: it agrees with the parser or says None."""
    from app.core.display_text import one_line
    from app.models import ChatMessage, ChatOptions, Conversation
    from app.store.codec import loads

    conversation = Conversation(
        title=title,
        system=contents[0],
        chat_options=ChatOptions(options={"stop": stop} if stop else {}),
        messages=[ChatMessage(role="user", content=c, thinking=c) for c in contents],
    )
    text = dumps(conversation)
    quick = quick_document(text)
    if quick is None:
        assert any("\n" in s for s in stop)  # only a stop sequence of lines is declined
        return
    full = loads(text)
    assert one_line(quick["title"]) == full.title  # (a title is made display-safe on loading)
    assert [m["content"] for m in quick["messages"]] == [m.content for m in full.messages]


def test_quick_read_declines_hand_written_multiline_forms():
    base = 'schema_version = 1\nid = "x"\n[[messages]]\nid = "m"\nrole = "user"\ncontent = '
    assert quick_document(base + '"""\nline\\\nnext"""\n') is None  # line-ending backslash
    assert quick_document(base + "'''\nliteral\n'''\n") is None
    assert quick_document(base + '"""\nunclosed\n') is None
    assert quick_document(base + '"""\ntwo\nlines"""\n')["messages"][0]["content"] == "two\nlines"

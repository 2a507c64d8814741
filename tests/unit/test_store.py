"""The conversation store: atomic, private, and never clobbers what it cannot read."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.models import ChatMessage, ChatOptions, Conversation, ReplyStats, ToolCall
from app.store import ConversationStore, ImageStoreError, StoreError
from app.store import atomic as atomic_module
from app.store.conversations import STALE_TEMP_SECONDS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def sample() -> Conversation:
    conversation = Conversation(
        title="Sample",
        model="llama3.2:latest",
        system="Be brief.",
        chat_options=ChatOptions(
            options={"temperature": 0.2, "seed": 7, "stop": ["\n\n", "END"]},
            format={"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
            keep_alive="10m",
            think=True,
            stream=False,
        ),
        host="http://gpu-box:11434",
        pinned=True,
    )
    conversation.messages = [
        ChatMessage(role="user", content='Quote " and \\ and\nnewline', images=["a" * 64 + ".png"]),
        ChatMessage(
            role="assistant",
            content="",
            thinking="hmm",
            tool_calls=[ToolCall("calc", {"expression": "1+1", "nested": [None, {"x": 1.5}]})],
            stats=ReplyStats(
                model="llama3.2:latest",
                eval_count=3,
                eval_duration=10**9,
                done_reason="stop",
                first_token_seconds=0.25,
            ),
        ),
        ChatMessage(role="tool", content="2", tool_name="calc"),
        ChatMessage(role="assistant", content="partial", state="stopped"),
        ChatMessage(role="assistant", content="", state="error", error="model 'x' not found"),
    ]
    return conversation


def test_round_trip(store: ConversationStore):
    original = sample()
    store.save(original)
    assert store.load(original.id) == original


def test_files_and_dirs_are_private(store: ConversationStore):
    original = sample()
    store.save(original)
    path = store.path_for(original.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.conversations_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    ref = store.images.put(PNG)
    assert stat.S_IMODE(store.images.path(ref).stat().st_mode) == 0o600
    assert stat.S_IMODE(store.images.root.stat().st_mode) == 0o700


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(store, monkeypatch):
    conversation = sample()
    store.save(conversation)
    path = store.path_for(conversation.id)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_module.os, "replace", broken_replace)
    conversation.title = "Changed"
    with pytest.raises(StoreError, match="No space left on device"):
        store.save(conversation)
    assert path.read_bytes() == before
    assert sorted(p.name for p in store.conversations_dir.iterdir()) == [path.name]


def test_a_crash_mid_write_leaves_the_old_file(store, monkeypatch):
    conversation = sample()
    store.save(conversation)
    path = store.path_for(conversation.id)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class Truncating:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(
        atomic_module.os, "fdopen", lambda fd, mode: Truncating(real_fdopen(fd, mode))
    )
    with pytest.raises(StoreError):
        store.save(conversation)
    assert path.read_bytes() == before
    assert len(list(store.conversations_dir.iterdir())) == 1


def test_corrupt_file_is_moved_aside_and_reported(store: ConversationStore):
    store.ensure_dirs()
    bad = store.conversations_dir / "20260101-000000-abcdef.toml"
    bad.write_text('schema_version = 1\nid = "x"\ntitle = "unterminated\n')
    conversations, problems = store.load_all()
    assert conversations == []
    assert len(problems) == 1
    moved = list(store.quarantine_dir.iterdir())
    assert len(moved) == 1 and not bad.exists()
    assert "could not be read" in problems[0].message and "line 3" in problems[0].message
    assert str(moved[0]) in problems[0].message


def test_not_a_conversation_and_binary_garbage_are_quarantined(store):
    store.ensure_dirs()
    (store.conversations_dir / "a1.toml").write_text('title = "no schema"\n')
    (store.conversations_dir / "a2.toml").write_bytes(b"\xff\xfe\x00garbage")
    (store.conversations_dir / "a3.toml").write_text(
        'schema_version = 1\nid = "a3"\n[[messages]]\nrole = "wizard"\n'
    )
    conversations, problems = store.load_all()
    assert conversations == [] and len(problems) == 3
    assert len(list(store.quarantine_dir.iterdir())) == 3
    assert any("unknown role" in p.message for p in problems)


def test_two_quarantines_in_one_second_keep_both_files(store, monkeypatch):
    from app.store import conversations as conversations_module

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(conversations_module, "datetime", Frozen)
    store.ensure_dirs()
    bad = store.conversations_dir / "20260301-120000-abcdef.toml"
    moved = []
    for text in ("first = [\n", "second = [\n", "third = [\n"):
        bad.write_text(text)
        _conversations, (problem,) = store.load_all()
        assert not bad.exists()
        moved.append(Path(problem.message.rpartition(" moved to ")[2].removesuffix(".")))
    assert [p.name for p in moved] == [
        "20260301-120000-abcdef.20260301T120000.toml",
        "20260301-120000-abcdef.20260301T120000-2.toml",
        "20260301-120000-abcdef.20260301T120000-3.toml",
    ]
    assert [p.read_text() for p in moved] == ["first = [\n", "second = [\n", "third = [\n"]
    assert sorted(store.quarantine_dir.iterdir()) == sorted(moved)


def crash_leaving_temp_file(store, monkeypatch, conversation: Conversation) -> Path:
    """Save, dying between writing the temporary file and renaming it (as kill -9 would).

    Returns:
        The temporary file left beside the conversation, named as the store names it.
    """
    left: list[Path] = []

    def crash(src, dst):
        os.link(src, f"{src}.keep")  # the store removes its temp file; keep a copy
        left.append(Path(src))
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(atomic_module.os, "replace", crash)
        with pytest.raises(StoreError):
            store.save(conversation)
    (temp,) = left
    os.rename(f"{temp}.keep", temp)
    return temp


def test_stale_temp_files_are_removed_when_listing(store, monkeypatch):
    conversation = sample()
    store.save(conversation)
    path = store.path_for(conversation.id)
    before = path.read_bytes()
    conversation.title = "Changed"
    stale = crash_leaving_temp_file(store, monkeypatch, conversation)
    conversation.title = "Changed again"
    fresh = crash_leaving_temp_file(store, monkeypatch, conversation)
    assert stale.name.startswith(f".{path.name}.") and stale.name.endswith(".tmp")
    old = time.time() - STALE_TEMP_SECONDS - 5
    os.utime(stale, (old, old))
    other = store.conversations_dir / ".notes.tmp"  # not olladeck's: left alone
    other.write_text("x")
    os.utime(other, (old, old))
    assert list(store.scan()) == [conversation.id]
    assert not stale.exists()
    assert fresh.exists()  # perhaps another instance's write in progress
    assert other.exists()
    assert path.read_bytes() == before


def test_newer_schema_is_left_untouched_and_never_overwritten(store):
    store.ensure_dirs()
    path = store.conversations_dir / "future.toml"
    text = 'schema_version = 99\nid = "future"\n'
    path.write_text(text)
    conversations, problems = store.load_all()
    assert conversations == [] and "newer" in problems[0].message
    assert path.read_text() == text
    with pytest.raises(StoreError, match="newer olladeck"):
        store.save(Conversation(id="future"))
    assert path.read_text() == text


def test_older_snapshot_never_overwrites_a_newer_one(store):
    conversation = sample()
    old = store.snapshot(conversation)
    conversation.title = "newer"
    new = store.snapshot(conversation)
    assert store.write(new) is True
    assert store.write(old) is False
    assert store.load(conversation.id).title == "newer"


def test_ids_cannot_escape_the_store(store):
    with pytest.raises(StoreError):
        store.path_for("../../etc/passwd")


def test_images_are_stored_once_by_content(store):
    first = store.images.put(PNG)
    second = store.images.put(PNG)
    assert first == second and first.endswith(".png")
    assert len(list(store.images.root.iterdir())) == 1
    assert store.images.read(first) == PNG
    with pytest.raises(ImageStoreError):
        store.images.put(b"not an image")
    with pytest.raises(ImageStoreError):
        store.images.path("../secret.png")
    store.images.path(first).write_bytes(PNG + b"tampered")
    with pytest.raises(ImageStoreError, match="damaged"):
        store.images.read(first)


def test_local_datetimes_are_read_as_utc(store):
    store.ensure_dirs()
    (store.conversations_dir / "x1.toml").write_text(
        'schema_version = 1\nid = "x1"\nupdated_at = 2026-01-02T03:04:05\n'
    )
    (conversation,), _ = store.load_all()
    assert conversation.updated_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_folders_made_on_the_way_are_private_too(tmp_path: Path, monkeypatch):
    """A new account has no ~/.local/share nor ~/.config: each folder the app makes for its
    data and its config file is 0700, as the XDG base directory spec asks."""
    from app.config import config_path, ensure_config_file

    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    old = os.umask(0o022)
    try:
        ConversationStore(home / ".local" / "share" / "olladeck").save(sample())
        assert ensure_config_file()
    finally:
        os.umask(old)
    for folder in (home / ".local", home / ".local" / "share", home / ".config"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(config_path().parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # what was there is left alone

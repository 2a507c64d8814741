"""One TOML file per conversation, written atomically, never clobbered when unreadable."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..models import Conversation
from .atomic import atomic_write_text, ensure_private_dir
from .images import ImageStore

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class StoreError(Exception):
    """A conversation could not be read or written; the text says why, plainly."""


@dataclass(frozen=True)
class StoreProblem:
    """A file that could not be loaded, for the user to see."""

    path: Path
    message: str
    """One plain sentence: what is wrong and what was done about it."""
    moved_to: Path | None = None
    """Where the file was moved aside, if it was."""


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a conversation, taken on the UI thread, written elsewhere."""

    conversation_id: str
    seq: int
    document: dict[str, Any]


class ConversationStore:
    """Conversations under `<root>/conversations/<id>.toml`; images under `<root>/images/`.

    Unreadable files are moved to `<root>/quarantine/` and reported; a file written by a
    newer olladeck is left where it is and never overwritten.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conversations_dir = root / "conversations"
        self.quarantine_dir = root / "quarantine"
        self.images = ImageStore(root / "images")
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._written: dict[str, int] = {}
        self._seq = itertools.count(1)
        self._read_only: set[str] = set()

    # -- paths --------------------------------------------------------------------------

    def ensure_dirs(self) -> None:
        """Create the data directories (mode 0700)."""
        ensure_private_dir(self.root)
        ensure_private_dir(self.conversations_dir)

    def path_for(self, conversation_id: str) -> Path:
        """The file of a conversation.

        Raises:
            StoreError: the id could name a path outside the store.
        """
        if not _SAFE_ID.match(conversation_id):
            raise StoreError(f"not a valid conversation id: {conversation_id!r}")
        return self.conversations_dir / f"{conversation_id}.toml"

    def _lock(self, conversation_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(conversation_id, threading.Lock())

    # -- writing ------------------------------------------------------------------------

    def snapshot(self, conversation: Conversation) -> Snapshot:
        """Copy a conversation for writing (cheap; call it where the conversation changes)."""
        from .codec import conversation_document

        return Snapshot(conversation.id, next(self._seq), conversation_document(conversation))

    def write(self, snapshot: Snapshot) -> bool:
        """Write a snapshot atomically; safe to call from any thread.

        Snapshots of one conversation may finish in any order: an older one than the last
        written is skipped, so the file never goes back in time.

        Returns:
            True if written, False if a newer snapshot was already on disk.

        Raises:
            StoreError: the file may not be overwritten, or the write failed (the old
                file is then intact).
        """
        from .codec import dumps_document

        cid = snapshot.conversation_id
        path = self.path_for(cid)
        with self._lock(cid):
            if cid in self._read_only:
                raise StoreError(
                    f"{path.name} was written by a newer olladeck; it is left untouched."
                )
            if self._written.get(cid, 0) >= snapshot.seq:
                return False
            text = dumps_document(snapshot.document)
            try:
                self.ensure_dirs()
                atomic_write_text(path, text)
            except OSError as exc:
                raise StoreError(f"Could not save {path}: {exc.strerror or exc}.") from exc
            self._written[cid] = snapshot.seq
        return True

    def save(self, conversation: Conversation) -> bool:
        """Snapshot and write in one go (blocking)."""
        return self.write(self.snapshot(conversation))

    # -- reading ------------------------------------------------------------------------

    def _quarantine(self, path: Path, reason: str) -> StoreProblem:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.quarantine_dir / f"{path.stem}.{stamp}{path.suffix}"
        try:
            ensure_private_dir(self.quarantine_dir)
            path.replace(target)
        except OSError as exc:
            return StoreProblem(
                path, f"{path.name} could not be read ({reason}) nor moved aside ({exc})."
            )
        return StoreProblem(
            path,
            f"{path.name} could not be read ({reason}); it was moved to {target}.",
            moved_to=target,
        )

    def load_path(self, path: Path) -> Conversation:
        """Load one file.

        Raises:
            StoreError: unreadable; the message says what was done with the file.
        """
        from .codec import CodecError, NewerSchemaError, loads

        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise StoreError(self._quarantine(path, "not UTF-8 text").message) from None
        except OSError as exc:
            raise StoreError(f"{path.name} could not be read: {exc.strerror or exc}.") from exc
        try:
            conversation = loads(text)
        except NewerSchemaError as exc:
            with self._guard:
                self._read_only.add(path.stem)
            raise StoreError(f"{path.name}: {exc}; it is left untouched.") from None
        except CodecError as exc:
            raise StoreError(self._quarantine(path, str(exc)).message) from None
        if conversation.id != path.stem:
            # The file name is the identity on disk; a copied file keeps working.
            conversation.id = path.stem
        return conversation

    def load(self, conversation_id: str) -> Conversation:
        """Load a conversation by id (see `load_path`)."""
        return self.load_path(self.path_for(conversation_id))

    def conversation_paths(self) -> list[Path]:
        """Every conversation file, in no particular order."""
        try:
            return [p for p in self.conversations_dir.glob("*.toml") if _SAFE_ID.match(p.stem)]
        except OSError:
            return []

    def load_all(self) -> tuple[list[Conversation], list[StoreProblem]]:
        """Load every conversation; unreadable files become problems, not exceptions."""
        conversations: list[Conversation] = []
        problems: list[StoreProblem] = []
        for path in self.conversation_paths():
            try:
                conversations.append(self.load_path(path))
            except StoreError as exc:
                problems.append(StoreProblem(path, str(exc)))
        conversations.sort(key=lambda c: c.updated_at, reverse=True)
        return conversations, problems

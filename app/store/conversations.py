"""One TOML file per conversation, written atomically, never clobbered when unreadable.

Several olladeck instances (or a sync tool) may share a data dir. The store remembers how
each file looked when this instance last read or wrote it; before writing, it checks the
file (under a lock file shared by every instance) and, if someone else changed it, merges
their changes in (`merge.py`) instead of overwriting them, and says so through
`on_merge`. An index (`index.py`) of the files is kept in step with every write.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Conversation, new_id
from .atomic import atomic_write_text, ensure_private_dir
from .images import ImageStore

if TYPE_CHECKING:
    from .index import ConversationIndex, ReconcileReport, Stamp
    from .merge import MergeResult

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_TEMP_FILE = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\.toml\.[A-Za-z0-9_]+\.tmp$")
"""A temporary file of `atomic_write_bytes` (`.<id>.toml.<random>.tmp`)."""
STALE_TEMP_SECONDS = 60.0
"""A temporary file untouched this long was left by a write that died (a crash, a kill -9):
a write in progress takes milliseconds."""
INDEX_FILE = "index.sqlite3"
"""The index, in the data dir (a cache: delete it and it is rebuilt)."""
LOCK_FILE = ".lock"
"""Held (flock) by any instance checking and writing a conversation file."""
SETTLE_SECONDS = 0.5
"""A file that does not parse is quarantined only once it has not changed for this long:
a sync tool may still be writing it (in place, a piece at a time)."""
SETTLE_LIMIT = 6.0
"""Longest wait for a file to stop changing; after it the file is left for next time."""


class StoreError(Exception):
    """A conversation could not be read or written; the text says why, plainly."""


class NewerFileError(StoreError):
    """A conversation's file was written by a newer olladeck: it is never overwritten."""


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


@dataclass(frozen=True)
class MergeReport:
    """Another instance had changed a conversation's file; its changes were merged in."""

    conversation_id: str
    result: MergeResult
    """The merged document and what came from the other side."""
    written_ids: frozenset[str]
    """The messages of this instance's snapshot that was merged."""
    copy_id: str | None = None
    """On a conflict: this instance's version was saved as this new conversation."""
    copy_title: str = ""


@dataclass(frozen=True)
class TrashEntry:
    """A deleted conversation, kept in the trash folder until restored."""

    name: str
    """The file name in the trash folder."""
    conversation_id: str
    title: str
    model: str
    deleted_at: datetime


@dataclass
class _FileState:
    """How a conversation file looked when this instance last read or wrote it."""

    stat: tuple[int, int, int] | None
    """(mtime_ns, size, inode): any write by anyone changes it."""
    digest: str
    """SHA-256 of the bytes, to tell a real change from a touch."""
    base: dict[str, Any] | None = None
    """This instance's version at that moment (for a three-way merge)."""
    clean: bool = True
    """The file holds exactly `base` (nothing merged in that the conversation lacks)."""


def _stat_key(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared with other processes (a no-op where flock is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only data dir: writing fails later, with a clear message
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


class ConversationStore:
    """Conversations under `<root>/conversations/<id>.toml`; images under `<root>/images/`.

    Unreadable files are moved to `<root>/quarantine/` and reported; a file written by a
    newer olladeck is left where it is and never overwritten. Deleted conversations go to
    `<root>/trash/` and can be restored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conversations_dir = root / "conversations"
        self.quarantine_dir = root / "quarantine"
        self.trash_dir = root / "trash"
        self.images = ImageStore(root / "images")
        self.on_merge: Callable[[MergeReport], None] | None = None
        """Called (from the writing thread) when another instance's changes were merged."""
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._written: dict[str, int] = {}
        self._seq = itertools.count(1)
        self._read_only: set[str] = set()
        self._files: dict[str, _FileState] = {}
        self._deleted: set[str] = set()
        self._index: ConversationIndex | None = None
        self._failed: dict[str, StoreError] = {}
        """Conversations whose last write failed (with why), until one succeeds."""
        self.on_quarantine: Callable[[StoreProblem], None] | None = None
        """Called (from the thread that found it) when a file is moved aside unasked: a
        write found it unreadable (a load reports it through its `StoreError`)."""

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

    @property
    def index(self) -> ConversationIndex:
        """The index of this data dir (opened on first use: call from a worker thread)."""
        with self._guard:
            if self._index is None:
                from .index import ConversationIndex

                self._index = ConversationIndex(self.root / INDEX_FILE)
            return self._index

    def _update_index(self, action: Callable[[ConversationIndex], None]) -> None:
        # The index is a cache: if it cannot be updated now, the next reconcile repairs it
        # (the file's stamp no longer matches), so a save never fails because of it.
        with contextlib.suppress(Exception):
            action(self.index)

    def close(self) -> None:
        """Close the index's connections."""
        with self._guard:
            index = self._index
        if index is not None:
            index.close()

    # -- writing ------------------------------------------------------------------------

    def snapshot(self, conversation: Conversation) -> Snapshot:
        """Copy a conversation for writing (cheap; call it where the conversation changes)."""
        from .codec import conversation_document

        return Snapshot(conversation.id, next(self._seq), conversation_document(conversation))

    def write(self, snapshot: Snapshot) -> bool:
        """Write a snapshot atomically; safe to call from any thread.

        Snapshots of one conversation may finish in any order: an older one than the last
        written is skipped, so the file never goes back in time. If the file changed since
        this instance last read or wrote it, the changes found there are merged in (and
        reported through `on_merge`) rather than overwritten.

        Returns:
            True if written, False if a newer snapshot was already on disk (or the
            conversation was deleted).

        Raises:
            StoreError: the file may not be overwritten, or the write failed (the old
                file is then intact).
        """
        cid = snapshot.conversation_id
        path = self.path_for(cid)
        report: MergeReport | None = None
        with self._lock(cid):
            if self._written.get(cid, 0) >= snapshot.seq or cid in self._deleted:
                self._failed.pop(cid, None)
                return False
            try:
                if cid in self._read_only:
                    raise NewerFileError(
                        f"{path.name} was written by a newer olladeck; it is left untouched."
                    )
                try:
                    self.ensure_dirs()
                except OSError as exc:
                    raise StoreError(f"Could not save {path}: {exc.strerror or exc}.") from exc
                with _file_lock(self.root / LOCK_FILE):
                    report = self._write_locked(cid, path, snapshot)
            except StoreError as exc:
                self._failed[cid] = exc
                raise
            self._failed.pop(cid, None)
            self._written[cid] = snapshot.seq
        if report is not None and self.on_merge is not None:
            self.on_merge(report)
        return True

    def _theirs(self, cid: str, path: Path) -> tuple[dict[str, Any] | None, bytes | None]:
        """The file's document if someone else changed it since we last saw it, else None."""
        from .codec import CodecError, NewerSchemaError, conversation_document, loads

        state = self._files.get(cid)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None, None  # new, or deleted elsewhere: writing it again loses nothing
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc.strerror or exc}.") from exc
        if state is not None and state.clean and state.stat == _stat_key(stat):
            return None, None
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc.strerror or exc}.") from exc
        if state is not None and state.clean and state.digest == _digest(data):
            return None, None  # touched, not changed
        try:
            try:
                conversation = loads(data.decode("utf-8"))
            except (CodecError, UnicodeDecodeError) as exc:
                if isinstance(exc, NewerSchemaError):
                    raise
                settled = self._settled(path)
                if settled is None:
                    reason = str(exc) if isinstance(exc, CodecError) else "not UTF-8"
                    # Unreadable: keep it aside (nothing is lost), say so, and write ours.
                    problem = self._quarantine(path, reason)
                    if self.on_quarantine is not None:
                        self.on_quarantine(problem)
                    return None, None
                conversation, data, _stat = settled
        except NewerSchemaError as exc:
            with self._guard:
                self._read_only.add(cid)
            raise NewerFileError(f"{path.name}: {exc}; it is left untouched.") from None
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc.strerror or exc}.") from exc
        conversation.id = cid
        return conversation_document(conversation), data

    def _write_locked(self, cid: str, path: Path, snapshot: Snapshot) -> MergeReport | None:
        from .codec import dumps_document
        from .index import Stamp

        ours = snapshot.document
        theirs, their_bytes = self._theirs(cid, path)
        document = ours
        report: MergeReport | None = None
        if theirs is not None:
            from .merge import merge_documents

            state = self._files.get(cid)
            result = merge_documents(state.base if state else None, ours, theirs)
            document = result.document
            copy_id, copy_title = None, ""
            if result.conflict:
                copy_id, copy_title = self._write_copy(ours)
            written = frozenset(m["id"] for m in ours.get("messages", []))
            if result.changed_ours or copy_id:
                report = MergeReport(cid, result, written, copy_id, copy_title)
        if theirs is not None and document == theirs and their_bytes is not None:
            # Nothing of ours to add: leave the file as it is (rewriting it would make the
            # other instance see a change that is none).
            data = their_bytes
            stat = path.stat()
        else:
            text = dumps_document(document)
            data = text.encode("utf-8")
            try:
                atomic_write_text(path, text)
                stat = path.stat()
            except OSError as exc:
                raise StoreError(f"Could not save {path}: {exc.strerror or exc}.") from exc
        self._files[cid] = _FileState(
            _stat_key(stat), _digest(data), base=ours, clean=document == ours
        )
        self._update_index(lambda index: index.put(cid, document, Stamp.of(stat)))
        return report

    def _write_copy(self, document: dict[str, Any]) -> tuple[str, str]:
        """Save a document as a new conversation; returns its id and title."""
        from .index import display_title

        title = f"{display_title(document)} (conflict copy)"
        copy_id = self._save_document(document, title)
        return copy_id, title

    def _save_document(self, document: dict[str, Any], title: str) -> str:
        from .codec import dumps_document
        from .index import Stamp

        copy_id = new_id()
        copy = {**document, "id": copy_id, "title": title}
        path = self.path_for(copy_id)
        text = dumps_document(copy)
        try:
            atomic_write_text(path, text)
            stat = path.stat()
        except OSError as exc:
            raise StoreError(f"Could not save {path}: {exc.strerror or exc}.") from exc
        self._files[copy_id] = _FileState(_stat_key(stat), _digest(text.encode("utf-8")), base=copy)
        self._update_index(lambda index: index.put(copy_id, copy, Stamp.of(stat)))
        return copy_id

    def save_copy(self, snapshot: Snapshot, title: str) -> str:
        """Save a snapshot as a new conversation with this title (a duplicate).

        Returns:
            The new conversation's id.

        Raises:
            StoreError: the write failed.
        """
        try:
            self.ensure_dirs()
        except OSError as exc:
            raise StoreError(f"Could not save a copy: {exc.strerror or exc}.") from exc
        return self._save_document(snapshot.document, title)

    def changed_on_disk(self, conversation_id: str) -> bool:
        """True if someone else wrote the file since this instance last read or wrote it.

        A file that is gone is not a change (it was deleted, or never written).
        """
        state = self._files.get(conversation_id)
        if state is None:
            return False
        try:
            stat = self.path_for(conversation_id).stat()
        except OSError:
            return False
        return state.stat != _stat_key(stat)

    def unsaved(self) -> dict[str, StoreError]:
        """Conversations whose last write failed, with why (a later success clears one)."""
        return dict(self._failed)

    def is_read_only(self, conversation_id: str) -> bool:
        """True if the conversation's file was written by a newer olladeck."""
        return conversation_id in self._read_only

    def forget(self, conversation_id: str) -> None:
        """Drop what is remembered about a conversation's file (it is no longer open)."""
        with self._lock(conversation_id):
            self._files.pop(conversation_id, None)

    def save(self, conversation: Conversation) -> bool:
        """Snapshot and write in one go (blocking)."""
        return self.write(self.snapshot(conversation))

    # -- reading ------------------------------------------------------------------------

    def _quarantine_target(self, path: Path) -> Path:
        """A new name in the quarantine folder, reserved (created empty) for this file.

        Names carry the time to the second, then a counter (`-2`, `-3`...) when that
        name is taken: a file quarantined twice never replaces its earlier copy, even
        by another instance at the same moment.

        Raises:
            OSError: the folder cannot be created or written.
        """
        ensure_private_dir(self.quarantine_dir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        number = 1
        while True:
            counter = "" if number == 1 else f"-{number}"
            target = self.quarantine_dir / f"{path.stem}.{stamp}{counter}{path.suffix}"
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                number += 1
                continue
            return target

    def _quarantine(self, path: Path, reason: str) -> StoreProblem:
        target: Path | None = None
        try:
            target = self._quarantine_target(path)
            path.replace(target)
        except OSError as exc:
            if target is not None:
                with contextlib.suppress(OSError):
                    target.unlink()
            return StoreProblem(
                path, f"{path.name} could not be read ({reason}) nor moved aside ({exc})."
            )
        return StoreProblem(
            path,
            f"{path.name} could not be read ({reason}); it was moved to {target}.",
            moved_to=target,
        )

    @staticmethod
    def _parse(path: Path) -> tuple[Conversation, bytes, os.stat_result]:
        """Read and parse one file (the codec's and the OS's exceptions pass through)."""
        from .codec import loads

        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
        return loads(data.decode("utf-8")), data, stat

    def _settled(self, path: Path) -> tuple[Conversation, bytes, os.stat_result] | None:
        """A file that did not parse, read again until it parses or stops changing.

        A sync tool writing a file in place leaves it half-written for a while: it is
        quarantined only once it has not changed for `SETTLE_SECONDS`.

        Returns:
            The parsed file, or None if it stays unreadable although it no longer changes.

        Raises:
            StoreError: it was still changing after `SETTLE_LIMIT` (left where it is).
            NewerSchemaError, OSError: as `_parse`.
        """
        from .codec import CodecError

        deadline = time.monotonic() + SETTLE_LIMIT
        last: tuple[int, int, int] | None = None
        while True:
            stat = path.stat()
            key = _stat_key(stat)
            if key != last:
                last = key
                try:
                    return self._parse(path)
                except (CodecError, UnicodeDecodeError):
                    pass
            elif time.time() - stat.st_mtime >= SETTLE_SECONDS:
                return None
            if time.monotonic() > deadline:
                raise StoreError(f"{path.name} is still being written; it is read again later.")
            time.sleep(0.05)

    def _read(self, path: Path) -> tuple[Conversation, bytes, os.stat_result]:
        """Parse one file; returns it with its bytes and the stat they were read at.

        Raises:
            StoreError: unreadable; the message says what was done with the file.
        """
        from .codec import CodecError, NewerSchemaError

        try:
            try:
                conversation, data, stat = self._parse(path)
            except (CodecError, UnicodeDecodeError) as exc:
                if isinstance(exc, NewerSchemaError):
                    raise
                settled = self._settled(path)
                if settled is None:
                    reason = str(exc) if isinstance(exc, CodecError) else "not UTF-8 text"
                    raise StoreError(self._quarantine(path, reason).message) from None
                conversation, data, stat = settled
        except NewerSchemaError as exc:
            with self._guard:
                self._read_only.add(path.stem)
            raise NewerFileError(f"{path.name}: {exc}; it is left untouched.") from None
        except OSError as exc:
            raise StoreError(f"{path.name} could not be read: {exc.strerror or exc}.") from exc
        except StoreError:
            raise
        except Exception as exc:  # no value in a file may stop the app: set it aside
            reason = f"{type(exc).__name__}: {exc}"
            raise StoreError(self._quarantine(path, reason).message) from None
        if conversation.id != path.stem:
            # The file name is the identity on disk; a copied file keeps working.
            conversation.id = path.stem
        return conversation, data, stat

    def load_path(self, path: Path) -> Conversation:
        """Load one file (and remember how it looked, to notice others' changes later).

        Raises:
            StoreError: unreadable; the message says what was done with the file.
        """
        from .codec import conversation_document

        conversation, data, stat = self._read(path)
        if _SAFE_ID.match(conversation.id):
            with self._lock(conversation.id):
                self._files[conversation.id] = _FileState(
                    _stat_key(stat), _digest(data), base=conversation_document(conversation)
                )
        return conversation

    def read_for_index(self, path: Path) -> tuple[dict[str, Any], Stamp]:
        """Read one file for the index (nothing is remembered about it).

        Files as olladeck writes them are read by `index.quick_document`; anything else
        is parsed in full (and quarantined if unreadable).

        Returns:
            What the index needs (a partial conversation document) and the file's stamp.

        Raises:
            StoreError: unreadable; the message says what was done with the file.
        """
        from .codec import conversation_document
        from .index import Stamp, quick_document

        try:
            with path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
            document = quick_document(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError):
            document = None
        if document is None:
            conversation, _data, stat = self._read(path)
            document = conversation_document(conversation)
        document["id"] = path.stem
        return document, Stamp.of(stat)

    def load(self, conversation_id: str) -> Conversation:
        """Load a conversation by id (see `load_path`)."""
        return self.load_path(self.path_for(conversation_id))

    def conversation_paths(self) -> list[Path]:
        """Every conversation file, in no particular order."""
        try:
            return [p for p in self.conversations_dir.glob("*.toml") if _SAFE_ID.match(p.stem)]
        except OSError:
            return []

    def scan(self) -> dict[str, tuple[Path, Stamp]]:
        """Every conversation file by id, with its stamp (one directory read, no parsing).

        Temporary files that a crash left half-written are removed on the way (see
        `STALE_TEMP_SECONDS`); the conversation file beside one is intact.
        """
        from .index import Stamp

        found: dict[str, tuple[Path, Stamp]] = {}
        stale_before = time.time() - STALE_TEMP_SECONDS
        with contextlib.suppress(OSError), os.scandir(self.conversations_dir) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".toml") and _SAFE_ID.match(name[:-5]):
                    with contextlib.suppress(OSError):
                        found[name[:-5]] = (Path(entry.path), Stamp.of(entry.stat()))
                elif name.endswith(".tmp") and _TEMP_FILE.match(name):
                    with contextlib.suppress(OSError):
                        if entry.stat(follow_symlinks=False).st_mtime < stale_before:
                            os.unlink(entry.path)
        return found

    def reconcile(
        self,
        progress: Callable[[ReconcileReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> ReconcileReport:
        """Bring the index in step with the files (see `ConversationIndex.reconcile`)."""
        return self.index.reconcile(self.scan(), self.read_for_index, progress, should_stop)

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

    # -- trash ----------------------------------------------------------------------------

    def trash(self, conversation_id: str) -> TrashEntry | None:
        """Move a conversation's file to the trash folder (nothing is destroyed).

        Returns:
            The trash entry, or None if the conversation was never saved.

        Raises:
            StoreError: the file could not be moved.
        """
        from .codec import CodecError, loads
        from .index import display_title

        path = self.path_for(conversation_id)
        moment = datetime.now(UTC)
        target = self.trash_dir / f"{conversation_id}.{moment:%Y%m%dT%H%M%S%f}.toml"
        with self._lock(conversation_id):
            self._deleted.add(conversation_id)
            self._files.pop(conversation_id, None)
            with _file_lock(self.root / LOCK_FILE):
                if not path.exists():
                    self._update_index(lambda index: index.remove(conversation_id))
                    return None
                try:
                    ensure_private_dir(self.trash_dir)
                    path.replace(target)
                except OSError as exc:
                    self._deleted.discard(conversation_id)
                    raise StoreError(
                        f"Could not move {path.name} to the trash: {exc.strerror or exc}."
                    ) from exc
            self._update_index(lambda index: index.remove(conversation_id))
        title, model = "", ""
        with contextlib.suppress(OSError, UnicodeDecodeError, CodecError):
            conversation = loads(target.read_text(encoding="utf-8"))
            title, model = conversation.display_title, conversation.model
        return TrashEntry(target.name, conversation_id, title or display_title({}), model, moment)

    def trash_entries(self, limit: int = 500) -> list[TrashEntry]:
        """What is in the trash, most recently deleted first (files are parsed: a thread)."""
        from .codec import CodecError, loads

        entries: list[TrashEntry] = []
        try:
            paths = sorted(self.trash_dir.glob("*.toml"), key=lambda p: p.name)
        except OSError:
            return []
        parsed: list[tuple[datetime, Path, str]] = []
        for path in paths:
            conversation_id, _, stamp = path.stem.rpartition(".")
            try:
                moment = datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
            except ValueError:
                continue
            if _SAFE_ID.match(conversation_id):
                parsed.append((moment, path, conversation_id))
        parsed.sort(key=lambda item: item[0], reverse=True)
        for moment, path, conversation_id in parsed[:limit]:
            try:
                conversation = loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, CodecError):
                title, model = f"{path.name} (unreadable)", ""
            else:
                title, model = conversation.display_title, conversation.model
            entries.append(TrashEntry(path.name, conversation_id, title, model, moment))
        return entries

    def restore(self, name: str) -> str:
        """Move a conversation back from the trash.

        If a conversation with its id exists again meanwhile, it comes back under a new id
        (neither is overwritten).

        Returns:
            The id it has now.

        Raises:
            StoreError: no such trash entry, or it could not be moved back.
        """
        source = self.trash_dir / name
        conversation_id = name.removesuffix(".toml").rpartition(".")[0]
        if source.parent != self.trash_dir or not _SAFE_ID.match(conversation_id):
            raise StoreError(f"{name} is not in the trash.")
        with _file_lock(self.root / LOCK_FILE):
            if self.path_for(conversation_id).exists():
                conversation_id = new_id()
            target = self.path_for(conversation_id)
            try:
                self.ensure_dirs()
                source.replace(target)
            except FileNotFoundError:
                raise StoreError(f"{name} is no longer in the trash.") from None
            except OSError as exc:
                raise StoreError(f"Could not restore {name}: {exc.strerror or exc}.") from exc
        with self._lock(conversation_id):
            self._deleted.discard(conversation_id)
            self._written.pop(conversation_id, None)
        with contextlib.suppress(StoreError):
            document, stamp = self.read_for_index(target)
            self._update_index(lambda index: index.put(conversation_id, document, stamp))
        return conversation_id

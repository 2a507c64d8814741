"""An index of the saved conversations: the list and full-text search without parsing files.

The TOML files stay the source of truth. The index (SQLite, `index.sqlite3` in the data
dir) remembers, per file, the stamp it was read at (`mtime_ns`, `size`), the facts the
list shows, and the text of every message in an FTS5 table. `reconcile` brings it in step
with the files by parsing only those whose stamp changed, newest first; the store updates
it whenever it writes or moves a file. It can be deleted at any time and is rebuilt.

Every thread gets its own connection (WAL mode: reading never waits for a writer), so
the list can be queried while a rebuild runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..core.display_text import one_line
from ..models import title_from_text
from .atomic import ensure_private_dir

INDEX_VERSION = 1
"""Bumped when the tables change; an index of another version is rebuilt."""
BATCH_SECONDS = 0.25
"""A rebuild commits (and reports progress) at least this often."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    model TEXT NOT NULL,
    pinned INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    message_count INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_order ON conversations (pinned DESC, updated_at DESC);
CREATE TABLE IF NOT EXISTS messages (
    rowid INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id);
CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5 (
    content, content='messages', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
"""

HIGHLIGHT_START = "\x02"
"""Marks the start of a matching word in a search snippet (never in displayed text)."""
HIGHLIGHT_END = "\x03"
"""Marks the end of a matching word in a search snippet."""

_WORD = re.compile(r"\w+", re.UNICODE)
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
"""The error names of SQLite for a database file that is damaged or not a database."""


def is_damaged(exc: BaseException) -> bool:
    """True if a query failed because the index file is damaged (not merely busy)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_DAMAGED):
        return True
    text = str(exc)
    return "malformed" in text or "not a database" in text


class IndexEntry(NamedTuple):
    """One conversation as the list shows it (a tuple: thousands are made per listing)."""

    id: str
    title: str
    """The title, or one made from the first message."""
    model: str
    pinned: bool
    updated_at: datetime
    message_count: int


@dataclass(frozen=True)
class SearchHit:
    """A message that matches a full-text query."""

    conversation_id: str
    message_id: str
    role: str
    title: str
    """The conversation's title."""
    snippet: str
    """The words around the match; matches are between `HIGHLIGHT_START` and `HIGHLIGHT_END`."""
    updated_at: datetime


@dataclass(frozen=True)
class Stamp:
    """What a file looked like when it was read: changes when it is written."""

    mtime_ns: int
    size: int

    @classmethod
    def of(cls, stat: os.stat_result) -> Stamp:
        return cls(stat.st_mtime_ns, stat.st_size)


@dataclass
class ReconcileReport:
    """What a reconcile did."""

    parsed: int = 0
    """Files read because they were new or changed."""
    removed: int = 0
    """Index rows dropped because their file is gone."""
    total: int = 0
    """Conversation files found."""
    failed: list[tuple[Path, str]] | None = None
    """Files that could not be read, with the reason (each reported once)."""
    seconds: float = 0.0


def fts_query(text: str) -> str:
    """A safe FTS5 query from what the user typed: every word must appear, the last one
    may be the start of a word (so results come while typing). Empty if there are no words."""
    words = _WORD.findall(text)
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _timestamp(moment: Any) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else 0.0


def _moment(seconds: float) -> datetime:
    """A stored timestamp as a UTC time; one past the ends of the calendar (a date of
    year 1 or 9999 written with a time zone) is taken as the end it is past."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):
        return (datetime.max if seconds > 0 else datetime.min).replace(tzinfo=UTC)


def display_title(document: dict[str, Any]) -> str:
    """The list title of a conversation document (as `Conversation.display_title`)."""
    title = document.get("title") or ""
    if title:
        return one_line(str(title))
    for message in document.get("messages", []):
        content = message.get("content", "")
        if message.get("role") == "user" and content.strip():
            return title_from_text(content)
    return "New conversation"


_TOP_KEYS = frozenset(
    {"schema_version", "id", "title", "model", "pinned", "created_at", "updated_at"}
)
_MESSAGE_KEYS = frozenset({"id", "role", "content"})
TRIPLE = '"""'
"""Opens and closes a multi-line string."""
_IGNORED_TABLES = (
    "[settings]",
    "[settings.",
    "[[settings.",
    "[messages.",
    "[[messages.",
    "[[deleted]]",
    "[deleted.",
    "[[deleted.",
)


def quick_document(text: str) -> dict[str, Any] | None:
    """What the index needs from a conversation file, read quickly, or None if unsure.

    olladeck writes one `key = value` per line with strings in basic quotes, whose escapes
    are those of JSON, so each needed value is decoded by `json` (in C) instead of a full
    TOML parse, which is several times slower on long messages. Text of several lines is a
    multi-line string: `key = ` and three quotes, its lines, and three quotes closing the
    last one; every quote inside is escaped, so the first line that ends in three quotes
    closes it. A file that
    looks any different (written by hand, or by something else) gets None, and the real
    parser.
    """
    import json

    from .codec import SCHEMA_VERSION

    decoder = json.JSONDecoder(strict=False)  # TOML allows a raw tab in a basic string
    document: dict[str, Any] = {"messages": []}
    table: dict[str, Any] | None = document
    keys = _TOP_KEYS
    lines = text.split("\n")
    count = len(lines)
    number = 0
    try:
        while number < count:
            line = lines[number]
            number += 1
            if not line or line[0] in " \t]":
                if line.lstrip().startswith(TRIPLE):
                    return None  # a multi-line string in an array (a stop sequence)
                continue  # blank, or the rest of a multi-line array (never needed)
            if line[0] == "[":
                if line == "[[messages]]":
                    table = {}
                    document["messages"].append(table)
                    keys = _MESSAGE_KEYS
                elif line.startswith(_IGNORED_TABLES):
                    table = None
                else:
                    return None
                continue
            key, separator, raw = line.partition(" = ")
            if not separator:
                return None
            if raw == TRIPLE:
                first = number
                while number < count and not lines[number].endswith(TRIPLE):
                    number += 1
                if number == count:
                    return None
                number += 1
                if table is None or key not in keys:
                    continue
                body = lines[first:number]
                body[-1] = body[-1][:-3]
                if any(_ends_in_escape(part) for part in body[:-1]):
                    return None  # a line-ending backslash: not written by olladeck
                table[key] = decoder.decode('"' + "\\n".join(body) + '"')
                continue
            if raw.startswith((TRIPLE, "'''")):
                return None
            if table is None or key not in keys:
                continue
            if raw[:1] == '"':
                value: Any = decoder.decode(raw)
            elif raw in ("true", "false"):
                value = raw == "true"
            elif key in ("created_at", "updated_at"):
                value = datetime.fromisoformat(raw)
                if value.tzinfo is None:
                    value = value.replace(tzinfo=UTC)
            else:
                value = int(raw)
            table[key] = value
    except ValueError:
        return None
    version = document.get("schema_version")
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        return None
    if not all(
        isinstance(m.get("id"), str) and isinstance(m.get("role"), str)
        for m in document["messages"]
    ):
        return None
    return document


def _ends_in_escape(line: str) -> bool:
    """True if the line ends in an odd number of backslashes (the last escapes the newline)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


class _Handle:
    """A connection and the lock held while it is in use."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.lock = threading.Lock()
        self.closed = False


class ConversationIndex:
    """The SQLite index of one data dir. Safe to use from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._handles: list[_Handle] = []
        self._guard = threading.Lock()
        self._ready = False
        self._failed: dict[str, Stamp] = {}
        self.full_text = True
        """False if this SQLite has no FTS5 (the list works; full-text search does not)."""

    # -- connections ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, held for the duration (`close` waits for it)."""
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is None or handle.closed:
            self.open()
            connection = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            handle = _Handle(connection)
            with self._guard:
                self._handles.append(handle)
            self._local.handle = handle
        with handle.lock:
            if handle.closed:  # closed while waiting: use a fresh one next time
                raise sqlite3.ProgrammingError("the index was closed")
            yield handle.connection

    def open(self) -> None:
        """Create the tables; an index that is damaged or of another version is rebuilt."""
        with self._guard:
            if self._ready:
                return
            ensure_private_dir(self.path.parent)
            try:
                self._create()
            except sqlite3.DatabaseError:
                # Only a cache of the files: start again rather than fail.
                self._delete_files()
                self._create()
            self._ready = True

    def _create(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10.0)
        try:
            # Messages are often a few KB: on 4 KB pages most would take a page each.
            connection.execute("PRAGMA page_size=16384")
            connection.execute("PRAGMA journal_mode=WAL")
            with connection:
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                row = connection.execute(
                    "SELECT value FROM meta WHERE key = 'index_version'"
                ).fetchone()
                if row is not None and row[0] != str(INDEX_VERSION):
                    for table in ("message_text", "messages", "conversations"):
                        connection.execute(f"DROP TABLE IF EXISTS {table}")
                try:
                    connection.executescript(_SCHEMA)
                except sqlite3.OperationalError as exc:
                    if "fts5" not in str(exc):
                        raise
                    self.full_text = False
                    connection.executescript(_SCHEMA.split("CREATE VIRTUAL TABLE")[0])
                connection.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('index_version', ?)",
                    (str(INDEX_VERSION),),
                )
                connection.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
            with contextlib.suppress(sqlite3.DatabaseError):
                os.chmod(self.path, 0o600)
        finally:
            connection.close()

    def _delete_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()

    def discard(self) -> None:
        """Close every connection and delete the files: the next use creates an empty
        index (a damaged one is rebuilt by a reconcile)."""
        self.close()
        with self._guard:
            self._delete_files()
            self._ready = False
            self._failed.clear()

    def close(self) -> None:
        """Close every connection, each once its thread is done with it (the index can be
        used again afterwards: a thread then opens a new connection)."""
        with self._guard:
            handles, self._handles = self._handles, []
        for handle in handles:
            # Closing a connection another thread is using would crash the process.
            with handle.lock:
                handle.closed = True
                with contextlib.suppress(sqlite3.Error):
                    handle.connection.close()

    # -- writing -------------------------------------------------------------------------

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _put(
        self, db: sqlite3.Connection, conversation_id: str, document: dict[str, Any], stamp: Stamp
    ) -> None:
        title = display_title(document)
        messages = document.get("messages", [])
        db.execute(
            "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                title,
                title.casefold(),
                document.get("model") or "",
                1 if document.get("pinned") else 0,
                _timestamp(document.get("created_at")),
                _timestamp(document.get("updated_at")),
                len(messages),
                stamp.mtime_ns,
                stamp.size,
            ),
        )
        # Only messages that changed are re-indexed: a reply saved every second while it
        # streams costs one row, not the whole conversation.
        old = {
            message_id: (rowid, position, role, content)
            for rowid, message_id, position, role, content in db.execute(
                "SELECT rowid, message_id, position, role, content FROM messages"
                " WHERE conversation_id = ?",
                (conversation_id,),
            )
        }
        for position, message in enumerate(messages):
            message_id = str(message.get("id", ""))
            role = str(message.get("role", ""))
            content = str(message.get("content", ""))
            before = old.pop(message_id, None)
            if before is not None:
                if before[1:] == (position, role, content):
                    continue
                self._drop_message(db, before[0], before[3])
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, message_id, position, role, content)"
                " VALUES (?, ?, ?, ?, ?)",
                (conversation_id, message_id, position, role, content),
            )
            if self.full_text:
                db.execute(
                    "INSERT INTO message_text (rowid, content) VALUES (?, ?)",
                    (cursor.lastrowid, content),
                )
        for rowid, _position, _role, content in old.values():
            self._drop_message(db, rowid, content)

    def _drop_message(self, db: sqlite3.Connection, rowid: int, content: str) -> None:
        if self.full_text:
            db.execute(
                "INSERT INTO message_text (message_text, rowid, content) VALUES ('delete', ?, ?)",
                (rowid, content),
            )
        db.execute("DELETE FROM messages WHERE rowid = ?", (rowid,))

    def _remove(self, db: sqlite3.Connection, conversation_id: str) -> None:
        rows = db.execute(
            "SELECT rowid, content FROM messages WHERE conversation_id = ?", (conversation_id,)
        ).fetchall()
        for rowid, content in rows:
            self._drop_message(db, rowid, content)
        db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def put(self, conversation_id: str, document: dict[str, Any], stamp: Stamp) -> None:
        """Record a conversation as written (a document from `codec.conversation_document`)."""
        with self._db() as db, db:
            self._put(db, conversation_id, document, stamp)
            self._bump(db)

    def remove(self, conversation_id: str) -> None:
        """Forget a conversation (its file was deleted or moved)."""
        with self._db() as db, db:
            self._remove(db, conversation_id)
            self._bump(db)

    # -- reading -------------------------------------------------------------------------

    def generation(self) -> int:
        """A number that changes whenever any instance changes the index."""
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def stamps(self) -> dict[str, Stamp]:
        """The stamp each indexed file was read at."""
        with self._db() as db:
            return {
                cid: Stamp(mtime_ns, size)
                for cid, mtime_ns, size in db.execute(
                    "SELECT id, mtime_ns, size FROM conversations"
                )
            }

    def entries(self, title_filter: str = "", limit: int | None = None) -> list[IndexEntry]:
        """Conversations for the list: pinned first, then newest activity first.

        Args:
            title_filter: Only titles containing this text (any case).
            limit: At most this many.
        """
        sql = "SELECT id, title, model, pinned, updated_at, message_count FROM conversations"
        params: list[Any] = []
        needle = title_filter.strip().casefold()
        if needle:
            sql += " WHERE instr(title_key, ?) > 0"
            params.append(needle)
        sql += " ORDER BY pinned DESC, updated_at DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._db() as db:
            return [
                IndexEntry(cid, title, model, bool(pinned), _moment(updated), count)
                for cid, title, model, pinned, updated, count in db.execute(sql, params)
            ]

    def search(self, text: str, limit: int = 100) -> list[SearchHit]:
        """Messages containing every word of `text` (the last may be a word's start), best
        matches first."""
        query = fts_query(text)
        if not query or not self.full_text:
            return []
        with self._db() as db:
            rows = db.execute(
                "SELECT m.conversation_id, m.message_id, m.role, c.title, c.updated_at,"
                " snippet(message_text, 0, ?, ?, '…', 14)"
                " FROM message_text JOIN messages m ON m.rowid = message_text.rowid"
                " JOIN conversations c ON c.id = m.conversation_id"
                " WHERE message_text MATCH ? ORDER BY rank LIMIT ?",
                (HIGHLIGHT_START, HIGHLIGHT_END, query, limit),
            ).fetchall()
        return [
            SearchHit(cid, mid, role, title, snippet, _moment(updated))
            for cid, mid, role, title, updated, snippet in rows
        ]

    # -- keeping in step with the files --------------------------------------------------

    def reconcile(
        self,
        found: dict[str, tuple[Path, Stamp]],
        read: Callable[[Path], tuple[dict[str, Any], Stamp]],
        progress: Callable[[ReconcileReport], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> ReconcileReport:
        """Bring the index in step with the conversation files.

        Files whose stamp matches the index are not opened. New and changed ones are read
        newest first and committed in batches (`progress` is called after each), so the
        list fills from the top while a first build runs.

        Args:
            found: Every conversation file now, by id, with its stamp.
            read: Reads one file and returns the document the index needs (see
                `quick_document`) with the stamp it was read at; raises an exception with
                a plain message for a file that cannot be read.
            progress: Called after each committed batch.
            should_stop: Checked between files; a stopped reconcile keeps what it did.
        """
        started = time.monotonic()
        report = ReconcileReport(failed=[])
        report.total = len(found)
        known = self.stamps()
        gone = [cid for cid in known if cid not in found]
        if gone:
            with self._db() as db, db:
                for cid in gone:
                    self._remove(db, cid)
                self._bump(db)
            report.removed = len(gone)
        todo = [
            (stamp.mtime_ns, cid, path)
            for cid, (path, stamp) in found.items()
            if known.get(cid) != stamp and self._failed.get(cid) != stamp
        ]
        todo.sort(reverse=True)  # newest first: the top of the list is there soonest
        batch: list[tuple[str, dict[str, Any], Stamp]] = []
        last_commit = time.monotonic()
        for _mtime, cid, path in todo:
            if should_stop is not None and should_stop():
                break
            try:
                document, stamp = read(path)
            except Exception as exc:  # one bad file must not stop the rest
                self._failed[cid] = found[cid][1]
                assert report.failed is not None
                report.failed.append((path, str(exc)))
                continue
            batch.append((cid, document, stamp))
            report.parsed += 1
            if time.monotonic() - last_commit >= BATCH_SECONDS:
                self._commit(batch)
                batch = []
                last_commit = time.monotonic()
                if progress is not None:
                    progress(report)
        if batch:
            self._commit(batch)
        report.seconds = time.monotonic() - started
        if progress is not None and (batch or report.removed):
            progress(report)
        return report

    def _commit(self, batch: Iterable[tuple[str, dict[str, Any], Stamp]]) -> None:
        with self._db() as db, db:
            for conversation_id, document, stamp in batch:
                self._put(db, conversation_id, document, stamp)
            self._bump(db)

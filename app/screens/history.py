"""Conversation history on the main screen: the list, opening, search, and list actions.

`HistoryActions` is mixed into `MainScreen`. The list is drawn from the index
(`app/store/index.py`), which is reconciled with the files in a thread at start and
checked every few seconds; a conversation is parsed (in a thread) only when opened and
then kept in `MainScreen.conversations`, so a reply streaming in the background writes
into the same object the user comes back to. Every key of the list is an `action_*`
method here, so the command palette can run the same actions.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from ..core.display_text import DisplayText, one_line, sanitize
from ..store import StoreError

if TYPE_CHECKING:
    from textual.timer import Timer

    from ..models import Conversation
    from ..services import Services
    from ..store import MergeReport, StoreProblem, TrashEntry
    from ..store.index import IndexEntry, ReconcileReport, SearchHit
    from ..widgets.conversation_list import ConversationList
    from ..widgets.message_pane import MessagePane
    from ..widgets.prompt_input import PromptInput

POLL_SECONDS = 2.0
"""How often the files are checked for changes made elsewhere."""
FULL_SCAN_EVERY = 15
"""Every this many checks, every file's stamp is looked at (see `_poll_disk`)."""
ExportKind = Literal["markdown", "json"]


class IndexUpdated(Message):
    """A batch of files was (re)indexed, or a reconcile finished."""

    def __init__(self, report: ReconcileReport, finished: bool) -> None:
        super().__init__()
        self.report = report
        self.finished = finished
        """True once the whole reconcile is done."""


class EntriesListed(Message):
    """Rows for the conversation list, queried from the index."""

    def __init__(self, entries: list[IndexEntry], generation: int) -> None:
        super().__init__()
        self.entries = entries
        self.generation = generation
        """The index generation they were read at."""


class DiskChecked(Message):
    """The periodic check for changes made by another instance (or a sync) is done."""

    def __init__(self, report: ReconcileReport | None, generation: int, changed: list[str]) -> None:
        super().__init__()
        self.report = report
        self.generation = generation
        self.changed = changed
        """Opened conversations whose file someone else wrote."""


class IndexDamaged(Message):
    """A query found the index file damaged: it is rebuilt from the files."""


class FileQuarantined(Message):
    """A conversation file that could not be read was moved to the quarantine folder."""

    def __init__(self, problem: StoreProblem) -> None:
        super().__init__()
        self.problem = problem


class ConversationMerged(Message):
    """Another instance's changes to a conversation were merged into its file."""

    def __init__(self, report: MergeReport) -> None:
        super().__init__()
        self.report = report


def _entry_of(conversation: Conversation) -> IndexEntry:
    from ..store.index import IndexEntry

    return IndexEntry(
        conversation.id,
        conversation.display_title,
        conversation.model,
        conversation.pinned,
        conversation.updated_at,
        len(conversation.messages),
    )


def file_name_for(title: str, suffix: str) -> str:
    """A safe file name from a conversation title (`Comparing small models.md`)."""
    name = re.sub(r"[^\w .,()-]+", " ", title, flags=re.UNICODE)
    name = " ".join(name.split())[:60].strip(" .") or "conversation"
    return f"{name}{suffix}"


def resolve_path(text: str) -> Path:
    """A typed path: `~` expanded, relative to the working directory."""
    return Path(text.strip()).expanduser().absolute()


def _export_path_problem(text: str) -> str | None:
    if not text.strip():
        return "Type a file name."
    path = resolve_path(text)
    if path.is_dir():
        return "That is a folder: add a file name."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    return None


def _import_path_problem(text: str) -> str | None:
    if not text.strip():
        return "Type the path of a JSON file."
    path = resolve_path(text)
    if path.is_dir():
        return f"{path} is a folder: add the file's name."
    if not path.is_file():
        return f"There is no such file: {path}"
    return None


class HistoryActions:
    """The history half of the main screen (a mixin: `MainScreen` provides the rest)."""

    if TYPE_CHECKING:
        # Provided by MainScreen / Screen.
        services: Services
        conversations: dict[str, Conversation]
        current: Conversation
        _loaded: bool

        @property
        def pane(self) -> MessagePane: ...

        @property
        def prompt(self) -> PromptInput: ...

        @property
        def app(self) -> Any: ...

        def query(self, selector: str) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Message) -> bool: ...
        def run_worker(self, work: Any, **kwargs: Any) -> Any: ...
        def set_interval(self, interval: float, callback: Any) -> Timer: ...
        def set_timer(self, delay: float, callback: Any) -> Timer: ...
        def refresh_bindings(self) -> None: ...
        def _show_model(self, model: str) -> None: ...
        def _save_soon(self, conversation: Conversation) -> None: ...
        def _save(self, snapshot: object) -> None: ...
        def action_new_conversation(self) -> None: ...
        def _new_conversation(self, model: str) -> Conversation: ...

    def _init_history(self) -> None:
        """Set up the history state (called from `MainScreen.__init__`)."""
        self._list_generation = -1
        self._indexing: ReconcileReport | None = None
        self._open_newest = True
        self._trashed: list[TrashEntry] = []
        self._asked_titles: set[str] = set()
        self._redraw_after_reply: set[str] = set()
        self._polling = False
        self._poll_timer: Timer | None = None
        self._dir_stamp: int | None = None
        self._polls = 0
        self._rebuilding = False

    # -- the index ---------------------------------------------------------------------------

    @work(thread=True, group="index", exit_on_error=False, description="Indexing conversations")
    def load_conversations(self, fresh: bool = False) -> None:
        """Bring the index in step with the files (in a thread); the list fills as it goes.

        Args:
            fresh: Delete the index first (it is damaged) and build it anew.
        """
        store = self.services.store
        store.on_merge = self._merged_elsewhere
        store.on_quarantine = self._quarantined
        worker = get_current_worker()
        if fresh:
            store.index.discard()

        def progress(report: ReconcileReport) -> None:
            self.post_message(IndexUpdated(report, finished=False))

        try:
            report = store.reconcile(progress, should_stop=lambda: worker.is_cancelled)
        except Exception as exc:  # the index is a cache: say so, the app goes on
            from ..store.index import ReconcileReport

            report = ReconcileReport(failed=[(store.root, f"The index could not be built: {exc}")])
        self.post_message(IndexUpdated(report, finished=True))

    def on_index_updated(self, event: IndexUpdated) -> None:
        report = event.report
        if not event.finished:
            self._indexing = report
            self.refresh_list()
            return
        self._indexing = None
        self._report_failures(report)
        if self._rebuilding:
            self._rebuilding = False
            self.notify("The conversation index is rebuilt.", title="Index rebuilt")
        first = not self._loaded
        self._loaded = True
        if first:
            self._poll_timer = self.set_interval(POLL_SECONDS, self._check_disk)
        self.refresh_list()

    def _report_failures(self, report: ReconcileReport) -> None:
        for path, reason in report.failed or []:
            self.notify(
                reason if path.name in reason else f"{path.name}: {reason}",
                title="A conversation file was not loaded",
                severity="warning",
                timeout=15,
                markup=False,
            )

    def indexing_progress(self) -> str:
        """While the index is first built: how far it is (for the search dialog)."""
        report = self._indexing
        if report is None:
            return ""
        return f"(Still indexing: {report.parsed:,} of {report.total:,} files read.)"

    def _check_disk(self) -> None:
        if not self._polling:
            self._polling = True
            self._poll_disk()

    @work(thread=True, group="poll", exit_on_error=False, description="Checking for changes")
    def _poll_disk(self) -> None:
        """Pick up files changed by another instance or a sync tool (in a thread)."""
        store = self.services.store
        worker = get_current_worker()
        report = None
        generation = -1
        try:
            # Every write renames a file into the folder, which changes the folder's
            # mtime: while it stays the same, no file needs to be looked at.
            stamp = store.conversations_dir.stat().st_mtime_ns
        except OSError:
            stamp = None
        self._polls += 1
        changed: list[str] = []
        try:
            # A file written in place (not renamed) leaves the folder's mtime alone: look
            # at every file now and then anyway.
            if stamp != self._dir_stamp or self._polls % FULL_SCAN_EVERY == 0:
                report = store.reconcile(should_stop=lambda: worker.is_cancelled)
                self._dir_stamp = stamp
            generation = store.index.generation()
            changed = [cid for cid in list(self.conversations) if store.changed_on_disk(cid)]
        except Exception as exc:  # a busy index: try again next time
            self._check_index(exc)
        finally:
            self.post_message(DiskChecked(report, generation, changed))

    def _check_index(self, exc: BaseException) -> None:
        """After a query of the index failed (in any thread): if the file is damaged,
        have it rebuilt."""
        from ..store.index import is_damaged

        if is_damaged(exc):
            self.post_message(IndexDamaged())

    def on_index_damaged(self) -> None:
        if self._rebuilding:
            return
        self._rebuilding = True
        self.notify(
            "The conversation index (a cache of the files) is damaged: it is being rebuilt. "
            "The list and search come back in a moment; no conversation is lost.",
            title="Index damaged",
            severity="warning",
            timeout=10,
        )
        self.load_conversations(fresh=True)

    def _quarantined(self, problem: StoreProblem) -> None:
        # Called by the store in the writing thread.
        self.post_message(FileQuarantined(problem))

    def on_file_quarantined(self, event: FileQuarantined) -> None:
        self.notify(
            event.problem.message,
            title="A conversation file was moved aside",
            severity="warning",
            timeout=15,
            markup=False,
        )

    def on_disk_checked(self, event: DiskChecked) -> None:
        self._polling = False
        if event.report is not None:
            self._report_failures(event.report)
        if event.generation != self._list_generation:
            self.refresh_list()
        store = self.services.store
        for cid in event.changed:
            conversation = self.conversations.get(cid)
            if conversation is not None and not self.pane.is_streaming(cid):
                # Writing merges what the other instance added (and reports it).
                self._save(store.snapshot(conversation))

    def _merged_elsewhere(self, report: MergeReport) -> None:
        # Called by the store in the writing thread.
        self.post_message(ConversationMerged(report))

    async def on_conversation_merged(self, event: ConversationMerged) -> None:
        from ..store.merge import apply_merge

        report = event.report
        conversation = self.conversations.get(report.conversation_id)
        result = report.result
        if conversation is not None:
            streaming = self.pane.is_streaming(conversation.id)
            keep = set()
            if streaming:
                keep = {m.id for m in conversation.messages if m.state == "streaming"}
            apply_merge(conversation, result, set(report.written_ids), keep)
            if conversation is self.current:
                self._redraw_after_reply.add(conversation.id)
                await self._redraw_when_idle()
                self._show_model(conversation.model)
        title = conversation.display_title if conversation else "A conversation"
        added = len(result.added)
        if report.copy_id:
            self.notify(
                f"“{title}” was changed differently in another olladeck. Its version is "
                f"kept here; yours was saved as “{report.copy_title}”.",
                title="Changed elsewhere",
                severity="warning",
                markup=False,
                timeout=15,
            )
        elif added or result.fields:
            # (A reply the other instance is streaming only grows: no need to say so.)
            parts = [f"“{title}” was changed in another olladeck."]
            if added:
                parts.append(f"{added} new message{'s' if added != 1 else ''} merged in.")
            if result.fields:
                parts.append("Its title or settings were updated.")
            self.notify(" ".join(parts), title="Changed elsewhere", markup=False, timeout=10)
        self.refresh_list()

    async def _redraw_when_idle(self) -> None:
        """Show messages that were merged into the conversation on screen. The pane keeps
        the laid-out messages, a streaming reply included, so this is safe at any time."""
        conversation = self.current
        if conversation.id in self._redraw_after_reply:
            self._redraw_after_reply.discard(conversation.id)
            self.pane.refresh_conversation()

    async def _after_reply(self, conversation_id: str) -> None:
        """A reply ended: redraw it if others' messages came in meanwhile; maybe ask for a
        title."""
        if conversation_id == self.current.id:
            await self._redraw_when_idle()
        self._maybe_ask_for_title(conversation_id)

    # -- the list ----------------------------------------------------------------------------

    def _list_widget(self) -> ConversationList | None:
        for widget in self.query("ConversationList"):
            return widget  # type: ignore[no-any-return]
        return None

    def refresh_list(self) -> None:
        """Query the index again and redraw the conversation list (once it is mounted)."""
        widget = self._list_widget()
        if widget is not None and widget.mode == "conversations":
            self._list_entries()

    @work(thread=True, group="list", exclusive=True, exit_on_error=False, description="Listing")
    def _list_entries(self) -> None:
        # Every row, unfiltered: the list filters titles in memory as the user types,
        # which is quicker than any query.
        index = self.services.store.index
        try:
            generation = index.generation()
            entries = index.entries()
        except Exception as exc:  # an unusable index: show what is open, rebuild it
            self._check_index(exc)
            generation, entries = -1, []
        if not get_current_worker().is_cancelled:
            self.post_message(EntriesListed(entries, generation))

    async def on_entries_listed(self, event: EntriesListed) -> None:
        self._list_generation = event.generation
        self.show_entries(event.entries)
        if self._open_newest and self._loaded:
            self._open_newest = False
            if not self.current.messages and event.entries:
                await self.open_conversation(event.entries[0].id)

    def show_entries(self, entries: list[IndexEntry]) -> None:
        """Draw index rows (already in order), with the conversations open in memory
        drawn from memory: they may be newer than their last save."""
        rows = list(entries)
        reorder = False
        if self.conversations:
            # Only the few open conversations are looked at, not every row.
            positions = {entry.id: i for i, entry in enumerate(rows)}
            for conversation in list(self.conversations.values()):
                at = positions.get(conversation.id)
                live = _entry_of(conversation)
                if at is None:
                    # Not indexed yet (its first save is on the way), or deleted
                    # elsewhere while still open here.
                    if conversation.messages and (
                        conversation is self.current or self.pane.is_streaming(conversation.id)
                    ):
                        rows.append(live)
                        reorder = True
                elif live != rows[at]:
                    old = rows[at]
                    reorder = reorder or (live.pinned, live.updated_at) != (
                        old.pinned,
                        old.updated_at,
                    )
                    rows[at] = live
        if reorder:
            rows.sort(key=lambda e: (e.pinned, e.updated_at), reverse=True)
        widget = self._list_widget()
        if widget is not None:
            widget.set_entries(rows, self.current.id)

    def on_conversation_list_ready(self, event: ConversationList.Ready) -> None:
        self.refresh_list()
        list_widget = self._list_widget()
        if list_widget is not None:
            list_widget.to_input = self._type_in_input

    async def on_conversation_list_selected(self, event: ConversationList.Selected) -> None:
        self._close_overlays()
        if event.conversation_id != self.current.id:
            await self.open_conversation(event.conversation_id)
            await self._follow_conversation_host(self.current)
        self.prompt.focus()

    def _load_for_display(self, conversation_id: str) -> Conversation:
        """Parse a conversation, and load the renderer too (both in a worker thread)."""
        from ..rendering import warm_up

        conversation = self.services.store.load(conversation_id)
        warm_up()
        return conversation

    async def open_conversation(self, conversation_id: str, message_id: str | None = None) -> None:
        """Show a conversation (parsed in a thread the first time), optionally at a message."""
        if self._editing is not None:
            self._end_edit(restore=True)
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            try:
                loaded = await asyncio.to_thread(self._load_for_display, conversation_id)
            except StoreError as exc:
                self.notify(str(exc), title="Could not open", severity="error", markup=False)
                self.refresh_list()
                return
            # Never replace a conversation already open: it may be streaming a reply.
            conversation = self.conversations.setdefault(conversation_id, loaded)
        self.current = conversation
        self._redraw_after_reply.discard(conversation_id)  # drawn afresh now
        await self.pane.show_conversation(conversation)
        if message_id is not None and self.pane.reveal_message(message_id):
            self.pane.focus()  # the found message is shown selected
        self._show_model(conversation.model)
        widget = self._list_widget()
        if widget is not None:
            widget.set_current(conversation.id)
        self.refresh_list()
        self.refresh_bindings()

    def _target_id(self) -> str | None:
        """The conversation a list action is for: the highlighted one while the list has
        focus, else the one on screen."""
        widget = self._list_widget()
        focused = self.app.focused
        if widget is not None and focused is not None and widget in focused.ancestors_with_self:
            # In the trash view, rows are deleted conversations: nothing to act on.
            return widget.highlighted_id if widget.mode == "conversations" else None
        return self.current.id

    async def _target(self) -> Conversation | None:
        conversation_id = self._target_id()
        if conversation_id is None:
            return None
        conversation = self.conversations.get(conversation_id)
        if conversation is not None:
            return conversation
        try:
            loaded = await asyncio.to_thread(self.services.store.load, conversation_id)
        except StoreError as exc:
            self.notify(str(exc), title="Could not open", severity="error", markup=False)
            return None
        return self.conversations.setdefault(conversation_id, loaded)

    # -- rename, pin, duplicate --------------------------------------------------------------

    async def action_rename_conversation(self) -> None:
        """Give the highlighted (or current) conversation a title; empty: its first message."""
        from .text_prompt import TextPromptScreen

        conversation = await self._target()
        if conversation is None:
            return

        def renamed(text: str | None) -> None:
            if text is None:
                return
            conversation.title = " ".join(text.split())
            self._save_soon(conversation)
            self.refresh_list()

        self.app.push_screen(
            TextPromptScreen(
                "Rename the conversation",
                conversation.display_title,  # display-safe (a title may come from a file)
                placeholder="Empty: named after its first message",
            ),
            renamed,
        )

    async def action_pin_conversation(self) -> None:
        """Pin the highlighted (or current) conversation to the top, or unpin it."""
        conversation = await self._target()
        if conversation is None:
            return
        conversation.pinned = not conversation.pinned
        self._save_soon(conversation)
        self.refresh_list()

    async def action_duplicate_conversation(self) -> None:
        """Save a copy of the highlighted (or current) conversation and open it."""
        conversation = await self._target()
        if conversation is None:
            return
        if not conversation.messages:
            self.notify("There is nothing to duplicate yet.")
            return
        store = self.services.store
        snapshot = store.snapshot(conversation)
        try:
            copy_id = await asyncio.to_thread(
                store.save_copy, snapshot, f"{conversation.display_title} (copy)"
            )
        except StoreError as exc:
            self.notify(str(exc), title="Not duplicated", severity="error", markup=False)
            return
        await self.open_conversation(copy_id)
        self.notify(f"Duplicated “{conversation.display_title}”.", markup=False)

    # -- delete and restore ------------------------------------------------------------------

    def action_delete_conversation(self) -> None:
        """Move the highlighted (or current) conversation to the trash, after asking."""
        from .confirm import ConfirmScreen

        conversation_id = self._target_id()
        if conversation_id is None:
            return
        if self.pane.is_streaming(conversation_id):
            self.notify("A reply is streaming in it: press Escape to stop it first.")
            return
        conversation = self.conversations.get(conversation_id)
        widget = self._list_widget()
        title: str | None = conversation.display_title if conversation else None
        if title is None and widget is not None:
            entry = widget.entry(conversation_id)
            title = entry.title if entry is not None else None
        title = title or "this conversation"

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(
                    self._trash_conversation(conversation_id, title),
                    group="trash",
                    exit_on_error=False,
                    description="Moving a conversation to the trash",
                )

        self.app.push_screen(
            ConfirmScreen(
                sanitize(f"Delete “{title}”?"),
                DisplayText(
                    "It goes to the trash folder: press u in the list to restore it "
                    "(t shows the trash)."
                ),
                yes="Delete",
                danger=True,
            ),
            answered,
        )

    async def _trash_conversation(self, conversation_id: str, title: str) -> None:
        store = self.services.store
        widget = self._list_widget()
        rows = widget.row_ids if widget is not None else []
        try:
            entry = await asyncio.to_thread(store.trash, conversation_id)
        except StoreError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", markup=False)
            return
        self.conversations.pop(conversation_id, None)
        if entry is not None:
            self._trashed.append(entry)
            self.notify(
                sanitize(f"Deleted “{title}”. Press u in the conversation list to restore it."),
                title="Moved to the trash",
                markup=False,
                timeout=10,
            )
        if conversation_id == self.current.id:
            later = rows[rows.index(conversation_id) + 1 :] if conversation_id in rows else []
            earlier = rows[: rows.index(conversation_id)] if conversation_id in rows else []
            neighbour = next(iter(later or earlier[::-1]), None)
            if neighbour is not None:
                await self.open_conversation(neighbour)
            else:
                self.action_new_conversation()
        self.refresh_list()

    async def action_restore_conversation(self) -> None:
        """Restore from the trash: the highlighted entry in the trash view, else the
        conversation deleted last."""
        widget = self._list_widget()
        if widget is not None and widget.mode == "trash":
            name = widget.highlighted_id
        elif self._trashed:
            name = self._trashed.pop().name
        else:
            self.notify("Nothing was deleted since olladeck started. Press t to see the trash.")
            return
        if name is not None:
            await self._restore(name)

    async def on_conversation_list_restore_requested(
        self, event: ConversationList.RestoreRequested
    ) -> None:
        await self._restore(event.name)

    async def _restore(self, name: str) -> None:
        store = self.services.store
        try:
            conversation_id = await asyncio.to_thread(store.restore, name)
        except StoreError as exc:
            self.notify(str(exc), title="Not restored", severity="error", markup=False)
            return
        self._trashed = [e for e in self._trashed if e.name != name]
        widget = self._list_widget()
        if widget is not None and widget.mode == "trash":
            await self._leave_trash()
        await self.open_conversation(conversation_id)
        self.notify(f"Restored “{self.current.display_title}”.", markup=False)
        if widget is not None:
            widget.highlight(conversation_id)

    async def action_toggle_trash(self) -> None:
        """Show the deleted conversations in the list (again: back to the conversations)."""
        widget = self._list_widget()
        if widget is None:
            return
        if widget.mode == "trash":
            await self._leave_trash()
            return
        entries = await asyncio.to_thread(self.services.store.trash_entries)
        widget.set_trash(entries)
        widget.options.focus()
        if not entries:
            self.notify("The trash is empty.")

    async def on_conversation_list_trash_left(self) -> None:
        await self._leave_trash()

    async def _leave_trash(self) -> None:
        widget = self._list_widget()
        if widget is not None:
            widget.show_conversations()
        self.refresh_list()

    # -- export and import -------------------------------------------------------------------

    async def action_export_markdown(self) -> None:
        """Export the highlighted (or current) conversation to a Markdown file."""
        await self._ask_export("markdown")

    async def action_export_json(self) -> None:
        """Export the highlighted (or current) conversation as `/api/chat` JSON."""
        await self._ask_export("json")

    async def _ask_export(self, kind: ExportKind) -> None:
        from .text_prompt import PathSuggester, TextPromptScreen

        conversation = await self._target()
        if conversation is None:
            return
        if not conversation.messages:
            self.notify("There is nothing to export yet.")
            return
        suffix = ".md" if kind == "markdown" else ".json"
        what = "Markdown" if kind == "markdown" else "/api/chat JSON (replay it with curl)"

        def chosen(text: str | None) -> None:
            if text:
                self._confirm_export(conversation, resolve_path(text), kind)

        self.app.push_screen(
            TextPromptScreen(
                f"Export as {what} to",
                file_name_for(conversation.display_title, suffix),
                placeholder="A file name; ~ and relative paths work; Tab completes",
                validate=_export_path_problem,
                suggester=PathSuggester(),
            ),
            chosen,
        )

    def _confirm_export(self, conversation: Conversation, path: Path, kind: ExportKind) -> None:
        from .confirm import ConfirmScreen

        suffix = path.suffix.lower()
        if suffix == ".json":
            kind = "json"
        elif suffix in (".md", ".markdown"):
            kind = "markdown"

        def write() -> None:
            self.run_worker(
                self._write_export(conversation, path, kind),
                group="export",
                exit_on_error=False,
                description="Exporting a conversation",
            )

        if path.exists():
            self.app.push_screen(
                ConfirmScreen(
                    one_line(f"{path.name} exists. Replace it?"), one_line(str(path)), yes="Replace"
                ),
                lambda yes: write() if yes else None,
            )
        else:
            write()

    async def _write_export(self, conversation: Conversation, path: Path, kind: ExportKind) -> None:
        from ..store.atomic import atomic_write_text
        from ..transfer import export_json, export_markdown

        images = self.services.store.images

        def export() -> None:
            if kind == "json":
                text = export_json(conversation, images.base64)
            else:
                text = export_markdown(conversation)
            atomic_write_text(path, text)

        try:
            await asyncio.to_thread(export)
        except Exception as exc:  # one plain sentence, whatever failed (disk, images)
            self.notify(
                f"Could not export to {path}: {getattr(exc, 'strerror', None) or exc}.",
                title="Not exported",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Exported to {path}", title="Exported", markup=False)

    def action_import_conversation(self) -> None:
        """Import a conversation from `/api/chat` JSON (as exported) as a new conversation."""
        from .text_prompt import PathSuggester, TextPromptScreen

        def chosen(text: str | None) -> None:
            if text:
                self.run_worker(
                    self._import(resolve_path(text)),
                    group="import",
                    exit_on_error=False,
                    description="Importing a conversation",
                )

        self.app.push_screen(
            TextPromptScreen(
                "Import a conversation from /api/chat JSON",
                placeholder="path/to/chat.json; ~ and relative paths work; Tab completes",
                validate=_import_path_problem,
                suggester=PathSuggester(),
            ),
            chosen,
        )

    async def _import(self, path: Path) -> Conversation | None:
        from ..store import ImageStoreError
        from ..transfer import ImportProblem, import_json

        store = self.services.store
        host = self.services.host.base_url

        def put_image(data: bytes) -> str:
            try:
                return store.images.put(data)
            except (ImageStoreError, OSError) as exc:
                raise ValueError(str(exc)) from None

        dropped: list[str] = []

        def load() -> Conversation:
            text = path.read_text(encoding="utf-8")
            conversation = import_json(text, put_image, host=host, dropped=dropped)
            store.save(conversation)
            return conversation

        try:
            conversation = await asyncio.to_thread(load)
        except (OSError, UnicodeDecodeError, ImportProblem, StoreError, RecursionError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            if isinstance(exc, RecursionError):
                reason = "it is nested too deeply to save"
            self.notify(
                f"{path.name} could not be imported: {reason}.",
                title="Not imported",
                severity="error",
                markup=False,
            )
            return None
        self.conversations[conversation.id] = conversation
        await self.open_conversation(conversation.id)
        count = len(conversation.messages)
        self.notify(
            f"Imported {count} message{'s' if count != 1 else ''} from {path.name}.",
            markup=False,
        )
        if dropped:
            self.notify(
                "Left out (invalid, so never sent): " + "; ".join(dropped) + ".",
                title="Some settings were not imported",
                severity="warning",
                timeout=15,
                markup=False,
            )
        return conversation

    # -- full-text search --------------------------------------------------------------------

    def action_search_messages(self) -> None:
        """Search the text of every message; the chosen one is opened and shown."""
        from .search import SearchScreen

        store = self.services.store

        def search(text: str) -> list[SearchHit]:
            try:
                return store.index.search(text)
            except Exception as exc:
                self._check_index(exc)
                raise

        def chosen(hit: SearchHit | None) -> None:
            if hit is not None:
                self._close_overlays()  # the message it jumps to must not be hidden
                self.run_worker(
                    self.open_conversation(hit.conversation_id, hit.message_id),
                    group="open",
                    exclusive=True,
                    exit_on_error=False,
                    description="Opening a search result",
                )

        self.app.push_screen(SearchScreen(search, progress=self.indexing_progress), chosen)

    # -- titles from the model ---------------------------------------------------------------

    def _maybe_ask_for_title(self, conversation_id: str) -> None:
        """After the first reply, ask the model for a title (if the config says so)."""
        from ..titles import title_request

        if not self.services.config.title_from_model or conversation_id in self._asked_titles:
            return
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.title:
            return
        body = title_request(conversation)
        if body is None:
            return
        self._asked_titles.add(conversation_id)
        self.run_worker(
            self._ask_for_title(conversation, body),
            group=f"title:{conversation_id}",
            exit_on_error=False,
            description="Asking the model for a title",
        )

    async def _ask_for_title(self, conversation: Conversation, body: dict[str, Any]) -> None:
        from ..ollama.errors import OllamaError
        from ..titles import clean_title

        try:
            reply = await self.services.client().chat(body)
        except OllamaError:
            return  # the first message stays the title
        title = clean_title(reply.content)
        if title and not conversation.title:
            conversation.title = title
            self._save_soon(conversation)
            self.refresh_list()

    # -- leaving -------------------------------------------------------------------------

    def on_unmount(self) -> None:
        store = self.services.store
        store.on_merge = None
        store.on_quarantine = None
        store.close()

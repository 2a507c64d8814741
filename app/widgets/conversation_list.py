"""The saved conversations, pinned first, then newest activity first; or the trash.

Rows come from the index (`app/store/index.py`), not from parsed files. Only a page of
rows is turned into options at a time, and more are added as the highlight or the scroll
nears the end, so thousands of conversations cost no more to show than a hundred.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..chat import sanitize
from .typing_guard import TypingGuard

if TYPE_CHECKING:
    from ..store import TrashEntry
    from ..store.index import IndexEntry

PAGE = 100
"""Options added at a time."""
Mode = Literal["conversations", "trash"]


def relative_time(moment: datetime, reference: datetime | None = None) -> str:
    """`just now`, `5m`, `3h`, `2d`, or a date."""
    reference = reference or datetime.now(UTC)
    seconds = (reference - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return moment.strftime("%Y-%m-%d")


class ConversationList(Vertical):
    """Lists conversations; Enter opens one. Keys act on the highlighted conversation."""

    BINDINGS = [
        Binding(
            "slash,f",
            "focus_filter",
            "Filter",
            id="conversation.filter",
            tooltip="Type to filter the conversations by title",
        ),
        Binding("j", "cursor_down", "Down", show=False, id="conversation.down", tooltip="Next"),
        Binding("k", "cursor_up", "Up", show=False, id="conversation.up", tooltip="Previous"),
        Binding(
            "g", "edge(0)", "First", show=False, id="conversation.first", tooltip="The first row"
        ),
        Binding(
            "G", "edge(-1)", "Last", show=False, id="conversation.last", tooltip="The last row"
        ),
        Binding(
            "r",
            "act('rename_conversation')",
            "Rename",
            id="conversation.rename",
            tooltip="Rename the highlighted conversation",
        ),
        Binding(
            "d,delete",
            "act('delete_conversation')",
            "Delete",
            id="conversation.delete",
            tooltip="Move the highlighted conversation to the trash (u restores it)",
        ),
        Binding(
            "p",
            "act('pin_conversation')",
            "Pin",
            id="conversation.pin",
            tooltip="Pin the highlighted conversation to the top (or unpin it)",
        ),
        Binding(
            "c",
            "act('duplicate_conversation')",
            "Duplicate",
            show=False,
            id="conversation.duplicate",
            tooltip="Make a copy of the highlighted conversation",
        ),
        Binding(
            "e",
            "act('export_markdown')",
            "Export",
            id="conversation.export_markdown",
            tooltip="Export the highlighted conversation to Markdown",
        ),
        Binding(
            "E",
            "act('export_json')",
            "Export JSON",
            show=False,
            id="conversation.export_json",
            tooltip="Export the highlighted conversation as /api/chat JSON (replay with curl)",
        ),
        Binding(
            "i",
            "act('import_conversation')",
            "Import",
            show=False,
            id="conversation.import",
            tooltip="Import a conversation from /api/chat JSON",
        ),
        Binding(
            "u",
            "act('restore_conversation')",
            "Undo delete",
            id="conversation.restore",
            tooltip="Restore the last deleted conversation (in the trash: the highlighted one)",
        ),
        Binding(
            "t",
            "act('toggle_trash')",
            "Trash",
            show=False,
            id="conversation.trash",
            tooltip="Show the deleted conversations (t again: back to the list)",
        ),
        Binding(
            "escape",
            "leave",
            "Back",
            show=False,
            id="conversation.back",
            tooltip="Clear the filter, or leave the trash",
        ),
    ]

    class Selected(Message):
        """The user chose a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            """The conversation to open."""

    class RestoreRequested(Message):
        """The user chose a deleted conversation in the trash."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name
            """The trash entry's file name."""

    class TrashLeft(Message):
        """The user left the trash (Escape)."""

    class Ready(Message):
        """Mounted (after the first frame): time to fill it in."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: Mode = "conversations"
        """What is listed."""
        self.shown_filter: str | None = None
        """The filter text the options were last built for (None: not built yet)."""
        self._all_entries: list[IndexEntry] = []
        self._entries: list[IndexEntry] = []
        self._trash: list[TrashEntry] = []
        self._all_trash: list[TrashEntry] = []
        self._ids: list[str] = []
        self._shown = 0
        self._current: str | None = None
        self.to_input: Callable[[str], None] | None = None
        """Set by the screen: move the keys to the message input and add this text there
        (a sentence typed in the rows by mistake goes there). None: typed text is refused."""
        self.typing = TypingGuard(
            self,
            # Moving, and the filter (where typing goes next), run at once.
            moves=frozenset({"cursor_down", "cursor_up", "edge", "focus_filter"}),
            send=self._typed,
            position=lambda: self.options.highlighted,
            restore=self._highlight,
        )
        """The rows' keys are letters (d deletes, u restores, t shows the trash): typed
        text goes to the input instead of running them."""

    def compose(self) -> ComposeResult:
        yield Static(Content("Conversations"), classes="region-title")
        yield Input(placeholder="Filter (/)", id="conversation-filter", compact=True)
        yield OptionList(id="conversation-options")

    def on_mount(self) -> None:
        self.watch(self.options, "scroll_y", self._scrolled, init=False)
        self.set_interval(30, self.refresh_times)
        self.post_message(self.Ready())

    def refresh_times(self) -> None:
        """Bring the "5m ago" of the rows shown up to date (they age while the app is idle)."""
        options = self.options
        if self.mode == "trash":
            rows = [self._trash_label(e) for e in self._trash[: self._shown]]
        else:
            rows = [self._label(e) for e in self._entries[: self._shown]]
        for index, label in enumerate(rows[: options.option_count]):
            if str(options.get_option_at_index(index).prompt) != str(label):
                options.replace_option_prompt_at_index(index, label)

    @property
    def options(self) -> OptionList:
        return self.query_one("#conversation-options", OptionList)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#conversation-filter", Input)

    @property
    def filter_text(self) -> str:
        """The text the titles are filtered by."""
        return self.filter_input.value

    @property
    def highlighted_id(self) -> str | None:
        """The id of the highlighted row (a trash entry's file name in the trash)."""
        index = self.options.highlighted
        if index is None or not 0 <= index < len(self._ids):
            return None
        return self._ids[index]

    def entry(self, conversation_id: str) -> IndexEntry | None:
        """The row of a conversation, if it is known (listed, or hidden by the filter)."""
        return next((e for e in self._all_entries if e.id == conversation_id), None)

    @property
    def row_ids(self) -> list[str]:
        """Every row's id, in order (also those not turned into options yet)."""
        return list(self._ids)

    # -- filling ----------------------------------------------------------------------------

    def _label(self, entry: IndexEntry) -> Content:
        current = entry.id == self._current
        title = sanitize(entry.title)
        detail = sanitize(entry.model or "no model")
        marker = "▶ " if current else ""
        pin = "★ " if entry.pinned else ""
        return Content.assemble(
            (f"{marker}{pin}{title}", "bold" if current else ""),
            "\n",
            (f"{relative_time(entry.updated_at)} · {detail}", "$text-muted"),
        )

    def _trash_label(self, entry: TrashEntry) -> Content:
        detail = sanitize(entry.model or "no model")
        return Content.assemble(
            sanitize(entry.title),
            "\n",
            (f"deleted {relative_time(entry.deleted_at)} · {detail}", "$text-muted"),
        )

    def _set_title(self) -> None:
        if self.mode == "trash":
            text = f"Trash · {len(self._ids)} · Enter restores"
        elif self.filter_text.strip():
            text = f"Conversations · {len(self._ids):,} found"
        else:
            text = "Conversations"
        self.query_one(".region-title", Static).update(Content(text))

    def set_entries(self, entries: Sequence[IndexEntry], current_id: str | None) -> None:
        """Show these conversations (already in display order; the filter applies)."""
        self._all_entries = list(entries)
        self._current = current_id
        if self.mode == "conversations":
            self._filter_entries()

    def _filter_entries(self, typed: bool = False) -> None:
        """Keep the rows whose title contains the filter text (in memory: no query).

        Args:
            typed: Only the filter changed (the rows did not): if the same rows match,
                the options are left as they are.
        """
        options = self.options
        keep = self.highlighted_id if options.has_focus else None
        text = self.filter_text
        needle = text.strip().casefold()
        if needle:
            entries = [e for e in self._all_entries if needle in e.title.casefold()]
        else:
            entries = self._all_entries
        ids = [e.id for e in entries]
        if typed and ids == self._ids:
            self._set_title()
        else:
            self._entries, self._ids = entries, ids
            self._fill(keep or self._current)
        self.shown_filter = text

    def set_trash(self, entries: Sequence[TrashEntry]) -> None:
        """Show the deleted conversations (most recently deleted first)."""
        self.mode = "trash"
        self.add_class("-trash")
        self.refresh_bindings()
        self._all_trash = list(entries)
        self._filter_trash()

    def _filter_trash(self) -> None:
        needle = self.filter_text.strip().casefold()
        self._trash = [e for e in self._all_trash if needle in e.title.casefold()]
        self._ids = [e.name for e in self._trash]
        self._fill(None)

    def show_conversations(self) -> None:
        """Leave the trash (the rows are brought up to date by the next `set_entries`)."""
        self.mode = "conversations"
        self.remove_class("-trash")
        self.refresh_bindings()
        self._filter_entries()

    def _fill(self, highlight: str | None) -> None:
        options = self.options
        options.clear_options()
        self._shown = 0
        wanted = self._ids.index(highlight) if highlight in self._ids else 0
        self._more(minimum=wanted + 1)
        if self._ids:
            options.highlighted = wanted
        self._set_title()

    def _more(self, minimum: int = 0) -> None:
        """Turn the next page of rows (at least up to `minimum`) into options."""
        end = min(len(self._ids), max(self._shown + PAGE, minimum + PAGE // 2))
        if end <= self._shown:
            return
        if self.mode == "trash":
            batch = [
                Option(self._trash_label(e), id=e.name) for e in self._trash[self._shown : end]
            ]
        else:
            batch = [Option(self._label(e), id=e.id) for e in self._entries[self._shown : end]]
        self.options.add_options(batch)
        self._shown = end

    def _scrolled(self) -> None:
        options = self.options
        if self._shown < len(self._ids) and options.scroll_y >= options.max_scroll_y - 4:
            self._more()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= self._shown - 5:
            self._more()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not event.option.id:
            return
        if self.mode == "trash":
            self.post_message(self.RestoreRequested(event.option.id))
        else:
            self.post_message(self.Selected(event.option.id))

    def set_current(self, conversation_id: str | None) -> None:
        """Mark the conversation on screen at once (the next `set_entries` agrees)."""
        before, self._current = self._current, conversation_id
        if before == conversation_id or self.mode != "conversations":
            return
        options = self.options
        for row_id in (before, conversation_id):
            if row_id is None or row_id not in self._ids:
                continue
            index = self._ids.index(row_id)
            if index < min(self._shown, options.option_count):
                options.replace_option_prompt_at_index(index, self._label(self._entries[index]))

    def highlight(self, row_id: str) -> None:
        """Move the highlight to a row (adding options up to it if needed)."""
        if row_id not in self._ids:
            return
        index = self._ids.index(row_id)
        if index >= self._shown:
            self._more(minimum=index + 1)
        self.options.highlighted = index

    # -- filter -----------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.mode == "trash":
            self._filter_trash()
        else:
            self._filter_entries(typed=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter opens the first match."""
        event.stop()
        options = self.options
        if self._ids:
            options.focus()
            options.highlighted = options.highlighted or 0
            options.action_select()

    async def on_key(self, event: events.Key) -> None:
        if self.filter_input.has_focus:
            # Down from the filter goes to the rows (a one-line Input has no use for it).
            if event.key == "down":
                event.stop()
                self.options.focus()
            return
        await self.typing.key(event)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget is self.filter_input and not self.filter_text:
            self.remove_class("-filtering")
        if event.widget is self.options:
            self.typing.drop()

    def _typed(self, text: str) -> None:
        """Text typed in the rows: the keys move to the message input, with it."""
        if self.to_input is None:
            self.app.bell()
            return
        self.to_input(text)

    def _highlight(self, index: object) -> None:
        """Put the highlight back where it was before a burst of typing moved it."""
        if isinstance(index, int) and 0 <= index < self.options.option_count:
            self.options.highlighted = index

    def clear_filter(self) -> None:
        """Empty the filter box (it hides when it loses focus)."""
        self.filter_input.value = ""

    def action_focus_filter(self) -> None:
        """Show the filter box and put the cursor in it."""
        # The box takes a line only while it is in use.
        self.add_class("-filtering")
        self.filter_input.focus()

    def action_cursor_down(self) -> None:
        """Highlight the next row."""
        self.options.action_cursor_down()

    def action_cursor_up(self) -> None:
        """Highlight the previous row."""
        self.options.action_cursor_up()

    def action_edge(self, edge: int) -> None:
        """Highlight the first (0) or the last (-1) row (the rows not shown yet are added)."""
        if not self._ids:
            return
        if edge == 0:
            self.options.highlighted = 0
            return
        self._more(minimum=len(self._ids))
        self.options.highlighted = len(self._ids) - 1

    def action_leave(self) -> None:
        """Clear the filter, or leave the trash."""
        if self.mode == "trash":
            self.post_message(self.TrashLeft())
        elif self.filter_text:
            self.clear_filter()
            self.options.focus()
            self.remove_class("-filtering")

    async def action_act(self, action: str) -> None:
        """Run one of the screen's conversation actions (they act on the highlighted row)."""
        await self.screen.run_action(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave":
            return self.mode == "trash" or bool(self.filter_text)
        if action == "act" and self.mode == "trash":
            # In the trash, a row can only be restored (or the trash left).
            return parameters[0] in ("restore_conversation", "toggle_trash")
        return True

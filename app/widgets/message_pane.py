"""The conversation itself: messages, and replies streaming in.

Drawn with Textual's line API rather than a widget per message: each message is laid out
as parts (see `app.rendering`) whose lines are rendered only when they come into view, and
cached. Opening a conversation of thousands of messages renders one screenful; a streaming
reply re-renders only its last Markdown block, once per frame. The pane scrolls itself
(and draws its own scrollbar) so that a growing reply only repaints lines: no layout pass
of the screen per new line, as a Textual scroll container would need.

The pane owns the workers that stream replies, one per conversation (group
`reply:<id>`), so replies in several conversations can stream at once while one is shown.
A worker only appends chunks to a `ReplyBuffer`; a frame timer takes what is new and draws
it, so the cost of drawing is per frame, never per token.

With tools on, the same worker closes the tool-call loop: a reply that calls tools is
followed by running them (`app.tools`), their results added as `tool` messages, and the
next request, until the model answers in text or the round limit is reached.

The pane's commands are single keys (d deletes, r regenerates...), so a sentence typed
while it has the focus must not run them: see "typing in the pane" below.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from bisect import bisect_right
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from ..chat import (
    ReplyBuffer,
    chat_body,
    delete_message,
    history_messages,
    message_to_api,
    replace_tail,
    restore_message,
    sanitize,
    switch_variant,
    variant_position,
)
from ..error_log import LOG_NAME, record_failure
from ..messages import SaveFailed
from ..models import ChatMessage, Conversation, ToolCall, now
from ..ollama.errors import OllamaError
from ..store import ImageStoreError, Snapshot, StoreError
from .typing_guard import TypingGuard

if TYPE_CHECKING:
    from ..config import UserToolConfig
    from ..rendering import MessageItem, Palette, Renderer
    from ..services import Services
    from ..tools import Answer, ToolSet


def error_text(exc: BaseException) -> str:
    """One or two plain sentences: what went wrong and, if known, how to fix it."""
    if isinstance(exc, ImageStoreError):
        return (
            f"Could not resend the history: {exc}. Delete the message with that image "
            "(select it, d) to go on."
        )
    if isinstance(exc, (StoreError, OSError)):
        return str(exc)
    if not isinstance(exc, OllamaError):
        detail = f"{type(exc).__name__}: {exc}"[:200]
        return (
            f"Something went wrong in olladeck while handling the reply ({detail}); "
            f"what arrived is kept, and the details are in {LOG_NAME} in the data folder."
        )
    message = exc.message.rstrip()
    if exc.hint:
        if message[-1:] not in ".!?":
            message += "."
        message = f"{message} {exc.hint}"
    return message


SAVE_INTERVAL = 1.0
"""Seconds between saves of a streaming reply: a crash loses at most this much."""
MARGIN = 20
"""Lines above and below the view that are rendered ahead of scrolling."""
_EMPTY = Strip([])
FRAME_BUDGET = 8
"""A frame that took t seconds is followed by at least t * FRAME_BUDGET without one."""
_MOVES = frozenset({"select", "select_edge", "page"})
"""Actions that only move the selection or the view: they run at once, even in a burst."""


class MessagePane(Widget, can_focus=True):
    """Shows one conversation and streams replies into it."""

    COMPONENT_CLASSES = {"message-pane--hint"}

    BINDINGS = [
        # The footer is narrow at 80 columns: moving is in the help screen, the rest is short.
        Binding(
            "up,k",
            "select(-1)",
            "Previous",
            show=False,
            id="pane.previous",
            tooltip="Select the previous message",
        ),
        Binding(
            "down,j",
            "select(1)",
            "Next",
            show=False,
            id="pane.next",
            tooltip="Select the next message",
        ),
        Binding(
            "g,home",
            "select_edge(0)",
            "First",
            show=False,
            id="pane.first",
            tooltip="Select the first message",
        ),
        Binding(
            "G,end",
            "select_edge(-1)",
            "Last",
            show=False,
            id="pane.last",
            tooltip="Select the last message",
        ),
        Binding(
            "c",
            "copy_message",
            "Copy",
            id="pane.copy",
            tooltip="Copy the selected message (Markdown source) to the clipboard",
        ),
        Binding(
            "1",
            "copy_code(1)",
            "Code",
            key_display="1-9",
            id="pane.copy_code",
            tooltip="Copy code block 1-9 of the selected message",
        ),
        *[
            Binding(
                str(n),
                f"copy_code({n})",
                f"Copy code {n}",
                show=False,
                id=f"pane.copy_code_{n}",
                tooltip=f"Copy code block {n}",
            )
            for n in range(2, 10)
        ],
        Binding(
            "v",
            "select_text",
            "Select",
            id="pane.select_text",
            tooltip="Select part of the message with the keyboard, then copy it",
        ),
        Binding(
            "e",
            "edit",
            "Edit",
            id="pane.edit",
            tooltip="Edit this message and resend from here (the old branch is kept)",
        ),
        Binding(
            "r",
            "regenerate",
            "Regen",
            id="pane.regenerate",
            tooltip="Ask for this reply again (the old one is kept as a variant)",
        ),
        Binding(
            "d,delete",
            "delete",
            "Delete",
            id="pane.delete",
            tooltip="Delete the selected message (asks first; u brings it back)",
        ),
        Binding(
            "u",
            "undo_delete",
            "Undo",
            id="pane.undo",
            tooltip="Bring back the message deleted last in this conversation",
        ),
        Binding(
            "escape,i",
            "leave",
            "Input",
            show=False,
            id="pane.input",
            tooltip="Back to the input (while a reply streams, Escape stops it first); "
            "typing a letter that is no key here also goes there, with the letter",
        ),
        Binding(
            "pageup",
            "page(-1)",
            "Page up",
            show=False,
            id="pane.page_up",
            tooltip="Scroll up a page",
        ),
        Binding(
            "pagedown,space",
            "page(1)",
            "Page down",
            show=False,
            id="pane.page_down",
            tooltip="Scroll down a page",
        ),
        Binding(
            "t",
            "toggle_thinking",
            "Thinking",
            id="pane.thinking",
            tooltip="Fold or unfold the model's reasoning",
        ),
        Binding(
            "left_square_bracket",
            "variant(-1)",
            "Versions",
            key_display="[ ]",
            id="pane.variant_previous",
            tooltip="Show the previous version of this message",
        ),
        Binding(
            "right_square_bracket",
            "variant(1)",
            "Next version",
            show=False,
            id="pane.variant_next",
            tooltip="Show the next version of this message",
        ),
    ]

    class ReplyStarted(Message):
        """A reply began streaming."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class ReplyFinished(Message):
        """A reply ended normally or was stopped by the user (it is saved)."""

        def __init__(self, conversation_id: str, stats: Any, stopped: bool) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.stats = stats
            """The server's figures for the reply (`ReplyStats`)."""
            self.stopped = stopped
            """True if the user stopped it."""

    class ReplyFailed(Message):
        """A reply failed; what arrived before the failure is kept and saved."""

        def __init__(self, conversation_id: str, error: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.error = error
            """What went wrong, in plain words."""

    class EditRequested(Message):
        """The user wants to edit an earlier message of theirs and resend from there."""

        def __init__(self, conversation_id: str, message_id: str, text: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.message_id = message_id
            self.text = text
            """The message's current text."""

    class Changed(Message):
        """The conversation on screen changed shape (a message deleted, a variant shown)."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, services: Services, *, fps: int = 20, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self.conversation: Conversation | None = None
        """The conversation on screen."""
        self.selected: int | None = None
        """Index of the selected message, or None."""
        self._fps = fps
        self._streams: dict[str, ReplyBuffer] = {}
        self._items: list[MessageItem] = []
        self._item_cache: dict[str, MessageItem] = {}
        self._offsets: list[int] = [0]
        self._renderer: Renderer | None = None
        self._palette_key: tuple[str, bool] | None = None
        self._width = 0
        self._follow = True
        self._thumb: tuple[int, int] | None = None
        self._frame: Timer | None = None
        self._base_style: Style | None = None
        self._composed_width = 0
        self._next_frame_at = 0.0
        self._composed: dict[tuple[Any, ...], tuple[Strip | None, Strip]] = {}
        self._describing: set[str] = set()
        self._drawing_failed: set[str] = set()
        """Conversations already said to have a message drawn as plain text."""
        self._frame_failures: set[int] = set()
        """Streams (by buffer) whose drawing failed once already (logged once)."""
        self._top = 0
        """First line of the conversation on screen."""
        self._total = 0
        """Height of the whole conversation, in lines."""
        self.tools_for: Callable[[Conversation], Awaitable[ToolSet | None]] | None = None
        """Set by the screen: the tools to offer in a conversation's next request (None:
        none). Asked once per reply, before the first request."""
        self.think_for: Callable[[Conversation], Awaitable[bool]] | None = None
        """Set by the screen: whether the model can be sent a `think` that asks for
        thinking. Asked once per reply, before the first request."""
        self._running_tools: set[str] = set()
        """Conversations whose reply is between requests, running the tools it called."""
        self._hint: list[str] = []
        """The lines shown in an empty conversation (see `_hint_line`)."""
        self.to_input: Callable[[str], None] | None = None
        """Set by the screen: move the keys to the input and add this text at its cursor
        (text typed in the pane goes there). None: typed text is refused."""
        self.typing = TypingGuard(
            self,
            moves=_MOVES,
            send=self._typed,
            position=lambda: self.selected,
            restore=lambda index: self._select(index) if isinstance(index, int) else None,
        )
        """Typed text goes to the input instead of running the one-letter commands."""

    def on_mount(self) -> None:
        self._frame = self.set_interval(1 / self._fps, self._render_frame, pause=True)
        self.watch(self.app, "theme", self._theme_changed, init=False)

    @work(thread=True, group="warm-up", description="Preparing the Markdown renderer")
    def warm_up(self) -> None:
        """Import the Markdown renderer and common code lexers ahead of the first reply.

        They take a few hundred milliseconds to load; done here, in a thread, the first
        reply does not stall on them.
        """
        from ..rendering import warm_up

        warm_up()

    # -- rendering ----------------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        """The renderer for the current theme (built on first use: it imports Rich Markdown)."""
        key = (self.app.theme, self.app.current_theme.dark)
        if self._renderer is None or key != self._palette_key:
            from ..rendering import Palette, Renderer

            palette: Palette = Palette.from_variables(self.app.get_css_variables(), key[1])
            self._renderer = Renderer(palette)
            self._palette_key = key
        return self._renderer

    def _theme_changed(self) -> None:
        for item in self._items:
            item.invalidate()
        self._relayout()

    def _content_width(self) -> int:
        return max(self.content_region.width - 1, 10)  # the last column is the scrollbar

    @property
    def _view_height(self) -> int:
        return max(self.content_region.height, 1)

    @property
    def _max_top(self) -> int:
        return max(0, self._total - self._view_height)

    def _item_height(self, item: MessageItem) -> int:
        return item.height(self._width) if item.laid_out else item.estimate(self._width)

    def _recompute_offsets(self) -> bool:
        """Offsets of every message from the items' heights; True if the total changed."""
        offsets = [0]
        for item in self._items:
            offsets.append(offsets[-1] + self._item_height(item))
        self._offsets = offsets
        changed = offsets[-1] != self._total
        self._total = offsets[-1]
        return changed

    def _relayout(self, prepare: bool = True) -> None:
        """Recompute offsets and the virtual size; keep the view where the user expects it."""
        self._width = self._content_width()
        self._recompute_offsets()
        if prepare:
            self._prepare_view()
        self.refresh()

    def _prepare_view(self) -> None:
        """Render the parts in and near the view, fixing heights that were estimates."""
        if not self._items or self._width <= 0:
            return
        renderer = self.renderer
        for _ in range(8):  # converges in one or two rounds
            if self._follow:
                self._scroll_to_end()
            scroll = self._top
            # Following the end, nothing needs drawing ahead: what scrolls out is drawn (and
            # its height made exact) when the user scrolls back to it.
            margin = 0 if self._follow else MARGIN
            top = scroll - margin
            bottom = scroll + self._view_height + margin
            index = max(0, bisect_right(self._offsets, max(top, 0)) - 1)
            changed = False
            shift = 0
            while index < len(self._items) and self._offsets[index] < bottom:
                item = self._items[index]
                item_top = self._offsets[index]
                before = self._offsets[index + 1] - item_top
                item.render_range(renderer, self._width, top - item_top, bottom - item_top)
                after = item.height(self._width)
                if after != before:
                    changed = True
                    if item_top + before <= scroll:
                        shift += after - before
                index += 1
            if not changed:
                break
            self._recompute_offsets()
            if shift and not self._follow:
                self._top = min(self._max_top, self._top + shift)
        if not (self._follow and self._streaming_here()):
            self._top = min(self._top, self._max_top)

    def _streaming_here(self) -> bool:
        conversation = self.conversation
        return conversation is not None and self.is_streaming(conversation.id)

    def _scroll_to_end(self) -> None:
        """Show the end. While a reply streams, the view jumps a third of a screen at a
        time, leaving room below that new lines fill: most frames then repaint a line or
        two rather than the whole view (less work, and far fewer bytes over SSH)."""
        if not self._streaming_here():
            self._top = self._max_top
            return
        view = self._view_height
        if self._total > self._top + view or self._top > self._total:
            self._top = max(0, self._total - view + view // 3)

    def scroll_lines(self, lines: int) -> None:
        """Scroll by some lines (the user scrolling): following stops above the end."""
        self._top = max(0, min(self._max_top, self._top + lines))
        # Follow the reply unless the user scrolled up; resume at the bottom.
        self._follow = self._top >= self._max_top
        self._prepare_view()
        self.refresh()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_lines(-3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_lines(3)

    def action_page(self, direction: int) -> None:
        """Scroll a page up (-1) or down (1)."""
        self.scroll_lines(direction * max(1, self._view_height - 2))

    def on_resize(self) -> None:
        self._relayout()

    def render_lines(self, crop: Region) -> list[Strip]:
        base = self.rich_style  # once per update, not once per line
        if base != self._base_style or self._width != self._composed_width:
            self._composed.clear()
            self._composed_width = self._width
        self._base_style = base
        self._thumb = self._scrollbar_thumb()
        if not self._items:
            from .empty_hint import hint_entries, hint_lines

            self._hint = hint_lines(hint_entries(self.screen), self._width or self._content_width())
        return super().render_lines(crop)

    def _scrollbar_thumb(self) -> tuple[int, int] | None:
        """Rows of the scrollbar's thumb, or None when everything fits."""
        view, total = self._view_height, self._total
        if total <= view:
            return None
        size = max(1, view * view // total)
        start = min(view - size, (view - size) * self._top // max(1, total - view))
        return start, start + size

    def render_line(self, y: int) -> Strip:
        width = self._width or self._content_width()
        base = self._base_style or self.rich_style
        if not self._items:
            # Nothing to draw (a new conversation): the renderer, which imports Rich's
            # Markdown, is not needed for the first frame.
            return self._hint_line(y, width, base)
        from ..rendering import gutter

        renderer = self.renderer
        thumb = self._thumb
        bar = renderer.scrollbar(thumb is not None and thumb[0] <= y < thumb[1], thumb is None)
        absolute = self._top + y
        index = bisect_right(self._offsets, absolute) - 1
        if not 0 <= index < len(self._items):
            return Strip.join([Strip.blank(width, base), bar]).apply_style(base)
        item = self._items[index]
        body = item.line(renderer, width, absolute - self._offsets[index])
        if not item.laid_out or body is None:
            self.call_after_refresh(self._relayout)
        selected = index == self.selected and self.has_focus
        # Composed lines are cached by the (immutable, cached) body strip they come from.
        key = (
            id(body),
            item.message.role,
            selected,
            thumb is not None and thumb[0] <= y < thumb[1],
        )
        cached = self._composed.get(key)
        if cached is not None and cached[0] is body:
            return cached[1]
        strip = Strip.join([gutter(renderer.palette, item.message.role, selected), body or _EMPTY])
        if selected:
            strip = strip.apply_style(renderer.selection_style)
        strip = Strip.join([strip.crop_extend(0, width, base), bar]).apply_style(base)
        if len(self._composed) > 4096:
            self._composed.clear()
        self._composed[key] = (body, strip)
        return strip

    def _hint_line(self, y: int, width: int, base: Style) -> Strip:
        """A line of the hint an empty conversation shows (drawn only: it is no message,
        so it is never saved or sent, and goes with the first message)."""
        lines = self._hint
        row = y - max(0, (self._view_height - len(lines)) // 3)
        if not 0 <= row < len(lines):
            return Strip.blank(width + 1, base)
        style = base + self.get_component_rich_style("message-pane--hint")
        text = lines[row]
        indent = " " * max(0, (width - cell_len(text)) // 2)
        return Strip([Segment(indent, base), Segment(text, style)]).crop_extend(0, width + 1, base)

    # -- the conversation on screen -----------------------------------------------------------

    def _sync_items(self) -> None:
        """Match the items to the conversation's messages (reusing laid-out ones)."""
        conversation = self.conversation
        if conversation is None or not conversation.messages:
            # (Not importing the renderer for an empty conversation keeps it off the
            # first frame.)
            self._items = []
            self._item_cache = {}
            self.selected = None
            return
        from ..rendering import MessageItem, ViewState

        buffer = self._streams.get(conversation.id)
        cache: dict[str, MessageItem] = {}
        items = []
        for message in conversation.messages:
            item = self._item_cache.get(message.id)
            if item is None or item.message is not message:
                streaming = buffer is not None and buffer.message is message and not buffer.done
                item = MessageItem(message, ViewState(streaming=streaming))
                item.on_failure = self._item_failed
                if streaming:
                    assert buffer is not None
                    buffer.rewind()
            stats = message.stats
            item.state.json_format = bool(stats and stats.structured)
            variant = variant_position(message)
            last = message is conversation.messages[-1]
            if variant != item.state.variant or last != item.state.last:
                item.state.variant = variant
                item.state.last = last
                item.invalidate()
            if message.images and item.state.images is None:
                self._describe_images(message)
            cache[message.id] = item
            items.append(item)
        self._items = items
        self._item_cache = cache
        if self.selected is not None and self.selected >= len(items):
            self.selected = len(items) - 1 if items else None

    def _item_failed(self, item: MessageItem, exc: BaseException) -> None:
        """A message could not be drawn as usual (it is drawn as plain text now): log why,
        and say so once per conversation."""
        conversation = self.conversation
        cid = conversation.id if conversation is not None else "?"
        what = f"A message ({item.message.id}) of conversation {cid} could not be drawn"
        self._log_failure(what, exc)
        self.call_after_refresh(self._relayout)
        if cid in self._drawing_failed:
            return
        self._drawing_failed.add(cid)
        self.notify(
            f"A message of this conversation could not be drawn ({type(exc).__name__}); "
            f"it is shown as plain text. The details are in {LOG_NAME} in the data folder.",
            title="Shown as plain text",
            severity="warning",
            timeout=15,
            markup=False,
        )

    def _log_failure(self, what: str, exc: BaseException) -> None:
        """Put an unexpected failure in Textual's log and in the data folder's log."""
        self.log.error(what, exc)
        record_failure(self.services.store.root, what, exc)

    def _describe_images(self, message: ChatMessage) -> None:
        if message.id in self._describing:
            return
        self._describing.add(message.id)
        self._read_images(message.id, list(message.images), dict(message.image_names))

    @work(thread=True, group="images", exit_on_error=False, description="Reading sent images")
    def _read_images(self, message_id: str, refs: list[str], names: dict[str, str]) -> None:
        """Describe a message's images from the store, with small pictures (in a thread)."""
        from ..attachments import stored_image_info
        from ..chat import one_line
        from ..rendering import ImageView, half_block_cells

        views = []
        for number, ref in enumerate(refs, 1):
            info = stored_image_info(self.services.store.images, ref)
            title = f"image {number}"
            if names.get(ref):
                title = f"{title} · {one_line(names[ref])}"
            if info.state == "error":
                views.append(ImageView(f"{title} · {info.error}"))
                continue
            cells = half_block_cells(info.thumbnail) if info.thumbnail is not None else ()
            views.append(ImageView(f"{title} · {info.facts}", cells))
        self.app.call_from_thread(self._images_described, message_id, views)

    def _images_described(self, message_id: str, views: list[Any]) -> None:
        self._describing.discard(message_id)
        item = self._item_cache.get(message_id)
        if item is not None:
            item.state.images = views
            item.invalidate()
            self._relayout()

    async def show_conversation(self, conversation: Conversation | None) -> None:
        """Show a conversation, scrolled to its end (only what is visible is rendered)."""
        self.conversation = conversation
        self._item_cache = {}
        self.selected = None
        self._follow = True
        self._sync_items()
        self._relayout()
        self._scroll_to_end()
        if conversation is not None and self.is_streaming(conversation.id):
            self._resume_frames()

    def refresh_conversation(self) -> None:
        """The conversation's messages changed: redraw (keeps scroll unless following)."""
        self._sync_items()
        self._relayout()

    async def add_message(self, message: ChatMessage) -> None:
        """A message was appended to the conversation on screen."""
        self._follow = True
        self.selected = None  # an action key must not act on a message from before
        self.refresh_conversation()

    def select_last(self, role: str) -> bool:
        """Select the last message of a role (False if there is none)."""
        for index in range(len(self._items) - 1, -1, -1):
            if self._items[index].message.role == role:
                self._select(index)
                return True
        return False

    def reveal_message(self, message_id: str) -> bool:
        """Select a message and scroll it into view (e.g. a search hit)."""
        for index, item in enumerate(self._items):
            if item.message.id == message_id:
                self._select(index)
                return True
        return False

    def _resume_frames(self) -> None:
        if self._frame is not None:
            self._frame.resume()

    def _item_index(self, message: ChatMessage) -> int | None:
        for index in range(len(self._items) - 1, -1, -1):
            if self._items[index].message is message:
                return index
        return None

    def _render_frame(self) -> None:
        """Draw what arrived since the last frame (runs at most `fps` times a second).

        When frames get expensive (a flood of text from a fast server), they are spaced out
        so that drawing never takes more than a small share of the time the stream needs.
        """
        started = time.perf_counter()
        conversation = self.conversation
        buffer = self._streams.get(conversation.id) if conversation else None
        if buffer is None:
            if self._frame is not None:
                self._frame.pause()
            return
        if started < self._next_frame_at and not buffer.done:
            return
        try:
            self._draw_stream(buffer)
        except Exception as exc:  # a timer callback: raising here would end the app
            if id(buffer) not in self._frame_failures:
                self._frame_failures.add(id(buffer))
                self._log_failure(f"Drawing a streaming reply in {buffer.message.id}", exc)
            self.refresh()
        spent = time.perf_counter() - started
        # A frame costs about as much again to put on screen; keep both under ~1/4 of the time.
        self._next_frame_at = started + spent * FRAME_BUDGET

    def _draw_stream(self, buffer: ReplyBuffer) -> None:
        conversation = self.conversation
        index = self._item_index(buffer.message)
        if index is None:
            return
        item = self._items[index]
        before = list(item.parts()) if item.laid_out else []
        thinking, content = buffer.take_thinking(), buffer.take_content()
        if thinking:
            item.feed_thinking(sanitize(thinking))
        if content:
            item.feed(sanitize(content))
        if buffer.done:
            item.finish()
            if conversation is not None and self._streams.get(conversation.id) is buffer:
                del self._streams[conversation.id]
            self._sync_items()
        elif thinking or content:
            pass
        elif not item.has_text:
            item.state.spinner += 1  # the waiting indicator turns
            item._changed()
        else:
            return
        self._redraw_item(index, before)

    def _redraw_item(self, index: int, old_parts: list[Any]) -> None:
        """One message changed: repaint only its changed lines, unless the layout moved."""
        if index >= len(self._items):
            self._relayout()
            return
        item = self._items[index]
        height = self._offsets[index + 1] - self._offsets[index]
        top = self._offsets[index] - self._top
        view = self._view_height
        margin = 0 if self._follow else MARGIN
        item.render_range(self.renderer, self._width, -top - margin, view - top + margin)
        new_height = item.height(self._width)
        scroll_before = self._top
        if new_height != height:
            self._recompute_offsets()
            self._prepare_view()
        # Parts reused from the last frame are unchanged on screen; repaint from the first
        # part that is new, down to the end of the message (or of the view, if it grew).
        # Only when the view scrolled (following a reply past the bottom) must all of it
        # be drawn again.
        if self._top != scroll_before or (index != len(self._items) - 1 and new_height != height):
            self.refresh()
            return
        parts = item.parts()
        same = 0
        while same < min(len(parts), len(old_parts)) and parts[same] is old_parts[same]:
            same += 1
        first = max(top + item.layout(self._width)[same], 0)
        last = min(top + max(height, new_height), view)
        if last > first:
            self.refresh(Region(0, first, self.size.width, last - first))
        if new_height != height and self._total > view:
            self.refresh(Region(self.size.width - 1, 0, 1, view))  # the scrollbar's thumb

    # -- streaming ----------------------------------------------------------------------------

    def is_streaming(self, conversation_id: str) -> bool:
        """True while a reply streams in that conversation (or runs the tools it called)."""
        if conversation_id in self._running_tools:
            return True
        buffer = self._streams.get(conversation_id)
        return buffer is not None and not buffer.done

    @property
    def streaming_ids(self) -> list[str]:
        """Conversations with a reply streaming now (or running the tools it called)."""
        streaming = [cid for cid, buffer in self._streams.items() if not buffer.done]
        return [*streaming, *(c for c in self._running_tools if c not in streaming)]

    async def start_reply(
        self, conversation: Conversation, message: ChatMessage | None = None
    ) -> None:
        """Ask the model for the next reply and stream it in.

        Args:
            conversation: Where the reply goes.
            message: The (empty) reply, already placed last; None appends a new one.
        """
        if message is None:
            message = ChatMessage(role="assistant", state="streaming")
            conversation.messages.append(message)
        self._stream_reply(conversation, self._begin(conversation, message))

    def _begin(self, conversation: Conversation, message: ChatMessage) -> ReplyBuffer:
        """Get ready to stream into `message` (already placed last in the conversation)."""
        buffer = ReplyBuffer(message, conversation.model)
        assert message.stats is not None
        message.stats.structured = conversation.chat_options.format not in (None, "")
        self._streams[conversation.id] = buffer
        if conversation is self.conversation:
            self._follow = True
            self.selected = None
            self.refresh_conversation()
            self._resume_frames()
        return buffer

    def stop_reply(self, conversation_id: str) -> bool:
        """Stop a streaming reply; the part that arrived is kept. False if none streams."""
        if not self.is_streaming(conversation_id):
            return False
        self.workers.cancel_group(self, f"reply:{conversation_id}")
        return True

    def _snapshot(self, conversation: Conversation) -> Snapshot:
        return self.services.store.snapshot(conversation)

    def _write(self, snapshot: Snapshot) -> None:
        try:
            self.services.store.write(snapshot)
        except StoreError as exc:
            self.post_message(SaveFailed(snapshot.conversation_id, str(exc)))
        except Exception as exc:  # never lost silently: said, logged, retried
            record_failure(self.services.store.root, "Saving a conversation failed", exc)
            reason = f"{type(exc).__name__}: {exc}"[:200]
            self.post_message(SaveFailed(snapshot.conversation_id, f"Save failed ({reason})."))

    @work(thread=True, group="save", description="Saving a streaming reply")
    def _save_in_background(self, snapshot: Snapshot) -> None:
        self._write(snapshot)

    async def _save_now(self, conversation: Conversation) -> None:
        # Shielded: a stop (cancellation) must not lose the final save.
        snapshot = self._snapshot(conversation)
        await asyncio.shield(asyncio.to_thread(self._write, snapshot))

    def _request_messages(self, conversation: Conversation, reply: ChatMessage) -> list[dict]:
        """The history as API messages (images read from the store: call in a thread)."""
        index = conversation.messages.index(reply)
        images = self.services.store.images
        return [
            message_to_api(m, [images.base64(ref) for ref in m.images])
            for m in history_messages(conversation, upto=index)
        ]

    def _stream_reply(self, conversation: Conversation, buffer: ReplyBuffer) -> None:
        self.run_worker(
            self._consume(conversation, buffer),
            group=f"reply:{conversation.id}",
            exclusive=True,
            exit_on_error=False,
            description=f"Streaming a reply from {conversation.model}",
        )

    async def _consume(self, conversation: Conversation, buffer: ReplyBuffer) -> None:
        """The worker: save the prompt, send the request, feed the buffer, save the reply.

        With tools offered, a reply that calls tools is complete once they are called;
        the tools run, their results are added (and saved), and the next reply streams
        into a new message, until the model answers in text or `max_rounds` rounds of
        calls were made. Stopping ends the whole loop, a running tool included.
        """
        self.post_message(self.ReplyStarted(conversation.id))
        try:
            await self._save_now(conversation)
            toolset = await self.tools_for(conversation) if self.tools_for else None
            can_think = await self.think_for(conversation) if self.think_for else True
            rounds = 0
            while True:
                await self._request(conversation, buffer, toolset, can_think)
                calls = list(buffer.message.tool_calls) if toolset is not None else []
                if toolset is None or not calls:
                    break
                # Marked first, so the reply counts as going on while its tools run.
                self._running_tools.add(conversation.id)
                buffer.finish("complete")
                self._finished(conversation)
                await self._save_now(conversation)
                rounds += 1
                if rounds > toolset.max_rounds:
                    self._stop_calling_tools(conversation, calls, toolset.max_rounds)
                    break
                await self._run_tools(conversation, toolset, calls)
                reply = ChatMessage(role="assistant", state="streaming")
                conversation.messages.append(reply)
                buffer = self._begin(conversation, reply)
                self._running_tools.discard(conversation.id)
                await self._save_now(conversation)
        except asyncio.CancelledError:
            self._running_tools.discard(conversation.id)
            if not buffer.done:
                buffer.finish("stopped")
            self._finished(conversation)
            await self._save_now(conversation)
            stats = buffer.message.stats
            self.post_message(self.ReplyFinished(conversation.id, stats, stopped=True))
            raise
        except Exception as exc:  # whatever it is, the reply ends and says why
            await self._fail_reply(conversation, buffer, exc)
            return
        try:
            self._running_tools.discard(conversation.id)
            if not buffer.done:
                buffer.finish("complete")
            conversation.updated_at = now()
            self._finished(conversation)
            await self._painted()  # the last frame reaches the screen before the save starts
            await self._save_now(conversation)
        except Exception as exc:
            await self._fail_reply(conversation, buffer, exc)
            return
        stats = buffer.message.stats
        self.post_message(self.ReplyFinished(conversation.id, stats, stopped=False))

    async def _fail_reply(
        self, conversation: Conversation, buffer: ReplyBuffer, exc: Exception
    ) -> None:
        """End a reply that failed: state `error` with a sentence on screen, saved, what
        arrived kept (never a spinner left turning). An unexpected failure is logged."""
        self._running_tools.discard(conversation.id)
        text = error_text(exc)
        if not isinstance(exc, OllamaError | StoreError | OSError):
            self._log_failure(f"A reply in conversation {conversation.id} failed", exc)
        message = buffer.message
        try:
            if not buffer.done:
                buffer.finish("error", text)
        except Exception:
            buffer.done = True
        if message.state != "error" or not message.error:
            message.state, message.error = "error", text
        try:
            self._finished(conversation)
        except Exception as draw_failure:
            self._log_failure(f"Drawing the end of a reply in {conversation.id}", draw_failure)
            self._streams.pop(conversation.id, None)
            self._sync_items()
            self._relayout()
        await self._save_now(conversation)
        self.post_message(self.ReplyFailed(conversation.id, text))

    async def _request(
        self,
        conversation: Conversation,
        buffer: ReplyBuffer,
        toolset: ToolSet | None,
        can_think: bool = True,
    ) -> None:
        """Send one `/api/chat` request and feed its reply into the buffer."""
        messages = await asyncio.to_thread(self._request_messages, conversation, buffer.message)
        tools = toolset.definitions() if toolset is not None else None
        body = chat_body(conversation, messages, tools, can_think=can_think)
        client = self.services.client()
        last_save = time.monotonic()
        if conversation.chat_options.stream:
            async with aclosing(client.chat_batches(body)) as batches:
                async for batch in batches:
                    for chunk in batch:
                        buffer.add(chunk)
                    moment = time.monotonic()
                    if moment - last_save >= SAVE_INTERVAL:
                        last_save = moment
                        buffer.sync()
                        self._save_in_background(self._snapshot(conversation))
        else:
            buffer.add(await client.chat(body))

    async def _painted(self) -> None:
        """Wait until the screen has been updated once more."""
        painted = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not painted.done():
                painted.set_result(None)

        self.call_after_refresh(done)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(painted, 0.5)

    def _finished(self, conversation: Conversation) -> None:
        """A stream ended: draw its last frame now, or forget it if it is not on screen."""
        if conversation is self.conversation:
            self._render_frame()
        else:
            self._streams.pop(conversation.id, None)

    # -- acting on messages --------------------------------------------------------------------

    @property
    def selected_message(self) -> ChatMessage | None:
        if self.selected is None or not 0 <= self.selected < len(self._items):
            return None
        return self._items[self.selected].message

    def _select(self, index: int) -> None:
        if not self._items:
            self.selected = None
            return
        index = max(0, min(index, len(self._items) - 1))
        self.selected = index
        if index == len(self._items) - 1:
            # The last message: go to the very end, and follow what arrives.
            self._follow = True
            self._prepare_view()
            self.refresh()
            self.refresh_bindings()
            return
        top, bottom = self._offsets[index], self._offsets[index + 1]
        view = self._view_height
        if top < self._top or bottom > self._top + view:
            target = top if bottom - top > view or top < self._top else bottom - view
            self._top = max(0, min(self._max_top, target))
            self._follow = self._top >= self._max_top
            self._prepare_view()
        self.refresh()
        self.refresh_bindings()

    def on_focus(self) -> None:
        if self.selected is None and self._items:
            self._select(len(self._items) - 1)
        self.refresh()

    def on_blur(self) -> None:
        self.typing.drop()
        self.refresh()

    async def on_key(self, event: events.Key) -> None:
        await self.typing.key(event)

    def _typed(self, text: str) -> None:
        """Text typed in the pane: the keys move to the input, with it (or it is refused)."""
        if self.to_input is None:
            self.app.bell()
            return
        self.to_input(text)

    def action_leave(self) -> None:
        """Give the keys back to the input."""
        if self.to_input is not None:
            self.to_input("")

    def action_select(self, step: int) -> None:
        """Move the selection up or down."""
        if self.selected is None:
            self._select(len(self._items) - 1)
        else:
            self._select(self.selected + step)

    def action_select_edge(self, edge: int) -> None:
        """Select the first (0) or last (-1) message."""
        self._select(0 if edge == 0 else len(self._items) - 1)

    def _copy(self, text: str, what: str) -> None:
        if not text:
            self.notify(f"Nothing to copy: the {what} is empty.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the {what}: {len(text):,} characters.", markup=False)

    def action_copy_message(self) -> None:
        """Copy the selected message's text (a reply's Markdown source)."""
        message = self.selected_message
        if message is not None:
            self._copy(message.content, "message")

    def action_copy_code(self, number: int) -> None:
        """Copy one fenced code block of the selected message."""
        from ..rendering import code_blocks

        message = self.selected_message
        if message is None:
            return
        blocks = code_blocks(message.content)
        if number > len(blocks):
            count = len(blocks)
            has = f"has {count} code block{'s' if count != 1 else ''}" if count else "has no code"
            self.notify(f"This message {has}.", severity="warning")
            return
        self._copy(blocks[number - 1][1].rstrip("\n"), f"code block {number}")

    def action_select_text(self) -> None:
        """Open the message in a read-only editor to select and copy part of it."""
        from ..screens.select_text import SelectTextScreen

        message = self.selected_message
        if message is not None and message.content:
            self.app.push_screen(SelectTextScreen(sanitize(message.content)))

    def action_toggle_thinking(self) -> None:
        """Fold or unfold the reasoning of the selected reply."""
        if self.selected is None:
            return
        item = self._items[self.selected]
        item.state.thinking_open = not item.thinking_open
        item.invalidate()
        self._relayout()

    def action_edit(self) -> None:
        """Edit the selected (user) message: the screen puts it in the input."""
        message = self.selected_message
        if message is None or message.role != "user" or self.conversation is None:
            return
        self.post_message(self.EditRequested(self.conversation.id, message.id, message.content))

    async def action_regenerate(self) -> None:
        """Ask again for the selected reply; the old one stays as a variant."""
        conversation = self.conversation
        message = self.selected_message
        if conversation is None or message is None or message.role != "assistant":
            return
        if self.is_streaming(conversation.id):
            self.notify("A reply is still streaming: press Escape to stop it first.")
            return
        index = conversation.messages.index(message)
        await self.regenerate(conversation, index)
        if conversation is self.conversation:
            self._select(index)  # the new reply, where the old one was

    async def regenerate(self, conversation: Conversation, index: int) -> None:
        """Replace the reply at `index` (and what follows) by a new one."""
        if not any(m.role == "user" for m in conversation.messages[:index]):
            # Its question was deleted: the request would carry no question at all.
            self.notify(
                "Nothing to ask again: the question before this reply was deleted.",
                severity="warning",
            )
            return
        old = conversation.messages[index]
        keep = old.state != "error" or bool(old.content)
        reply = ChatMessage(role="assistant", state="streaming")
        replace_tail(conversation, index, [reply], keep_old=keep)
        self.selected = None
        await self.start_reply(conversation, reply)

    async def resend_edited(
        self,
        conversation: Conversation,
        message_id: str,
        text: str,
        images: list[str] | None = None,
        image_names: dict[str, str] | None = None,
    ) -> None:
        """Replace a user message by its edited text and ask again from there.

        The message keeps its images; `images` (attached from files `image_names`) are
        added to them.
        """
        index = next(i for i, m in enumerate(conversation.messages) if m.id == message_id)
        old = conversation.messages[index]
        edited = ChatMessage(
            role="user",
            content=text,
            images=[*old.images, *(images or [])],
            image_names={**old.image_names, **(image_names or {})},
        )
        replace_tail(conversation, index, [edited])
        conversation.updated_at = now()
        self.selected = None
        await self.start_reply(conversation)

    def action_delete(self) -> None:
        """Delete the selected message (asks first)."""
        from ..screens.confirm import ConfirmScreen

        conversation = self.conversation
        message = self.selected_message
        if conversation is None or message is None:
            return
        if self.is_streaming(conversation.id) and message is conversation.messages[-1]:
            self.notify("Stop the reply (Escape) before deleting it.")
            return
        preview = " ".join(message.content.split())[:80] or "(empty)"
        question = "Delete this message?"
        if message.alternatives:
            question = "Delete this version (from this message on)? Another version is shown."

        def answered(yes: bool | None) -> None:
            index = next((i for i, m in enumerate(conversation.messages) if m is message), None)
            if not yes or index is None:
                return
            if self.is_streaming(conversation.id) and index == len(conversation.messages) - 1:
                return  # a reply began streaming into it meanwhile
            deleted = delete_message(conversation, index)
            conversation.deleted.append(deleted)
            if conversation is self.conversation:
                self.refresh_conversation()
            self.post_message(self.Changed(conversation.id))
            self.refresh_bindings()
            self.notify(
                "Press u in the conversation to bring it back (or Ctrl+P: "
                "“Undo the message deletion”).",
                title="Message deleted",
                timeout=10,
            )

        self.app.push_screen(
            ConfirmScreen(question, sanitize(preview), yes="Delete", danger=True),
            answered,
        )

    def action_undo_delete(self) -> None:
        """Bring back the message deleted last in the conversation on screen."""
        conversation = self.conversation
        deleted = conversation.deleted if conversation is not None else None
        if conversation is None or not deleted:
            self.notify("No message of this conversation was deleted.")
            return
        if self.is_streaming(conversation.id):
            self.notify("Stop the reply (Escape) before bringing a message back.")
            return
        restored = deleted.pop()
        restore_message(conversation, restored)
        self.refresh_conversation()
        self.reveal_message(restored.messages[0].id)
        self.post_message(self.Changed(conversation.id))
        self.refresh_bindings()
        self.notify("The deleted message is back.")

    def action_variant(self, step: int) -> None:
        """Show another version of the selected message (and what followed it)."""
        conversation = self.conversation
        message = self.selected_message
        if conversation is None or message is None or not message.alternatives:
            return
        if self.is_streaming(conversation.id):
            self.notify("Stop the reply (Escape) before switching versions.")
            return
        index = conversation.messages.index(message)
        switch_variant(conversation, index, step)
        self.refresh_conversation()
        self.post_message(self.Changed(conversation.id))
        self._select(index)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        message = self.selected_message
        if action in ("select", "select_edge", "leave"):
            return True
        if action == "undo_delete":
            conversation = self.conversation
            return conversation is not None and bool(conversation.deleted)
        if message is None:
            return False
        if action == "edit":
            return message.role == "user"
        if action == "regenerate":
            return message.role == "assistant"
        if action == "toggle_thinking":
            return bool(message.thinking)
        if action == "variant":
            return bool(message.alternatives)
        if action in ("copy_code",):
            from ..rendering import fence_info

            content = message.content
            return (
                "```" in content
                or "~~~" in content
                or "\n    " in content
                or "\n\t" in content
                or (fence_info(content) is not None)
            )
        return True

    # -- tool calls ----------------------------------------------------------------------------
    # The worker above runs the calls of a reply here, one after the other. Each gets a
    # `tool` message at once (saved), which says what is happening until the result
    # replaces it. The user's own tools ask first (ToolConfirmScreen, showing the exact argv).

    async def _run_tools(
        self, conversation: Conversation, toolset: ToolSet, calls: list[ToolCall]
    ) -> None:
        """Run a reply's tool calls; each result becomes a `tool` message (saved)."""

        async def confirm(tool: UserToolConfig, argv: list[str]) -> Answer:
            return await self._confirm_tool(conversation, tool, argv)

        for index, call in enumerate(calls):
            result = ChatMessage(
                role="tool", tool_name=call.name, content="Running…", state="streaming"
            )
            self._add_tool_message(conversation, result)
            await self._save_now(conversation)

            def progress(text: str, result: ChatMessage = result) -> None:
                result.content = text
                self._tool_message_changed(conversation, result)

            try:
                outcome = await toolset.run(call, confirm, progress)
            except asyncio.CancelledError:
                result.content = "Stopped by the user before it finished."
                result.state = "stopped"
                self._tool_message_changed(conversation, result)
                for rest in calls[index + 1 :]:
                    self._add_tool_message(
                        conversation,
                        ChatMessage(
                            role="tool",
                            tool_name=rest.name,
                            content="Not run: the user stopped the reply.",
                        ),
                    )
                raise
            result.content = outcome.content
            result.state = "complete"
            self._tool_message_changed(conversation, result)
            if outcome.error:
                self.notify(
                    sanitize(outcome.error),
                    title="A tool call failed (the model is told)",
                    severity="warning",
                    markup=False,
                )
            await self._save_now(conversation)

    def _stop_calling_tools(
        self, conversation: Conversation, calls: list[ToolCall], limit: int
    ) -> None:
        """The round limit is reached: the calls are answered without running them."""
        for call in calls:
            self._add_tool_message(
                conversation,
                ChatMessage(
                    role="tool",
                    tool_name=call.name,
                    content=f"Not run: olladeck stops after {limit} rounds of tool calls "
                    "for one message.",
                ),
            )
        self.notify(
            f"The model kept calling tools: stopped after {limit} rounds without an answer. "
            "Ctrl+R lets it go on.",
            title="Tool calls stopped",
            severity="warning",
        )

    def _add_tool_message(self, conversation: Conversation, message: ChatMessage) -> None:
        conversation.messages.append(message)
        if conversation is self.conversation:
            self._follow = True
            self.refresh_conversation()

    def _tool_message_changed(self, conversation: Conversation, message: ChatMessage) -> None:
        if conversation is not self.conversation:
            return
        item = self._item_cache.get(message.id)
        if item is not None:
            item.invalidate()
        self._relayout()

    async def _confirm_tool(
        self, conversation: Conversation, tool: UserToolConfig, argv: list[str]
    ) -> Answer:
        """Ask before a tool of the user's own runs, showing exactly what will run."""
        from ..screens.tool_confirm import ToolConfirmScreen

        screen = ToolConfirmScreen(
            sanitize(f"{conversation.model or 'The model'} wants to run your tool “{tool.name}”"),
            sanitize(tool.description),
            argv,
            tool.timeout,
        )
        try:
            run = await self.app.push_screen_wait(screen)
        except asyncio.CancelledError:
            # The reply was stopped while the question was open: it is no longer asked.
            if self.app.screen is screen:
                screen.dismiss(False)
            raise
        if not run:
            return "no"
        return "always" if screen.always_chosen else "yes"

"""The main screen: conversation list, message pane, input, model sidebar."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import importlib
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerFailed

from ..chat import context_usage, one_line, sanitize
from ..core.display_text import EMPTY
from ..hosts import DEMO_HOST, conversation_host, host_name, named_hosts, next_host
from ..messages import SaveFailed
from ..models import ChatMessage, ChatOptions, Conversation, now
from ..ollama.errors import (
    NotOllamaError,
    OllamaConnectionError,
    OllamaDisconnectedError,
    OllamaError,
)
from ..ollama.host import parse_host
from ..store import StoreError
from ..widgets.attachment_bar import AttachmentBar
from ..widgets.deferred import Deferred
from ..widgets.message_pane import MessagePane
from ..widgets.prompt_input import PromptInput
from ..widgets.status_line import StatusLine
from .history import HistoryActions

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from textual.app import SystemCommand
    from textual.timer import Timer
    from textual.widget import Widget

    from ..models import KeepAlive
    from ..ollama.types import ModelDetails, ModelInfo
    from ..services import Services
    from ..tools import ToolSet
    from ..widgets.model_sidebar import ModelSidebar
    from .image_picker import PickedImages

RETRY_DELAYS = (2.0, 4.0, 8.0, 15.0)
"""Seconds between attempts to reach an unreachable server (the last one repeats)."""
SAVE_RETRY = 10.0
"""Seconds between attempts to save a conversation whose save failed."""


def _conversation_list() -> Widget:
    from ..widgets.conversation_list import ConversationList

    return ConversationList(id="conversations")


def _footer() -> Widget:
    from ..widgets.key_footer import KeyFooter

    return KeyFooter(compact=True)


def _model_sidebar() -> Widget:
    from ..widgets.model_sidebar import ModelSidebar

    return ModelSidebar(id="sidebar")


NARROW = 110
"""Below this many columns the model sidebar is hidden."""
VERY_NARROW = 90
"""Below this many columns the conversation list is hidden too."""
_MODEL_ACTIONS = frozenset({"load_model", "unload_model", "next_host", "refresh_models"})
"""Actions of the model and settings section that apply only in some states."""


class MainScreen(HistoryActions, Screen[None]):
    """Where chatting happens (the history half is in `history.py`)."""

    BINDINGS = [
        Binding(
            "escape",
            "stop_reply",
            "Stop",
            id="chat.stop",
            priority=True,
            tooltip="Stop the reply that is streaming (what arrived is kept)",
        ),
        Binding(
            "escape",
            "cancel_edit",
            "Cancel edit",
            id="chat.cancel_edit",
            priority=True,
            tooltip="Stop editing the earlier message; the input gets back what it had",
        ),
        Binding(
            "ctrl+n",
            "new_conversation",
            "New",
            id="conversation.new",
            tooltip="Start a new conversation",
        ),
        Binding(
            "ctrl+r",
            "retry",
            "Retry",
            id="chat.retry",
            tooltip="Ask again for the last reply (after an error or a stop)",
        ),
        Binding(
            "f2",
            "use_demo",
            "Demo server",
            id="app.demo",
            tooltip="Use the built-in simulated Ollama server",
        ),
        Binding(
            "ctrl+o",
            "attach_images",
            "Images",
            id="images.attach",
            tooltip="Attach image files to the message (for models that can see)",
        ),
        Binding(
            "ctrl+g",
            "toggle_tools",
            "Tools",
            show=False,
            id="tools.toggle",
            tooltip="Turn tool calling on or off for this conversation",
        ),
        Binding(
            "ctrl+t",
            "open_settings",
            "Settings",
            id="settings.open",
            tooltip="Options, request, format and system prompt of this conversation",
        ),
        Binding(
            "f5",
            "refresh_models",
            "Refresh",
            show=False,
            id="models.refresh_list",
            tooltip="Ask the server again for its models",
        ),
        Binding(
            "f3",
            "manage_models",
            "Models",
            id="models.manage",
            tooltip="Installed and loaded models; pull, delete, Modelfile and license",
        ),
        Binding(
            "f4",
            "load_model",
            "Load",
            show=False,
            id="model.load",
            tooltip="Load this conversation's model into memory now",
        ),
        Binding(
            "f8",
            "unload_model",
            "Unload",
            show=False,
            id="model.unload",
            tooltip="Unload this conversation's model from memory now",
        ),
        Binding(
            "f9",
            "next_host",
            "Next host",
            show=False,
            id="host.next",
            tooltip="Switch to the next Ollama host named in the config",
        ),
        Binding(
            "ctrl+l",
            "toggle_list",
            "List",
            show=False,
            id="view.list",
            tooltip="Show or hide the conversation list (over the conversation when narrow)",
        ),
        Binding(
            "ctrl+right_square_bracket",
            "toggle_sidebar",
            "Sidebar",
            key_display="^]",
            show=False,
            id="view.sidebar",
            tooltip="Show or hide the model sidebar (over the conversation when narrow)",
        ),
        Binding(
            "escape",
            "close_overlay",
            "Close",
            show=False,
            id="view.close_overlay",
            tooltip="Close the list or sidebar shown over the conversation (narrow terminals)",
        ),
        Binding(
            "ctrl+f",
            "search_messages",
            "Search",
            id="search.open",
            tooltip="Search the text of every message in every conversation",
        ),
    ]

    def __init__(self, services: Services, *, model: str = "") -> None:
        super().__init__()
        self.services = services
        self.conversations: dict[str, Conversation] = {}
        """The conversations opened so far, by id: the live objects (a reply may be streaming
        into one), never replaced by a fresh load. The list itself comes from the index."""
        self.current = self._new_conversation(model or services.config.default_model)
        """The conversation on screen."""
        self.connection = "connecting"
        """`connecting`, `connected` or `unreachable`."""
        self._retry_index = 0
        self._details: dict[str, ModelDetails] = {}
        self._fetching_details: set[str] = set()
        self._models: list[ModelInfo] = []
        self._loaded_context: dict[str, int] = {}
        self._context_warned = ""
        self._listed = False
        self._last_save_notice = 0.0
        self._save_retries: set[str] = set()
        self._loaded = False
        self._regions: dict[str, bool | None] = {}
        """Side regions the user showed (True) or hid (False); None: as the width allows."""
        self._editing: tuple[str, str, str] | None = None
        """While editing an earlier message: (conversation id, message id, the input before)."""
        self._init_history()

    def _new_conversation(self, model: str) -> Conversation:
        config = self.services.config
        return Conversation(
            model=model,
            system=config.system,
            chat_options=ChatOptions(
                options=dict(config.options),
                format=copy.deepcopy(config.format),
                keep_alive=config.keep_alive,
                think=config.think,
                stream=config.stream,
                tools=config.tools.enabled,
            ),
            host=self._host_label(),
        )

    def _host_label(self) -> str:
        """What a conversation records as its host now: the config's name for it, its
        URL, or `demo` for the built-in server (whose port changes every time)."""
        services = self.services
        return DEMO_HOST if services.demo else conversation_host(services.config, services.host)

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Classes for the width first, so the styles are worked out once, not twice.
        self._fit(self.app.size.width)
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            # The side regions are mounted just after the first frame: the conversation
            # and the input are on screen sooner, and the sides fill in a moment later.
            yield Deferred(_conversation_list)
            with Vertical(id="chat"):
                # The frame is drawn by a container around the pane: a border on the pane
                # itself would be recomposed with every line the pane repaints.
                with Vertical(id="transcript"):
                    yield MessagePane(
                        self.services, fps=self.services.config.render_fps, id="messages"
                    )
                yield AttachmentBar(self.services.store.images, id="attachments")
                yield Static(Content(""), id="edit-note")
                yield PromptInput(id="prompt")
            yield Deferred(_model_sidebar)
        yield Deferred(_footer)

    @property
    def pane(self) -> MessagePane:
        return self.query_one("#messages", MessagePane)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    async def on_mount(self) -> None:
        await self.pane.show_conversation(self.current)
        self._fit(self.app.size.width)
        host = self.services.host
        status = self.status
        status.host = host.label
        status.demo = self.services.demo
        status.insecure = host.is_insecure_remote
        status.model = one_line(self.current.model)
        self.pane.tools_for = self._tools_for
        self.pane.think_for = self._think_for
        # Any request that finds the server gone (a reply, a list, a pull) says so.
        self.services.on_unreachable = self._check_connection
        self.pane.to_input = self._type_in_input
        self.prompt.focus()
        # Disk and network wait until the first frame is on screen, and the regions
        # mounted after it (see Deferred) have had their own frame.
        self.call_after_refresh(self.call_after_refresh, self._start_background_work)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Side regions give way on narrow terminals, so the conversation stays readable.

        Ctrl+L and Ctrl+] bring them back at any width: beside the conversation when there
        is room, over it when there is not.
        """
        self.set_class(width < NARROW, "-narrow")
        self.set_class(width < VERY_NARROW, "-very-narrow")
        self._apply_regions()

    def _apply_regions(self) -> None:
        width = self.app.size.width
        closed = False
        for name, limit in (("list", VERY_NARROW), ("sidebar", NARROW)):
            wanted = self._regions.get(name)
            room = width >= limit
            shown = room if wanted is None else wanted
            closed |= self.has_class(f"-overlay-{name}") and not (shown and not room)
            self.set_class(not shown, f"-hide-{name}")
            self.set_class(shown and not room, f"-overlay-{name}")
        if closed:
            # Only the overlay's region is redrawn when it goes, cut at its edges: a wide
            # character (CJK, emoji) across an edge would stay erased. The whole screen is
            # drawn again instead, once the layout without the overlay is in place.
            self.call_after_refresh(self.refresh)

    def _region_shown(self, name: str) -> bool:
        return not self.has_class(f"-hide-{name}")

    def action_toggle_list(self) -> None:
        """Show or hide the conversation list."""
        # The rows take the keys (j, k, Enter; typing goes on to the input), not the filter.
        self._toggle_region("list", "#conversations OptionList")

    def action_toggle_sidebar(self) -> None:
        """Show or hide the model sidebar."""
        self._toggle_region("sidebar", "#sidebar")

    def _toggle_region(self, name: str, selector: str) -> None:
        shown = self._region_shown(name)
        limit = VERY_NARROW if name == "list" else NARROW
        if self.app.size.width >= limit:
            self._regions[name] = not shown  # a preference, kept across resizes
        else:
            # An overlay on a narrow screen: closing it returns to "as the width allows".
            self._regions[name] = None if shown else True
        self._apply_regions()
        if not shown:
            self._focus_inside(selector)
        elif self.focused is None or not self.focused.is_attached or not self.focused.display:
            self.prompt.focus()

    def action_close_overlay(self) -> None:
        """Close the list or sidebar shown over the conversation; back to the input."""
        self._close_overlays()
        self.prompt.focus()

    @on(events.DescendantFocus, "#prompt")
    def _input_focused(self) -> None:
        # Back at the input (Tab, or typing in the list goes there): an overlay would
        # hide part of it and of the conversation, so it goes.
        if self.has_class("-overlay-list") or self.has_class("-overlay-sidebar"):
            self._close_overlays()

    def _close_overlays(self) -> None:
        """An overlaid region goes away once it has done its job."""
        for name in ("list", "sidebar"):
            if self.has_class(f"-overlay-{name}"):
                self._regions[name] = None
        self._apply_regions()

    def action_focus_region(self, region: str) -> None:
        """Move the focus to a region: list, conversation, input or sidebar."""
        if region == "conversation":
            self.pane.focus()
            return
        if region == "input":
            self.prompt.focus()
            return
        name, selector = ("list", "#conversations") if region == "list" else ("sidebar", "#sidebar")
        if not self._region_shown(name):
            self._regions[name] = True
            self._apply_regions()
        self._focus_inside(selector)

    def _focus_inside(self, selector: str) -> None:
        for found in self.query(selector):
            # The region is a container: its first control that takes the keys gets them.
            target = (
                found
                if found.focusable
                else next((widget for widget in found.query("*") if widget.focusable), None)
            )
            if target is not None:
                target.focus()

    def _type_in_input(self, text: str) -> None:
        """Text typed in the conversation pane goes to the input (the keys move there).

        The focus moves at once (not after a refresh, as `focus()` does): the next key of
        the burst must already reach the input.
        """
        prompt = self.prompt
        self.set_focus(prompt)
        if text:
            prompt.insert(text)

    def on_prompt_input_recall_requested(self) -> None:
        """Up in an empty input: edit the last message you sent."""
        last = next((m for m in reversed(self.current.messages) if m.role == "user"), None)
        if last is not None:
            self.pane.post_message(
                MessagePane.EditRequested(self.current.id, last.id, last.content)
            )

    def _start_background_work(self) -> None:
        self.load_conversations()
        self.probe_server()
        self.set_timer(1.0, self.pane.warm_up)

    # -- conversations --------------------------------------------------------------------

    # Loading, listing, opening and the list's actions: see HistoryActions (history.py).

    def on_model_sidebar_ready(self) -> None:
        self._sync_sidebar()

    def _sync_sidebar(self) -> None:
        """Show the models and the current model's details in the sidebar (once mounted)."""
        model = self.current.model
        for sidebar in self.query("ModelSidebar"):
            sidebar.set_models(  # type: ignore[attr-defined]
                self._models, model, listed=self._listed, embedding_only=self._embedding_only()
            )
            sidebar.set_details(self._details.get(model))  # type: ignore[attr-defined]
            self._sync_sidebar_settings(sidebar)

    def action_new_conversation(self) -> None:
        """Start a new, empty conversation from the config's defaults."""
        model = self.services.config.default_model or self.current.model
        self.current = self._new_conversation(model)
        self.run_worker(self.pane.show_conversation(self.current), group="show")
        self._show_model(model)
        widget = self._list_widget()
        if widget is not None:
            widget.set_current(self.current.id)
        self.refresh_list()
        self.prompt.focus()
        self.refresh_bindings()

    def _save_soon(self, conversation: Conversation) -> None:
        if conversation.messages:
            self._save(self.services.store.snapshot(conversation))

    @work(thread=True, group="save", exit_on_error=False, description="Saving a conversation")
    def _save(self, snapshot: object) -> None:
        from ..store import Snapshot

        assert isinstance(snapshot, Snapshot)
        try:
            self.services.store.write(snapshot)
        except StoreError as exc:
            self.post_message(SaveFailed(snapshot.conversation_id, str(exc)))

    def on_save_failed(self, event: SaveFailed) -> None:
        if self.services.store.is_read_only(event.conversation_id):
            from .unsaved import continue_as_copy

            copy = continue_as_copy(self, event.conversation_id)
            if copy is not None:
                self._save_soon(copy)
                return
        moment = time.monotonic()
        if moment - self._last_save_notice > 10:
            self._last_save_notice = moment
            self.notify(
                f"{event.error} The conversation is kept in memory; saving is retried "
                f"every {SAVE_RETRY:.0f} seconds.",
                title="Save failed",
                severity="error",
                timeout=10,
                markup=False,
            )
        if event.conversation_id not in self._save_retries:
            self._save_retries.add(event.conversation_id)
            self.set_timer(SAVE_RETRY, partial(self._retry_save, event.conversation_id))

    def _retry_save(self, conversation_id: str) -> None:
        """Try a failed save again (a full disk may have room now)."""
        self._save_retries.discard(conversation_id)
        conversation = self.conversations.get(conversation_id)
        if conversation is not None:
            self._save_soon(conversation)

    # -- chatting -------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _send(self, event: PromptInput.Submitted) -> None:
        text = event.text
        if not text.strip() and not self.attachments.attachments:
            return
        conversation = self.current
        if self.pane.is_streaming(conversation.id):
            self.notify("A reply is still streaming: press Escape to stop it first.")
            return
        if not conversation.model:
            self.notify(self._choose_model_notice(), severity="warning")
            return
        if self._refuse_for_chat(conversation.model):
            return
        images = self._images_to_send(conversation.model, self._history_images(conversation))
        if images is None:
            return
        # Continued here: the conversation now belongs to the host it is sent to.
        conversation.host = self._host_label()
        editing = self._editing
        if editing is not None and editing[0] == conversation.id:
            self._end_edit(restore=False)
            event.prompt_input.remove_sent(text)
            self.attachments.clear()
            await self.pane.resend_edited(
                conversation, editing[1], text, images, self._image_names(images)
            )
            self.refresh_list()
            self.refresh_bindings()
            return
        message = ChatMessage(
            role="user", content=text, images=images, image_names=self._image_names(images)
        )
        conversation.messages.append(message)
        conversation.updated_at = now()
        self.conversations[conversation.id] = conversation
        event.prompt_input.remove_sent(text)
        self.attachments.clear()
        await self.pane.add_message(message)
        await self.pane.start_reply(conversation)
        self.refresh_list()
        self.refresh_bindings()

    def _choose_model_notice(self) -> str:
        """Where to choose a model: the sidebar if it is on screen, else the keys to it."""
        if self._region_shown("sidebar"):
            return "Choose a model first (in the sidebar)."
        from ..key_names import bound_key

        models = bound_key(self, binding_id="models.manage")
        sidebar = bound_key(self, binding_id="view.sidebar")
        ways = [f"{models} lists the models (Enter on one uses it)"] if models else []
        ways += [f"{sidebar} shows the model sidebar"] if sidebar else []
        if not ways:
            return "Choose a model first (in the model sidebar or the models screen)."
        return f"Choose a model first: {'; '.join(ways)}."

    def action_stop_reply(self) -> None:
        """Stop the streaming reply of the conversation on screen."""
        self.pane.stop_reply(self.current.id)

    async def action_retry(self) -> None:
        """Ask again for a failed or stopped last reply (a stopped one is kept as a variant)."""
        conversation = self.current
        messages = conversation.messages
        if self.pane.is_streaming(conversation.id) or not messages:
            return
        last = messages[-1]
        if self._refuse_for_chat(conversation.model):
            return
        conversation.host = self._host_label()
        if last.role == "assistant" and last.state in ("error", "stopped", "streaming"):
            await self.pane.regenerate(conversation, len(messages) - 1)
        elif last.role in ("user", "tool"):
            await self.pane.start_reply(conversation)
        self.refresh_bindings()

    # -- editing an earlier message ---------------------------------------------------------

    def on_message_pane_edit_requested(self, event: MessagePane.EditRequested) -> None:
        """Put an earlier message in the input; Enter resends from there."""
        if self.pane.is_streaming(event.conversation_id):
            self.notify("A reply is still streaming: press Escape to stop it first.")
            return
        before = self.prompt.text if self._editing is None else self._editing[2]
        self._editing = (event.conversation_id, event.message_id, before)
        self.prompt.load_text(event.text)
        self.prompt.move_cursor(self.prompt.document.end)
        note = self.query_one("#edit-note", Static)
        note.update(
            Content(
                "Editing an earlier message: Enter resends from there (the old "
                "version is kept; [ and ] switch) · Escape cancels"
            )
        )
        note.display = True
        self.prompt.focus()
        self.refresh_bindings()

    def _end_edit(self, *, restore: bool) -> None:
        editing, self._editing = self._editing, None
        self.query_one("#edit-note", Static).display = False
        if restore and editing is not None:
            self.prompt.load_text(editing[2])
        self.refresh_bindings()

    def action_cancel_edit(self) -> None:
        """Stop editing; the input gets back what it had."""
        self._end_edit(restore=True)

    def on_message_pane_changed(self, event: MessagePane.Changed) -> None:
        conversation = self.conversations.get(event.conversation_id)
        if conversation is not None:
            conversation.updated_at = now()
            self._save_soon(conversation)
            self.refresh_list()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self.pane.is_streaming(self.current.id)
        if action == "cancel_edit":
            return self._editing is not None and not self.pane.is_streaming(self.current.id)
        if action == "retry":
            messages = self.current.messages
            if not messages or self.pane.is_streaming(self.current.id):
                return False
            last = messages[-1]
            return last.role in ("user", "tool") or last.state in ("error", "stopped")
        if action == "use_demo":
            return self.connection == "unreachable" and not self.services.demo
        if action in _MODEL_ACTIONS:
            return self._check_model_action(action)
        if action == "close_overlay":
            return self.has_class("-overlay-list") or self.has_class("-overlay-sidebar")
        return True

    @on(MessagePane.ReplyStarted)
    def _reply_started(self, event: MessagePane.ReplyStarted) -> None:
        self.refresh_bindings()

    @on(MessagePane.ReplyFinished)
    def _reply_finished(self, event: MessagePane.ReplyFinished) -> None:
        self.refresh_list()
        self.refresh_bindings()
        if event.conversation_id == self.current.id:
            self.fetch_loaded_context()
        self.run_worker(self._after_reply(event.conversation_id), group="show")
        if event.conversation_id != self.current.id and not event.stopped:
            conversation = self.conversations.get(event.conversation_id)
            title = conversation.display_title if conversation else "another conversation"
            self.notify(f"The reply in “{title}” is complete.", markup=False)

    @on(MessagePane.ReplyFailed)
    def _reply_failed(self, event: MessagePane.ReplyFailed) -> None:
        self.refresh_list()
        self.refresh_bindings()
        # The server may have gone (the reply's error is only text here): ask it again,
        # which brings back the banner and the retries if it does not answer.
        if self.connection == "connected":
            self.probe_server()
        if event.conversation_id != self.current.id:
            self.notify(
                sanitize(event.error), title="A reply failed", severity="error", markup=False
            )

    # -- context meter --------------------------------------------------------------------

    @work(group="ps", exclusive=True, exit_on_error=False, description="Loaded models")
    async def fetch_loaded_context(self) -> None:
        """Ask which context window the loaded model really runs with (/api/ps)."""
        try:
            running = await self.services.client().ps()
        except OllamaError as exc:
            self._check_connection(exc)
            return
        self._loaded_context = {m.name: m.context_length for m in running if m.context_length}
        self.update_context_meter()

    def update_context_meter(self) -> None:
        """Show how full the context window is, under the conversation."""
        conversation = self.current
        details = self._details.get(conversation.model)
        usage = context_usage(
            conversation,
            model_window=(details.context_length or 0) if details else 0,
            loaded_window=self._loaded_context.get(conversation.model, 0),
        )
        transcript = self.query_one("#transcript")
        if usage is None:
            transcript.border_subtitle = ""
            return
        label = {"num_ctx": "num_ctx", "loaded": "loaded", "model": "model max"}
        text = (
            f" context {usage.used:,}/{usage.window:,} ({usage.share:.0%} of "
            f"{label[usage.source]}) "
        )
        if usage.warning:
            text = (
                f" ⚠ context {usage.used:,}/{usage.window:,} ({usage.share:.0%}): "
                "oldest messages soon dropped "
            )
            if self._context_warned != conversation.id:
                self._context_warned = conversation.id
                self.notify(
                    f"This conversation uses {usage.share:.0%} of the context window: Ollama "
                    "drops the oldest messages when it is full. Raise num_ctx or start a new "
                    "conversation.",
                    title="Context almost full",
                    severity="warning",
                    timeout=12,
                )
        transcript.border_subtitle = Content.styled(
            text, "$text-warning" if usage.warning else "$text-muted"
        )

    # -- models ---------------------------------------------------------------------------

    def _show_model(self, model: str) -> None:
        self.status.model = one_line(model)
        self._show_tools_state()
        self._sync_sidebar()
        self.update_context_meter()
        if model and model not in self._details and self.connection == "connected":
            self.fetch_model_details(model)

    def on_model_sidebar_model_changed(self, event: ModelSidebar.ModelChanged) -> None:
        if event.model == self.current.model:
            return
        if self._refuse_for_chat(event.model):
            self._sync_sidebar()  # the picker shows the conversation's model again
            return
        self.current.model = event.model
        self._show_model(event.model)
        self.refresh_list()
        self._save_soon(self.current)

    @work(group="details", exit_on_error=False, description="Model details")
    async def fetch_model_details(self, model: str, attempt: int = 0) -> None:
        """Ask the server about a model (capabilities, context length).

        One request per model at a time, none cancelling another (switching models fast
        must not lose the details of the one shown); a failure other than "no such
        model" is tried again a few times.
        """
        from ..ollama.errors import ModelNotFoundError

        if model in self._fetching_details:
            return
        self._fetching_details.add(model)
        try:
            details = await self.services.client().show(model)
        except ModelNotFoundError:
            return
        except OllamaError as exc:
            if self._check_connection(exc):
                return
            if attempt < 3:
                retry = partial(self.fetch_model_details, model, attempt + 1)
                self.set_timer(2.0 * (attempt + 1), retry)
            return
        finally:
            self._fetching_details.discard(model)
        self._details[model] = details
        if model == self.current.model or details.embedding_only:
            self._sync_sidebar()
            self.update_context_meter()
            self._show_tools_state()

    # -- connection -----------------------------------------------------------------------

    @work(group="probe", exclusive=True, exit_on_error=False, description="Reaching Ollama")
    async def probe_server(self) -> None:
        """Check the server; on failure say why and try again later."""
        # httpx is slow to import: do it in a thread, so the UI never waits for it.
        await asyncio.to_thread(importlib.import_module, "app.ollama.client")
        client = self.services.client()
        was = self.connection
        try:
            version = await client.version()
            models = await client.tags()
        except OllamaError as exc:
            if self.connection != "unreachable" or was == "unreachable":
                self._unreachable(exc)  # (unless `_check_connection` just did)
            return
        self._retry_index = 0
        self.connection = "connected"
        self.status.state = "connected"
        self.status.version = version
        for banner in self.query("ConnectionBanner"):
            banner.display = False
        self._models, self._listed = models, True
        names = [m.name for m in models]
        conversation = self.current
        if not conversation.model and names:
            chosen = await self._choose_chat_model(names)
            # Another conversation may have opened while the server was asked: the model
            # goes to the one that had none, never over a model chosen meanwhile.
            if not conversation.model:
                conversation.model = chosen
        self._show_model(self.current.model)
        self.refresh_bindings()
        self.fetch_all_details()

    async def _choose_chat_model(self, names: Sequence[str]) -> str:
        """The model for a conversation that has none: the config's default, else the
        first listed (Ollama lists the most recently pulled first) that can chat: an
        embedding model, often pulled last for RAG, cannot."""
        default = self.services.config.default_model
        if default in names:
            return default
        client = self.services.client()
        for name in names:
            details = self._details.get(name)
            if details is None:
                try:
                    details = await client.show(name)
                except OllamaError:
                    return name  # it cannot be told: the server will say if it cannot chat
                self._details[name] = details
            if not details.embedding_only:
                return name
        self.notify(
            "This server has only embedding models, which cannot chat: pull a chat model "
            "on the Pull tab of the models screen (F3).",
            title="No chat model",
            severity="warning",
            timeout=12,
        )
        return ""

    @work(group="all-details", exclusive=True, exit_on_error=False, description="Model kinds")
    async def fetch_all_details(self) -> None:
        """Ask about every listed model, one after another, so that the pickers can mark
        the ones that only make embeddings."""
        client = self.services.client()
        found = False
        for info in list(self._models):
            if info.name in self._details or info.name == self.current.model:
                continue  # known, or asked about by `fetch_model_details`
            try:
                details = await client.show(info.name)
            except OllamaError as exc:
                if self._check_connection(exc):
                    return
                continue
            self._details[info.name] = details
            found = found or details.embedding_only
        if found:
            self._sync_sidebar()

    def _embedding_only(self) -> frozenset[str]:
        """The models known to make only embeddings."""
        return frozenset(name for name, d in self._details.items() if d.embedding_only)

    def _refuse_for_chat(self, model: str) -> bool:
        """Say so and return True when `model` is known to make only embeddings."""
        details = self._details.get(model)
        if details is None or not details.embedding_only:
            return False
        self.notify(
            sanitize(
                f"{model} only makes embeddings: it cannot chat. Choose a chat model in "
                "the sidebar or on the models screen (F3)."
            ),
            title="Not a chat model",
            severity="warning",
            markup=False,
        )
        return True

    def _check_connection(self, exc: OllamaError) -> bool:
        """After any request failed (the client calls this too): when it found no server,
        or something that is not Ollama, say so now (status, banner, retries, the demo
        offer); when the connection dropped, ask the server again. True in both cases."""
        if isinstance(exc, OllamaConnectionError | NotOllamaError):
            if self.connection == "connected":
                self._unreachable(exc)
            return True
        if isinstance(exc, OllamaDisconnectedError):
            if self.connection == "connected":
                self.probe_server()
            return True
        return False

    _retry_timer: Timer | None = None

    def _unreachable(self, exc: OllamaError) -> None:
        self.connection = "unreachable"
        self.status.state = "unreachable"
        delay = RETRY_DELAYS[min(self._retry_index, len(RETRY_DELAYS) - 1)]
        self._retry_index += 1
        self.run_worker(self._show_problem(exc, delay), group="banner")
        if self._retry_timer is not None:
            self._retry_timer.stop()  # one retry at a time
        self._retry_timer = self.set_timer(delay, self.probe_server)
        self.refresh_bindings()

    async def _show_problem(self, exc: OllamaError, retry_in: float) -> None:
        from ..widgets.connection_banner import ConnectionBanner

        banners = self.query(ConnectionBanner)
        if banners:
            banner = banners.first()
        else:
            banner = ConnectionBanner(id="banner")
            await self.query_one("#chat").mount(banner, before=self.pane)
        banner.show_problem(exc.message, exc.hint, retry_in)

    async def on_connection_banner_demo_requested(self) -> None:
        await self.action_use_demo()

    async def action_use_demo(self) -> None:
        """Switch to the built-in simulated server."""
        if self.services.demo:
            return
        from ..demo import ThreadedDemoServer

        server = ThreadedDemoServer(token_rate=40.0)
        url = server.start()
        self.app.demo_server = server  # type: ignore[attr-defined]
        await self.services.set_host(parse_host(url), demo=True)
        self.current.host = DEMO_HOST
        self._save_soon(self.current)
        self.status.demo = True
        self.status.insecure = False
        self.status.host = self.services.host.label
        self.connection = "connecting"
        self.status.state = "connecting"
        self._details.clear()
        self.notify("Now using the built-in demo server: replies are simulated.")
        self.probe_server()

    async def stop_all_replies(self) -> None:
        """Stop every streaming reply and wait until each is saved."""
        pane = self.pane
        replies = [
            w for w in self.app.workers if w.group.startswith("reply:") and not w.is_finished
        ]
        for conversation_id in pane.streaming_ids:
            pane.stop_reply(conversation_id)
        for worker in replies:
            # A stopped reply's worker ends "cancelled" once its partial reply is saved.
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    # -- image attachments ----------------------------------------------------------------
    # Ctrl+O opens the picker; a pasted path to an image attaches it. The bar under the
    # input reads and checks each file in a thread; `_send` takes the checked ones, after
    # asking when the model's capabilities lack `vision`.

    _vision_confirmed: tuple[str, tuple[str, ...]] | None = None
    """The model and images the user agreed to send although it may not see them."""

    @property
    def attachments(self) -> AttachmentBar:
        return self.query_one("#attachments", AttachmentBar)

    def system_commands(self) -> Iterable[SystemCommand]:
        """Every action of the main screen, for the palette (Ctrl+P). Each runs the same
        action as its key; the message actions apply to the last message of their kind."""
        from textual.app import SystemCommand

        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                "New conversation",
                "Start a new, empty conversation (Ctrl+N)",
                self.action_new_conversation,
            ),
            (
                "Stop the reply",
                "Stop the reply that is streaming; what arrived is kept (Esc)",
                self.action_stop_reply,
            ),
            ("Retry", "Ask again after an error or a stop (Ctrl+R)", self.action_retry),
            (
                "Regenerate the last reply",
                "Ask for the last reply again; the old one is kept",
                partial(self._on_last, "assistant", "regenerate"),
            ),
            (
                "Edit my last message",
                "Put your last message in the input to change and resend",
                self.on_prompt_input_recall_requested,
            ),
            (
                "Copy the last reply",
                "Copy the last reply's Markdown to the clipboard",
                partial(self._on_last, "assistant", "copy_message"),
            ),
            (
                "Copy the first code block of the last reply",
                "To the clipboard (1 in the pane)",
                partial(self._on_last, "assistant", "copy_code(1)"),
            ),
            (
                "Select text in the last reply",
                "Keyboard selection, then copy (v in the pane)",
                partial(self._on_last, "assistant", "select_text"),
            ),
            (
                "Undo the message deletion",
                "Bring back the message deleted last in this conversation (u in the pane)",
                self.pane.action_undo_delete,
            ),
            (
                "Toggle thinking of the last reply",
                "Fold or unfold its reasoning (t in the pane)",
                partial(self._on_last, "assistant", "toggle_thinking"),
            ),
            (
                "Search all conversations",
                "Full-text search of every message (Ctrl+F)",
                self.action_search_messages,
            ),
            (
                "Filter the conversation list",
                "Type to filter by title (/ in the list)",
                self._filter_list,
            ),
            (
                "Rename the conversation",
                "Give it a title of your own (r in the list)",
                self.action_rename_conversation,
            ),
            (
                "Pin or unpin the conversation",
                "Keep it at the top of the list (p in the list)",
                self.action_pin_conversation,
            ),
            (
                "Duplicate the conversation",
                "An independent copy (c in the list)",
                self.action_duplicate_conversation,
            ),
            (
                "Delete the conversation",
                "Asks first; it goes to the trash (d in the list)",
                self.action_delete_conversation,
            ),
            (
                "Restore the last deleted conversation",
                "Undo a delete (u in the list)",
                self.action_restore_conversation,
            ),
            (
                "Show the trash",
                "Deleted conversations; Enter restores one (t in the list)",
                self.action_toggle_trash,
            ),
            (
                "Export to Markdown",
                "Write the conversation as Markdown (e in the list)",
                self.action_export_markdown,
            ),
            (
                "Export to JSON",
                "The exact /api/chat request, to replay (E in the list)",
                self.action_export_json,
            ),
            (
                "Import from JSON",
                "An /api/chat request as a new conversation (i in the list)",
                self.action_import_conversation,
            ),
            (
                "Attach images",
                "Pick image files to send with the message (Ctrl+O)",
                self.action_attach_images,
            ),
            (
                "Tools on/off",
                "Offer tools (calculator, time, files, your own) (Ctrl+G)",
                self.action_toggle_tools,
            ),
            (
                "Conversation settings",
                "Options, request, format, system prompt (Ctrl+T)",
                self.action_open_settings,
            ),
            (
                "Switch model",
                "Choose the model of this conversation (F3: models)",
                self.action_manage_models,
            ),
            (
                "Pull a model",
                "Download a model by name, with progress",
                partial(self.action_manage_models, "pull"),
            ),
            (
                "Running models",
                "What is loaded, its size and when it unloads (/api/ps)",
                partial(self.action_manage_models, "running"),
            ),
            (
                "Load the model",
                "Load this conversation's model into memory now (F4)",
                self.action_load_model,
            ),
            (
                "Unload the model",
                "Unload this conversation's model now (F8)",
                self.action_unload_model,
            ),
            (
                "Refresh the models",
                "Ask the server for its models again (F5)",
                self.action_refresh_models,
            ),
            (
                "Next host",
                "Switch to the next Ollama host named in the config (F9)",
                self.action_next_host,
            ),
            (
                "Use the demo server",
                "The built-in simulated Ollama server (F2)",
                self.action_use_demo,
            ),
            ("Toggle the conversation list", "Show or hide it (Ctrl+L)", self.action_toggle_list),
            ("Toggle the model sidebar", "Show or hide it (Ctrl+])", self.action_toggle_sidebar),
            (
                "Focus the conversation list",
                "Move the keys there",
                partial(self.action_focus_region, "list"),
            ),
            (
                "Focus the conversation",
                "Move the keys there (Tab)",
                partial(self.action_focus_region, "conversation"),
            ),
            ("Focus the input", "Move the keys there", partial(self.action_focus_region, "input")),
            (
                "Focus the sidebar",
                "Move the keys there",
                partial(self.action_focus_region, "sidebar"),
            ),
            ("Help", "Every key, as bound now (F1)", self.app.action_help),
        ]
        from textual.markup import escape

        from ..ollama.types import EMBEDDING_MARK

        # The palette reads titles as markup: names from the config or the server are
        # escaped (and made display-safe) first.
        for name in named_hosts(self.services.config):
            commands.append(
                (
                    f"Switch host: {escape(sanitize(name))}",
                    "Talk to this Ollama host from now on",
                    partial(self.action_switch_host, name),
                )
            )
        embedding_only = self._embedding_only()
        for info in self._models:
            name = info.name
            if name in embedding_only:
                title = f"Use model: {escape(sanitize(name))}{EMBEDDING_MARK}"
                help_text = "It only makes embeddings: it cannot chat"
            else:
                title = f"Use model: {escape(sanitize(name))}"
                help_text = "Make it this conversation's model"
            commands.append((title, help_text, partial(self._use_model, name)))
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def _filter_list(self) -> None:
        """Show the list and put the keys in its filter box."""
        self.action_focus_region("list")
        for found in self.query("ConversationList"):
            found.action_focus_filter()  # type: ignore[attr-defined]

    async def _on_last(self, role: str, action: str) -> None:
        """Run a message action of the pane on the last message of a role."""
        pane = self.pane
        if pane.select_last(role):
            pane.focus()
            await pane.run_action(action)
            return
        self.notify(f"There is no {'reply' if role == 'assistant' else 'message'} yet.")

    def action_attach_images(self) -> None:
        """Open the image picker at the folder used last time."""
        self._open_image_picker()

    @work(
        thread=True,
        group="image-picker",
        exclusive=True,
        exit_on_error=False,
        description="Finding the image picker's last folder",
    )
    def _open_image_picker(self) -> None:
        from pathlib import Path

        from ..attachments import load_last_folder

        start = load_last_folder(self.services.store.root)
        if start is None:
            try:
                start = Path.cwd()
            except OSError:  # the folder olladeck was started in has gone
                start = Path.home()
        self.app.call_from_thread(self._push_image_picker, start)

    def _push_image_picker(self, start: Path) -> None:
        from .image_picker import ImagePickerScreen

        self.app.push_screen(ImagePickerScreen(start), self._images_picked)

    def _images_picked(self, picked: PickedImages | None) -> None:
        self.prompt.focus()
        if picked is None:
            return
        self.attachments.add_paths(picked.paths)
        self._remember_image_folder(picked.folder)

    @work(
        thread=True,
        group="image-picker-state",
        exit_on_error=False,
        description="Remembering the image picker's folder",
    )
    def _remember_image_folder(self, folder: Path) -> None:
        from ..attachments import save_last_folder

        # Only a convenience: if it cannot be written, the picker starts elsewhere next time.
        with contextlib.suppress(OSError):
            save_last_folder(self.services.store.root, folder)

    def on_prompt_input_paths_pasted(self, event: PromptInput.PathsPasted) -> None:
        # Once they are read, a notice says what was attached.
        what = "paths were" if len(event.paths) > 1 else "path was"
        self.attachments.add_paths(event.paths, announce=f"The pasted {what} not inserted as text.")

    def _image_names(self, refs: list[str]) -> dict[str, str]:
        """The file names of the attached images about to be sent, by reference."""
        names = self.attachments.names
        return {ref: names[ref] for ref in refs if ref in names}

    def _history_images(self, conversation: Conversation) -> list[str]:
        """The images of earlier messages that the next request sends again (the history
        goes with every request; when editing, only what comes before the edited message,
        and its own images)."""
        from ..chat import history_messages

        editing = self._editing
        messages = conversation.messages
        upto, kept = None, []
        if editing is not None and editing[0] == conversation.id:
            upto = next((i for i, m in enumerate(messages) if m.id == editing[1]), None)
            if upto is not None:
                kept = list(messages[upto].images)
        history = history_messages(conversation, upto=upto)
        return [*(ref for message in history for ref in message.images), *kept]

    def _images_to_send(self, model: str, history: list[str]) -> list[str] | None:
        """The store references of the attached images, or None if sending must wait.

        `history` are the images of earlier messages sent again with this request: a model
        that cannot see is asked about (and the question counts) those too.
        """
        bar = self.attachments
        refs: list[str] = []
        if bar.attachments:
            if bar.reading:
                self.notify("The images are still being read; send again in a moment.")
                return None
            refused = bar.refused
            if refused:
                count = len(refused)
                self.notify(
                    f"{count} image{'s' if count != 1 else ''} cannot be sent (marked ⚠). "
                    "Shift+Tab to the images, then Delete removes one.",
                    severity="warning",
                    markup=False,
                )
                return None
            refs = bar.refs
        sent = (model, (*history, *refs))
        if not sent[1]:
            return refs
        details = self._details.get(model)
        if details is not None and details.supports("vision"):
            return refs
        # Asked once for a set of images: the next message resends the same ones (now
        # all in the history) without asking again.
        if self._vision_confirmed == sent:
            return refs
        self._confirm_vision(model, list(sent[1]), len(refs))
        return None

    @work(group="vision-check", exclusive=True, exit_on_error=False, description="Vision check")
    async def _confirm_vision(self, model: str, refs: list[str], new: int) -> None:
        """Ask before sending images to a model that may not see them, then send.

        Args:
            model: The conversation's model.
            refs: Every image the request would carry: the history's, then the new ones.
            new: How many of them are attached to this message.
        """
        from .confirm import ConfirmScreen

        details = self._details.get(model)
        problem = ""
        if details is None:
            try:
                details = await self.services.client().show(model)
            except OllamaError as exc:
                problem = exc.message
            else:
                self._details[model] = details
        if details is not None and details.supports("vision"):
            send = True
        else:
            count = len(refs)
            images = f"{count} image{'s' if count != 1 else ''}"
            earlier = count - new
            if earlier:
                where = f"{earlier} from earlier messages, sent again with the history"
                source = f" ({new} new, {where})" if new else f" ({where})"
            else:
                source = ""
            if details is not None:
                listed = ", ".join(details.capabilities) or "none"
                detail = (
                    f"Its capabilities ({listed}) do not include vision: it will ignore "
                    f"the {images}{source} or fail."
                )
            else:
                detail = f"Could not ask the server what it can do: {problem}"
            send = await self.app.push_screen_wait(
                ConfirmScreen(
                    sanitize(f"{model} may not see images. Send the {images} anyway?"),
                    sanitize(detail),
                    yes="Send anyway",
                    no="Don't send",
                )
            )
        if send:
            self._vision_confirmed = (model, tuple(refs))
            prompt = self.prompt
            prompt.post_message(PromptInput.Submitted(prompt, prompt.text))
        else:
            remedy = (
                "remove them"
                if new == len(refs)
                else "delete the earlier messages with images (they go with every message)"
            )
            self.notify(f"Not sent. Choose a model that can see images, or {remedy}.", markup=False)

    # -- tool calling -----------------------------------------------------------------------
    # Ctrl+G (or "Tools on/off" in the palette) switches tools for the conversation on
    # screen; the status line shows it. Before each reply the pane asks `_tools_for`:
    # tools are sent only when on and the model's capabilities include `tools`. The pane
    # runs what the model calls (app/tools).

    _toolset: ToolSet | None = None
    _tools_warned: frozenset[str] = frozenset()
    """Models already reported as unable to call tools (said once per session)."""

    def _tool_set(self) -> ToolSet:
        """The tools from the config (built once: it remembers "always allow" answers)."""
        if self._toolset is None:
            from ..tools import ToolSet

            self._toolset = ToolSet(self.services.config.tools)
        return self._toolset

    def action_toggle_tools(self) -> None:
        """Turn tool calling on or off for the conversation on screen."""
        conversation = self.current
        options = conversation.chat_options
        options.tools = not options.tools
        self._save_soon(conversation)
        self._show_tools_state()
        if not options.tools:
            self.notify("Tools off for this conversation.")
            return
        names = ", ".join(self._tool_set().names)
        details = self._details.get(conversation.model)
        if details is not None and not details.supports("tools"):
            listed = ", ".join(details.capabilities) or "none"
            self.notify(
                sanitize(
                    f"Tools on for this conversation, but {conversation.model} cannot call "
                    f"tools (its capabilities: {listed}). Choose a model that lists tools."
                ),
                severity="warning",
                markup=False,
            )
        else:
            self.notify(sanitize(f"Tools on for this conversation: {names}."), markup=False)

    def _show_tools_state(self) -> None:
        conversation = self.current
        if not conversation.chat_options.tools:
            self.status.tools = ""
            return
        details = self._details.get(conversation.model)
        unable = details is not None and not details.supports("tools")
        self.status.tools = "unsupported" if unable else "on"

    async def _tools_for(self, conversation: Conversation) -> ToolSet | None:
        """The tools to offer in a request: none when off or the model cannot call them."""
        if not conversation.chat_options.tools:
            return None
        model = conversation.model
        details = self._details.get(model)
        if details is None:
            try:
                details = await self.services.client().show(model)
            except OllamaError:
                # Unknown: offer them; a server that refuses says why in the reply.
                return self._tool_set()
            self._details[model] = details
            self._show_tools_state()
        if details.supports("tools"):
            return self._tool_set()
        if model not in self._tools_warned:
            self._tools_warned = self._tools_warned | {model}
            listed = ", ".join(details.capabilities) or "none"
            self.notify(
                f"{model} cannot call tools (its capabilities: {listed}), so the message "
                "was sent without them. Choose a model that lists tools to use them.",
                title="Tools not sent",
                severity="warning",
                markup=False,
            )
        return None

    _think_warned: frozenset[tuple[str, str]] = frozenset()
    """(conversation, model) pairs already told that think is not sent."""

    async def _think_for(self, conversation: Conversation) -> bool:
        """Whether a `think` asking for thinking may be sent: only to a model whose
        capabilities (from /api/show) include `thinking`; Ollama refuses it with a 400
        otherwise. Until they are known, it is left out (said once per conversation and
        model)."""
        think = conversation.chat_options.think
        if think is None or think is False:
            return True  # nothing a model could refuse
        model = conversation.model
        details = self._details.get(model)
        if details is None:
            try:
                details = await self.services.client().show(model)
            except OllamaError:
                # Unknown: the request goes without think rather than risk a refusal.
                return False
            self._details[model] = details
        if details.supports("thinking"):
            return True
        key = (conversation.id, model)
        if key not in self._think_warned:
            self._think_warned = self._think_warned | {key}
            listed = ", ".join(details.capabilities) or "none"
            self.notify(
                sanitize(
                    f"{model} cannot think (its capabilities: {listed}), so think is not "
                    "sent to it in this conversation. A model that lists thinking gets it."
                ),
                title="Think not sent",
                severity="information",
                markup=False,
            )
        return False

    # -- model and settings: sidebar, settings screen, models screen, hosts ---------------

    def _sync_sidebar_settings(self, sidebar: Widget) -> None:
        """The configured hosts and the conversation's settings, in the sidebar."""
        where = "demo server" if self.services.demo else self.services.host.label
        hosts = list(self.services.config.hosts)
        sidebar.set_hosts(hosts, self._active_host_name(), where)  # type: ignore[attr-defined]
        sidebar.set_settings(self.current)  # type: ignore[attr-defined]

    def _active_host_name(self) -> str:
        """The config's name of the host in use ("" for an unnamed one or the demo)."""
        if self.services.demo:
            return ""
        return host_name(self.services.config, self.services.host)

    def _check_model_action(self, action: str) -> bool | None:
        if action == "next_host":
            return next_host(self.services.config, self._active_host_name()) is not None
        if action == "refresh_models":
            return self.connection == "connected"
        # load_model, unload_model
        return self.connection == "connected" and bool(self.current.model)

    def _use_model(self, model: str) -> None:
        """Make `model` the current conversation's model."""
        if model == self.current.model or self._refuse_for_chat(model):
            return
        self.current.model = model
        self._show_model(model)
        self.refresh_list()
        self._save_soon(self.current)

    def action_open_settings(self, tab: str = "options") -> None:
        """Edit this conversation's options, request settings, format and system prompt."""
        from ..config import config_dir
        from .chat_settings import ChatSettings, ChatSettingsScreen

        conversation = self.current

        def applied(result: ChatSettings | None) -> None:
            if result is None:
                return
            conversation.system = result.system
            conversation.chat_options = result.chat_options
            if conversation is self.current:
                self._sync_sidebar()
            self._save_soon(conversation)
            self.notify("Settings applied to this conversation.")

        self.app.push_screen(
            ChatSettingsScreen(
                conversation,
                self._details.get(conversation.model),
                config_dir() / "prompts.toml",
                tab=tab,
            ),
            applied,
        )

    def action_manage_models(self, tab: str = "installed") -> None:
        """Installed and loaded models; pull, delete, copy, Modelfile and license."""
        from .model_manager import ModelManagerScreen

        model = self.current.model
        pull_name = ""
        if self._listed and model and model not in {m.name for m in self._models}:
            # The conversation's model is not on this server: offer to pull it.
            tab, pull_name = "pull", model

        def chosen(name: str | None) -> None:
            if name:
                self._use_model(name)

        self.app.push_screen(
            ModelManagerScreen(
                self.services,
                self._details,
                current=model,
                tab=tab,
                pull_name=pull_name,
                changed=self.reload_models,
            ),
            chosen,
        )

    def action_refresh_models(self) -> None:
        """Ask the server again for its models and the current model's details."""
        self._details.pop(self.current.model, None)
        self.reload_models()

    @work(group="tags", exclusive=True, exit_on_error=False, description="Listing models")
    async def reload_models(self) -> None:
        """List the server's models again (after a pull, a delete, or on demand)."""
        try:
            models = await self.services.client().tags()
        except OllamaError as exc:
            self._check_connection(exc)
            self.notify(
                sanitize(exc.message),
                title="Could not list the models",
                severity="error",
                markup=False,
            )
            return
        names = {m.name for m in models}
        for name in [n for n in self._details if n not in names]:
            del self._details[name]
        self._models, self._listed = models, True
        self._show_model(self.current.model)
        self.fetch_all_details()

    def action_load_model(self) -> None:
        """Load this conversation's model now (with its keep_alive), so replies start fast."""
        conversation = self.current
        self._load_model(conversation.model, conversation.chat_options.keep_alive, False)

    def action_unload_model(self) -> None:
        """Unload this conversation's model now (`keep_alive: 0`), freeing its memory."""
        self._load_model(self.current.model, None, True)

    @work(group="model-load", exit_on_error=False, description="Loading or unloading a model")
    async def _load_model(self, model: str, keep_alive: KeepAlive, unload: bool) -> None:
        from .model_manager import load_or_unload

        await load_or_unload(self, self.services, model, keep_alive, unload)

    async def action_next_host(self) -> None:
        """Switch to the next host named in the config."""
        name = next_host(self.services.config, self._active_host_name())
        if name:
            await self.switch_host(name)

    async def action_switch_host(self, name: str) -> None:
        """Switch to the host `name` from the config's `[hosts]` (for the command palette)."""
        await self.switch_host(name)

    async def on_model_sidebar_host_changed(self, event: ModelSidebar.HostChanged) -> None:
        await self.switch_host(event.name)

    async def switch_host(self, name: str) -> None:
        """Talk to a host named in the config from now on; the conversation remembers it."""
        host = named_hosts(self.services.config).get(name)
        if host is None:
            self.notify(sanitize(f"No host named “{name}” in the config."), markup=False)
            return
        conversation = self.current
        conversation.host = name
        self._save_soon(conversation)
        if host == self.services.host and not self.services.demo:
            return
        await self.services.set_host(host)
        status = self.status
        status.host = host.label
        status.demo = False
        status.insecure = host.is_insecure_remote
        status.version = EMPTY
        status.state = "connecting"
        self.connection = "connecting"
        self._retry_index = 0
        self._details.clear()
        self._models, self._listed = [], False
        self._sync_sidebar()
        self.refresh_bindings()
        self.notify(sanitize(f"Now using {name} ({host.label})."), markup=False)
        self.probe_server()

    async def _follow_conversation_host(self, conversation: Conversation) -> None:
        """Opening a conversation brings back the named host it used."""
        name = conversation.host
        if name in self.services.config.hosts and name != self._active_host_name():
            await self.switch_host(name)

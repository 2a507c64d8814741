"""The main screen: conversation list, message pane, input, model sidebar."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import WorkerCancelled, WorkerFailed

from ..messages import SaveFailed
from ..models import ChatMessage, ChatOptions, Conversation, now
from ..ollama.errors import OllamaError
from ..ollama.host import parse_host
from ..store import StoreError
from ..widgets.attachment_bar import AttachmentBar
from ..widgets.deferred import Deferred
from ..widgets.message_pane import MessagePane
from ..widgets.prompt_input import PromptInput
from ..widgets.status_line import StatusLine
from .history import HistoryActions

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..ollama.types import ModelDetails, ModelInfo
    from ..services import Services
    from ..widgets.model_sidebar import ModelSidebar

RETRY_DELAYS = (2.0, 4.0, 8.0, 15.0)


def _conversation_list() -> Widget:
    from ..widgets.conversation_list import ConversationList

    return ConversationList(id="conversations")


def _model_sidebar() -> Widget:
    from ..widgets.model_sidebar import ModelSidebar

    return ModelSidebar(id="sidebar")


NARROW = 110
"""Below this many columns the model sidebar is hidden."""
VERY_NARROW = 90
"""Below this many columns the conversation list is hidden too."""
"""Seconds between attempts to reach an unreachable server (the last one repeats)."""


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
            "ctrl+n",
            "new_conversation",
            "New chat",
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
        self._models: list[ModelInfo] = []
        self._listed = False
        self._last_save_notice = 0.0
        self._loaded = False
        self._init_history()

    def _new_conversation(self, model: str) -> Conversation:
        config = self.services.config
        return Conversation(
            model=model,
            system=config.system,
            chat_options=ChatOptions(
                options=dict(config.options),
                format=config.format,
                keep_alive=config.keep_alive,
                think=config.think,
            ),
            host=self.services.host.base_url,
        )

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            # The side regions are mounted just after the first frame: the conversation
            # and the input are on screen sooner, and the sides fill in a moment later.
            yield Deferred(_conversation_list)
            with Vertical(id="chat"):
                yield MessagePane(self.services, fps=self.services.config.render_fps, id="messages")
                yield AttachmentBar(id="attachments")
                yield PromptInput(id="prompt")
            yield Deferred(_model_sidebar)
        yield Deferred(Footer)

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
        status.host = host.netloc
        status.demo = self.services.demo
        status.insecure = host.is_insecure_remote
        status.model = self.current.model
        self.prompt.focus()
        # Disk and network wait until the first frame is on screen, and the regions
        # mounted after it (see Deferred) have had their own frame.
        self.call_after_refresh(self.call_after_refresh, self._start_background_work)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Side regions give way on narrow terminals, so the conversation stays readable."""
        self.set_class(width < NARROW, "-narrow")
        self.set_class(width < VERY_NARROW, "-very-narrow")

    def _start_background_work(self) -> None:
        self.load_conversations()
        self.probe_server()

    # -- conversations --------------------------------------------------------------------

    # Loading, listing, opening and the list's actions: see HistoryActions (history.py).

    def on_model_sidebar_ready(self) -> None:
        self._sync_sidebar()

    def _sync_sidebar(self) -> None:
        """Show the models and the current model's details in the sidebar (once mounted)."""
        model = self.current.model
        for sidebar in self.query("ModelSidebar"):
            sidebar.set_models(self._models, model, listed=self._listed)  # type: ignore[attr-defined]
            sidebar.set_details(self._details.get(model))  # type: ignore[attr-defined]

    def action_new_conversation(self) -> None:
        """Start a new, empty conversation from the config's defaults."""
        model = self.services.config.default_model or self.current.model
        self.current = self._new_conversation(model)
        self.run_worker(self.pane.show_conversation(self.current), group="show")
        self._show_model(model)
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
        moment = time.monotonic()
        if moment - self._last_save_notice > 10:
            self._last_save_notice = moment
            self.notify(
                f"{event.error} The conversation is kept in memory; saving is retried.",
                title="Save failed",
                severity="error",
                timeout=10,
            )

    # -- chatting -------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _send(self, event: PromptInput.Submitted) -> None:
        text = event.text
        if not text.strip():
            return
        conversation = self.current
        if self.pane.is_streaming(conversation.id):
            self.notify("A reply is still streaming: press Escape to stop it first.")
            return
        if not conversation.model:
            self.notify("Choose a model first (in the sidebar).", severity="warning")
            return
        message = ChatMessage(role="user", content=text)
        conversation.messages.append(message)
        conversation.updated_at = now()
        self.conversations[conversation.id] = conversation
        event.prompt_input.clear()
        await self.pane.add_message(message)
        await self.pane.start_reply(conversation)
        self.refresh_list()
        self.refresh_bindings()

    def action_stop_reply(self) -> None:
        """Stop the streaming reply of the conversation on screen."""
        self.pane.stop_reply(self.current.id)

    async def action_retry(self) -> None:
        """Drop a failed or stopped last reply and ask again."""
        conversation = self.current
        messages = conversation.messages
        if self.pane.is_streaming(conversation.id) or not messages:
            return
        last = messages[-1]
        if last.role == "assistant" and last.state in ("error", "stopped", "streaming"):
            messages.pop()
        if not messages or messages[-1].role not in ("user", "tool"):
            return
        await self.pane.show_conversation(conversation)
        await self.pane.start_reply(conversation)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self.pane.is_streaming(self.current.id)
        if action == "retry":
            messages = self.current.messages
            if not messages or self.pane.is_streaming(self.current.id):
                return False
            last = messages[-1]
            return last.role in ("user", "tool") or last.state in ("error", "stopped")
        if action == "use_demo":
            return self.connection == "unreachable" and not self.services.demo
        return True

    @on(MessagePane.ReplyStarted)
    def _reply_started(self, event: MessagePane.ReplyStarted) -> None:
        self.refresh_bindings()

    @on(MessagePane.ReplyFinished)
    def _reply_finished(self, event: MessagePane.ReplyFinished) -> None:
        self.refresh_list()
        self.refresh_bindings()
        self.run_worker(self._after_reply(event.conversation_id), group="show")
        if event.conversation_id != self.current.id and not event.stopped:
            conversation = self.conversations.get(event.conversation_id)
            title = conversation.display_title if conversation else "another conversation"
            self.notify(f"The reply in “{title}” is complete.", markup=False)

    @on(MessagePane.ReplyFailed)
    def _reply_failed(self, event: MessagePane.ReplyFailed) -> None:
        self.refresh_list()
        self.refresh_bindings()
        if event.conversation_id != self.current.id:
            self.notify(event.error, title="A reply failed", severity="error", markup=False)

    # -- models ---------------------------------------------------------------------------

    def _show_model(self, model: str) -> None:
        self.status.model = model
        self._sync_sidebar()
        if model and model not in self._details and self.connection == "connected":
            self.fetch_model_details(model)

    def on_model_sidebar_model_changed(self, event: ModelSidebar.ModelChanged) -> None:
        self.current.model = event.model
        self._show_model(event.model)
        self.refresh_list()
        self._save_soon(self.current)

    @work(group="details", exclusive=True, exit_on_error=False, description="Model details")
    async def fetch_model_details(self, model: str) -> None:
        """Ask the server about a model (capabilities, context length)."""
        try:
            details = await self.services.client().show(model)
        except OllamaError:
            return
        self._details[model] = details
        if model == self.current.model:
            self._sync_sidebar()

    # -- connection -----------------------------------------------------------------------

    @work(group="probe", exclusive=True, exit_on_error=False, description="Reaching Ollama")
    async def probe_server(self) -> None:
        """Check the server; on failure say why and try again later."""
        # httpx is slow to import: do it in a thread, so the UI never waits for it.
        await asyncio.to_thread(importlib.import_module, "app.ollama.client")
        client = self.services.client()
        try:
            version = await client.version()
            models = await client.tags()
        except OllamaError as exc:
            self._unreachable(exc)
            return
        self._retry_index = 0
        self.connection = "connected"
        self.status.state = "connected"
        self.status.version = version
        for banner in self.query("ConnectionBanner"):
            banner.display = False
        names = [m.name for m in models]
        if not self.current.model and names:
            default = self.services.config.default_model
            self.current.model = default if default in names else names[0]
        self._models, self._listed = models, True
        self._show_model(self.current.model)
        self.refresh_bindings()

    def _unreachable(self, exc: OllamaError) -> None:
        self.connection = "unreachable"
        self.status.state = "unreachable"
        delay = RETRY_DELAYS[min(self._retry_index, len(RETRY_DELAYS) - 1)]
        self._retry_index += 1
        self.run_worker(self._show_problem(exc, delay), group="banner")
        self.set_timer(delay, self.probe_server)
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
        self.current.host = url
        self.status.demo = True
        self.status.insecure = False
        self.status.host = self.services.host.netloc
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

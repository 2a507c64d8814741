"""The main screen: conversation list, message pane, input, model sidebar."""

from __future__ import annotations

import asyncio
import contextlib
import copy
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

from ..chat import sanitize
from ..hosts import conversation_host, host_name, named_hosts, next_host
from ..messages import SaveFailed
from ..models import ChatMessage, ChatOptions, Conversation, now
from ..ollama.errors import OllamaError
from ..ollama.host import parse_host
from ..store import StoreError, StoreProblem
from ..widgets.attachment_bar import AttachmentBar
from ..widgets.deferred import Deferred
from ..widgets.message_pane import MessagePane
from ..widgets.prompt_input import PromptInput
from ..widgets.status_line import StatusLine

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..models import KeepAlive
    from ..ollama.types import ModelDetails, ModelInfo
    from ..services import Services
    from ..widgets.conversation_list import ConversationList
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
_MODEL_ACTIONS = frozenset({"load_model", "unload_model", "next_host", "refresh_models"})
"""Actions of the model and settings section that apply only in some states."""


class MainScreen(Screen[None]):
    """Where chatting happens."""

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
            id="model.load",
            tooltip="Load this conversation's model into memory now",
        ),
        Binding(
            "f8",
            "unload_model",
            "Unload",
            id="model.unload",
            tooltip="Unload this conversation's model from memory now",
        ),
        Binding(
            "f9",
            "next_host",
            "Next host",
            id="host.next",
            tooltip="Switch to the next Ollama host named in the config",
        ),
    ]

    def __init__(self, services: Services, *, model: str = "") -> None:
        super().__init__()
        self.services = services
        self.conversations: dict[str, Conversation] = {}
        """Every known conversation, by id."""
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
            ),
            host=conversation_host(config, self.services.host),
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

    @work(thread=True, group="load", exit_on_error=False, description="Loading conversations")
    def load_conversations(self) -> None:
        """Read the saved conversations (in a thread) and show them."""
        conversations, problems = self.services.store.load_all()
        self.app.call_from_thread(self._conversations_loaded, conversations, problems)

    async def _conversations_loaded(
        self, conversations: list[Conversation], problems: list[StoreProblem]
    ) -> None:
        for conversation in conversations:
            self.conversations.setdefault(conversation.id, conversation)
        for problem in problems:
            self.notify(
                problem.message,
                title="A conversation file was not loaded",
                severity="warning",
                timeout=15,
            )
        self._loaded = True
        if not self.current.messages and conversations:
            await self.open_conversation(self._ordered()[0].id)
        else:
            self.refresh_list()

    def _ordered(self) -> list[Conversation]:
        return sorted(
            self.conversations.values(),
            key=lambda c: (c.pinned, c.updated_at),
            reverse=True,
        )

    def refresh_list(self) -> None:
        """Redraw the conversation list (once it is mounted)."""
        for conversation_list in self.query("ConversationList"):
            conversation_list.set_conversations(self._ordered(), self.current.id)  # type: ignore[attr-defined]

    def on_conversation_list_ready(self) -> None:
        self.refresh_list()

    def on_model_sidebar_ready(self) -> None:
        self._sync_sidebar()

    def _sync_sidebar(self) -> None:
        """Show the models and the current model's details in the sidebar (once mounted)."""
        model = self.current.model
        for sidebar in self.query("ModelSidebar"):
            sidebar.set_models(self._models, model, listed=self._listed)  # type: ignore[attr-defined]
            sidebar.set_details(self._details.get(model))  # type: ignore[attr-defined]
            self._sync_sidebar_settings(sidebar)

    async def open_conversation(self, conversation_id: str) -> None:
        """Show a conversation."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return
        self.current = conversation
        await self.pane.show_conversation(conversation)
        self._show_model(conversation.model)
        self.refresh_list()
        self.refresh_bindings()

    def action_new_conversation(self) -> None:
        """Start a new, empty conversation with the current model."""
        model = self.current.model or self.services.config.default_model
        self.current = self._new_conversation(model)
        self.run_worker(self.pane.show_conversation(self.current), group="show")
        self._show_model(model)
        self.refresh_list()
        self.prompt.focus()
        self.refresh_bindings()

    async def on_conversation_list_selected(self, event: ConversationList.Selected) -> None:
        if event.conversation_id != self.current.id:
            await self.open_conversation(event.conversation_id)
            await self._follow_conversation_host(self.current)
        self.prompt.focus()

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
        if action in _MODEL_ACTIONS:
            return self._check_model_action(action)
        return True

    @on(MessagePane.ReplyStarted)
    def _reply_started(self, event: MessagePane.ReplyStarted) -> None:
        self.refresh_bindings()

    @on(MessagePane.ReplyFinished)
    def _reply_finished(self, event: MessagePane.ReplyFinished) -> None:
        self.refresh_list()
        self.refresh_bindings()
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

    # -- model and settings: sidebar, settings screen, models screen, hosts ---------------

    def _sync_sidebar_settings(self, sidebar: Widget) -> None:
        """The configured hosts and the conversation's settings, in the sidebar."""
        where = "demo server" if self.services.demo else self.services.host.netloc
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
        if model == self.current.model:
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

    def action_load_model(self) -> None:
        """Load this conversation's model now (with its keep_alive), so replies start fast."""
        conversation = self.current
        self._load_model(conversation.model, conversation.chat_options.keep_alive, False)

    def action_unload_model(self) -> None:
        """Unload this conversation's model now (`keep_alive: 0`), freeing its memory."""
        self._load_model(self.current.model, None, True)

    @work(group="model-load", exit_on_error=False, description="Loading or unloading a model")
    async def _load_model(self, model: str, keep_alive: KeepAlive, unload: bool) -> None:
        client = self.services.client()
        verb = "Unloading" if unload else "Loading"
        self.notify(sanitize(f"{verb} {model}…"), markup=False)
        try:
            if unload:
                await client.unload(model)
            else:
                await client.load(model, keep_alive)
        except OllamaError as exc:
            text = sanitize(f"{exc.message} {exc.hint}".strip())
            self.notify(text, title=f"{verb} failed", severity="error", markup=False)
            return
        self.notify(sanitize(f"{model} is {'unloaded' if unload else 'loaded'}."), markup=False)

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
        status.host = host.netloc
        status.demo = False
        status.insecure = host.is_insecure_remote
        status.version = ""
        status.state = "connecting"
        self.connection = "connecting"
        self._retry_index = 0
        self._details.clear()
        self._models, self._listed = [], False
        self._sync_sidebar()
        self.refresh_bindings()
        self.notify(sanitize(f"Now using {name} ({host.netloc})."), markup=False)
        self.probe_server()

    async def _follow_conversation_host(self, conversation: Conversation) -> None:
        """Opening a conversation brings back the named host it used."""
        name = conversation.host
        if name in self.services.config.hosts and name != self._active_host_name():
            await self.switch_host(name)

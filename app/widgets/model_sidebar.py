"""The model of the current conversation, what the server says about it, and what is set.

Narrow on purpose (34 columns): host and model pickers, the model's facts and capability
badges, and a summary of the conversation's settings. The editors themselves open as
screens (Ctrl+T settings, F3 models), so they can use the whole terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Select, Static

from ..chat import sanitize
from ..models import Conversation
from ..ollama.types import EMBEDDING_MARK, ModelDetails, ModelInfo
from ..options import settings_summary
from .attachment_bar import human_size

BADGE_STYLE = "bold $text-accent on $accent-muted"
"""Capability badges (vision, tools, thinking, ...)."""


class ModelSidebar(VerticalScroll):
    """Host and model pickers, model facts, and the conversation's settings at a glance."""

    class ModelChanged(Message):
        """The user picked a model for the current conversation."""

        def __init__(self, model: str) -> None:
            super().__init__()
            self.model = model

    class HostChanged(Message):
        """The user picked another of the configured hosts."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name
            """The host's name in `[hosts]`."""

    class Ready(Message):
        """Mounted (after the first frame): time to fill it in."""

    def on_mount(self) -> None:
        self._show_hosts()
        self.post_message(self.Ready())

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models: list[ModelInfo] = []
        self.listed = False
        """True once a server has listed its models (until then, absence means nothing)."""
        self._current = ""
        self._options: list[tuple[Text, str]] = []
        self._hosts: list[str] = []
        self._host_options: list[tuple[Text, str]] = []
        self._host = ""
        self._where = ""

    def compose(self) -> ComposeResult:
        yield Static(Content("Host"), classes="region-title", id="host-title")
        yield Select[str]([], prompt="Host", id="host-select", allow_blank=True)
        yield Static(Content("Model"), classes="region-title")
        yield Select[str]([], prompt="No models yet", id="model-select", allow_blank=True)
        yield Static(Content(""), id="model-facts")
        yield Static(Content(""), id="model-badges")
        yield Static(Content("Settings"), classes="region-title", id="settings-title")
        yield Static(Content(""), id="settings-summary")
        yield Button("Settings (Ctrl+T)", id="open-settings", compact=True)
        yield Button("Models (F3)", id="open-models", compact=True)

    @property
    def select(self) -> Select[str]:
        return self.query_one("#model-select", Select)

    # -- hosts ------------------------------------------------------------------------------

    def set_hosts(self, hosts: list[str], current: str, where: str = "") -> None:
        """Offer the configured hosts by name; hidden when the config names none.

        Args:
            hosts: The names in `[hosts]`.
            current: The name of the host in use ("" when it has none).
            where: What to show when the host in use has no name (`demo server`, an address).
        """
        self._hosts, self._host, self._where = hosts, current, where
        if self.is_mounted:
            self._show_hosts()

    def _show_hosts(self) -> None:
        select = self.query_one("#host-select", Select)
        shown = bool(self._hosts)
        select.display = shown
        self.query_one("#host-title").display = shown
        options = [(Text(sanitize(name)), name) for name in self._hosts]
        if shown and options != self._host_options:
            self._host_options = options
            select.set_options(options)
        if self._host in self._hosts:
            if select.value != self._host:
                select.value = self._host
        elif shown:
            select.clear()
            select.prompt = sanitize(self._where) or "Not a configured host"

    # -- models -----------------------------------------------------------------------------

    def set_models(
        self,
        models: list[ModelInfo],
        current: str,
        *,
        listed: bool = True,
        embedding_only: frozenset[str] = frozenset(),
    ) -> None:
        """Fill the picker from `/api/tags`; keep `current` even if the server lacks it.

        Args:
            models: The server's models.
            current: The conversation's model.
            listed: True once the server has listed its models.
            embedding_only: Models known to make only embeddings (marked: they cannot chat).
        """
        self.models = models
        self.listed = listed
        names = [m.name for m in models]
        # Select reads a str label as markup: labels from the server are Text, shown literally.
        options = [
            (Text(sanitize(name) + (EMBEDDING_MARK if name in embedding_only else "")), name)
            for name in names
        ]
        if current and current not in names:
            note = " (not on this server)" if listed else ""
            options.insert(0, (Text(f"{sanitize(current)}{note}"), current))
        if options != self._options:
            self._options = options
            self.select.set_options(options)
            self.select.prompt = "Choose a model" if options else "No models on this server"
        self._current = current
        if current and self.select.value != current:
            self.select.value = current
        self._show_facts(None)

    def set_details(self, details: ModelDetails | None) -> None:
        """Show capabilities and context length from `/api/show`."""
        self._show_facts(details)

    def _show_facts(self, details: ModelDetails | None) -> None:
        info = next((m for m in self.models if m.name == self._current), None)
        lines: list[str] = []
        if info is not None:
            facts = [info.parameter_size, info.quantization_level, info.family]
            lines.append(" · ".join(f for f in facts if f))
            if info.size is not None:
                lines.append(f"{human_size(info.size)} on disk")
        elif self._current and self.listed:
            lines.append("Not on this server:\npress F3 to pull it.")
        elif not self.listed:
            lines.append("The model list appears once the server answers.")
        if details is not None and details.context_length:
            lines.append(f"context {details.context_length:,} tokens")
        self.query_one("#model-facts", Static).update(Content(sanitize("\n".join(lines))))
        badges = self.query_one("#model-badges", Static)
        capabilities = details.capabilities if details is not None else ()
        badges.display = bool(capabilities)
        parts: list[str | tuple[str, str]] = []
        for capability in capabilities:
            if parts:
                parts.append(" ")
            parts.append((f" {sanitize(capability)} ", BADGE_STYLE))
        badges.update(Content.assemble(*parts))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        # Changed also fires (later) for programmatic updates and for a cleared value.
        value = event.value
        if not isinstance(value, str) or not value:
            return
        if value != event.select.value:
            # Stale: the picker was set again (say, a conversation with another model was
            # opened) before this event arrived. Acting on it would switch the model back
            # and forth for ever, saving each time.
            return
        if event.select.id == "host-select":
            if value != self._host:
                self._host = value
                self.post_message(self.HostChanged(value))
            return
        if value != self._current:
            self._current = value
            self._show_facts(None)
            self.post_message(self.ModelChanged(value))

    # -- settings ---------------------------------------------------------------------------

    def set_settings(self, conversation: Conversation) -> None:
        """Summarise what the conversation sets (options, system prompt, format, ...)."""
        lines = settings_summary(conversation) or ["model defaults"]
        self.query_one("#settings-summary", Static).update(Content(sanitize("\n".join(lines))))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        # The same actions as the keys (Ctrl+T, F3), run by the screen.
        action = {"open-settings": "open_settings", "open-models": "manage_models"}.get(
            event.button.id or ""
        )
        if action:
            await self.run_action(f"screen.{action}")

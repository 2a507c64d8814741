"""The model of the current conversation and what the server says about it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Select, Static

from ..chat import sanitize
from ..ollama.types import ModelDetails, ModelInfo
from .attachment_bar import human_size


class ModelSidebar(VerticalScroll):
    """Model picker and model facts."""

    class ModelChanged(Message):
        """The user picked a model for the current conversation."""

        def __init__(self, model: str) -> None:
            super().__init__()
            self.model = model

    class Ready(Message):
        """Mounted (after the first frame): time to fill it in."""

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models: list[ModelInfo] = []
        self.listed = False
        """True once a server has listed its models (until then, absence means nothing)."""
        self._current = ""
        self._options: list[tuple[Text, str]] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("Model"), classes="region-title")
        yield Select[str]([], prompt="No models yet", id="model-select", allow_blank=True)
        yield Static(Content(""), id="model-facts")

    @property
    def select(self) -> Select[str]:
        return self.query_one("#model-select", Select)

    def set_models(self, models: list[ModelInfo], current: str, *, listed: bool = True) -> None:
        """Fill the picker from `/api/tags`; keep `current` even if the server lacks it."""
        self.models = models
        self.listed = listed
        names = [m.name for m in models]
        # Select reads a str label as markup: labels from the server are Text, shown literally.
        options = [(Text(sanitize(name)), name) for name in names]
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
            lines.append(f"{human_size(info.size)} on disk")
        elif self._current and self.listed:
            lines.append("Not on this server: pull it first.")
        elif not self.listed:
            lines.append("The model list appears once the server answers.")
        if details is not None:
            if details.capabilities:
                lines.append(" ".join(f"[{c}]" for c in details.capabilities))
            if details.context_length:
                lines.append(f"context {details.context_length:,} tokens")
        self.query_one("#model-facts", Static).update(Content(sanitize("\n".join(lines))))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        # Changed also fires (later) for programmatic updates and for a cleared value.
        value = event.value
        if not isinstance(value, str) or not value:
            return
        if value != self._current:
            self._current = value
            self._show_facts(None)
            self.post_message(self.ModelChanged(value))

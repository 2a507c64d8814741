"""The models loaded in memory (`/api/ps`): size, share on the GPU, time until unloaded.

It polls only while shown: `start()` when it becomes visible, `stop()` when it is hidden.
The countdown ticks every second from the expiry the server gave; the server is asked
again every `POLL_SECONDS`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Static

from ..chat import sanitize
from ..ollama.errors import OllamaError
from ..ollama.types import server_time
from .attachment_bar import human_size

if TYPE_CHECKING:
    from ..ollama.types import RunningModel
    from ..services import Services

POLL_SECONDS = 3
"""How often `/api/ps` is asked again while the view is shown."""
FOREVER = 50 * 365 * 86400
"""An expiry further away than this is a model kept loaded for ever (`keep_alive: -1`)."""


def parse_expiry(text: str) -> datetime | None:
    """`expires_at` as an aware datetime (Go writes up to nine fractional digits); None
    when it is not a time, or one too near the ends of the calendar (see `server_time`)."""
    return server_time(text)


def countdown(expires: datetime | None, now: datetime) -> str:
    """`4:59`, `1:02:03`, `2d 3h`, `for ever`, `unloading`, or `?` when unknown."""
    if expires is None:
        return "?"
    seconds = int((expires - now).total_seconds())
    if seconds > FOREVER:
        return "for ever"
    if seconds <= 0:
        return "unloading"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}:{minutes:02}:{secs:02}"
    return f"{minutes}:{secs:02}"


def processor_text(size: int, size_vram: int) -> str:
    """Where the model sits, as `ollama ps` says it: `100% GPU`, `25%/75% CPU/GPU`."""
    if size <= 0:
        return ""
    gpu = round(min(size_vram, size) / size * 100)
    if gpu >= 100:
        return "100% GPU"
    if gpu <= 0:
        return "100% CPU"
    return f"{100 - gpu}%/{gpu}% CPU/GPU"


class RunningModels(Vertical):
    """A table of the loaded models, refreshed while it is on screen."""

    def __init__(self, services: Services, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self.models: list[RunningModel] = []
        """What `/api/ps` said last."""
        self.fetched = False
        """True once `/api/ps` has answered."""
        self._ticks = 0
        self._timer: Timer | None = None
        self._polling = False
        self.poll_seconds = POLL_SECONDS
        """How often the server is asked while shown (the countdown ticks every second)."""

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="ps-table")
        table.add_column("Model", key="model")
        table.add_column("Size", key="size")
        table.add_column("Processor", key="processor")
        table.add_column("Context", key="context")
        table.add_column("Until", key="until")
        yield table
        yield Static(Content("Asking the server…"), id="ps-note")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0, self._tick, pause=True)

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#ps-table", DataTable)

    @property
    def polling(self) -> bool:
        """True while the view refreshes itself."""
        return self._polling

    def start(self) -> None:
        """Shown: ask now, then keep the view current."""
        self._ticks = 0
        self._polling = True
        if self._timer is not None:
            self._timer.resume()
        self.refresh_models()

    def stop(self) -> None:
        """Hidden: stop asking the server."""
        self._polling = False
        if self._timer is not None:
            self._timer.pause()
        self.workers.cancel_group(self, "ps")

    def on_unmount(self) -> None:
        self.stop()

    def _tick(self) -> None:
        self._ticks += 1
        if self._ticks % self.poll_seconds == 0:
            self.refresh_models()
        else:
            self._draw_countdowns()

    @work(group="ps", exclusive=True, exit_on_error=False, description="Loaded models")
    async def refresh_models(self) -> None:
        """Ask `/api/ps` and show the answer."""
        try:
            models = await self.services.client().ps()
        except OllamaError as exc:
            self.query_one("#ps-note", Static).update(
                Content(f"Could not list the loaded models: {sanitize(exc.message)}")
            )
            return
        self.models = models
        self.fetched = True
        self._draw()

    def _draw(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        now = datetime.now(UTC)
        for model in self.models:
            table.add_row(
                Text(sanitize(model.name)),  # a plain str cell would be read as markup
                human_size(model.size) if model.size is not None else "?",
                processor_text(model.size or 0, model.size_vram or 0),
                f"{model.context_length:,}" if model.context_length else "",
                countdown(model.expires_at, now),
                key=model.name,
            )
        if self.models:
            table.move_cursor(row=min(row, len(self.models) - 1))
        note = "" if self.models else "No model is loaded. Load one from Installed (l)."
        widget = self.query_one("#ps-note", Static)
        widget.update(Content(note))
        widget.display = bool(note)

    def _draw_countdowns(self) -> None:
        now = datetime.now(UTC)
        table = self.table
        for model in self.models:
            if model.name in table.rows:
                table.update_cell(model.name, "until", countdown(model.expires_at, now))

    @property
    def selected(self) -> str | None:
        """The model on the highlighted row."""
        if not self.models:
            return None
        index = self.table.cursor_row
        return self.models[index].name if 0 <= index < len(self.models) else None

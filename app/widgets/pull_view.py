"""Pull a model by name, with a progress bar per layer and overall; cancellable.

The worker only feeds a `PullTracker` (one cheap update per progress line); a frame timer
draws it at most `FPS` times a second, so a fast download never floods the screen.
Cancelling the worker closes the HTTP stream, which stops the download on the server.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, ProgressBar, Static

from ..chat import sanitize
from ..error_log import record_failure
from ..ollama.errors import OllamaError, OllamaStreamError
from ..options import short_duration
from ..pull import LayerProgress, PullTracker, short_digest
from .attachment_bar import human_size

if TYPE_CHECKING:
    from ..services import Services

FPS = 10
"""Redraws per second while a pull runs."""
BAR_WIDTH = 12


def text_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """`██████░░░░` for a fraction of 0..1."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def rate_text(speed: float | None) -> str:
    """`12.3 MB/s`, or an empty string while unknown."""
    return f"{human_size(speed)}/s" if speed else ""


def eta_text(seconds: float | None) -> str:
    """`ETA 1m5s`, or an empty string while unknown."""
    if seconds is None:
        return ""
    return "done" if seconds <= 0 else f"ETA {short_duration(seconds)}"


def layer_line(layer: LayerProgress) -> str:
    """One layer: digest, bar, percent, bytes, speed and time left."""
    parts = [
        short_digest(layer.digest),
        text_bar(layer.fraction),
        f"{layer.fraction * 100:3.0f}%",
        f"{human_size(layer.completed)}/{human_size(layer.total)}" if layer.total else "",
    ]
    if not layer.done:
        parts += [rate_text(layer.speed()), eta_text(layer.eta())]
    return "  ".join(p for p in parts if p)


class PullView(Vertical):
    """A name field, then the progress of the pull it starts."""

    class Started(Message):
        """A pull began."""

        def __init__(self, model: str) -> None:
            super().__init__()
            self.model = model

    class Finished(Message):
        """A pull ended: succeeded, failed or was cancelled."""

        def __init__(self, model: str, ok: bool, error: str = "") -> None:
            super().__init__()
            self.model = model
            self.ok = ok
            """True when the model is now on the server."""
            self.error = error
            """Why it failed ("" when it succeeded; "cancelled" when stopped)."""

    def __init__(self, services: Services, name: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self._initial = name
        self.tracker: PullTracker | None = None
        """The pull in progress (or the last one)."""
        self._drawn = -1
        self._frame: Timer | None = None
        self._pulling = False
        self.frames = 0
        """How many times the progress was drawn (at most FPS a second, whatever the lines)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="option-row"):
            yield Static(Content("model"), classes="option-name")
            yield Input(
                self._initial,
                placeholder="name to pull, e.g. mistral:7b (Enter starts)",
                compact=True,
                id="pull-name",
            )
        yield Static(Content(""), id="pull-status")
        yield ProgressBar(total=None, show_eta=False, id="pull-bar")
        yield Static(Content(""), id="pull-layers")

    def on_mount(self) -> None:
        self._frame = self.set_interval(1 / FPS, self._draw, pause=True)
        self.query_one("#pull-bar").display = False

    @property
    def pulling(self) -> bool:
        """True while a pull runs (False as soon as it has ended, even though its worker
        is still finishing: `Finished` is posted from inside it)."""
        return self._pulling and any(
            w.node is self and w.group == "pull" and not w.is_finished for w in self.workers
        )

    @on(Input.Submitted, "#pull-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.start(event.value)

    def start(self, name: str) -> None:
        """Pull a model (nothing happens while another pull runs)."""
        name = name.strip()
        if not name:
            self.notify("Type the name of a model to pull (e.g. mistral:7b).")
            return
        if self.pulling:
            self.notify("A pull is already running: cancel it first (Ctrl+G).")
            return
        self.tracker = PullTracker(name)
        self._pulling = True
        self._drawn = -1
        self.query_one("#pull-bar").display = True
        self.query_one("#pull-bar", ProgressBar).update(total=None, progress=0)
        if self._frame is not None:
            self._frame.resume()
        self._pull(self.tracker)
        self.post_message(self.Started(name))

    def cancel(self) -> bool:
        """Stop the pull (the connection is closed); False if none runs."""
        if not self.pulling:
            return False
        self.workers.cancel_group(self, "pull")
        return True

    @work(group="pull", exclusive=True, exit_on_error=False, description="Pulling a model")
    async def _pull(self, tracker: PullTracker) -> None:
        client = self.services.client()
        name = tracker.model
        try:
            async with aclosing(client.pull(name)) as lines:
                async for progress in lines:
                    tracker.update(progress)
        except asyncio.CancelledError:
            self._end(tracker, "cancelled", "cancelled")
            raise
        except OllamaError as exc:
            # An error line is the server's own words about the pull (e.g. no such model).
            why = exc.error if isinstance(exc, OllamaStreamError) else exc.message
            self._end(tracker, f"failed: {why}", why)
            return
        except Exception as exc:  # a fault in olladeck: said on screen and logged
            record_failure(self.services.store.root, f"Pulling {name} failed", exc)
            why = f"olladeck failed while following the pull ({type(exc).__name__}: {exc})"[:240]
            self._end(tracker, f"failed: {why}", why)
            return
        if not tracker.finished:
            why = "the server ended the pull without saying success"
            self._end(tracker, f"failed: {why}", why)
            return
        self._end(tracker, tracker.status, "")

    def _end(self, tracker: PullTracker, status: str, error: str) -> None:
        """The pull is over: show its last state and say how it ended."""
        self._pulling = False
        tracker.status = status
        tracker.version += 1
        self._draw()
        if not tracker.total:
            # The bar never learnt a size: it would go on pulsing as if work were going on.
            self.query_one("#pull-bar").display = False
        self.post_message(self.Finished(tracker.model, ok=not error, error=error))

    def _draw(self) -> None:
        """Show the tracker, if it moved since the last frame."""
        tracker = self.tracker
        if tracker is None or tracker.version == self._drawn:
            if not self.pulling and self._frame is not None:
                self._frame.pause()
            return
        self._drawn = tracker.version
        self.frames += 1
        overall = [sanitize(tracker.model), sanitize(tracker.status)]
        if tracker.total:
            overall.append(f"{human_size(tracker.completed)} of {human_size(tracker.total)}")
            if not tracker.finished:
                overall += [rate_text(tracker.speed()), eta_text(tracker.eta())]
        self.query_one("#pull-status", Static).update(
            Content(" · ".join(part for part in overall if part))
        )
        bar = self.query_one("#pull-bar", ProgressBar)
        if tracker.total:
            bar.update(total=tracker.total, progress=tracker.total * tracker.fraction)
        lines = [sanitize(layer_line(layer)) for layer in tracker.layers.values()]
        self.query_one("#pull-layers", Static).update(Content("\n".join(lines)))

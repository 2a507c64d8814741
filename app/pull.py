"""What a model pull has done so far, from `/api/pull`'s progress lines.

The server sends a line for every few kilobytes; the tracker only adds them up (cheap), and
the UI reads it once per frame: bytes, percent, speed and time left, per layer and overall.
No Textual here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .ollama.types import PullProgress

SPEED_WINDOW = 3.0
"""Seconds of samples the speed is averaged over (steady, yet quick to follow a change)."""


@dataclass
class LayerProgress:
    """One blob of the model being downloaded."""

    digest: str
    total: int = 0
    completed: int = 0
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))
    """(time, completed) pairs of the last few seconds, for the speed."""

    @property
    def fraction(self) -> float:
        """0..1 (0 when the size is not known yet)."""
        return min(1.0, self.completed / self.total) if self.total else 0.0

    @property
    def done(self) -> bool:
        return bool(self.total) and self.completed >= self.total

    def speed(self) -> float | None:
        """Bytes per second over the last `SPEED_WINDOW` seconds (None until measurable)."""
        if len(self.samples) < 2:
            return None
        (start, first), (end, last) = self.samples[0], self.samples[-1]
        if end <= start:
            return None
        return max(0.0, (last - first) / (end - start))

    def eta(self) -> float | None:
        """Seconds left at the current speed (None when unknown)."""
        if self.done:
            return 0.0
        speed = self.speed()
        if not speed or not self.total:
            return None
        return (self.total - self.completed) / speed


class PullTracker:
    """Adds up a pull's progress lines."""

    def __init__(self, model: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.model = model
        self.status = "starting"
        """The server's latest status line (`pulling manifest`, `verifying ...`, `success`)."""
        self.layers: dict[str, LayerProgress] = {}
        """Layers in the order they started."""
        self.finished = False
        """True once the server said `success`."""
        self.version = 0
        """Bumped on every change: the UI redraws only when it moved."""
        self._clock = clock

    def update(self, progress: PullProgress) -> None:
        """Take one progress line."""
        if progress.status:
            self.status = progress.status
        if progress.status == "success":
            self.finished = True
        if progress.digest:
            layer = self.layers.get(progress.digest)
            if layer is None:
                layer = self.layers[progress.digest] = LayerProgress(progress.digest)
            if progress.total:
                layer.total = progress.total
            if progress.completed is not None:
                layer.completed = max(layer.completed, progress.completed)
            moment = self._clock()
            samples = layer.samples
            samples.append((moment, layer.completed))
            while len(samples) > 2 and moment - samples[0][0] > SPEED_WINDOW:
                samples.popleft()
        self.version += 1

    @property
    def total(self) -> int:
        """Bytes of every layer known so far."""
        return sum(layer.total for layer in self.layers.values())

    @property
    def completed(self) -> int:
        return sum(layer.completed for layer in self.layers.values())

    @property
    def fraction(self) -> float:
        """0..1 over every layer known so far (1 once finished)."""
        if self.finished:
            return 1.0
        total = self.total
        return min(1.0, self.completed / total) if total else 0.0

    def speed(self) -> float | None:
        """Bytes per second of the layers still downloading."""
        speeds = [s for layer in self.layers.values() if not layer.done and (s := layer.speed())]
        return sum(speeds) if speeds else None

    def eta(self) -> float | None:
        """Seconds left for the layers known so far (None when unknown)."""
        if self.finished:
            return 0.0
        speed = self.speed()
        if not speed:
            return None
        return max(0.0, self.total - self.completed) / speed


def short_digest(digest: str) -> str:
    """`sha256:0123…` -> `0123456789ab` (as `ollama pull` shows it)."""
    return digest.removeprefix("sha256:")[:12]

"""Tells typing from one-letter commands, for widgets whose commands are printable keys.

The conversation pane and the conversation list are one Shift+Tab from the input, and
their commands are letters: a sentence typed there by mistake used to fold thinking (t),
open "Delete?" (d) and answer it (y). A widget that holds a `TypingGuard` and hands it
its keys gets this instead:

- a printable key that is no command there (w, or e where nothing can be edited) is text:
  it goes where text goes (`send`: the input, or the list's filter), and so does the rest
  of the burst;
- a command key waits `TYPING_GAP` before it runs; if another printable key comes in that
  time, both were typing and are sent as text (a person gives a command and then looks;
  typing is faster than a key every 0.2 s);
- keys that only move (j, k, g, Space) run at once, as holding j must scroll; if typing
  follows in the same burst ("good"), their letters are sent as text too and the
  position goes back to where it was before the burst.

`Event.time` is when the key was read, so keys that queued up while the app was busy
count as the burst they were.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from textual import events
from textual.binding import ActiveBinding
from textual.timer import Timer
from textual.widget import Widget

TYPING_GAP = 0.2
"""Seconds: a printable key this soon after another one is typing, not a command (and a
command key waits this long before it runs, in case typing follows)."""


class TypingGuard:
    """Holds back a widget's one-letter commands while the keys look like typing."""

    def __init__(
        self,
        owner: Widget,
        *,
        moves: frozenset[str],
        send: Callable[[str], None] | None,
        position: Callable[[], object],
        restore: Callable[[object], None],
    ) -> None:
        """
        Args:
            owner: The widget whose bindings are guarded (its timers run the held keys).
            moves: Actions (names without arguments) that only move: they run at once.
            send: Where text typed there goes (None: refused, with a bell).
            position: What the moves change (a selection, a highlighted row).
            restore: Puts back what `position` returned.
        """
        self.owner = owner
        self.moves = moves
        self.send = send
        self._position = position
        self._restore = restore
        self._burst: list[str] = []
        """The printable keys of the burst going on."""
        self._burst_at = -math.inf
        """When the last printable key came (the clock of `Event.time`)."""
        self._before: object = None
        """The position before the burst began (moves typed as text are undone)."""
        self._typing = False
        """The burst going on is text: every key of it is sent."""
        self._held: tuple[Timer, ActiveBinding] | None = None
        """A command key waiting to see whether typing follows (and its timer)."""

    def _command(self, event: events.Key) -> ActiveBinding | None:
        """The enabled binding this key would run here, or None."""
        active = self.owner.screen.active_bindings
        for key in event.aliases:
            binding = active.get(key)
            if binding is not None:
                return binding if binding.enabled else None
        return None

    async def key(self, event: events.Key) -> None:
        """Look at a key before the bindings do (call from the owner's `on_key`)."""
        character = event.character
        if not event.is_printable or character is None:
            return
        if event.time - self._burst_at >= TYPING_GAP:
            if self._held is not None:
                # Its time is up but its timer has not run yet (a busy moment): run it.
                await self._run_held(self._held[1])
            self._burst = []
            self._typing = False
            self._before = self._position()
        self._burst_at = max(self._burst_at, event.time)
        command = None if self._typing or self._held is not None else self._command(event)
        if command is None:
            event.stop()
            event.prevent_default()
            self._type(character)
            return
        self._burst.append(character)
        name = command.binding.action.partition("(")[0]
        if name in self.moves and command.node is self.owner:
            return  # runs now, through the bindings
        event.stop()
        event.prevent_default()
        timer = self.owner.set_timer(TYPING_GAP, partial(self._run_held, command))
        self._held = (timer, command)

    async def _run_held(self, command: ActiveBinding) -> None:
        """No typing followed the command key: run it."""
        self.drop()
        self._burst = []
        if self.owner.has_focus_within:
            await self.owner.app.run_action(command.binding.action, command.node)

    def drop(self) -> None:
        """Forget a command key still waiting (the owner lost the focus)."""
        held, self._held = self._held, None
        if held is not None:
            held[0].stop()

    def _type(self, character: str) -> None:
        """The burst is text: send it (or refuse it, with a bell)."""
        self.drop()
        text = "".join(self._burst) + character
        self._burst = []
        if not self._typing:
            self._typing = True
            if self._before is not None and self._before != self._position():
                self._restore(self._before)
        if self.send is None:
            self.owner.app.bell()
            return
        self.send(text)

"""The line at the top: which server, whether it answers, which model."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ..core.display_text import EMPTY, DisplayText

WARNING = "⚠ plain HTTP"
"""Shown right after the host name for plain HTTP to another machine."""
EXPLANATION = " · unencrypted HTTP to a remote host"
"""Said after the server's state and version, where the line has room."""
TOOLTIP = "Plain HTTP to a remote host: prompts and replies travel unencrypted."


class StatusLine(Static):
    """Connection and model at a glance."""

    host: reactive[str] = reactive("")
    """The server's `host:port`."""
    state: reactive[str] = reactive("connecting")
    """`connecting`, `connected`, `unreachable`."""
    version: reactive[DisplayText] = reactive(EMPTY)
    """The server's version, once known (display-safe: the server says it)."""
    model: reactive[DisplayText] = reactive(EMPTY)
    """The current conversation's model (display-safe: a server or a file names it)."""
    demo: reactive[bool] = reactive(False)
    """True when talking to the built-in simulated server."""
    insecure: reactive[bool] = reactive(False)
    """True for plain HTTP to another machine."""
    tools: reactive[str] = reactive("")
    """Tool calling in this conversation: `""` (off), `on`, or `unsupported` (on, but the
    model cannot call tools)."""

    def render(self) -> Content:
        """The whole line where it fits; on a narrow terminal the least useful parts go
        first, so that what is left is never cut in the middle (a cut "⚙ tools
        unsupported" read "⚙ tools", as if they were on)."""
        width = self.content_size.width
        rest = self._model_and_tools()
        if self.insecure:
            # The whole explanation where there is room for it and all that follows.
            explained = Content.assemble(*self._connection(), (EXPLANATION, "$text-warning"), *rest)
            if explained.cell_length <= width:
                return explained
        # Given up in this order: the server's version, the app's name, then the model's
        # name is shortened (the tool state after it always stays whole).
        for version, brand in ((True, True), (False, True), (False, False)):
            line = Content.assemble(*self._connection(version=version, brand=brand), *rest)
            if line.cell_length <= width or width <= 0:
                return line
        connection = self._connection(version=False, brand=False)
        room = width - Content.assemble(*connection, *self._tools()).cell_length
        return Content.assemble(*connection, *self._model(room), *self._tools())

    def _connection(self, *, version: bool = True, brand: bool = True) -> list[tuple[str, str]]:
        symbol = {"connected": "●", "unreachable": "○"}.get(self.state, "◌")
        where = "demo server" if self.demo else self.host
        parts = [("olladeck", "bold"), ("  ", "")] if brand else []
        parts.append((f"{symbol} {where}", f"$text-{self._tone()}"))
        if self.insecure:
            # Right after the host, so that a narrow terminal does not cut it off.
            parts.append((f" {WARNING}", "$text-warning"))
        if self.version and self.state == "connected":
            if version:
                parts.append((f" · Ollama {self.version}", "$text-muted"))
        elif self.state != "connected":
            parts.append((f" · {self.state}", f"$text-{self._tone()}"))
        return parts

    def _model_and_tools(self) -> list[tuple[str, str]]:
        return [*self._model(), *self._tools()]

    def _model(self, room: int | None = None) -> list[tuple[str, str]]:
        """The model's name; shortened to fit `room` cells (ending in "…") if given."""
        if not self.model:
            return []
        text = f"model {self.model}"
        if room is not None:
            text = Content(text).truncate(max(room - 2, 0), ellipsis=True).plain
        return [("  ", ""), (text, "$text-accent")] if text else []

    def _tools(self) -> list[tuple[str, str]]:
        if self.tools == "on":
            return [("  ⚙ tools on", "$text-success")]
        if self.tools == "unsupported":
            return [("  ⚙ tools unsupported", "$text-warning")]
        return []

    def watch_insecure(self, insecure: bool) -> None:
        self.tooltip = TOOLTIP if insecure else None

    def _tone(self) -> str:
        return {"connected": "success", "unreachable": "error"}.get(self.state, "warning")

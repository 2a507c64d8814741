"""The line at the top: which server, whether it answers, which model."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

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
    version: reactive[str] = reactive("")
    """The server's version, once known."""
    model: reactive[str] = reactive("")
    """The current conversation's model."""
    demo: reactive[bool] = reactive(False)
    """True when talking to the built-in simulated server."""
    insecure: reactive[bool] = reactive(False)
    """True for plain HTTP to another machine."""
    tools: reactive[str] = reactive("")
    """Tool calling in this conversation: `""` (off), `on`, or `unsupported` (on, but the
    model cannot call tools)."""

    def render(self) -> Content:
        connection = self._connection()
        rest = self._model_and_tools()
        if self.insecure:
            # The whole explanation where there is room for it and all that follows.
            explained = Content.assemble(*connection, (EXPLANATION, "$text-warning"), *rest)
            if explained.cell_length <= self.content_size.width:
                return explained
        return Content.assemble(*connection, *rest)

    def _connection(self) -> list[tuple[str, str]]:
        symbol = {"connected": "●", "unreachable": "○"}.get(self.state, "◌")
        where = "demo server" if self.demo else self.host
        parts = [
            ("olladeck", "bold"),
            ("  ", ""),
            (f"{symbol} {where}", f"$text-{self._tone()}"),
        ]
        if self.insecure:
            # Right after the host, so that a narrow terminal does not cut it off.
            parts.append((f" {WARNING}", "$text-warning"))
        if self.version and self.state == "connected":
            parts.append((f" · Ollama {self.version}", "$text-muted"))
        elif self.state != "connected":
            parts.append((f" · {self.state}", f"$text-{self._tone()}"))
        return parts

    def _model_and_tools(self) -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = []
        if self.model:
            parts.extend([("  ", ""), (f"model {self.model}", "$text-accent")])
        if self.tools == "on":
            parts.append(("  ⚙ tools on", "$text-success"))
        elif self.tools == "unsupported":
            parts.append(("  ⚙ tools unsupported", "$text-warning"))
        return parts

    def watch_insecure(self, insecure: bool) -> None:
        self.tooltip = TOOLTIP if insecure else None

    def _tone(self) -> str:
        return {"connected": "success", "unreachable": "error"}.get(self.state, "warning")

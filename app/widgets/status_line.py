"""The line at the top: which server, whether it answers, which model."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static


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
        symbol = {"connected": "●", "unreachable": "○"}.get(self.state, "◌")
        where = "demo server" if self.demo else self.host
        parts = [
            ("olladeck", "bold"),
            ("  ", ""),
            (f"{symbol} {where}", f"$text-{self._tone()}"),
        ]
        if self.version and self.state == "connected":
            parts.append((f" · Ollama {self.version}", "$text-muted"))
        elif self.state != "connected":
            parts.append((f" · {self.state}", f"$text-{self._tone()}"))
        if self.insecure:
            parts.append((" · unencrypted HTTP to a remote host", "$text-warning"))
        if self.model:
            parts.extend([("  ", ""), (f"model {self.model}", "$text-accent")])
        if self.tools == "on":
            parts.append(("  ⚙ tools on", "$text-success"))
        elif self.tools == "unsupported":
            parts.append(("  ⚙ tools unsupported", "$text-warning"))
        return Content.assemble(*parts)

    def _tone(self) -> str:
        return {"connected": "success", "unreachable": "error"}.get(self.state, "warning")

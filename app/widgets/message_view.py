"""How one message looks in the message pane."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from ..chat import sanitize
from ..models import ChatMessage, ReplyStats

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from textual.timer import Timer
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


def markdown_parser() -> MarkdownIt:
    """GitHub-flavoured Markdown with raw HTML shown as text, never dropped or run."""
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like", {"html": False})


def stats_text(stats: ReplyStats | None, state: str) -> str:
    """The unobtrusive line of facts under a reply."""
    if stats is None:
        return ""
    parts: list[str] = []
    if stats.model:
        parts.append(stats.model)
    rate = stats.tokens_per_second
    if rate is not None:
        parts.append(f"{rate:.1f} tok/s")
    if stats.first_token_seconds is not None:
        parts.append(f"first token {stats.first_token_seconds:.2f} s")
    if stats.prompt_eval_count is not None or stats.eval_count is not None:
        parts.append(f"{stats.prompt_eval_count or 0} in → {stats.eval_count or 0} out tokens")
    if stats.done_reason == "length":
        parts.append("cut off: hit the num_predict limit")
    elif stats.done_reason and stats.done_reason != "stop":
        parts.append(f"ended: {stats.done_reason}")
    if state == "stopped":
        parts.append("stopped")
    return " · ".join(parts)


class MessageView(Vertical):
    """Base of the per-message widgets."""

    def __init__(self, message: ChatMessage) -> None:
        super().__init__(classes=f"message -{message.role}")
        self.message = message


class UserMessageView(MessageView):
    """A message the user wrote (or a system/tool message), shown literally."""

    def compose(self) -> ComposeResult:
        role = self.message.role
        label = {"user": "You", "system": "System", "tool": "Tool"}.get(role, role)
        if role == "tool" and self.message.tool_name:
            label = f"Tool result · {self.message.tool_name}"
        yield Static(Content(label), classes="message-role")
        yield Static(Content(sanitize(self.message.content)), classes="message-text")
        if self.message.images:
            count = len(self.message.images)
            yield Static(
                Content(f"▣ {count} image{'s' if count != 1 else ''} attached"),
                classes="message-images",
            )


class AssistantMessageView(MessageView):
    """A reply: optional thinking, Markdown content, and a line of facts."""

    def __init__(self, message: ChatMessage, *, streaming: bool = False) -> None:
        """
        Args:
            message: The reply.
            streaming: Start empty; the text will arrive through `append`.
        """
        super().__init__(message)
        self.streaming = streaming
        self._thinking_parts: list[str] = []
        self._stream: MarkdownStream | None = None
        self.markdown: Markdown | None = None
        self._waiting_since: float | None = None
        self._waiting_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Static(Content(self._role_label()), classes="message-role")
        initial_thinking = "" if self.streaming else self.message.thinking
        thinking = Static(Content(sanitize(initial_thinking)), classes="thinking-text")
        thinking.display = bool(initial_thinking)
        yield thinking
        self.markdown = Markdown(
            None if self.streaming else sanitize(self.message.content),
            open_links=False,
            parser_factory=markdown_parser,
        )
        yield self.markdown
        working = Static(Content(""), classes="message-working")
        working.display = False
        yield working
        yield Static(Content(""), classes="message-facts")
        yield Static(Content(""), classes="message-error")

    def _role_label(self) -> str:
        model = self.message.stats.model if self.message.stats else ""
        return f"Assistant · {model}" if model else "Assistant"

    def on_mount(self) -> None:
        self.refresh_footer()

    def start_streaming(self) -> None:
        """Prepare for content to arrive a frame at a time."""
        from textual.widgets import Markdown

        assert self.markdown is not None
        self._stream = Markdown.get_stream(self.markdown)
        self.add_class("-streaming")
        self._waiting_since = time.monotonic()
        self._show_waiting()
        self._waiting_timer = self.set_interval(1.0, self._show_waiting)

    def _show_waiting(self) -> None:
        """Until the first text arrives (all of a non-streamed reply), say it is coming."""
        working = self.query_one(".message-working", Static)
        if self._waiting_since is None:
            working.display = False
            return
        seconds = int(time.monotonic() - self._waiting_since)
        working.update(Content(f"◌ waiting for the reply · {seconds} s · Escape stops it"))
        working.display = True

    def _stop_waiting(self) -> None:
        self._waiting_since = None
        if self._waiting_timer is not None:
            self._waiting_timer.stop()
            self._waiting_timer = None
        self._show_waiting()

    async def append(self, thinking: str, content: str) -> None:
        """Show newly arrived text (called at most once per frame)."""
        if self._waiting_since is not None and (thinking or content):
            self._stop_waiting()
        if thinking:
            self._thinking_parts.append(sanitize(thinking))
            widget = self.query_one(".thinking-text", Static)
            widget.display = True
            widget.update(Content("".join(self._thinking_parts)))
        if content and self._stream is not None:
            await self._stream.write(sanitize(content))

    async def finish(self) -> None:
        """The reply is complete (or stopped, or failed): flush and show the facts."""
        self._stop_waiting()
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.streaming = False
        self.remove_class("-streaming")
        self.refresh_footer()

    def refresh_footer(self) -> None:
        """Update the facts and error lines from the message."""
        message = self.message
        self.query_one(".message-role", Static).update(Content(self._role_label()))
        facts = self.query_one(".message-facts", Static)
        text = stats_text(message.stats, message.state)
        facts.update(Content(text))
        facts.display = not self.streaming and bool(text)
        error = self.query_one(".message-error", Static)
        if message.state == "error" and message.error:
            error.update(Content(f"⚠ {sanitize(message.error)}\nPress Ctrl+R to retry."))
            error.display = True
        else:
            error.display = False

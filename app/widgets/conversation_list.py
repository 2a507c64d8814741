"""The saved conversations, newest activity first."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..chat import sanitize
from ..models import Conversation


def relative_time(moment: datetime, reference: datetime | None = None) -> str:
    """`just now`, `5m`, `3h`, `2d`, or a date."""
    reference = reference or datetime.now(UTC)
    seconds = (reference - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return moment.strftime("%Y-%m-%d")


class ConversationList(Vertical):
    """Lists conversations; Enter opens one."""

    class Selected(Message):
        """The user chose a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class Ready(Message):
        """Mounted (after the first frame): time to fill it in."""

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("Conversations"), classes="region-title")
        yield OptionList(id="conversation-options")

    @property
    def options(self) -> OptionList:
        return self.query_one("#conversation-options", OptionList)

    def _label(self, conversation: Conversation, current: bool) -> Content:
        title = sanitize(conversation.display_title)
        detail = sanitize(conversation.model or "no model")
        when = relative_time(conversation.updated_at)
        marker = "▶ " if current else ""
        return Content.assemble(
            (f"{marker}{title}", "bold" if current else ""),
            "\n",
            (f"{detail} · {when}", "$text-muted"),
        )

    def set_conversations(self, conversations: list[Conversation], current_id: str | None) -> None:
        """Show these conversations (already in display order)."""
        options = self.options
        highlighted = options.highlighted
        self._ids = [c.id for c in conversations]
        options.clear_options()
        options.add_options(
            Option(self._label(c, c.id == current_id), id=c.id) for c in conversations
        )
        if current_id in self._ids:
            options.highlighted = self._ids.index(current_id)
        elif highlighted is not None and self._ids:
            options.highlighted = min(highlighted, len(self._ids) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Selected(event.option.id))

"""Messages that more than one widget sends or handles."""

from __future__ import annotations

from textual.message import Message


class SaveFailed(Message):
    """A conversation could not be written; it is still in memory and will be retried."""

    def __init__(self, conversation_id: str, error: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        """The conversation that was not saved."""
        self.error = error
        """Why, in one plain sentence."""


class ConversationChanged(Message):
    """A conversation's title, model, messages or settings changed (list and sidebar follow)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        """The conversation that changed."""

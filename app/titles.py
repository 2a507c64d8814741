"""Asking the model for a conversation's title (an option: `title_from_model` in the config).

Without it, a conversation's title is the start of its first message. No Textual here.
"""

from __future__ import annotations

import re
from typing import Any

from .core.display_text import EMPTY, DisplayText
from .models import Conversation, title_from_text

TITLE_PROMPT = (
    "Write a short title, at most six words, for a conversation that starts with the "
    "message below. Reply with the title only: no quotes, no punctuation at the end.\n\n"
)
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)


def title_request(conversation: Conversation) -> dict[str, Any] | None:
    """The `/api/chat` body that asks for a title, or None if there is nothing to name."""
    first = next(
        (m.content for m in conversation.messages if m.role == "user" and m.content.strip()),
        "",
    )
    if not first or not conversation.model:
        return None
    return {
        "model": conversation.model,
        "messages": [{"role": "user", "content": TITLE_PROMPT + first[:2000]}],
        "stream": False,
    }


def clean_title(reply: str) -> DisplayText:
    """A one-line title from the model's reply (reasoning, quotes and Markdown removed)."""
    text = _THINK.sub("", reply)
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = re.sub(r"^(?:#+\s*|title:\s*|\*\*)+", "", line, flags=re.IGNORECASE)
    line = line.strip(" \"'`*\u201c\u201d\u2018\u2019").rstrip(" .,;:")
    return title_from_text(line, limit=60) if line else EMPTY

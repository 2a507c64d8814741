"""A saved reply whose list nests 15 levels deep shows its deepest item."""

from __future__ import annotations

from datetime import UTC, datetime

from app.models import ChatMessage, Conversation
from app.store import ConversationStore
from tests.conftest import screen_text, wait_until
from tests.unit.test_deep_lists import DEEP_LIST

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


async def test_the_deepest_item_of_a_saved_reply_is_on_screen(make_app, data_dir):
    messages = [
        ChatMessage(role="user", content="a deep outline please", created_at=WHEN),
        ChatMessage(role="assistant", content=DEEP_LIST, created_at=WHEN),
    ]
    ConversationStore(data_dir).save(
        Conversation(
            id="deep", model="llama3.2:latest", messages=messages, created_at=WHEN, updated_at=WHEN
        )
    )
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "deep")
        await wait_until(pilot, lambda: "item 8" in screen_text(app))
        text = screen_text(app)
        assert "[15] • item 14" in text
        assert "[10] • item 9" in text

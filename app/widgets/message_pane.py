"""The conversation itself: messages, and replies streaming in.

The pane owns the workers that stream replies, one per conversation (group
`reply:<id>`), so replies in several conversations can stream at once while one is shown.
A worker only appends chunks to a `ReplyBuffer`; a frame timer takes what is new and draws
it, so the cost of drawing is per frame, never per token.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from textual import work
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from ..chat import ReplyBuffer, chat_body, history_messages, message_to_api
from ..messages import SaveFailed
from ..models import ChatMessage, Conversation, ReplyStats, now
from ..ollama.errors import OllamaError
from ..store import Snapshot, StoreError
from .message_view import AssistantMessageView, MessageView, UserMessageView

if TYPE_CHECKING:
    from ..services import Services

SAVE_INTERVAL = 1.0
"""Seconds between saves of a streaming reply: a crash loses at most this much."""
WINDOW = 60
"""Messages mounted when a conversation opens; older ones are mounted on demand."""


class MessagePane(VerticalScroll):
    """Shows one conversation and streams replies into it."""

    class ReplyStarted(Message):
        """A reply began streaming."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class ReplyFinished(Message):
        """A reply ended normally or was stopped by the user (it is saved)."""

        def __init__(self, conversation_id: str, stats: ReplyStats | None, stopped: bool) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.stats = stats
            """The server's figures for the reply."""
            self.stopped = stopped
            """True if the user stopped it."""

    class ReplyFailed(Message):
        """A reply failed; what arrived before the failure is kept and saved."""

        def __init__(self, conversation_id: str, error: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.error = error
            """What went wrong, in plain words."""

    def __init__(self, services: Services, *, fps: int = 20, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self.conversation: Conversation | None = None
        """The conversation on screen."""
        self._fps = fps
        self._streams: dict[str, ReplyBuffer] = {}
        self._views: dict[str, MessageView] = {}
        self._frame: Timer | None = None
        self._first_shown = 0

    def on_mount(self) -> None:
        self._frame = self.set_interval(1 / self._fps, self._render_frame, pause=True)
        self.anchor()

    # -- showing ----------------------------------------------------------------------------

    def _make_view(self, message: ChatMessage, streaming: bool = False) -> MessageView:
        view: MessageView
        if message.role == "assistant":
            view = AssistantMessageView(message, streaming=streaming)
        else:
            view = UserMessageView(message)
        self._views[message.id] = view
        return view

    async def show_conversation(self, conversation: Conversation | None) -> None:
        """Show a conversation (only its latest messages are drawn at first)."""
        self.conversation = conversation
        self._views.clear()
        await self.remove_children()
        if conversation is None:
            return
        messages = conversation.messages
        self._first_shown = max(0, len(messages) - WINDOW)
        buffer = self._streams.get(conversation.id)
        views: list[Any] = []
        if self._first_shown:
            views.append(
                Static(
                    Content(f"↑ {self._first_shown} earlier messages"),
                    classes="earlier-messages",
                )
            )
        for message in messages[self._first_shown :]:
            streaming = buffer is not None and message is buffer.message and not buffer.done
            views.append(self._make_view(message, streaming))
        await self.mount_all(views)
        if buffer is not None:
            if buffer.done:
                self._streams.pop(conversation.id, None)
            else:
                view = self._views.get(buffer.message.id)
                if isinstance(view, AssistantMessageView):
                    buffer.rewind()
                    view.start_streaming()
                    self._resume_frames()
        self.anchor()

    async def add_message(self, message: ChatMessage) -> None:
        """Append a message of the conversation on screen."""
        await self.mount(self._make_view(message))
        self.anchor()

    def _resume_frames(self) -> None:
        if self._frame is not None:
            self._frame.resume()

    async def _render_frame(self) -> None:
        """Draw what arrived since the last frame (runs at most `fps` times a second)."""
        conversation = self.conversation
        buffer = self._streams.get(conversation.id) if conversation else None
        if buffer is None:
            if self._frame is not None:
                self._frame.pause()
            return
        view = self._views.get(buffer.message.id)
        if not isinstance(view, AssistantMessageView):
            return
        thinking, content = buffer.take_thinking(), buffer.take_content()
        if thinking or content:
            await view.append(thinking, content)
        if buffer.done:
            await view.finish()
            if conversation is not None and self._streams.get(conversation.id) is buffer:
                del self._streams[conversation.id]

    # -- streaming ----------------------------------------------------------------------------

    def is_streaming(self, conversation_id: str) -> bool:
        """True while a reply streams in that conversation."""
        buffer = self._streams.get(conversation_id)
        return buffer is not None and not buffer.done

    @property
    def streaming_ids(self) -> list[str]:
        """Conversations with a reply streaming now."""
        return [cid for cid, buffer in self._streams.items() if not buffer.done]

    async def start_reply(self, conversation: Conversation) -> None:
        """Ask the model for the next reply and stream it in."""
        message = ChatMessage(role="assistant", state="streaming")
        conversation.messages.append(message)
        buffer = ReplyBuffer(message, conversation.model)
        self._streams[conversation.id] = buffer
        if conversation is self.conversation:
            view = self._make_view(message, streaming=True)
            await self.mount(view)
            assert isinstance(view, AssistantMessageView)
            view.start_streaming()
            self.anchor()
            self._resume_frames()
        self._stream_reply(conversation, buffer)

    def stop_reply(self, conversation_id: str) -> bool:
        """Stop a streaming reply; the part that arrived is kept. False if none streams."""
        if not self.is_streaming(conversation_id):
            return False
        self.workers.cancel_group(self, f"reply:{conversation_id}")
        return True

    def _snapshot(self, conversation: Conversation) -> Snapshot:
        return self.services.store.snapshot(conversation)

    def _write(self, snapshot: Snapshot) -> None:
        try:
            self.services.store.write(snapshot)
        except StoreError as exc:
            self.post_message(SaveFailed(snapshot.conversation_id, str(exc)))

    @work(thread=True, group="save", description="Saving a streaming reply")
    def _save_in_background(self, snapshot: Snapshot) -> None:
        self._write(snapshot)

    async def _save_now(self, conversation: Conversation) -> None:
        # Shielded: a stop (cancellation) must not lose the final save.
        snapshot = self._snapshot(conversation)
        await asyncio.shield(asyncio.to_thread(self._write, snapshot))

    def _request_messages(self, conversation: Conversation, reply: ChatMessage) -> list[dict]:
        """The history as API messages (images read from the store: call in a thread)."""
        index = conversation.messages.index(reply)
        images = self.services.store.images
        return [
            message_to_api(m, [images.base64(ref) for ref in m.images])
            for m in history_messages(conversation, upto=index)
        ]

    def _stream_reply(self, conversation: Conversation, buffer: ReplyBuffer) -> None:
        self.run_worker(
            self._consume(conversation, buffer),
            group=f"reply:{conversation.id}",
            exclusive=True,
            exit_on_error=False,
            description=f"Streaming a reply from {conversation.model}",
        )

    async def _consume(self, conversation: Conversation, buffer: ReplyBuffer) -> None:
        """The worker: save the prompt, send the request, feed the buffer, save the reply."""
        message = buffer.message
        self.post_message(self.ReplyStarted(conversation.id))
        try:
            await self._save_now(conversation)
            messages = await asyncio.to_thread(self._request_messages, conversation, message)
            body = chat_body(conversation, messages)
            client = self.services.client()
            last_save = time.monotonic()
            if conversation.chat_options.stream:
                async with aclosing(client.chat_stream(body)) as chunks:
                    async for chunk in chunks:
                        buffer.add(chunk)
                        moment = time.monotonic()
                        if moment - last_save >= SAVE_INTERVAL:
                            last_save = moment
                            buffer.sync()
                            self._save_in_background(self._snapshot(conversation))
            else:
                buffer.add(await client.chat(body))
        except asyncio.CancelledError:
            buffer.finish("stopped")
            self._finished(conversation)
            await self._save_now(conversation)
            self.post_message(self.ReplyFinished(conversation.id, message.stats, stopped=True))
            raise
        except (OllamaError, StoreError, OSError) as exc:
            text = f"{exc.message} {exc.hint}".strip() if isinstance(exc, OllamaError) else str(exc)
            buffer.finish("error", text)
            self._finished(conversation)
            await self._save_now(conversation)
            self.post_message(self.ReplyFailed(conversation.id, text))
            return
        buffer.finish("complete")
        conversation.updated_at = now()
        self._finished(conversation)
        await self._save_now(conversation)
        self.post_message(self.ReplyFinished(conversation.id, message.stats, stopped=False))

    def _finished(self, conversation: Conversation) -> None:
        """A stream ended: draw its last frame, or forget it if it is not on screen."""
        if conversation is self.conversation:
            self._resume_frames()
        else:
            self._streams.pop(conversation.id, None)

    # -- revealing a message (full-text search jumps here) ----------------------------------

    async def reveal_message(self, message_id: str) -> bool:
        """Show one message of the conversation on screen: mounted, scrolled to, highlighted.

        Messages from it to the end are mounted if it is older than those shown.

        Returns:
            False if the conversation on screen has no such message.
        """
        conversation = self.conversation
        if conversation is None:
            return False
        ids = [m.id for m in conversation.messages]
        if message_id not in ids:
            return False
        if message_id not in self._views:
            await self.show_conversation(conversation)
            index = ids.index(message_id)
            if index < self._first_shown:
                older = [
                    self._make_view(m) for m in conversation.messages[index : self._first_shown]
                ]
                await self.mount_all(older, before=self._views[ids[self._first_shown]])
                self._first_shown = index
                for notice in self.query(".earlier-messages"):
                    if index:
                        notice.update(Content(f"↑ {index} earlier messages"))  # type: ignore[attr-defined]
                    else:
                        await notice.remove()
        for view in self.query(".-found"):
            view.remove_class("-found")
        view = self._views[message_id]
        view.add_class("-found")
        self.release_anchor()
        self.call_after_refresh(self.scroll_to_widget, view, animate=False, top=True)
        return True

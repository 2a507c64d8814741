"""Request bodies, reply buffering, <think> splitting and display sanitising."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from app.chat import (
    ReplyBuffer,
    ThinkSplitter,
    chat_body,
    delete_message,
    history_messages,
    message_to_api,
    one_line,
    replace_tail,
    restore_message,
    sanitize,
)
from app.models import ChatMessage, ChatOptions, Conversation, ToolCall
from app.ollama.types import ChatChunk


def split_all(text: str, cuts: list[int]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    points = sorted({c for c in cuts if 0 < c < len(text)})
    thinking, content = [], []
    for a, b in zip([0, *points], [*points, len(text)], strict=True):
        t, c = splitter.feed(text[a:b])
        thinking.append(t)
        content.append(c)
    t, c = splitter.flush()
    return "".join(thinking) + t, "".join(content) + c


@given(st.lists(st.integers(0, 60), max_size=12))
def test_think_block_split_anywhere(cuts):
    text = "<think>reasoning <b>here</b></think>\n\nThe answer."
    assert split_all(text, cuts) == ("reasoning <b>here</b>", "The answer.")


@given(
    st.text(max_size=40).filter(lambda s: not s.lstrip().startswith("<")),
    st.lists(st.integers(0, 40)),
)
def test_content_without_think_passes_through(text, cuts):
    assert split_all(text, cuts) == ("", text)


def test_unclosed_think_block_is_all_thinking():
    assert split_all("<think>still going", [3, 9]) == ("still going", "")


def test_sanitize_shows_escapes_and_controls_literally():
    assert sanitize("a\x1b[31mred\x1b[0m") == "a\u241b[31mred\u241b[0m"
    assert sanitize("bell\x07 nul\x00 del\x7f c1\x9b") == "bell\u2407 nul\u2400 del\u2421 c1\ufffd"
    assert sanitize("tab\tnewline\r\nend") == "tab\tnewline\nend"
    assert sanitize("[bold red]x[/]") == "[bold red]x[/]"


def test_one_line_shows_line_breaks_tabs_and_undecodable_bytes_as_escapes():
    assert one_line("new\nline\r\ttab.png") == "new\u240aline\u240d\u2409tab.png"
    assert one_line(os.fsdecode(b"odd\xff\xfebytes.png")) == "odd\\xff\\xfebytes.png"
    assert one_line("a\u2028b\ud800") == "a\\u2028b\\ud800"
    assert one_line("\x1b[2J [bold]x[/]") == "\u241b[2J [bold]x[/]"
    assert one_line("plain name.png") == "plain name.png"
    # Whatever the name, the result is one line of printable, encodable text.
    for byte in range(256):
        shown = one_line(os.fsdecode(bytes([byte])))
        assert shown.isprintable() or shown == " "
        shown.encode("utf-8")


@given(st.text(st.characters(exclude_categories=())))
def test_one_line_is_always_one_encodable_line(text: str) -> None:
    shown = one_line(text)
    assert "\n" not in shown and "\r" not in shown and "\t" not in shown
    shown.encode("utf-8")


def test_body_sends_only_what_was_set():
    conversation = Conversation(model="m")
    body = chat_body(conversation, [{"role": "user", "content": "hi"}])
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    conversation.system = "Be brief."
    conversation.chat_options = ChatOptions(
        options={"temperature": 0.5}, format="json", keep_alive=0, think="high", stream=False
    )
    body = chat_body(conversation, [{"role": "user", "content": "hi"}])
    assert body == {
        "model": "m",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "options": {"temperature": 0.5},
        "format": "json",
        "keep_alive": 0,
        "think": "high",
        "stream": False,
    }


def test_history_leaves_out_failed_empty_replies_and_never_resends_thinking():
    conversation = Conversation(
        messages=[
            ChatMessage(role="user", content="q"),
            ChatMessage(role="assistant", content="", state="error", error="x"),
            ChatMessage(role="assistant", content="partial", thinking="secret", state="stopped"),
            ChatMessage(role="assistant", content="", tool_calls=[ToolCall("f", {"a": 1})]),
            ChatMessage(role="tool", content="1", tool_name="f"),
        ]
    )
    api = [message_to_api(m) for m in history_messages(conversation)]
    assert api == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "partial"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}],
        },
        {"role": "tool", "content": "1", "tool_name": "f"},
    ]


def test_history_never_sends_an_empty_reply_nor_starts_with_one():
    conversation = Conversation(
        messages=[
            ChatMessage(role="assistant", content="an answer to a deleted question"),
            ChatMessage(role="tool", content="1", tool_name="f"),
            ChatMessage(role="user", content="q"),
            ChatMessage(role="assistant", content="", thinking="hmm", state="stopped"),
            ChatMessage(role="user", content="again"),
            ChatMessage(role="assistant", content="", state="complete"),
            ChatMessage(role="assistant", content="", state="streaming"),
        ]
    )
    sent = [(m.role, m.content) for m in history_messages(conversation)]
    assert sent == [("user", "q"), ("user", "again")]


def test_a_deleted_message_or_version_is_restored_where_it_was():
    a, b, c, d = (ChatMessage(role="user", content=text) for text in "abcd")
    conversation = Conversation(messages=[a, b, c])
    deleted = delete_message(conversation, 1)
    conversation.messages.append(d)  # added since: stays
    restore_message(conversation, deleted)
    assert conversation.messages == [a, b, c, d]
    # A version: deleting it shows another; restoring shows it again, both kept.
    old, new = ChatMessage(role="assistant", content="old"), ChatMessage(role="assistant")
    conversation = Conversation(messages=[a, old])
    replace_tail(conversation, 1, [new])
    deleted = delete_message(conversation, 1)
    assert conversation.messages == [a, old] and not old.alternatives
    restore_message(conversation, deleted)
    assert conversation.messages == [a, new] and new.alternatives == [[old]]
    assert new.variant == 1


def test_reply_buffer_hands_out_each_delta_once_and_keeps_stats():
    message = ChatMessage(role="assistant", state="streaming")
    buffer = ReplyBuffer(message, "m")
    buffer.add(ChatChunk(thinking="hmm "))
    buffer.add(ChatChunk(content="Hel"))
    buffer.add(ChatChunk(content="lo"))
    assert buffer.take_thinking() == "hmm " and buffer.take_content() == "Hello"
    assert buffer.take_content() == ""
    buffer.add(
        ChatChunk(
            done=True, done_reason="length", metrics={"eval_count": 3, "eval_duration": 10**9}
        )
    )
    buffer.finish("complete")
    assert message.content == "Hello" and message.thinking == "hmm "
    assert message.stats.done_reason == "length" and message.stats.tokens_per_second == 3.0
    assert message.stats.first_token_seconds is not None
    assert message.stats.thinking_seconds is not None
    buffer.rewind()
    assert buffer.take_content() == "Hello"


def test_reply_buffer_moves_inline_think_blocks_to_thinking():
    message = ChatMessage(role="assistant", state="streaming")
    buffer = ReplyBuffer(message, "m")
    for piece in ["<thi", "nk>why", "</th", "ink>\n\nbecause"]:
        buffer.add(ChatChunk(content=piece))
    buffer.finish("complete")
    assert message.thinking == "why" and message.content == "because"

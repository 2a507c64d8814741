"""The one sanitizer, and where untrusted text enters: the client (against the hostile
simulated server), saved files, titles from the model, exports."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from app.core.display_text import one_line, sanitize
from app.demo import HOSTILE, Fault
from app.models import ChatMessage, Conversation, ReplyStats, ToolCall
from app.ollama.client import OllamaClient
from app.ollama.errors import OllamaError
from app.ollama.host import parse_host
from app.store.codec import dumps, loads
from app.titles import clean_title
from app.transfer import export_json, export_markdown

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SHOWN = "␛]2;PWNED-TITLE"

# Any text, weighted towards what a hostile server sends: C0 and C1 controls, DEL, line
# ends, escape sequences, lone surrogates (JSON can carry `\ud800`).
untrusted = st.lists(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from([chr(i) for i in (*range(0x20), *range(0x7F, 0xA0))])
    | st.sampled_from(["\x1b]2;", "\x1b[31m", "\r\n", "\x9b", "\ud800", "\udcff"])
).map("".join)


def safe(text: str) -> bool:
    """No control character; writable as UTF-8 (no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return CONTROLS.search(text) is None


@given(untrusted)
def test_sanitize_leaves_no_control_but_newline_and_tab(text: str) -> None:
    shown = sanitize(text)
    assert safe(shown.replace("\n", "").replace("\t", ""))
    assert "\r" not in shown
    assert sanitize(shown) == shown
    assert len(shown) <= len(text)
    if "\x1b" in text:
        assert "␛" in shown


@given(untrusted)
def test_one_line_leaves_no_control_at_all(text: str) -> None:
    shown = one_line(text)
    assert safe(shown) and "\n" not in shown and "\t" not in shown
    assert one_line(shown) == shown


def test_sanitize_shows_c1_and_surrogates_as_replacement_characters() -> None:
    assert sanitize("a\x9b31mb\ud800") == "a\ufffd31mb\ufffd"
    assert sanitize(HOSTILE).startswith(SHOWN + "␇␛[31mPWNED-RED")


async def test_the_client_hands_out_only_display_safe_server_text(demo_server) -> None:
    demo_server.hostile = True
    client = OllamaClient(parse_host(demo_server.url))
    try:
        version = await client.version()
        models = await client.tags()
        details = await client.show(models[0].name)
        chunk = await client.load(models[0].name)
        running = await client.ps()
        demo_server.inject(Fault("http_error", message="boom", path="/api/tags"))
        try:
            await client.tags()
        except OllamaError as exc:
            error = exc.message
        demo_server.inject(Fault("error_line", message="mid", after=1))
        body = {"model": models[0].name, "messages": [{"role": "user", "content": "hi"}]}
        try:
            async for _chunk in client.chat_stream(body):
                pass
        except OllamaError as exc:
            stream_error = exc.message
    finally:
        await client.aclose()
    texts = [
        version,
        *(m.name for m in models),
        *(m.family for m in models),
        *(m.quantization_level for m in models),
        details.capabilities[-1],  # the others are the real ones
        details.family,
        details.license,
        details.modelfile,
        chunk.done_reason or "",
        chunk.model,
        *(m.name for m in running),
        error,
        stream_error,
    ]
    assert [t for t in texts if SHOWN not in t] == []
    assert all(safe(text) for text in texts)
    assert all(safe(c) for c in details.capabilities)
    assert details.supports("completion")  # the real capabilities are still there


def hostile_conversation() -> Conversation:
    return Conversation(
        title="t" + HOSTILE,
        model="m" + HOSTILE,
        system="s" + HOSTILE,
        messages=[
            ChatMessage(role="user", content="u" + HOSTILE),
            ChatMessage(
                role="assistant",
                content="a" + HOSTILE,
                thinking="r" + HOSTILE,
                tool_calls=[ToolCall(name="n" + HOSTILE, arguments={"x": HOSTILE})],
                stats=ReplyStats(model="m" + HOSTILE, done_reason="stop" + HOSTILE),
                state="error",
                error="e" + HOSTILE,
            ),
            ChatMessage(role="tool", content="c" + HOSTILE, tool_name="n" + HOSTILE),
        ],
    )


def test_a_saved_file_gives_display_safe_names() -> None:
    loaded = loads(dumps(hostile_conversation()))
    stats = loaded.messages[1].stats
    assert stats is not None and stats.done_reason is not None
    names = [loaded.title, loaded.model, loaded.display_title, stats.model, stats.done_reason]
    assert all(SHOWN in name and safe(name) for name in names)
    # What is not shown as a name is kept as it was (and sanitized where it is shown).
    assert loaded.messages[0].content == "u" + HOSTILE


def test_a_title_from_the_model_is_display_safe() -> None:
    title = clean_title("<think>hm</think>\n\nTides" + HOSTILE)
    assert title.startswith("Tides" + SHOWN) and safe(title)


def test_exports_write_no_control_character() -> None:
    conversation = hostile_conversation()
    markdown = export_markdown(conversation)
    assert safe(markdown.replace("\n", "").replace("\t", ""))
    assert markdown.count(SHOWN) >= 10  # title, model, system, messages, tool call, error
    text = export_json(conversation, lambda ref: "")
    assert safe(text.replace("\n", ""))
    # The JSON still means the same text: escapes, not symbols.
    assert json.loads(text)["messages"][1]["content"] == "u" + HOSTILE

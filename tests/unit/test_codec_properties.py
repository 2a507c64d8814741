"""Any conversation survives TOML unchanged; any text either loads or fails cleanly."""

from __future__ import annotations

import contextlib
import string
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.core.display_text import one_line
from app.models import ChatMessage, ChatOptions, Conversation, ReplyStats, ToolCall
from app.store.codec import CodecError, dumps, loads

text = st.text(max_size=200)
# Names are made display-safe when a file is read (see test_display_text.py): any name
# that already is one round-trips.
names = text.map(one_line)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
option_values = (
    st.integers(-(2**31), 2**31)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.lists(text, max_size=3)
)

stats = st.builds(
    ReplyStats,
    model=names,
    eval_count=st.none() | st.integers(0, 10**9),
    eval_duration=st.none() | st.integers(0, 10**12),
    prompt_eval_count=st.none() | st.integers(0, 10**9),
    done_reason=st.none() | st.sampled_from(["stop", "length"]),
    first_token_seconds=st.none() | st.floats(0, 1000, allow_nan=False),
)

messages = st.builds(
    ChatMessage,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=text,
    thinking=text,
    images=st.lists(st.text(string.hexdigits, min_size=1, max_size=10), max_size=3),
    tool_calls=st.lists(
        st.builds(
            ToolCall,
            name=text,
            arguments=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        ),
        max_size=2,
    ),
    tool_name=st.none() | text,
    created_at=moments,
    id=st.text(string.ascii_letters + string.digits, min_size=1, max_size=12),
    state=st.sampled_from(["complete", "streaming", "stopped", "error"]),
    error=st.none() | text,
    stats=st.none() | stats,
)

conversations = st.builds(
    Conversation,
    id=st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=30).filter(
        lambda s: s[0].isalnum()
    ),
    title=names,
    model=names,
    system=text,
    chat_options=st.builds(
        ChatOptions,
        options=st.dictionaries(st.text(min_size=1, max_size=15), option_values, max_size=5),
        format=st.none()
        | st.just("json")
        | st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        keep_alive=st.none() | st.text(max_size=8) | st.integers(-1, 10**6),
        think=st.none() | st.booleans() | st.sampled_from(["low", "medium", "high"]),
        stream=st.booleans(),
        tools=st.booleans(),
    ),
    messages=st.lists(messages, max_size=4),
    host=text.filter(lambda t: "@" not in t),  # user:password@ is never saved (codec)
    pinned=st.booleans(),
    created_at=moments,
    updated_at=moments,
)


@given(conversations)
def test_any_conversation_round_trips(conversation):
    assert loads(dumps(conversation)) == conversation


@given(st.text(min_size=1, max_size=60), st.integers(200, 2000))
def test_very_long_text_round_trips(piece, times):
    long_text = piece * times
    conversation = Conversation(
        id="long", messages=[ChatMessage(role="assistant", content=long_text)]
    )
    assert loads(dumps(conversation)).messages[0].content == long_text


@given(st.text(max_size=300))
def test_any_text_loads_or_raises_codec_error(garbage):
    with contextlib.suppress(CodecError):
        loads(garbage)


@given(st.binary(max_size=300))
def test_toml_fragments_load_or_raise_codec_error(data):
    prefix = 'schema_version = 1\nid = "x"\n'
    with contextlib.suppress(CodecError):
        loads(prefix + data.decode("utf-8", "replace"))


def test_lone_surrogates_are_cleaned_not_fatal():
    conversation = Conversation(
        id="s", messages=[ChatMessage(role="assistant", content="a\ud800b")]
    )
    assert loads(dumps(conversation)).messages[0].content == "a\ufffdb"


def test_files_without_the_tools_setting_load_with_tools_off():
    old = 'schema_version = 1\nid = "old"\n[settings]\nstream = true\n'
    assert loads(old).chat_options.tools is False
    on = Conversation(id="on", chat_options=ChatOptions(tools=True))
    assert "tools = true" in dumps(on)
    assert "tools" not in dumps(Conversation(id="off"))


line_text = st.text(alphabet='\r\n"\\ a\t\x00', max_size=40)


@given(st.lists(line_text, min_size=1, max_size=4))
def test_text_of_line_breaks_quotes_and_cr_round_trips(contents):
    """Multi-line strings cannot hold CR LF: such text must still come back exactly."""
    conversation = Conversation(
        messages=[ChatMessage(role="user", content=c, thinking=c) for c in contents],
        system=contents[0],
    )
    assert loads(dumps(conversation)) == conversation


def test_long_text_is_written_as_multiline_strings():
    """A person reading the file sees the lines of a reply as lines."""
    reply = "First line.\nSecond line with \"quotes\".\n\n```python\nprint('x')\n```\n"
    conversation = Conversation(messages=[ChatMessage(role="assistant", content=reply)])
    text = dumps(conversation)
    assert 'content = """\nFirst line.\nSecond line with \\"quotes\\".\n' in text
    assert loads(text) == conversation
    # One CR LF anywhere: one-line strings throughout, so nothing is changed on reading.
    crlf = Conversation(
        messages=[*conversation.messages, ChatMessage(role="user", content="a\r\nb")]
    )
    assert '"""' not in dumps(crlf)
    assert loads(dumps(crlf)) == crlf


def test_image_file_names_are_kept_and_bad_entries_left_out():
    message = ChatMessage(
        role="user", content="look", images=["ab.png", "cd.jpeg"], image_names={"ab.png": "cat.png"}
    )
    conversation = Conversation(messages=[message])
    text = dumps(conversation)
    assert loads(text) == conversation
    # Names are only shown: a wrong entry never makes the file unreadable.
    broken = text.replace('"ab.png" = "cat.png"', '"ab.png" = 3\n"zz.png" = "other.png"')
    assert broken != text
    assert loads(broken).messages[0].image_names == {}


def test_deleted_messages_are_kept_for_undo_and_damaged_entries_left_out():
    from app.models import DeletedMessage

    gone = ChatMessage(role="assistant", content="gone\nfor now", id="a1")
    conversation = Conversation(
        messages=[ChatMessage(role="user", content="q", id="u1")],
        deleted=[DeletedMessage([gone], 1, "u1"), DeletedMessage([gone], 0, None, 2, "x")],
    )
    text = dumps(conversation)
    assert loads(text) == conversation
    # Only for undo: a damaged entry is left out, the conversation still opens.
    broken = text.replace("index = 0", "index = -4")
    assert broken != text
    assert loads(broken).deleted == conversation.deleted[:1]

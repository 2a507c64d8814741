"""Export to Markdown and /api/chat JSON, import from that JSON, titles, path completion."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models import ChatMessage, ChatOptions, Conversation, ReplyStats, ToolCall
from app.screens.text_prompt import complete_path
from app.titles import clean_title, title_request
from app.transfer import ImportProblem, export_body, export_markdown, import_body, import_json

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


class Images:
    """A stand-in for the image store: references are made up, bytes kept."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        if not data.startswith(b"\x89PNG"):
            raise ValueError("not an image")
        ref = f"{len(self.data):064x}.png"
        self.data[ref] = data
        return ref

    def b64(self, ref: str) -> str:
        return base64.b64encode(self.data[ref]).decode()


def sample(images: Images) -> Conversation:
    return Conversation(
        title="Sample",
        model="qwen3:8b",
        system="Be brief.",
        chat_options=ChatOptions(
            options={"temperature": 0.2, "stop": ["END"]},
            format={"type": "object"},
            keep_alive="10m",
            think=True,
            stream=False,
        ),
        messages=[
            ChatMessage(role="user", content="What is in this image?", images=[images.put(PNG)]),
            ChatMessage(
                role="assistant",
                content="A black square.",
                thinking="Let me look.",
                stats=ReplyStats(model="qwen3:8b"),
            ),
            ChatMessage(role="user", content="Add 2 and 3"),
            ChatMessage(role="assistant", tool_calls=[ToolCall("add", {"a": 2, "b": 3})]),
            ChatMessage(role="tool", content="5", tool_name="add"),
            ChatMessage(role="assistant", content="", state="error", error="model crashed"),
        ],
    )


def test_export_is_the_chat_body_the_conversation_would_send():
    images = Images()
    body = export_body(sample(images), images.b64)
    assert body["model"] == "qwen3:8b"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1]["images"] == [base64.b64encode(PNG).decode()]
    assert "thinking" not in body["messages"][2]  # never resent
    assert body["messages"][4]["tool_calls"] == [
        {"function": {"name": "add", "arguments": {"a": 2, "b": 3}}}
    ]
    assert body["messages"][5] == {"role": "tool", "content": "5", "tool_name": "add"}
    assert len(body["messages"]) == 6  # the failed empty reply is not sent
    assert body["options"] == {"temperature": 0.2, "stop": ["END"]}
    assert body["format"] == {"type": "object"}
    assert body["keep_alive"] == "10m" and body["think"] is True and body["stream"] is False


def test_import_round_trips_to_the_same_body():
    images = Images()
    original = export_body(sample(images), images.b64)
    text = json.dumps(original)
    imported = import_json(text, images.put, host="http://gpu:11434")
    assert imported.system == "Be brief." and imported.host == "http://gpu:11434"
    assert [m.role for m in imported.messages] == ["user", "assistant", "user", "assistant", "tool"]
    assert export_body(imported, images.b64) == original


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "not a JSON object"),
        ({"model": "m"}, "no list of messages"),
        ({"messages": [{"role": "wizard"}]}, "unknown role"),
        ({"messages": [{"role": "user", "content": 5}]}, "not a string"),
        ({"messages": [{"role": "user", "images": ["%%%"]}]}, "not base64"),
        ({"messages": [{"role": "user", "images": ["aGVsbG8="]}]}, "not an image"),
        ({"messages": [], "options": []}, "options"),
        ({"messages": [], "keep_alive": True}, "keep_alive"),
        ({"messages": [], "think": 3}, "think"),
        ({"messages": [{"role": "assistant", "tool_calls": [{"x": 1}]}]}, "no function"),
    ],
)
def test_import_explains_what_is_wrong(data, complaint):
    with pytest.raises(ImportProblem, match=complaint):
        import_body(data, Images().put)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["role", "content", "messages", "images", "x"]), children)
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_json_imports_or_is_refused_cleanly(data):
    with contextlib.suppress(ImportProblem):
        conversation = import_body(data, Images().put)
        assert isinstance(conversation, Conversation)


@given(st.text(max_size=300))
def test_any_text_imports_or_is_refused_cleanly(text):
    with contextlib.suppress(ImportProblem):
        import_json(text, Images().put)


def test_markdown_export_reads_well():
    images = Images()
    text = export_markdown(sample(images))
    assert text.startswith("# Sample\n\n- Model: qwen3:8b\n")
    assert "## System prompt\n\nBe brief.\n" in text
    assert "## You · " in text and "## Assistant · qwen3:8b · " in text
    assert "<details><summary>Thinking</summary>\n\nLet me look.\n\n</details>" in text
    assert "*1 image attached*" in text
    # With the name of the file it was attached from, when known.
    conversation = sample(images)
    with_image = next(m for m in conversation.messages if m.images)
    with_image.image_names = {with_image.images[0]: "moon.png"}
    assert "*1 image attached: moon.png*" in export_markdown(conversation)
    assert 'Tool call: `add` with `{"a": 2, "b": 3}`' in text
    assert "## Tool result · add" in text
    assert "*(failed: model crashed)*" in text


def test_titles_from_a_model_reply():
    assert clean_title('"Tides on Mars."') == "Tides on Mars"
    assert clean_title("<think>hmm, tides</think>\n\n## Title: Martian tides\nmore") == (
        "Martian tides"
    )
    assert clean_title("") == ""
    conversation = Conversation(model="m", messages=[ChatMessage(role="user", content="hi")])
    body = title_request(conversation)
    assert body is not None and body["stream"] is False and body["model"] == "m"
    assert body["messages"][0]["content"].endswith("hi")
    assert title_request(Conversation(model="m")) is None


def test_path_completion(tmp_path, monkeypatch):
    (tmp_path / "exports").mkdir()
    (tmp_path / "export-notes.md").write_text("")
    (tmp_path / ".hidden").write_text("")
    (tmp_path / "exports" / "chat.json").write_text("")
    base = str(tmp_path)
    assert complete_path(f"{base}/expo") == f"{base}/export"  # as far as both agree
    assert complete_path(f"{base}/exports") == f"{base}/exports/"  # a folder gets a slash
    assert complete_path(f"{base}/exports/c") == f"{base}/exports/chat.json"
    assert complete_path(f"{base}/.h") == f"{base}/.hidden"
    assert complete_path(f"{base}/nothing") is None
    monkeypatch.setenv("HOME", base)
    assert complete_path("~/exports/") == "~/exports/chat.json"
    assert complete_path("exp", base=tmp_path) == "export"
    assert complete_path("~") == "~/"

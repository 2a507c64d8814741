"""The NDJSON reader: any split of the bytes gives the same objects; bad lines give our error."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ollama.errors import OllamaProtocolError
from app.ollama.ndjson import NDJSONDecoder

LINES = [
    {"message": {"role": "assistant", "content": "héllo ✓ 日本語 🎉"}, "done": False},
    {"message": {"role": "assistant", "content": "\n"}, "done": False},
    {"done": True, "eval_count": 3},
]
STREAM = b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in LINES)


def feed_all(chunks: list[bytes]) -> list[dict]:
    decoder = NDJSONDecoder()
    out = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out + decoder.close()


def test_byte_by_byte_including_split_utf8():
    assert feed_all([STREAM[i : i + 1] for i in range(len(STREAM))]) == LINES


def test_blank_lines_and_crlf_are_ignored():
    data = b"\n\r\n" + STREAM.replace(b"\n", b"\r\n\n") + b"   \n"
    assert feed_all([data]) == LINES


def test_last_line_without_newline():
    assert feed_all([STREAM.rstrip(b"\n")]) == LINES


def test_line_that_is_not_json_raises_our_error():
    with pytest.raises(OllamaProtocolError, match="not JSON"):
        feed_all([b'{"done": false}\n<html>oops</html>\n'])


def test_json_that_is_not_an_object_raises_our_error():
    with pytest.raises(OllamaProtocolError, match="not an object"):
        feed_all([b"[1, 2]\n"])


def test_invalid_utf8_line_raises_our_error():
    with pytest.raises(OllamaProtocolError):
        feed_all([b'{"a": "\xff\xfe"}\n'])


def test_overlong_line_is_refused():
    decoder = NDJSONDecoder(max_line_bytes=100)
    with pytest.raises(OllamaProtocolError, match="longer than"):
        decoder.feed(b"x" * 101)


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM)), max_size=30))
def test_any_split_gives_the_same_objects(cuts):
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert feed_all(pieces) == LINES


@given(st.lists(st.binary(max_size=40), max_size=20))
def test_random_bytes_parse_or_raise_our_error(chunks):
    try:
        result = feed_all(chunks)
    except OllamaProtocolError:
        return
    assert all(isinstance(obj, dict) for obj in result)


@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3), max_size=5))
def test_arbitrary_objects_round_trip(objects):
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objects)
    assert feed_all([data[i : i + 3] for i in range(0, len(data), 3)]) == objects

"""Chunked transfer coding read from the connection: any split of the bytes gives the same
payload; bytes that are not chunked coding give our error and nothing else."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ollama.chunked import MAX_SIZE_LINE, ChunkedDecoder
from app.ollama.errors import OllamaProtocolError


def encode(
    pieces: list[bytes], extensions: list[bytes] | None = None, upper: bool = False
) -> bytes:
    out = []
    for index, piece in enumerate(pieces):
        size = f"{len(piece):X}" if upper else f"{len(piece):x}"
        extension = extensions[index % len(extensions)] if extensions else b""
        out.append(size.encode() + extension + b"\r\n" + piece + b"\r\n")
    return b"".join(out) + b"0\r\n\r\n"


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def decode(parts: list[bytes]) -> tuple[bytes, bool]:
    decoder = ChunkedDecoder()
    return b"".join(decoder.feed(part) for part in parts), decoder.done


def test_one_token_per_chunk_as_ollama_sends_it():
    lines = [b'{"message":{"content":"h\xc3\xa9"},"done":false}\n', b'{"done":true}\n']
    assert decode([encode(lines)]) == (b"".join(lines), True)


def test_byte_by_byte_with_extensions_and_bare_line_feeds():
    data = b"5;name=value\r\nhello\r\n6 \n world\n0\r\n\r\n"
    assert decode([data[i : i + 1] for i in range(len(data))]) == (b"hello world", True)


def test_nothing_after_the_last_chunk_is_read():
    decoder = ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n") == b"abc"
    assert decoder.done and decoder.feed(b"4\r\nmore\r\n") == b""


def test_incomplete_body_is_not_done():
    assert decode([b"a\r\n0123"]) == (b"0123", False)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"zz\r\nhello\r\n", "not a number"),
        (b"0x5\r\nhello\r\n", "not a number"),
        (b"-5\r\nhello\r\n", "not a number"),
        (b"\r\n", "not a number"),
        (b"3\r\nhello\r\n", "longer than its stated size"),
        (b"1" * (MAX_SIZE_LINE + 10), "never ends"),
    ],
)
def test_bad_framing_raises_our_error(data, match):
    with pytest.raises(OllamaProtocolError, match=match):
        ChunkedDecoder().feed(data)


@given(
    pieces=st.lists(st.binary(min_size=1, max_size=300), max_size=30),
    extensions=st.lists(st.sampled_from([b"", b";a=1", b' ;x="y"', b"\t"]), min_size=1),
    upper=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=40),
)
def test_any_split_gives_the_payload(pieces, extensions, upper, cuts):
    data = encode(pieces, extensions, upper)
    assert decode(split(data, cuts)) == (b"".join(pieces), True)


@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=10))
def test_random_bytes_decode_or_raise_our_error(data, cuts):
    try:
        payload, _ = decode(split(data, cuts))
    except OllamaProtocolError:
        return
    assert len(payload) <= len(data)

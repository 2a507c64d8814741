"""A server's error text is cut to a bounded length where the client reads it."""

from __future__ import annotations

import json

from app.ollama.client import _error_text, _stream_error
from app.ollama.errors import MAX_ERROR_CHARS, cut_error_text


def test_a_short_text_is_kept_as_it_is():
    assert cut_error_text("model 'x' not found") == "model 'x' not found"
    exact = "y" * MAX_ERROR_CHARS
    assert cut_error_text(exact) == exact


def test_a_long_text_keeps_its_start_and_says_how_much_is_left_out():
    text = "a" * 1500 + "b" * 1000 + "c" * 2_000_000
    cut = cut_error_text(text)
    assert cut == "a" * 1500 + "b" * 500 + "… (2,000,500 characters more)"
    assert cut_error_text("abcdef", limit=2) == "ab… (4 characters more)"


def test_the_client_cuts_http_error_bodies_and_error_lines():
    big = "runner failed: " + "x" * 2_000_000
    text, from_ollama = _error_text(json.dumps({"error": big}).encode())
    assert from_ollama
    assert text.startswith("runner failed: xxx")
    assert len(text) < MAX_ERROR_CHARS + 40 and text.endswith("(1,998,015 characters more)")
    error = _stream_error({"error": big})
    assert error.error == text
    assert len(error.message) < MAX_ERROR_CHARS + 80

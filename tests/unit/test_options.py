"""Options, keep_alive, format and think: typed text in, the exact JSON value out, or a refusal."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models import ChatOptions, Conversation
from app.options import (
    INT32_MAX,
    OPTION_SPECS,
    SPECS,
    InvalidValue,
    check_format,
    check_keep_alive,
    check_option,
    check_options,
    check_schema,
    check_think,
    describe_keep_alive,
    duration_seconds,
    format_keep_alive,
    format_option,
    format_stop,
    model_parameters,
    option_problems,
    parse_keep_alive,
    parse_option,
    parse_schema,
    parse_stop,
    settings_summary,
    think_from_key,
    think_key,
)

# -- the option list ------------------------------------------------------------------------


def test_every_option_ollama_documents_for_chat_is_there():
    expected = {
        "temperature", "seed", "num_ctx", "num_predict", "top_k", "top_p", "min_p",
        "typical_p", "repeat_penalty", "repeat_last_n", "presence_penalty",
        "frequency_penalty", "stop", "mirostat", "mirostat_eta", "mirostat_tau", "num_gpu",
        "num_thread", "num_batch", "num_keep", "main_gpu", "use_mmap",
    }  # fmt: skip
    assert set(SPECS) == expected
    for spec in OPTION_SPECS:
        assert spec.description and len(spec.description) <= 90
        assert "\n" not in spec.description


def test_option_types_agree_with_what_the_simulated_server_enforces():
    from app.demo.server import OPTION_TYPES

    for spec in OPTION_SPECS:
        assert OPTION_TYPES[spec.name] == spec.kind, spec.name


# -- typed text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("temperature", "0.7", 0.7),
        ("temperature", "1", 1.0),
        ("temperature", " 0 ", 0.0),
        ("temperature", ".5", 0.5),
        ("top_p", "1e-1", 0.1),
        ("num_ctx", "8192", 8192),
        ("num_ctx", "+4096", 4096),
        ("num_predict", "-1", -1),
        ("num_predict", "-2", -2),
        ("seed", "42", 42),
        ("seed", "-1", -1),
        ("mirostat", "2", 2),
        ("presence_penalty", "-1.5", -1.5),
        ("use_mmap", "false", False),
        ("use_mmap", "Yes", True),
        ("stop", "###, User:", ["###", "User:"]),
        ("stop", r"\n\n", ["\n\n"]),
        ("temperature", "", None),
        ("stop", "   ", None),
    ],
)
def test_typed_values_become_the_exact_json_value(name, text, value):
    parsed = parse_option(name, text)
    assert parsed == value
    assert type(parsed) is type(value)  # 1 -> 1.0 for a float option; ints stay ints


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("temperature", "abc", "must be a number"),
        ("temperature", "0.7x", "must be a number"),
        ("temperature", "7", "from 0 to 5"),
        ("temperature", "-0.1", "from 0 to 5"),
        ("temperature", "nan", "must be a number"),
        ("temperature", "inf", "must be a number"),
        ("temperature", "1e999", "finite"),
        ("num_ctx", "2.5", "whole number, not 2.5"),
        ("num_ctx", "0", "at least 1"),
        ("num_ctx", "99999999999", "too large"),
        ("num_ctx", "8k", "whole number"),
        ("top_p", "1.5", "from 0 to 1"),
        ("mirostat", "3", "0, 1 or 2"),
        ("num_predict", "-3", "at least -2"),
        ("use_mmap", "maybe", "true or false"),
        ("stop", "a,,b", "cannot be empty"),
        ("stop", "a,", "cannot be empty"),
        ("stop", '"open', "not closed"),
        ("stop", '"a" b', "comma after"),
    ],
)
def test_invalid_text_is_refused_with_a_reason(name, text, why):
    with pytest.raises(InvalidValue, match=why):
        parse_option(name, text)


def test_unknown_option_is_refused():
    with pytest.raises(InvalidValue, match="not an option"):
        parse_option("temprature", "1")
    with pytest.raises(InvalidValue, match="not an option"):
        check_option("penalise", 1.0)


def test_values_from_files_are_checked_and_typed():
    assert check_options({"temperature": 1, "num_ctx": 4096.0, "stop": "x"}) == {
        "temperature": 1.0,
        "num_ctx": 4096,
        "stop": ["x"],
    }
    assert type(check_option("temperature", 1)) is float
    assert type(check_option("num_ctx", 4096.0)) is int
    for name, value in [
        ("num_ctx", 2.5),
        ("num_ctx", True),
        ("temperature", "0.7"),
        ("temperature", math.inf),
        ("use_mmap", 1),
        ("stop", [""]),
        ("stop", [1]),
        ("top_p", 3),
    ]:
        with pytest.raises(InvalidValue):
            check_option(name, value)
    assert option_problems({"top_p": 3, "seed": 1}) == {
        "top_p": "top_p must be a number from 0 to 1"
    }


def test_format_option_reads_back():
    for name, value in [
        ("temperature", 0.7),
        ("temperature", 1.0),
        ("num_ctx", 8192),
        ("use_mmap", False),
        ("stop", ["a b", " lead", "x,y", "\n", 'say "hi"', "\\"]),
    ]:
        assert parse_option(name, format_option(name, value)) == value
    assert format_option("temperature", None) == ""
    assert format_option("temperature", 1.0) == "1.0"  # it shows it is a float


# -- stop sequences ---------------------------------------------------------------------------

stop_items = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5)


@given(stop_items)
def test_stop_sequences_round_trip(items):
    assert parse_stop(format_stop(items)) == items


@given(st.text(max_size=40))
def test_stop_parser_never_fails_another_way(text):
    try:
        items = parse_stop(text)
    except InvalidValue:
        return
    assert items and all(isinstance(i, str) and i for i in items)


def test_stop_quoting_and_escapes():
    assert parse_stop(r'a\,b, "  spaced ", \t') == ["a,b", "  spaced ", "\t"]
    assert format_stop(["plain", "two words", " lead"]) == 'plain, two words, " lead"'
    assert "\x1b" not in format_stop(["\x1b[31m"])  # escapes never reach the field raw


# -- any text, any option -----------------------------------------------------------------------


@given(st.sampled_from(sorted(SPECS)), st.text(max_size=30))
def test_option_parser_refuses_or_returns_a_sendable_value(name, text):
    try:
        value = parse_option(name, text)
    except InvalidValue as exc:
        assert str(exc)
        return
    if value is None:
        assert not text.strip()
        return
    json.dumps(value, allow_nan=False)  # always valid JSON
    assert check_option(name, value) == value  # and within range
    kind = SPECS[name].kind
    expected = {"int": int, "float": float, "bool": bool, "list": list}[kind]
    assert type(value) is expected


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_integer_options_are_range_checked(number):
    spec = SPECS["num_ctx"]
    try:
        value = parse_option("num_ctx", str(number))
    except InvalidValue:
        assert number < spec.minimum or number > INT32_MAX
        return
    assert value == number


# -- keep_alive ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5m", "5m"),
        ("1h30m", "1h30m"),
        ("300ms", "300ms"),
        ("1.5h", "1.5h"),
        ("-1m", "-1m"),
        ("300", 300),
        ("-1", -1),
        ("0", 0),
        ("2.5", 2.5),
        (" 10m ", "10m"),
        ("", None),
    ],
)
def test_keep_alive_forms(text, value):
    parsed = parse_keep_alive(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "text", ["5x", "m", "5 m", "1h 30m", "forever", "1e400", "9999999h", "--1"]
)
def test_keep_alive_refuses_what_ollama_cannot_read(text):
    with pytest.raises(InvalidValue):
        parse_keep_alive(text)


def test_keep_alive_in_words():
    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("300ms") == pytest.approx(0.3)
    assert describe_keep_alive(None) == "server default (5m)"
    assert describe_keep_alive(-1) == "for ever"
    assert describe_keep_alive("-5m") == "for ever"
    assert describe_keep_alive(0) == "unload after each reply"
    assert describe_keep_alive("1h30m") == "1h30m"
    assert describe_keep_alive(90) == "1m30s"
    assert describe_keep_alive(1.5) == "1.5s"  # as sent, not rounded
    assert format_keep_alive(300) == "300"
    assert check_keep_alive("300") == 300  # a number in a string would be refused by Ollama
    with pytest.raises(InvalidValue):
        check_keep_alive(True)


durations = st.lists(
    st.tuples(st.integers(0, 500), st.sampled_from(["ns", "us", "µs", "ms", "s", "m", "h"])),
    min_size=1,
    max_size=4,
)


@given(durations, st.booleans())
def test_go_durations_are_accepted_and_kept_as_strings(parts, negative):
    text = ("-" if negative else "") + "".join(f"{n}{unit}" for n, unit in parts)
    assert parse_keep_alive(text) == text
    seconds = duration_seconds(text)
    assert (seconds <= 0) if negative else (seconds >= 0)


@given(st.text(max_size=20))
def test_keep_alive_parser_refuses_or_returns_a_sendable_value(text):
    try:
        value = parse_keep_alive(text)
    except InvalidValue:
        return
    if value is None:
        assert not text.strip()
    elif isinstance(value, str):
        duration_seconds(value)  # a string is always a Go duration
    else:
        json.dumps(value, allow_nan=False)


def test_keep_alive_parser_agrees_with_the_simulated_server():
    from app.demo.server import keep_alive_seconds

    for text in ["5m", "1h30m", "300ms", "300", "-1", "0", "2.5", "-1m"]:
        value = parse_keep_alive(text)
        assert keep_alive_seconds(value) is not None or str(value).startswith("-")


# -- format -------------------------------------------------------------------------------------


def test_schema_text_is_checked_as_json_and_as_a_schema():
    schema = parse_schema('{"type": "object", "properties": {"age": {"type": "integer"}}}')
    assert schema["properties"]["age"]["type"] == "integer"
    problems = {
        '{"type": "object",}': "Not valid JSON",
        "[1, 2]": "must be a JSON object",
        "": "empty",
        '{"type": "strng"}': "'type' is \"strng\"",
        '{"properties": {"a": {"type": "list"}}}': "at properties.a",
        '{"properties": []}': "'properties' must be an object",
        '{"required": "a"}': "'required' must be a list",
        '{"anyOf": []}': "'anyOf' must be a non-empty list",
        '{"enum": []}': "'enum' must be a non-empty list",
        '{"items": {"type": 3}}': "at items",
        '{"minLength": -1}': "'minLength'",
        '{"type": []}': "empty list",
    }
    for text, why in problems.items():
        with pytest.raises(InvalidValue, match=why.replace("[", r"\[").replace("(", r"\(")):
            parse_schema(text)
    assert check_schema({"type": "object", "additionalProperties": False})


def test_format_from_a_file():
    assert check_format(None) is None
    assert check_format("json") == "json"
    assert check_format('{"type": "object"}') == {"type": "object"}
    assert check_format({"type": "string"}) == {"type": "string"}
    with pytest.raises(InvalidValue):
        check_format("yaml")


# -- think, summary, model defaults -------------------------------------------------------------


def test_think_keys_round_trip():
    for value in (None, True, False, "low", "medium", "high"):
        assert think_from_key(think_key(value)) == value
    assert check_think("high") == "high"
    with pytest.raises(InvalidValue):
        check_think("very")


def test_summary_says_what_is_set():
    conversation = Conversation(
        system="Answer briefly.\nAlways.",
        chat_options=ChatOptions(
            options={"temperature": 0.7, "stop": ["a b"]},
            format={"type": "object", "properties": {"x": {}, "y": {}}},
            keep_alive=-1,
            think=False,
            stream=False,
        ),
    )
    assert settings_summary(conversation) == [
        "temperature 0.7",
        "stop a b",
        "system: Answer briefly. Always.",
        "format: schema (2 fields)",
        "think off · stream off",
        "keep loaded: for ever",
    ]
    assert settings_summary(Conversation()) == []
    many = Conversation(chat_options=ChatOptions(options={f"o{i}": i for i in range(9)}))
    lines = settings_summary(many)
    assert len(lines) == 6 and lines[-1] == "… and 4 more options"
    assert all(len(line) <= 32 for line in settings_summary(conversation))


def test_model_parameters_from_show():
    text = 'temperature 0.7\nstop "<|end|>"\nstop "<|user|>"\nnum_ctx 4096\nunknown 1'
    assert model_parameters(text) == {
        "temperature": "0.7",
        "stop": '"<|end|>", "<|user|>"',
        "num_ctx": "4096",
    }

"""The tools without the UI: file tools stay in their folders, programs are run safely."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import ConfigError, ToolsConfig, UserToolConfig, parse_config
from app.models import ToolCall
from app.tools import REFUSED, ToolSet
from app.tools.builtins import Folders, ToolError, current_time, list_directory, read_file
from app.tools.runner import ArgumentError, build_argv, run_program
from app.tools.schema import check_arguments

PY = sys.executable


def user_tool(command: list[str], **kwargs) -> UserToolConfig:
    parameters = kwargs.pop(
        "parameters",
        {
            "type": "object",
            "properties": {"text": {"type": "string"}, "count": {"type": "integer"}},
            "required": ["text"],
        },
    )
    return UserToolConfig(
        name=kwargs.pop("name", "mine"),
        description="a tool of mine",
        command=tuple(command),
        parameters=parameters,
        **kwargs,
    )


# -- date and time --------------------------------------------------------------------------------


def test_current_time_in_utc_and_local():
    text = current_time({"timezone": "UTC"})
    stamp = datetime.fromisoformat(text.split(" ")[0])
    assert abs((stamp - datetime.now(UTC)).total_seconds()) < 5
    assert "UTC+00:00" in text and datetime.now(UTC).strftime("%A") in text
    assert datetime.fromisoformat(current_time({}).split(" ")[0]).tzinfo is not None


@pytest.mark.skipif(not Path("/usr/share/zoneinfo/Asia/Kolkata").exists(), reason="no tzdata")
def test_current_time_in_a_named_zone():
    assert "Asia/Kolkata, UTC+05:30)" in current_time({"timezone": "Asia/Kolkata"})


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "/etc/passwd"])
def test_unknown_time_zone_is_an_error(zone):
    with pytest.raises(ToolError, match="unknown time zone"):
        current_time({"timezone": zone})


# -- files ----------------------------------------------------------------------------------------


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "todo.txt").write_text("buy milk\nfix bike\n")
    (root / "sub" / "deep.md").write_text("# deep\n")
    (tmp_path / "secret.txt").write_text("password")
    return root


def test_read_and_list_inside_the_allowed_folder(notes):
    folders = Folders((str(notes),))
    assert read_file({"path": str(notes / "todo.txt")}, folders, 1000) == "buy milk\nfix bike\n"
    assert read_file({"path": "sub/deep.md"}, folders, 1000) == "# deep\n"  # relative
    listing = list_directory({"path": str(notes)}, folders)
    assert listing.splitlines() == [f"{notes} (2 entries)", "sub/", "todo.txt (18 bytes)"]


def test_tilde_in_the_config_is_expanded(notes, monkeypatch):
    monkeypatch.setenv("HOME", str(notes.parent))
    folders = Folders(("~/notes",))
    assert read_file({"path": "~/notes/todo.txt"}, folders, 1000).startswith("buy milk")


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "{root}/../secret.txt", "{root}/sub/../../secret.txt", "/etc/passwd"],
)
def test_paths_leading_outside_are_refused(notes, path):
    folders = Folders((str(notes),))
    with pytest.raises(ToolError, match="outside the folders"):
        read_file({"path": path.format(root=notes)}, folders, 1000)


def test_a_symlink_leading_outside_is_refused(notes):
    (notes / "link.txt").symlink_to(notes.parent / "secret.txt")
    (notes / "out").symlink_to(notes.parent)
    folders = Folders((str(notes),))
    with pytest.raises(ToolError, match="outside"):
        read_file({"path": "link.txt"}, folders, 1000)
    with pytest.raises(ToolError, match="outside"):
        list_directory({"path": "out"}, folders)
    with pytest.raises(ToolError, match="outside"):
        read_file({"path": "out/secret.txt"}, folders, 1000)


def test_a_symlinked_allowed_folder_works(notes, tmp_path):
    (tmp_path / "alias").symlink_to(notes)
    folders = Folders((str(tmp_path / "alias"),))
    assert read_file({"path": "todo.txt"}, folders, 1000).startswith("buy milk")


def test_binary_and_non_utf8_files_are_refused(notes):
    (notes / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (notes / "latin1.txt").write_bytes("café".encode("latin-1"))
    folders = Folders((str(notes),))
    with pytest.raises(ToolError, match="binary"):
        read_file({"path": "image.png"}, folders, 1000)
    with pytest.raises(ToolError, match="not UTF-8"):
        read_file({"path": "latin1.txt"}, folders, 1000)


def test_big_files_are_cut_at_the_cap_without_splitting_a_character(notes):
    (notes / "big.txt").write_text("é" * 1000)  # 2 bytes each
    folders = Folders((str(notes),))
    text = read_file({"path": "big.txt"}, folders, 101)
    body, note = text.split("\n")
    assert body == "é" * 50
    assert note == "[cut: only the first 101 bytes of 2,000 are shown]"


def test_missing_files_folders_and_fifos(notes):
    folders = Folders((str(notes),))
    with pytest.raises(ToolError, match="does not exist"):
        read_file({"path": "nope.txt"}, folders, 1000)
    with pytest.raises(ToolError, match="is a folder"):
        read_file({"path": "sub"}, folders, 1000)
    with pytest.raises(ToolError, match="is a file"):
        list_directory({"path": "todo.txt"}, folders)
    os.mkfifo(notes / "pipe")
    started = time.perf_counter()
    with pytest.raises(ToolError, match="not a regular file"):
        read_file({"path": "pipe"}, folders, 1000)
    assert time.perf_counter() - started < 1
    with pytest.raises(ToolError, match="none of the allowed folders exists"):
        read_file({"path": "x"}, Folders((str(notes / "gone"),)), 1000)


# -- arguments against the schema -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"text": "hi"}, None),
        ({"text": "hi", "count": 3}, None),
        ({"text": "hi", "count": 3.0}, None),
        ({"text": "hi", "extra": 1}, None),  # unknown arguments pass unless forbidden
        ({}, "missing required argument 'text'"),
        ({"text": 5}, "argument 'text' should be string, not 5"),
        ({"text": "hi", "count": "3"}, "argument 'count' should be integer, not \"3\""),
        ({"text": "hi", "count": True}, "argument 'count' should be integer, not true"),
        ([1], "the arguments should be a JSON object, not [1]"),
    ],
)
def test_arguments_are_checked_against_the_schema(arguments, problem):
    schema = user_tool(["x"]).parameters
    assert check_arguments(schema, arguments) == problem


def test_schema_enum_bounds_items_and_closed_objects():
    schema = {
        "type": "object",
        "properties": {
            "unit": {"enum": ["c", "f"]},
            "n": {"type": "number", "minimum": 0, "maximum": 10},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    assert check_arguments(schema, {"unit": "c", "n": 2.5, "tags": ["a"]}) is None
    assert "one of" in check_arguments(schema, {"unit": "k"})
    assert "at most 10" in check_arguments(schema, {"n": 11})
    assert (
        check_arguments(schema, {"tags": ["a", 2]}) == "argument 'tags'[1] should be string, not 2"
    )
    assert "unknown argument 'x'" in check_arguments(schema, {"x": 1})


# -- the user's own tools -------------------------------------------------------------------------


def test_placeholders_are_replaced_inside_their_own_element_only():
    tool = user_tool(["grep", "-c", "--", "{text}", "--max={count}", "file.txt"])
    hostile = "x; rm -rf ~ && echo $(id) `id` 'quote\" {count}"
    assert build_argv(tool, {"text": hostile, "count": 3}) == [
        "grep",
        "-c",
        "--",
        hostile,
        "--max=3",
        "file.txt",
    ]
    # An argument left out drops the elements that use it.
    assert build_argv(tool, {"text": "a"}) == ["grep", "-c", "--", "a", "file.txt"]
    with pytest.raises(ArgumentError, match="NUL"):
        build_argv(tool, {"text": "a\x00b"})


def test_non_string_values_are_passed_as_json():
    tool = user_tool(["prog", "{text}"], parameters={"type": "object", "properties": {"text": {}}})
    assert build_argv(tool, {"text": {"a": [1, True, None]}}) == [
        "prog",
        '{"a": [1, true, null]}',
    ]


async def test_a_program_runs_and_its_output_comes_back():
    result = await run_program(
        [PY, "-c", "import sys; print(sys.argv[1])", "a b; c"], timeout=10, cap=100
    )
    assert result.output == "a b; c\n" and result.error is None


async def test_non_zero_exit_is_an_error_with_stderr():
    code = "import sys; print('partial'); sys.stderr.write('boom'); sys.exit(3)"
    result = await run_program([PY, "-c", code], timeout=10, cap=100)
    assert result.error == "exited with status 3: boom"
    assert result.output == "partial\n"


async def test_a_timeout_kills_the_program_and_what_it_started(tmp_path):
    marker = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time;"
        "child = subprocess.Popen(['sleep', '30']);"
        f"open({str(marker)!r}, 'w').write(str(child.pid));"
        "time.sleep(30)"
    )
    started = time.monotonic()
    result = await run_program([PY, "-c", code], timeout=1.0, cap=100)
    assert time.monotonic() - started < 5
    assert result.error == "it did not finish within 1 s and was stopped"
    child = int(marker.read_text())
    await _wait_gone(child)


async def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # A killed child of a killed parent is a zombie until init reaps it.
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} is still running")


async def test_too_much_output_stops_the_program():
    code = "import sys\nwhile True: sys.stdout.write('x' * 1000)"
    started = time.monotonic()
    result = await run_program([PY, "-c", code], timeout=10, cap=5000)
    assert time.monotonic() - started < 5
    assert result.output == "x" * 5000
    assert result.error == "its output was longer than 5,000 bytes (it was stopped)"


async def test_cancelling_kills_the_program(tmp_path):
    marker = tmp_path / "pid"
    code = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(30)"
    task = asyncio.ensure_future(run_program([PY, "-c", code], timeout=60, cap=100))
    deadline = time.monotonic() + 10
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)  # killed and reaped


async def test_a_program_that_cannot_start():
    with pytest.raises(OSError):
        await run_program(["/no/such/program"], timeout=1, cap=10)


# -- the tool set ---------------------------------------------------------------------------------


async def never_asked(tool, argv):
    raise AssertionError("a built-in tool asked for confirmation")


def test_definitions_offer_file_tools_only_with_allowed_folders(notes):
    names = [d["function"]["name"] for d in ToolSet(ToolsConfig()).definitions()]
    assert names == ["current_time", "calculator"]
    config = ToolsConfig(allowed_folders=(str(notes),), custom=(user_tool(["echo"]),))
    definitions = ToolSet(config).definitions()
    assert [d["function"]["name"] for d in definitions] == [
        "current_time",
        "calculator",
        "read_file",
        "list_directory",
        "mine",
    ]
    assert all(d["type"] == "function" for d in definitions)
    assert str(notes) in definitions[2]["function"]["description"]
    assert definitions[4]["function"]["parameters"] == user_tool(["echo"]).parameters


async def test_errors_become_the_result():
    tools = ToolSet(ToolsConfig())
    unknown = await tools.run(ToolCall("rm_rf", {}), never_asked)
    assert unknown.content == (
        "Error: there is no tool named 'rm_rf' (the tools are: current_time, calculator)."
    )
    bad = await tools.run(ToolCall("calculator", {"expression": 12}), never_asked)
    assert bad.content == (
        "Error: bad arguments for calculator: argument 'expression' should be string, not 12."
    )
    assert bad.error == bad.content.removeprefix("Error: ")
    zero = await tools.run(ToolCall("calculator", {"expression": "1/0"}), never_asked)
    assert zero.content == "Error: calculator: division by zero."
    ok = await tools.run(ToolCall("calculator", {"expression": "2**10"}), never_asked)
    assert ok.content == "1024" and ok.error is None
    files = await tools.run(ToolCall("read_file", {"path": "/etc/passwd"}), never_asked)
    assert files.content.startswith("Error: there is no tool named 'read_file'")


async def test_user_tools_ask_every_time_unless_always_allowed():
    tool = user_tool([PY, "-c", "import sys; print(sys.argv[1].upper())", "{text}"])
    tools = ToolSet(ToolsConfig(custom=(tool,)))
    asked: list[list[str]] = []
    answers = iter(["no", "yes", "always"])

    async def confirm(asked_tool, argv):
        assert asked_tool is tool
        asked.append(argv)
        return next(answers)

    call = ToolCall("mine", {"text": "hi there"})
    assert (await tools.run(call, confirm)).content == REFUSED
    assert (await tools.run(call, confirm)).content == "HI THERE\n"
    assert (await tools.run(call, confirm)).content == "HI THERE\n"
    assert (await tools.run(call, confirm)).content == "HI THERE\n"  # not asked again
    argv = [PY, "-c", "import sys; print(sys.argv[1].upper())", "hi there"]
    assert asked == [argv, argv, argv]
    assert tools.always_allowed == {"mine"}


async def test_user_tool_failures_become_the_result():
    slow = user_tool(["sleep", "10"], name="slow", timeout=0.2)
    broken = user_tool(["/no/such/program", "{text}"], name="broken")
    tools = ToolSet(ToolsConfig(custom=(slow, broken)))

    async def yes(tool, argv):
        return "yes"

    timed_out = await tools.run(ToolCall("slow", {"text": "x"}), yes)
    assert timed_out.content == "Error: slow: it did not finish within 0.2 s and was stopped."
    missing = await tools.run(ToolCall("broken", {"text": "x"}), yes)
    assert missing.content == (
        "Error: could not start '/no/such/program': No such file or directory."
    )


# -- config ---------------------------------------------------------------------------------------

TOOLS_TOML = """
[tools]
enabled = true
allowed_folders = ["~/notes"]
max_rounds = 3

[[tools.custom]]
name = "grep_notes"
description = "Search my notes"
command = ["grep", "-rn", "--", "{pattern}", "/home/me/notes"]
timeout = 5
max_output = 8000

[tools.custom.parameters]
type = "object"
required = ["pattern"]

[tools.custom.parameters.properties.pattern]
type = "string"
description = "a regular expression"
"""


def test_tools_config():
    tools = parse_config(TOOLS_TOML).tools
    assert tools.enabled and tools.allowed_folders == ("~/notes",) and tools.max_rounds == 3
    (tool,) = tools.custom
    assert tool.command == ("grep", "-rn", "--", "{pattern}", "/home/me/notes")
    assert tool.timeout == 5.0 and tool.max_output == 8000
    assert tool.parameters == {
        "type": "object",
        "required": ["pattern"],
        "properties": {"pattern": {"type": "string", "description": "a regular expression"}},
    }
    assert parse_config("").tools == ToolsConfig()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[tools]\nallowed_folders = '~/notes'", "'tools.allowed_folders' should be a list"),
        ("[tools]\nmax_rounds = 0", "'tools.max_rounds' should be a whole number"),
        ("[tools]\nenabled = 1", "'tools.enabled' should be true or false"),
        ("[tools]\nbogus = 1", "unknown setting 'tools.bogus'"),
        ("tools = 3", "'tools' should be a table"),
        ("[[tools.custom]]\nname = 'x'\ncommand = 'rm -rf /'", "'command' should be a list"),
        ("[[tools.custom]]\nname = 'x'\ncommand = []", "'command' should be a list"),
        ("[[tools.custom]]\nname = 'a b'\ncommand = ['ls']", "'name' should be a name"),
        ("[[tools.custom]]\nname = 'calculator'\ncommand = ['ls']", "is taken"),
        ("[[tools.custom]]\nname = 'x'\ncommand = ['ls', '{path}']", "uses {path}"),
        ("[[tools.custom]]\nname = 'x'\ncommand = ['ls']\ntimeout = 0", "'timeout' should be"),
        ("[[tools.custom]]\nname = 'x'\ncommand = ['ls']\nmax_output = 0", "'max_output'"),
        ("[[tools.custom]]\nname = 'x'\ncommand = ['ls']\nshell = true", "unknown setting"),
    ],
)
def test_wrong_tool_settings_are_named(text, match):
    with pytest.raises(ConfigError, match=match.replace("{", r"\{").replace("(", r"\(")):
        parse_config(text)


def test_duplicate_tool_names_are_refused():
    text = "[[tools.custom]]\nname = 'x'\ncommand = ['ls']\n" * 2
    with pytest.raises(ConfigError, match="'x' is taken"):
        parse_config(text)

"""Tool calling end to end: the simulated model calls tools, olladeck runs them and goes on.

The demo server answers with `tool_calls` when tools are offered and the prompt names a
tool, and in text once tool results come back; `tool_loop` makes it call tools for ever
and `forced_tool_calls` makes it call tools wrongly.
"""

from __future__ import annotations

import os
import sys
import tomllib
from datetime import UTC, datetime

from app.config import Config, ToolsConfig, UserToolConfig
from app.screens.tool_confirm import ToolConfirmScreen
from app.tools import REFUSED, ToolSet
from tests.conftest import confirm_ready, screen_text, wait_until

PY = sys.executable
MODEL = "llama3.2:latest"
SHOUT = UserToolConfig(
    name="shout",
    description="Shout the text back in capitals",
    command=(PY, "-c", "import sys; print(sys.argv[1].upper())", "{text}"),
    parameters={
        "type": "object",
        "properties": {"text": {"type": "string", "description": "what to shout"}},
        "required": ["text"],
    },
)


def tools_config(**kwargs) -> Config:
    return Config(tools=ToolsConfig(**kwargs))


def main(app):
    """The main screen, also while a dialog is open above it."""
    return app.screen_stack[0]


def messages(app):
    return main(app).current.messages


def finished(app) -> bool:
    """The whole round trip is over (no reply streaming, no tool running)."""
    current = messages(app)
    return (
        len(current) >= 2
        and not main(app).pane.is_streaming(main(app).current.id)
        and current[-1].state != "streaming"
    )


async def connected(pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.connection == "connected")
    model = app.screen.current.model
    await wait_until(pilot, lambda: model in app.screen._details)


async def send(pilot, text: str) -> None:
    app = pilot.app
    prompt = app.screen.prompt
    prompt.focus()
    count = len(messages(app))
    # Typed in one go: key by key, a long path takes seconds.
    prompt.load_text(text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(messages(app)) > count)


async def confirm_screen(pilot) -> ToolConfirmScreen:
    await confirm_ready(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ToolConfirmScreen)
    return screen


def saved(data_dir) -> dict:
    (path,) = sorted((data_dir / "conversations").glob("*.toml"))
    return tomllib.loads(path.read_text())


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def called(name: str, arguments: dict) -> dict:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": name, "arguments": arguments}}],
    }


def result(name: str, content: str) -> dict:
    return {"role": "tool", "content": content, "tool_name": name}


async def test_calculator_round_trip_exact_requests(make_app, demo_server, data_dir):
    app = make_app(model=MODEL)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        assert "tools on" not in screen_text(app)
        await pilot.press("ctrl+g")
        assert app.screen.current.chat_options.tools
        await wait_until(pilot, lambda: "⚙ tools on" in screen_text(app))
        # Not known yet (e.g. the model was just chosen): asked for before the request.
        app.screen._details.clear()
        prompt = "use the calculator for 12*(3+4)"
        await send(pilot, prompt)
        await wait_until(pilot, lambda: finished(app))
        await pilot.pause(0.1)
        roles = [m.role for m in messages(app)]
        assert roles == ["user", "assistant", "tool", "assistant"]
        answer = messages(app)[-1]
        assert answer.state == "complete" and "`calculator` returned: 84" in answer.content
        text = screen_text(app)
        assert '⚙ tool call calculator {"expression": "12*(3+4)"}' in text
        assert "Tool result · calculator" in text
        assert "That answers it." in text
        file = saved(data_dir)
        assert file["settings"]["tools"] is True
        assert [m["role"] for m in file["messages"]] == roles
        assert file["messages"][2] == {
            **file["messages"][2],
            "content": "84",
            "tool_name": "calculator",
            "state": "complete",
        }
    definitions = ToolSet(ToolsConfig()).definitions()
    first = [user(prompt)]
    second = [*first, called("calculator", {"expression": "12*(3+4)"}), result("calculator", "84")]
    assert demo_server.chat_requests() == [
        {"model": MODEL, "messages": first, "tools": definitions, "stream": True},
        {"model": MODEL, "messages": second, "tools": definitions, "stream": True},
    ]
    # (The other models are asked about too, for the pickers.)
    shows = [r.body for r in demo_server.requests if r.path == "/api/show"]
    shows = [body for body in shows if body == {"model": MODEL}]
    assert shows == [{"model": MODEL}] * 2  # the second one asked before the request


async def test_tools_are_off_unless_switched_on_and_the_toggle_is_saved(
    make_app, demo_server, data_dir
):
    app = make_app(model=MODEL)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "use the calculator for 1+1")
        await wait_until(pilot, lambda: finished(app))
        assert "tools" not in demo_server.chat_requests()[-1]
        assert [m.role for m in messages(app)] == ["user", "assistant"]
        # The palette command runs the same action as Ctrl+G.
        await pilot.press("ctrl+p", *"Tools on/off")
        await wait_until(
            pilot,
            lambda: any(
                "Tools on/off" in str(results.get_option_at_index(0).prompt)
                for results in app.screen.query("CommandList")
                if results.option_count
            ),
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.chat_options.tools)
        await wait_until(pilot, lambda: saved(data_dir)["settings"].get("tools") is True)
        await pilot.press("ctrl+g")
        assert not app.screen.current.chat_options.tools
        await wait_until(pilot, lambda: "tools" not in saved(data_dir)["settings"])
        assert "tools on" not in screen_text(app)


async def test_a_model_without_tools_gets_none_and_the_user_is_told(make_app, demo_server):
    app = make_app(model="llava:7b", config=tools_config(enabled=True))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        assert app.screen.current.chat_options.tools  # on for new conversations
        await wait_until(pilot, lambda: "⚙ tools unsupported" in screen_text(app))
        await send(pilot, "use the calculator for 1+1")
        await wait_until(pilot, lambda: finished(app))
        assert messages(app)[-1].state == "complete"
        assert "tools" not in demo_server.chat_requests()[-1]
        notices = [n.message for n in app._notifications]
        assert any(
            "llava:7b cannot call tools (its capabilities: completion, vision)" in n
            for n in notices
        )


async def test_built_in_time_and_file_tools(make_app, demo_server, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("buy milk\nfix bike\n")
    (tmp_path / "secret.txt").write_text("password")
    config = tools_config(enabled=True, allowed_folders=(str(notes),))
    app = make_app(model=MODEL, config=config)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)

        async def ask(prompt: str) -> str:
            await send(pilot, prompt)
            await wait_until(pilot, lambda: finished(app))
            tool = messages(app)[-2]
            assert tool.role == "tool" and messages(app)[-1].state == "complete"
            return tool.content

        now = await ask("what is the current_time?")
        assert now.startswith(datetime.now(UTC).strftime("%Y-%m-%dT"))
        assert now.endswith(", UTC, UTC+00:00)")
        assert await ask(f"read_file {notes}/todo.txt") == "buy milk\nfix bike\n"
        listing = await ask(f"list_directory {notes}")
        assert listing == f"{notes} (1 entry)\ntodo.txt (18 bytes)"
        refused = await ask(f"read_file {notes}/../secret.txt")
        assert refused.startswith("Error: read_file: ")
        assert "is outside the folders the user allowed" in refused
        assert "password" not in str(demo_server.chat_requests())
        await wait_until(
            pilot,
            lambda: any("outside the folders" in n.message for n in app._notifications),
        )
        # The model got the error as the tool's result, and answered.
        assert demo_server.chat_requests()[-1]["messages"][-1] == result("read_file", refused)


async def test_user_tool_confirmed_shows_the_exact_command(make_app, demo_server):
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(SHOUT,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "shout hello; rm -rf ~")
        dialog = await confirm_screen(pilot)
        argv = [PY, "-c", "import sys; print(sys.argv[1].upper())", "shout hello; rm -rf ~"]
        assert dialog.argv == argv  # each argument is shown on a row of its own
        assert "shout hello; rm -rf ~" in screen_text(app)
        assert "wants to run your tool “shout”" in screen_text(app)
        assert messages(app)[-1].content.startswith("Asking you before running: ")
        await pilot.press("y")
        await wait_until(pilot, lambda: finished(app))
        assert messages(app)[-2].content == "SHOUT HELLO; RM -RF ~\n"
    requests = demo_server.chat_requests()
    assert len(requests) == 2
    assert requests[1]["messages"][-1] == result("shout", "SHOUT HELLO; RM -RF ~\n")


async def test_user_tool_refused_tells_the_model(make_app, demo_server):
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(SHOUT,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "shout hello")
        await confirm_screen(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: finished(app))
        assert messages(app)[-2].content == REFUSED
        assert REFUSED in messages(app)[-1].content  # the model read it
    assert demo_server.chat_requests()[1]["messages"][-1] == result("shout", REFUSED)


async def test_always_allow_asks_once_per_session(make_app, demo_server):
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(SHOUT,)))
    seen = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        await send(pilot, "shout one")
        first = await confirm_screen(pilot)
        await pilot.press("A")  # then a second question, which y answers
        await wait_until(pilot, lambda: app.screen is not first)
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: finished(app))
        await send(pilot, "shout two")
        await wait_until(pilot, lambda: finished(app))
        assert [m.content for m in messages(app) if m.role == "tool"] == [
            "SHOUT ONE\n",
            "SHOUT TWO\n",
        ]
    dialogs = {id(m._sender) for m in seen if isinstance(m._sender, ToolConfirmScreen)}
    assert len(dialogs) == 1


async def test_a_slow_user_tool_times_out(make_app, demo_server):
    slow = UserToolConfig(
        name="slow_tool", description="Takes its time", command=("sleep", "30"), timeout=0.3
    )
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(slow,)))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        await send(pilot, "run slow_tool")
        await confirm_screen(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: finished(app))
        expected = "Error: slow_tool: it did not finish within 0.3 s and was stopped."
        assert messages(app)[-2].content == expected
        assert any("did not finish" in n.message for n in app._notifications)
        assert messages(app)[-1].state == "complete"
    assert demo_server.chat_requests()[-1]["messages"][-1] == result("slow_tool", expected)


async def test_failing_user_tool_and_bad_calls_go_back_to_the_model(make_app, demo_server):
    failing = UserToolConfig(
        name="failing",
        description="Always fails",
        command=(PY, "-c", "import sys; sys.stderr.write('disk full'); sys.exit(2)"),
    )
    demo_server.forced_tool_calls = [
        {"function": {"name": "calculator", "arguments": {"expression": 12}}},
        {"function": {"name": "format_disk", "arguments": {}}},
        {"function": {"name": "calculator", "arguments": {"expression": "2 ** 99999999"}}},
        {"function": {"name": "failing", "arguments": {}}},
    ]
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(failing,)))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        await send(pilot, "do things")
        await confirm_screen(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: finished(app))
        results = [m.content for m in messages(app) if m.role == "tool"]
        assert results == [
            "Error: bad arguments for calculator: argument 'expression' should be string, not 12.",
            "Error: there is no tool named 'format_disk' (the tools are: current_time, "
            "calculator, failing).",
            "Error: calculator: the result would have more than 4,000 digits (refused: too large).",
            "Error: failing: exited with status 2: disk full.",
        ]
        assert messages(app)[-1].state == "complete"
        notices = [n.message for n in app._notifications]
        assert sum(1 for n in notices if n in [r.removeprefix("Error: ") for r in results]) == 4
    last = demo_server.chat_requests()[-1]["messages"]
    assert [m["content"] for m in last[-4:]] == results


async def test_the_round_limit_stops_a_looping_model(make_app, demo_server):
    demo_server.tool_loop = True
    app = make_app(model=MODEL, config=tools_config(enabled=True, max_rounds=2))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        await send(pilot, "use the calculator for 2+2")
        await wait_until(pilot, lambda: finished(app))
        roles = [m.role for m in messages(app)]
        assert roles == ["user", *["assistant", "tool"] * 3]
        contents = [m.content for m in messages(app) if m.role == "tool"]
        assert contents[:2] == ["4", "4"]
        assert (
            contents[2] == "Not run: olladeck stops after 2 rounds of tool calls for one message."
        )
        assert any("stopped after 2 rounds" in n.message for n in app._notifications)
        assert app.screen.check_action("retry", ()) is True  # Ctrl+R lets it go on
    assert len(demo_server.chat_requests()) == 3


async def test_escape_during_a_tool_run_kills_it_and_ends_the_loop(
    make_app, demo_server, data_dir, tmp_path
):
    pid_file = tmp_path / "pid"
    waiting = UserToolConfig(
        name="wait_a_while",
        description="Waits",
        command=(
            PY,
            "-c",
            "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)",
            str(pid_file),
        ),
        timeout=120,
    )
    app = make_app(model=MODEL, config=tools_config(enabled=True, custom=(waiting,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "wait_a_while please")
        await confirm_screen(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: pid_file.exists() and pid_file.read_text())
        assert main(app).pane.is_streaming(main(app).current.id)
        assert messages(app)[-1].content.startswith("Running: ")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.pane.is_streaming(app.screen.current.id))
        tool = messages(app)[-1]
        assert tool.role == "tool" and tool.state == "stopped"
        assert tool.content == "Stopped by the user before it finished."
        try:
            os.kill(int(pid_file.read_text()), 0)
        except ProcessLookupError:
            pass
        else:
            raise AssertionError("the tool's process is still running")
        await wait_until(pilot, lambda: saved(data_dir)["messages"][-1]["state"] == "stopped")
        await pilot.pause(0.2)
    assert len(demo_server.chat_requests()) == 1  # no request after the stop

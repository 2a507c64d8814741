"""The first slice end to end: type, send, watch it stream, find it on disk, stop, restart."""

from __future__ import annotations

import tomllib

from app.app import OlladeckApp
from app.demo import Fault, ThreadedDemoServer
from app.models import Conversation
from app.store.codec import SCHEMA_VERSION
from app.widgets.message_pane import MessagePane
from tests.conftest import screen_text, wait_until


def pane(app: OlladeckApp) -> MessagePane:
    return app.screen.query_one("#messages", MessagePane)


def conversation_files(data_dir):
    return sorted((data_dir / "conversations").glob("*.toml"))


def read_toml(path):
    return tomllib.loads(path.read_text())


async def send(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")


async def test_send_streams_reply_to_screen_and_disk(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "hello")
        await wait_until(
            pilot,
            lambda: (
                app.screen.current.messages and app.screen.current.messages[-1].state == "complete"
            ),
        )
        await pilot.pause(0.2)
        reply = app.screen.current.messages[-1]
        assert "Welcome to the olladeck demo" in reply.content
        text = screen_text(app)
        assert 'You said: "hello"' in text  # the end of the reply, scrolled into view
        assert "tok/s" in text  # the facts line under the reply
        (path,) = conversation_files(data_dir)
        saved = read_toml(path)
        assert [m["role"] for m in saved["messages"]] == ["user", "assistant"]
        assert saved["messages"][0]["content"] == "hello"
        assert "Welcome to the olladeck demo" in saved["messages"][1]["content"]
        assert saved["messages"][1]["stats"]["eval_count"] > 0
    request = demo_server.chat_requests()[-1]
    assert request == {
        "model": "llama3.2:latest",
        "messages": [{"role": "user", "content": "hello"}],
        "stream": True,
    }


async def test_prompt_and_partial_reply_are_on_disk_while_streaming(
    make_app, demo_server, data_dir
):
    demo_server.token_rate = 25  # about 6 s for the demo reply
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "keep me safe")
        await wait_until(pilot, lambda: conversation_files(data_dir))
        (path,) = conversation_files(data_dir)
        first = read_toml(path)
        assert first["messages"][0]["content"] == "keep me safe"
        # Within a second or so the partial reply is saved too, long before the end.
        await wait_until(pilot, lambda: read_toml(path)["messages"][1]["content"], timeout=3)
        saved = read_toml(path)["messages"][1]
        assert saved["state"] == "streaming"
        assert app.screen.pane.is_streaming(app.screen.current.id)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.pane.is_streaming(app.screen.current.id))


async def test_escape_stops_and_keeps_the_partial_reply(make_app, demo_server, data_dir):
    demo_server.token_rate = 30
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "hello")
        await wait_until(
            pilot,
            lambda: len(app.screen.current.messages) == 2 and "olladeck demo" in screen_text(app),
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "stopped")
        await wait_until(pilot, lambda: "stopped" in screen_text(app))
        reply = app.screen.current.messages[-1]
        assert 0 < len(reply.content) < 400
        # What arrived is still on screen, not only in the file.
        assert "Welcome to the olladeck demo" in screen_text(app)
        await wait_until(
            pilot,
            lambda: read_toml(conversation_files(data_dir)[0])["messages"][1]["state"] == "stopped",
        )
        saved = read_toml(conversation_files(data_dir)[0])["messages"][1]
        assert saved["content"] == reply.content
        # The input still works; Escape with nothing streaming does not quit or break.
        await pilot.press("escape")
        assert app.is_running


async def test_conversation_is_there_after_a_restart(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "remember this")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        await pilot.pause(0.2)
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(again.screen.current.messages) == 2)
        await pilot.pause(0.3)
        text = screen_text(again)
        assert 'You said: "remember this"' in text
        assert "remember this" in text.split("\n")[3]  # the conversation list
        assert again.screen.current.model == "llama3.2:latest"


async def test_rich_markup_and_escapes_are_shown_literally(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        # Typed keys cannot carry ESC; a paste can. The demo model echoes the prompt back, so
        # the same text comes back in the model's output too.
        app.screen.prompt.insert("[bold red]x[/] \x1b[31mred\x07")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        await pilot.pause(0.2)
        user, reply = app.screen.current.messages
        assert user.content == "[bold red]x[/] \x1b[31mred\x07"  # kept as typed
        assert "\x1b[31m" in reply.content
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        # In the message, in its echo, and in the conversation list title.
        assert text.count("[bold red]x[/] ␛[31mred␇") == 3


async def test_unreachable_server_says_why_and_connects_later(make_app, xdg):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(host=f"127.0.0.1:{port}")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "unreachable")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert f"127.0.0.1:{port}" in text
        assert "connection refused" in text
        assert "ollama serve" in text and "OLLAMA_HOST" in text
        assert "demo server" in text.lower()
        runner = ThreadedDemoServer()
        runner.start(port=port)
        try:
            await wait_until(pilot, lambda: app.screen.connection == "connected", timeout=12)
            assert not app.screen.query_one("#banner").display
            assert "Ollama 0.13.0" in screen_text(app)
        finally:
            runner.stop()


async def test_f2_switches_to_the_demo_server(make_app, xdg):
    app = make_app(host="127.0.0.1:9")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "unreachable")
        await pilot.press("f2")
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        assert app.services.demo and "demo server" in screen_text(app)
        await send(pilot, "hi")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        assert "Welcome" in app.screen.current.messages[-1].content


async def test_errors_show_inline_and_retry_works(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        demo_server.inject(Fault("http_error", status=500, message="CUDA error: out of memory"))
        await send(pilot, "hello")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "error")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "CUDA error: out of memory" in text and "Ctrl+R" in text
        assert app.screen.current.messages[0].content == "hello"  # nothing the user typed is lost
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        assert [m.role for m in app.screen.current.messages] == ["user", "assistant"]
        saved = read_toml(conversation_files(data_dir)[0])
        assert saved["messages"][-1]["state"] == "complete"


async def test_missing_model_is_explained(make_app, demo_server):
    app = make_app(model="nope:latest")
    async with app.run_test(size=(80, 30)) as pilot:  # no side regions
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "hello")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "error")
        await pilot.pause(0.2)
        words = " ".join(screen_text(app).replace("▎", " ").replace("│", " ").split())
        assert "is not on this server: model 'nope:latest' not found. Pull it on the" in words
        assert "Pull tab of the models screen (F3)." in words
        assert "ollama pull" not in words and "Press Ctrl+R" not in words


async def test_corrupt_file_is_reported_not_fatal(make_app, data_dir):
    (data_dir / "conversations").mkdir(parents=True)
    (data_dir / "conversations" / "bad.toml").write_text("schema_version = [\n")
    # A file from a newer olladeck: reported, and left exactly as it is.
    future = data_dir / "conversations" / "future.toml"
    future_bytes = (
        f'schema_version = {SCHEMA_VERSION + 1}\nid = "future"\ntitle = "From the future"\n'
        '[[messages]]\nrole = "user"\ncontent = "hi"\nsomething_new = true\n'
    ).encode()
    future.write_bytes(future_bytes)
    app = make_app()
    notices = []
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen._loaded)
        await pilot.pause(0.1)
        notices = [n.message for n in app._notifications]
        shown = screen_text(app)
        for char in "▌▎│╭╮╰╯─":
            shown = shown.replace(char, " ")
        shown = " ".join(shown.split())
        assert (
            f"future.toml: schema_version {SCHEMA_VERSION + 1} is newer than this olladeck "
            f"understands ({SCHEMA_VERSION}); it is left untouched." in shown
        )
    assert any("bad.toml could not be read" in n for n in notices)
    assert list((data_dir / "quarantine").iterdir())
    assert len([n for n in notices if "future.toml" in n]) == 1
    assert future.read_bytes() == future_bytes
    assert not any(p.name.startswith("future") for p in (data_dir / "quarantine").iterdir())


async def test_stream_a_reply_then_quit_saves_it(make_app, demo_server, data_dir):
    demo_server.token_rate = 20
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await send(pilot, "hello")
        await wait_until(
            pilot,
            lambda: (
                app.screen.current.messages[-1].content
                or pane(app)._streams[app.screen.current.id].version > 3
            ),
        )
        await pilot.press("ctrl+q")
    saved = read_toml(conversation_files(data_dir)[0])
    assert saved["messages"][-1]["state"] == "stopped"
    assert saved["messages"][-1]["content"]


def test_conversation_titles_come_from_the_first_message():
    from app.models import ChatMessage

    conversation = Conversation(
        messages=[ChatMessage(role="user", content="  What is\nthe answer " * 5)]
    )
    assert conversation.display_title.startswith("What is the answer")
    assert len(conversation.display_title) <= 49


async def test_model_picker_switches_the_model_by_keyboard(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: app.screen.query("#model-select"))
        app.screen.query_one("#model-select").focus()
        await pilot.press("enter", "down", "enter")
        await wait_until(pilot, lambda: app.screen.current.model == "deepseek-r1:8b")
        await pilot.pause(0.2)
        assert app.screen.current.model == "deepseek-r1:8b"  # never cleared to a placeholder
        app.screen.prompt.focus()
        await send(pilot, "hi")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        assert demo_server.chat_requests()[-1]["model"] == "deepseek-r1:8b"
        assert read_toml(conversation_files(data_dir)[0])["model"] == "deepseek-r1:8b"

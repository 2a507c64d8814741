"""Keyboard-first: every default key, every palette command, the help, keymap overrides."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from app.app import OlladeckApp
from app.config import TEMPLATE, Config, load_config, parse_config
from app.screens.help import HelpScreen, all_bindings
from app.screens.image_picker import ImagePickerScreen
from app.widgets.message_pane import MessagePane
from tests.conftest import screen_text, wait_until


async def ready(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.connection == "connected")
    await wait_until(pilot, lambda: pilot.app.screen.query("Footer"))


async def ask(pilot, text: str) -> None:
    app = pilot.app
    app.screen.prompt.focus()
    count = len(app.screen.current.messages)
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: len(app.screen.current.messages) == count + 2)
    await wait_until(pilot, lambda: app.screen.current.messages[-1].state != "streaming")


async def test_input_keys_enter_ctrl_j_alt_enter_and_up_recall(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        prompt = app.screen.prompt
        await pilot.press("a", "ctrl+j", "b", "alt+enter", "c")
        assert prompt.text == "a\nb\nc"  # new lines, nothing sent
        assert not app.screen.current.messages
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        assert app.screen.current.messages[0].content == "a\nb\nc"
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        assert prompt.text == ""
        await pilot.press("up")  # in the empty input: the last message back, to edit
        await pilot.pause(0.1)
        assert prompt.text == "a\nb\nc" and app.screen._editing is not None
        await pilot.press("escape")
        assert prompt.text == "" and app.screen._editing is None


async def test_escape_stops_a_reply_and_backs_out_of_dialogs(make_app, demo_server):
    demo_server.token_rate = 20
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "stopped")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))


async def test_main_screen_keys(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await ask(pilot, "one")
        first = app.screen.current.id
        await pilot.press("ctrl+n")
        assert app.screen.current.id != first and not app.screen.current.messages
        await pilot.press("ctrl+g")
        assert app.screen.current.chat_options.tools is True
        await pilot.press("ctrl+g")
        assert app.screen.current.chat_options.tools is False
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChatSettingsScreen")
        await pilot.press("f9")  # discard the settings
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        await pilot.press("f3")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ModelManagerScreen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        app.screen.query_one(MessagePane).focus()
        await pilot.press("question_mark")  # outside a text field, ? is help too
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("q")
        app.screen.prompt.focus()
        await pilot.press("question_mark")  # inside the input, it is a character
        assert app.screen.prompt.text == "?"


async def test_ctrl_r_retries_and_f2_is_the_demo(make_app, demo_server, xdg):
    from app.demo import Fault

    demo_server.inject(Fault("http_error", status=500, message="boom"))
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await ask(pilot, "hi")
        assert app.screen.current.messages[-1].state == "error"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
    app = make_app(host="127.0.0.1:9")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "unreachable")
        await pilot.press("f2")
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        assert app.services.demo


async def test_tab_cycles_regions_and_j_k_move(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await ask(pilot, "one")
        await ask(pilot, "two")
        seen = set()
        for _ in range(12):
            await pilot.press("tab")
            focused = app.focused
            for cls in ("ConversationList", "MessagePane", "PromptInput", "ModelSidebar"):
                if focused is not None and any(
                    type(n).__name__ == cls for n in focused.ancestors_with_self
                ):
                    seen.add(cls)
        assert {"ConversationList", "MessagePane", "PromptInput", "ModelSidebar"} <= seen
        await pilot.press("shift+tab")  # and back
        pane = app.screen.query_one(MessagePane)
        pane.focus()
        await pilot.pause()
        await pilot.press("k", "k")
        assert pane.selected == 1
        await pilot.press("j")
        assert pane.selected == 2
        await pilot.press("g")
        assert pane.selected == 0
        await pilot.press("G")
        assert pane.selected == 3


async def test_side_regions_fold_at_80_columns_and_come_back_as_overlays(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await ask(pilot, "hi")
        screen = app.screen
        assert screen.has_class("-hide-list") and screen.has_class("-hide-sidebar")
        assert "Conversations" not in screen_text(app)
        await pilot.press("ctrl+l")
        assert screen.has_class("-overlay-list") and not screen.has_class("-hide-list")
        assert "Conversations" in screen_text(app)
        await pilot.press("ctrl+l")
        assert screen.has_class("-hide-list")
        await pilot.press("ctrl+right_square_bracket")
        assert screen.has_class("-overlay-sidebar")
        assert "Model" in screen_text(app)
        await pilot.press("ctrl+right_square_bracket")
        # Resizing never loses what is typed.
        screen.prompt.focus()
        await pilot.press(*"half typed")
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.1)
        assert not screen.has_class("-hide-list") and not screen.has_class("-hide-sidebar")
        await pilot.resize_terminal(60, 20)
        await pilot.pause(0.1)
        assert screen.prompt.text == "half typed"


def _on_top(name: str):
    return lambda app, before: type(app.screen).__name__ == name


def _focus_in(selector: str):
    def check(app, before) -> bool:
        focused = app.focused
        region = app.screen.query_one(selector)
        return focused is not None and (focused is region or region in focused.ancestors)

    return check


def _loads(keep_alive):
    def check(app, before) -> bool:
        bodies = app.test_server.chat_requests()[before["chats"] :]
        return any(b.get("messages") == [] and b.get("keep_alive") == keep_alive for b in bodies)

    return check


# What each palette command must have done, looked at right after it ran.
PALETTE_CHECKS = {
    "New conversation": lambda app, before: app.screen.current.id != before["id"],
    "Regenerate the last reply": lambda app, before: (
        len(app.test_server.chat_requests()) > before["chats"]
    ),
    "Edit my last message": lambda app, before: app.screen.prompt.text == "write some python code",
    "Copy the last reply": lambda app, before: (
        app.clipboard == app.screen.current.messages[-1].content
    ),
    "Copy the first code block of the last reply": lambda app, before: app.clipboard.startswith(
        "from collections import Counter"
    ),
    "Select text in the last reply": _on_top("SelectTextScreen"),
    "Search all conversations": _on_top("SearchScreen"),
    "Filter the conversation list": lambda app, before: (
        app.focused is app.screen.query_one("#conversation-filter")
    ),
    "Rename the conversation": _on_top("TextPromptScreen"),
    "Pin or unpin the conversation": lambda app, before: (
        app.screen.current.pinned != before["pinned"]
    ),
    "Duplicate the conversation": lambda app, before: (
        len(app.screen._list_widget().row_ids) > before["rows"]
    ),
    "Delete the conversation": _on_top("ConfirmScreen"),
    "Show the trash": lambda app, before: app.screen._list_widget().mode == "trash",
    "Export to Markdown": _on_top("TextPromptScreen"),
    "Export to JSON": _on_top("TextPromptScreen"),
    "Import from JSON": _on_top("TextPromptScreen"),
    "Attach images": _on_top("ImagePickerScreen"),
    "Tools on/off": lambda app, before: app.screen.current.chat_options.tools != before["tools"],
    "Conversation settings": _on_top("ChatSettingsScreen"),
    "Switch model": _on_top("ModelManagerScreen"),
    "Pull a model": _on_top("ModelManagerScreen"),
    "Running models": _on_top("ModelManagerScreen"),
    "Load the model": _loads(None),
    "Unload the model": _loads(0),
    "Focus the conversation list": _focus_in("ConversationList"),
    "Focus the conversation": lambda app, before: app.focused is app.screen.pane,
    "Focus the input": lambda app, before: app.focused is app.screen.prompt,
    "Focus the sidebar": _focus_in("ModelSidebar"),
    "Help": _on_top("HelpScreen"),
}


async def test_every_palette_command_runs_its_action(make_app, demo_server, monkeypatch):
    app = make_app(model="llama3.2:latest")
    app.test_server = demo_server
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await ask(pilot, "write some python code")
        screen = app.screen
        titles = [command.title for command in screen.system_commands()]
        # One "Use model: …" per model (test_models_connection.py runs them).
        titles = [title for title in titles if not title.startswith("Use model: ")]
        assert len(titles) >= 25
        # A new conversation last: the message commands need the reply that is there now.
        titles.remove("New conversation")
        titles.append("New conversation")
        checked = []
        for title in titles:
            if title == "Use the demo server":
                continue  # switching servers is covered by the F2 test
            await pilot.press("ctrl+p")
            await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
            palette = app.screen
            palette.query_one("CommandInput").value = title  # as if typed
            command_list = palette.query_one("CommandList")
            await wait_until(
                pilot,
                lambda shown=command_list, title=title: (
                    shown.highlighted_option is not None
                    and title in str(shown.highlighted_option.prompt)
                ),
            )
            current = app.screen_stack[0].current
            before = {
                "id": current.id,
                "pinned": current.pinned,
                "tools": current.chat_options.tools,
                "rows": len(screen._list_widget().row_ids),
                "chats": len(demo_server.chat_requests()),
            }
            await pilot.press("enter")
            check = PALETTE_CHECKS.get(title)
            if check is not None:
                await wait_until(pilot, lambda check=check, before=before: check(app, before))
                checked.append(title)
            # Whatever the command opened, Escape backs out of it.
            for _ in range(3):
                if type(app.screen).__name__ != "MainScreen":
                    await pilot.press("escape")
                    await pilot.pause(0.1)
            if type(app.screen).__name__ == "ChatSettingsScreen":
                await pilot.press("f9")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "MainScreen", timeout=5)
            if screen.pane.is_streaming(screen.current.id):
                await pilot.press("escape")
            if screen._list_widget().mode == "trash":
                await screen.action_toggle_trash()  # back to the conversations
        assert len(checked) >= 28


async def test_help_lists_every_binding_as_bound(make_app, demo_server, xdg):
    config = Config(keymap={"conversation.new": "f12"})
    app = make_app(config=config, model="llama3.2:latest")
    async with app.run_test(size=(160, 60)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = "\n".join(str(s.render()) for s in help_screen.query(".help-row"))
        rows = all_bindings(config.keymap)
        assert len(rows) > 60
        for row in rows:
            assert row.binding_id in text, row
            assert row.description in text, row
        # The override is what the help shows, and what works.
        new_row = next(r for r in rows if r.binding_id == "conversation.new")
        assert new_row.keys == "F12"
        await pilot.press("escape")
        await ask(pilot, "hi")
        first = app.screen.current.id
        await pilot.press("f12")
        second = app.screen.current.id
        assert second != first
        await pilot.press("ctrl+n")  # no longer bound: nothing new
        await pilot.pause(0.1)
        assert app.screen.current.id == second


# The keys the issue names, as the help must show them: (keys, words of the description).
NAMED_KEYS = [
    ("Enter", "Send the message"),
    ("Ctrl+J / Alt+Enter / Shift+Enter", "new line"),
    ("Esc", "Stop"),
    ("Ctrl+N", "New conversation"),
    ("Ctrl+O", "Attach"),
    ("Ctrl+P", "Command palette"),
    ("F1", "Every key"),
    ("?", "Every key"),
    ("Ctrl+Q", "Quit"),
    ("↑", "last message"),
    ("Tab / Shift+Tab", "region"),
    ("↑ / k", "previous message"),
    ("↓ / j", "next message"),
    ("g / Home", "first message"),
    ("G / End", "last message"),
]


async def test_help_shows_the_everyday_keys(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(160, 60)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        rows = [str(s.render()) for s in app.screen.query(".help-row")]
        for keys, words in NAMED_KEYS:
            assert any(
                row.strip().startswith(keys + " ") and words.lower() in row.lower() for row in rows
            ), (keys, words)


async def test_send_and_new_line_can_be_rebound_and_typos_are_reported(make_app, demo_server):
    config = Config(keymap={"chat.send": "ctrl+s", "chat.newline": "enter", "no.such": "f11"})
    app = make_app(config=config, model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        app.screen.prompt.focus()
        await pilot.press("a", "enter", "b")
        assert app.screen.prompt.text == "a\nb" and not app.screen.current.messages
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.screen.current.messages) >= 1)
        assert app.screen.current.messages[0].content == "a\nb"
        await wait_until(pilot, lambda: any('"no.such"' in n.message for n in app._notifications))
        assert not any('"chat.send"' in n.message for n in app._notifications)


def test_config_template_is_valid_and_documents_every_setting():
    from dataclasses import fields

    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
        for line in TEMPLATE.splitlines()
    )
    config = parse_config(uncommented)
    assert config.hosts and config.options and config.keymap and config.tools.custom
    for item in fields(Config):
        if item.metadata.get("setting", True):
            assert item.name in TEMPLATE, item.name


async def test_config_created_on_first_run_broken_line_named_and_theme_remembered(
    make_app, demo_server, xdg
):
    path = xdg / "config" / "olladeck" / "config.toml"
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: path.exists())
        assert path.read_text() == TEMPLATE
        app.theme = "nord"
        await wait_until(pilot, lambda: 'theme = "nord"' in path.read_text())
    config, problem = load_config(path)
    assert problem is None and config.theme == "nord"
    assert "# [hosts]" in path.read_text()  # the comments are kept
    path.write_text(path.read_text() + "\n[options]\ntemperature = 'hot'\n")
    config, problem = load_config(path)
    assert problem is not None and "temperature" in problem and config == Config()
    path.write_text('theme = "nord"\nhost = \n')
    config, problem = load_config(path)
    assert "line 2" in problem
    notices: list[str] = []
    from app.__main__ import main as run_main  # noqa: F401  (the command reports it the same way)

    app = OlladeckApp(app.services, notices=[problem])
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause(0.2)
        notices = [n.message for n in app._notifications]
    assert any("line 2" in n for n in notices)


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "xterm-256color"}])
def test_colours_degrade_with_no_color_and_256_colour_terminals(env, xdg, demo_server):
    import os
    import pty
    import re
    import select
    import signal
    import struct
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", PYTHONPATH=str(root))
        os.environ.pop("NO_COLOR", None)
        os.environ.pop("COLORTERM", None)
        if "NO_COLOR" in env:
            os.environ["COLORTERM"] = "truecolor"  # greys are easy to check in truecolor
        os.environ.update(env)
        os.execv(sys.executable, [sys.executable, "-m", "app", "--host", demo_server.url])
    try:
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        output = b""
        deadline = time.time() + 15
        while b"Ollama 0.13.0" not in output and time.time() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                output += os.read(fd, 1 << 16)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode("utf-8", "replace")
    assert "Ollama 0.13.0" in text
    truecolour = re.findall(r"\x1b\[[0-9;]*?[34]8;2;(\d+);(\d+);(\d+)", text)
    if "NO_COLOR" in env:
        assert truecolour and all(r == g == b for r, g, b in truecolour)  # greys only
    else:
        assert re.search(r"\x1b\[[0-9;]*?[34]8;5;\d+", text)  # the 256-colour palette


async def test_garbage_collection_comes_back_after_the_first_frame(make_app):
    """The command turns the cyclic garbage collector off for start-up (it only slows the
    first frame down); once that frame is drawn it must be on again, or a long session
    would never free its reference cycles."""
    import gc

    gc.disable()
    try:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, gc.isenabled)
    finally:
        gc.enable()
        gc.unfreeze()

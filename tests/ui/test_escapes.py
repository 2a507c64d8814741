"""A hostile server cannot reach the terminal: every string it sends (model names, details,
capabilities, the version, error texts, done reasons, thinking, content, a title written by
the model) is shown with its escape sequences as symbols, never as commands.

What the app would write to the terminal is captured whole: every compositor update,
rendered by Rich as the real driver renders it, and every direct write to the driver.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from rich.console import Console
from textual._compositor import CompositorUpdate
from textual.screen import Screen
from textual.widgets import Input, Select

from app.app import OlladeckApp
from app.config import Config
from app.demo import HOSTILE, Fault
from app.screens.confirm import ConfirmScreen
from app.screens.text_prompt import TextPromptScreen
from app.widgets.attachment_bar import AttachmentBar
from tests.conftest import confirm_ready, screen_text, wait_until

SHOWN = "␛]2;PWNED-TITLE"
"""The start of `HOSTILE` as the app shows it: the escape as a visible symbol."""
# The sequences the app itself writes: SGR colours and cursor moves (CSI), links (OSC 8),
# the mouse pointer's shape (OSC 22).
_APP_SEQUENCES = re.compile(
    r"\x1b\[[0-9;:?<>=]*[ -/]*[@-~]|\x1b\]8;[^\x1b\x07]*\x1b\\|\x1b\]22;[a-z-]*\x07"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TerminalCapture:
    """Everything the app would write to a terminal (the headless driver writes nothing)."""

    def __init__(self, app: OlladeckApp, size: tuple[int, int]) -> None:
        self.chunks: list[str] = []
        self._console = Console(
            width=size[0],
            height=size[1],
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
            legacy_windows=False,
        )
        display = app._display

        def capture(screen: Screen[object], renderable: object) -> None:
            # As App._display renders it for a real driver.
            if isinstance(renderable, CompositorUpdate):
                self.chunks.append(renderable.render_segments(self._console))
            elif renderable is not None:
                segments = self._console.render(renderable)  # type: ignore[arg-type]
                self.chunks.append(self._console._render_buffer(segments))
            display(screen, renderable)  # type: ignore[arg-type]

        app._display = capture  # type: ignore[method-assign]

    def wrap_driver(self, app: OlladeckApp) -> None:
        """Record the driver's direct writes too (bell, clipboard, cursor shape)."""
        driver = app._driver
        assert driver is not None
        write = driver.write

        def record(data: str) -> None:
            self.chunks.append(data)
            write(data)

        driver.write = record  # type: ignore[method-assign]

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def assert_no_server_sequence(output: str) -> None:
    """No escape sequence of `HOSTILE` in the output; what is left once the app's own
    sequences are taken out has no control character at all."""
    for raw in ("\x1b]2;", "\x1b]52;", "\x1b[2J", "\x1b[31mPWNED", "\x9b"):
        assert raw not in output, f"{raw!r} reached the terminal"
    # BEL ends the app's OSC 22: any other is the server's.
    leftover = _CONTROLS.findall(_APP_SEQUENCES.sub("", output).replace("\r", ""))
    assert not leftover, f"control characters reached the terminal: {sorted(set(leftover))}"
    # The server's text was on screen, as symbols.
    assert SHOWN in output


def status_text(app: OlladeckApp) -> str:
    status = app.screen.status
    return status.render().plain


async def test_a_hostile_server_never_reaches_the_terminal(make_app, demo_server, tmp_path: Path):
    demo_server.hostile = True
    # The model it lists first cannot call tools nor see images: the Ctrl+G notice and the
    # vision question both quote its name and capabilities.
    demo_server._recent["deepseek-r1:8b"] = 1
    picture = tmp_path / "red.png"
    Image.new("RGB", (8, 8), (200, 40, 40)).save(picture)
    config = Config(title_from_model=True, theme="nope\x1b]2;PWNED-TITLE\x07")
    app = make_app(config=config)
    size = (160, 45)
    capture = TerminalCapture(app, size)
    async with app.run_test(size=size, notifications=True) as pilot:
        capture.wrap_driver(app)
        screen = app.screen
        # A theme name from the config, in a notice.
        await wait_until(pilot, lambda: "Unknown theme 'nope␛]2;PWNED-TITLE␇'" in screen_text(app))
        # Listed models: the one chosen is the server's name, display-safe; the version too.
        await wait_until(pilot, lambda: screen.connection == "connected")
        await wait_until(pilot, lambda: screen.current.model)
        model = screen.current.model
        assert model.startswith("deepseek-r1:8b" + SHOWN)
        assert "\x1b" not in model
        assert screen.status.version.startswith("0.13.0" + SHOWN)
        assert SHOWN in status_text(app)
        await wait_until(pilot, lambda: model in screen._details)
        details = screen._details[model]
        assert details.family.startswith("qwen3" + SHOWN)
        assert [c for c in details.capabilities if "\x1b" in c] == []
        assert details.supports("thinking") and not details.supports("tools")

        # Ctrl+G: the notice names the model and its capabilities.
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "cannot call" in screen_text(app))
        await pilot.press("ctrl+g")

        # A reply: thinking, content and the done reason carry the sequences.
        await pilot.press(*"greetings", "enter")
        await wait_until(pilot, lambda: len(screen.current.messages) == 2)
        reply = screen.current.messages[-1]
        await wait_until(pilot, lambda: reply.state == "complete", timeout=15)
        assert reply.stats is not None and reply.stats.done_reason
        assert reply.stats.done_reason.startswith("stop" + SHOWN)
        # The reply's footer says how it ended (the line wraps: the reason starts one).
        await wait_until(pilot, lambda: "stop␛]2;PWNED-TITLE" in screen_text(app))
        # The title the model wrote: in the list, the rename field, the delete question.
        await wait_until(pilot, lambda: screen.current.title)
        title = screen.current.title
        assert title.startswith("Greetings" + SHOWN)
        await wait_until(pilot, lambda: "Greetings␛]2;PWNED" in screen_text(app))
        await screen.action_rename_conversation()
        await wait_until(
            pilot, lambda: isinstance(app.screen, TextPromptScreen) and app.screen.query(Input)
        )
        assert app.screen.query_one(Input).value == title
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        screen.action_delete_conversation()
        await confirm_ready(pilot)
        assert SHOWN in screen_text(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)

        # A server error, in the reply.
        demo_server.inject(Fault("http_error", status=500, message="boom"))
        await pilot.press(*"again", "enter")
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "error")
        assert SHOWN in (screen.current.messages[-1].error or "")
        await wait_until(pilot, lambda: "boom" + SHOWN in screen_text(app))

        # Tool calls: the name the model gives is the server's (a tool it does not have).
        llama = next(m.name for m in screen._models if m.name.startswith("llama3.2"))
        screen.query_one("#model-select", Select).value = llama
        await wait_until(pilot, lambda: screen.current.model == llama and llama in screen._details)
        demo_server.forced_tool_calls = [
            {"function": {"name": "calculator", "arguments": {"expression": "1+1"}}}
        ]
        await pilot.press("ctrl+g")
        await pilot.press(*"add", "enter")
        await wait_until(pilot, lambda: any(m.role == "tool" for m in screen.current.messages))
        await wait_until(pilot, lambda: screen.current.messages[-1].state == "complete")
        (call,) = next(m for m in screen.current.messages if m.tool_calls).tool_calls
        assert call.name == "calculator" + HOSTILE  # (kept as sent: it names no tool)
        await wait_until(pilot, lambda: "calculator" + SHOWN in screen_text(app))

        # The vision question quotes the model and its capabilities.
        bar = screen.query_one("#attachments", AttachmentBar)
        bar.add_paths([picture])
        await wait_until(pilot, lambda: bar.attachments and not bar.reading)
        await pilot.press(*"see?", "enter")
        await confirm_ready(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        shown = screen_text(app)
        assert "may not see images" in shown and shown.count(SHOWN) >= 2
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)

        # An error from /api/tags: the connection banner quotes it.
        demo_server.inject(Fault("http_error", status=500, message="tags broke", path="/api/tags"))
        screen.probe_server()
        await wait_until(pilot, lambda: "broke" + SHOWN in screen_text(app))  # (wrapped)
        await pilot.pause()
    assert_no_server_sequence(capture.text)
    assert HOSTILE not in capture.text

"""Shared fixtures: the simulated Ollama server on a free port, private XDG dirs, an app factory.

Nothing here reaches the internet: every server is on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from app.config import Config
from app.demo import DemoServer, ThreadedDemoServer
from app.ollama.host import parse_host
from app.services import Services
from app.store import ConversationStore

# Message headers show local times: make them the same on every machine.
os.environ["TZ"] = "UTC"
time.tzset()
# The app's colours depend on the terminal's colour system (16-colour terminals get
# other theme colours, see app/terminal_colours.py): the tests run as in a 24-bit colour
# terminal, whatever terminal runs them, unless a test sets TERM and COLORTERM itself.
os.environ["COLORTERM"] = "truecolor"
os.environ.pop("NO_COLOR", None)

settings.register_profile(
    "olladeck", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile("olladeck")


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    """A simulated Ollama server, fast (no token delay), on a free port of 127.0.0.1."""
    runner = ThreadedDemoServer()
    runner.start()
    yield runner.server
    runner.stop()


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG data and config dirs under tmp_path; no OLLAMA_HOST from the outside."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    return tmp_path


@pytest.fixture
def data_dir(xdg: Path) -> Path:
    """Where the app under test saves conversations."""
    return xdg / "data" / "olladeck"


@pytest.fixture
def store(data_dir: Path) -> ConversationStore:
    return ConversationStore(data_dir)


AppFactory = Callable[..., "OlladeckApp"]  # noqa: F821


@pytest.fixture
def make_app(xdg: Path, demo_server: DemoServer) -> AppFactory:
    """Build the real app against the simulated server (or another host)."""
    from app.app import OlladeckApp

    def factory(
        *,
        config: Config | None = None,
        host: str | None = None,
        model: str = "",
        demo: bool = False,
    ) -> OlladeckApp:
        config = config or Config()
        services = Services(
            config, ConversationStore(config.resolved_data_dir), parse_host(host or demo_server.url)
        )
        services.demo = demo
        return OlladeckApp(services, model=model)

    return factory


async def wait_until(pilot, predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` is true (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            code = predicate.__code__
            raise AssertionError(f"timed out waiting for {code.co_filename}:{code.co_firstlineno}")
        await pilot.pause(0.02)


def footer_settled(app) -> bool:
    """True when the footer of the active screen shows exactly the keys in force (it
    rebuilds after a refresh, so a snapshot taken too early would show the old keys)."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    screen = app.screen
    footers = screen.query(Footer)
    if not footers:
        return True
    footer = footers.first()
    active = screen.active_bindings
    first: dict[str, bool] = {}
    for _node, binding, enabled, _tooltip in active.values():
        if binding.show:
            first.setdefault(binding.action, not enabled)
    wanted = list(first.items())
    palette = active.get(app.COMMAND_PALETTE_BINDING)
    if footer.show_command_palette and app.ENABLE_COMMAND_PALETTE and palette is not None:
        wanted.append((palette[1].action, not palette[2]))
    shown = [(key.action, key.has_class("-disabled")) for key in footer.query(FooterKey)]
    return sorted(wanted) == sorted(shown)


async def settle(pilot) -> None:
    """Let the screen come to rest before a snapshot: the footer shows the keys in force,
    nothing is left to refresh, and a last pause lets the final frame be drawn."""
    await wait_until(pilot, lambda: footer_settled(pilot.app))
    # The conversation list is read from the index in a thread: let the last read land.
    await wait_until(
        pilot, lambda: not any(w.group == "list" and w.is_running for w in pilot.app.workers)
    )
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.3)
    await wait_until(pilot, lambda: footer_settled(pilot.app))


async def confirm_ready(pilot) -> None:
    """Wait until a confirmation is on screen and takes keys (it ignores keys for a moment
    after it appears, so that a key typed before it was seen cannot answer it)."""
    from app.screens.confirm import GuardedQuestion

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GuardedQuestion))
    screen = pilot.app.screen
    assert isinstance(screen, GuardedQuestion)
    await wait_until(pilot, lambda: screen.accepts_keys)


async def type_burst(pilot, text: str) -> None:
    """Type `text` as one burst, as a terminal delivers fast typing: every key is made and
    handed to the app before any is handled (as `pilot.press` makes them, but without its
    pause after each key, which on a busy machine can outlast the gap that tells typing
    from a command key). Then let the app handle them all."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    for key in text:
        name = _character_to_key(key) if not key.isalnum() else key
        try:
            char: str | None = unicodedata.lookup(
                _get_unicode_name_from_key(REPLACED_KEYS.get(name, name))
            )
        except KeyError:
            char = key
        event = events.Key(name, char)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()


def key_now(pilot, key: str):
    """A key event made now (its time is now) to hand to the app later with `send_key`:
    a key typed at this moment, even if the app only reads it after a question appeared."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(pilot.app)
    return event


async def send_key(pilot, event) -> None:
    """Hand a key made by `key_now` to the app, as the terminal driver does."""
    pilot.app._driver.send_message(event)
    await pilot.pause()


async def wait_for_workers(pilot) -> None:
    """Let every worker of the app finish."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def run(coro):  # pragma: no cover - helper for quick experiments
    return asyncio.run(coro)


def screen_text(app) -> str:
    """The screen as plain text, as a user would read it."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


@pytest.fixture
def web_server() -> Iterator[str]:
    """A web server that is not Ollama, on a free port of 127.0.0.1 (a wrong port): an
    HTML page at `/`, an HTML 404 page everywhere else. Yields its URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>nope</body></html>"

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            found = self.path == "/"
            body = b"<html><body>Welcome to nginx!</body></html>" if found else page
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()

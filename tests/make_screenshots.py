"""Regenerate the SVGs in screenshots/ from the app itself, against the demo server.

python tests/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.app import OlladeckApp  # noqa: E402
from app.config import Config  # noqa: E402
from app.demo import ThreadedDemoServer  # noqa: E402
from app.ollama.host import parse_host  # noqa: E402
from app.services import Services  # noqa: E402
from app.store import ConversationStore  # noqa: E402

Scene = Callable[[OlladeckApp, object], Awaitable[None]]


async def until(pilot, predicate, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("scene did not settle")
        await pilot.pause(0.05)


async def main_screen(app: OlladeckApp, pilot) -> None:
    await until(pilot, lambda: app.screen.connection == "connected")
    await pilot.press(*"Compare two small models in a table", "enter")
    await until(pilot, lambda: app.screen.current.messages[-1].state == "complete")


async def thinking_reply(app: OlladeckApp, pilot) -> None:
    await until(pilot, lambda: app.screen.connection == "connected")
    app.screen.current.model = "deepseek-r1:8b"
    app.screen.current.chat_options.think = True
    await pilot.press(*"Write a python function", "enter")
    await until(pilot, lambda: app.screen.current.messages[-1].state == "complete")


SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "main-screen": (main_screen, (140, 42)),
    "thinking-reply": (thinking_reply, (140, 42)),
}


async def shoot(name: str, scene: Scene, size: tuple[int, int], url: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_DATA_HOME"] = f"{home}/data"
        os.environ["XDG_CONFIG_HOME"] = f"{home}/config"
        config = Config()
        services = Services(config, ConversationStore(config.resolved_data_dir), parse_host(url))
        services.demo = True
        app = OlladeckApp(services, model="llama3.2:latest")
        async with app.run_test(size=size) as pilot:
            await scene(app, pilot)
            app.screen.prompt.cursor_blink = False
            await pilot.pause(0.5)
            svg = app.export_screenshot(title=f"olladeck — {name.replace('-', ' ')}")
        (ROOT / "screenshots" / f"{name}.svg").write_text(svg)
        print(f"screenshots/{name}.svg")


def main() -> int:
    runner = ThreadedDemoServer()
    url = runner.start()
    try:
        for name, (scene, size) in SCENES.items():
            asyncio.run(shoot(name, scene, size, url))
    finally:
        runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

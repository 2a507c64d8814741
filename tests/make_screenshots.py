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
    app.screen.current.chat_options.think = True
    await pilot.press(*"Write a python function", "enter")
    await until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
    app.screen.pane.focus()
    await pilot.press("t")  # unfold the reasoning


async def model_sidebar(app: OlladeckApp, pilot) -> None:
    await main_screen(app, pilot)
    await until(pilot, lambda: app.screen.current.model in app.screen._details)
    app.screen.action_focus_region("sidebar")


async def image_picker(app: OlladeckApp, pilot) -> None:
    await until(pilot, lambda: app.screen.connection == "connected")
    pictures = Path(os.environ["HOME"]) / "Pictures"
    pictures.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    for name, colour in (
        ("sunset.png", (230, 120, 40)),
        ("forest.jpg", (40, 140, 60)),
        ("sea.webp", (30, 90, 200)),
    ):
        Image.new("RGB", (320, 200), colour).save(pictures / name)
    from app.screens.image_picker import ImagePickerScreen

    app.push_screen(ImagePickerScreen(pictures))
    await until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
    await pilot.pause(0.5)
    await pilot.press("down", "down")
    await pilot.pause(1.0)


async def help_screen(app: OlladeckApp, pilot) -> None:
    await until(pilot, lambda: app.screen.connection == "connected")
    await pilot.press("f1")


async def settings(app: OlladeckApp, pilot) -> None:
    await until(pilot, lambda: app.screen.connection == "connected")
    await pilot.press("ctrl+t")
    await pilot.pause(0.5)


SCENES: dict[str, tuple[Scene, tuple[int, int], str]] = {
    "main-screen": (main_screen, (140, 42), "llama3.2:latest"),
    "thinking-reply": (thinking_reply, (140, 42), "deepseek-r1:8b"),
    "model-sidebar": (model_sidebar, (160, 42), "qwen3:8b"),
    "settings": (settings, (120, 40), "llama3.2:latest"),
    "image-picker": (image_picker, (120, 40), "llava:7b"),
    "help": (help_screen, (120, 40), "llama3.2:latest"),
    "narrow-80x24": (main_screen, (80, 24), "llama3.2:latest"),
}


async def shoot(name: str, scene: Scene, size: tuple[int, int], model: str, url: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_DATA_HOME"] = f"{home}/data"
        os.environ["XDG_CONFIG_HOME"] = f"{home}/config"
        os.environ["HOME"] = home
        # The screenshots are SVGs in 24-bit colour: the app picks its colours for such a
        # terminal, whatever terminal runs this (16-colour ones get others).
        os.environ["COLORTERM"] = "truecolor"
        os.environ.pop("NO_COLOR", None)
        config = Config()
        services = Services(config, ConversationStore(config.resolved_data_dir), parse_host(url))
        services.demo = True
        app = OlladeckApp(services, model=model)
        async with app.run_test(size=size) as pilot:
            await scene(app, pilot)
            for screen in app.screen_stack:
                if hasattr(screen, "prompt"):
                    screen.prompt.cursor_blink = False
            await pilot.pause(0.5)
            svg = app.export_screenshot(title=f"olladeck — {name.replace('-', ' ')}")
        (ROOT / "screenshots" / f"{name}.svg").write_text(svg)
        print(f"screenshots/{name}.svg")


def main() -> int:
    runner = ThreadedDemoServer(token_rate=150)  # replies take a moment, as they would
    url = runner.start()
    try:
        for name, (scene, size, model) in SCENES.items():
            asyncio.run(shoot(name, scene, size, model, url))
    finally:
        runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

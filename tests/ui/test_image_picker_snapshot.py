"""What the image picker looks like (an SVG snapshot, compared exactly)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.attachments import save_last_folder
from app.screens.image_picker import ImagePickerScreen, ImageTree
from tests.conftest import settle, wait_until


def gradient(path: Path, size: tuple[int, int]) -> None:
    """A picture with known pixels (the same bytes on every run)."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(255 * x // width, 255 * y // height, 160) for y in range(height) for x in range(width)]
    )
    image.save(path, format="PNG")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with known files; the picker shows paths under it as `~/...`."""
    home = tmp_path / "home"
    pictures = home / "Pictures"
    (pictures / "holiday").mkdir(parents=True)
    (pictures / ".cache").mkdir()
    gradient(pictures / "sunset.png", (96, 64))
    gradient(pictures / "diagram.png", (40, 40))
    Image.new("RGB", (32, 24), (30, 120, 200)).save(pictures / "sky.jpg", format="JPEG")
    (pictures / "readme.txt").write_text("not an image, not listed")
    monkeypatch.setenv("HOME", str(home))
    return home


def test_image_picker(snap_compare, make_app, data_dir, home):
    """The picker over the main screen: the path field shows `~/Pictures/`; the tree (root
    `~/Pictures`) lists the folder `holiday`, then diagram.png, sky.jpg and sunset.png (no
    readme.txt, no hidden .cache); diagram.png is marked (●); sunset.png is highlighted, with
    its gradient drawn in half-blocks beside it and `PNG · 96x64 · …` under that; the line
    under the tree says `1 marked: diagram.png`; the keys are listed at the bottom."""
    save_last_folder(data_dir, home / "Pictures")
    app = make_app(demo=True)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        app.screen.prompt.cursor_blink = False
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        tree = app.screen.query_one(ImageTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 4)
        await pilot.press("down")  # from the path field (focused first) to the tree
        await pilot.press("down", "down", "space", "down", "down")
        await wait_until(pilot, lambda: app.screen.query(".image-preview-picture"))
        app.screen.query_one("#picker-path").cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)

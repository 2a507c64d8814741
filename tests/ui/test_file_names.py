"""File names that are hard to show: a newline, a tab, bytes that are not UTF-8, markup.

Each is shown literally on one line (as a symbol or an escape) in the image picker, on the
attachment chips and in notices, and never moves the borders drawn around it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len

from app.attachments import save_last_folder
from app.screens.image_picker import ImagePickerScreen, ImageTree
from tests.conftest import screen_text, wait_until
from tests.ui.test_images import VISION, chip_text, main_bar, make_png, open_picker, static_text

ODD = os.fsdecode(b"odd\xff\xfebytes.png")
"""A name with two bytes that are not UTF-8 (Python reads them as lone surrogates)."""
NEWLINE = "new\nline.png"
TAB = "tab\tname.png"
MARKUP = "[bold red]x.png"  # a closing tag (`[/]`) cannot be in a file name: it has a `/`

SHOWN = {
    ODD: "odd\\xff\\xfebytes.png",
    NEWLINE: "new␊line.png",
    TAB: "tab␉name.png",
    MARKUP: "[bold red]x.png",
}


@pytest.fixture
def odd_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`~/pics\\xff` (a folder name that is not UTF-8 either) with the four images."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    folder = home / os.fsdecode(b"pics\xff")
    folder.mkdir(parents=True)
    make_png(folder / ODD, colour=(200, 40, 40))
    shutil.copyfile(folder / ODD, folder / TAB)  # the same picture under another name
    make_png(folder / NEWLINE, colour=(40, 200, 40))
    make_png(folder / MARKUP, colour=(40, 40, 200))
    return folder


def unprintable(text: str) -> list[str]:
    """What in the text on screen is not one printable character per cell."""
    return [c for c in text if not (c.isprintable() or c in " \n") or 0xD800 <= ord(c) < 0xE000]


def columns(line: str, char: str) -> list[int]:
    """The screen columns where `char` is in a line (a wide character takes two)."""
    found, column = [], 0
    for c in line:
        if c == char:
            found.append(column)
        column += cell_len(c)
    return found


async def test_odd_file_names_show_on_one_line_in_the_picker_and_on_chips(
    make_app, data_dir, odd_folder
):
    save_last_folder(data_dir, odd_folder)
    app = make_app(model=VISION)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        picker = await open_picker(pilot, app)
        tree = picker.query_one(ImageTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 4)
        labels = {node.data.path.name: str(node.label) for node in tree.root.children}
        assert labels == SHOWN
        assert str(tree.root.label) == "~/pics\\xff"
        assert picker.path_input.value == "~/pics\\xff/"

        text = screen_text(app)
        assert not unprintable(text)
        for shown in SHOWN.values():
            assert shown in text
        assert "~/pics\\xff/" in text  # the path field
        # The tree's box and the dialog's box keep their right borders in one column.
        lines = text.splitlines()
        top = next(i for i, line in enumerate(lines) if "📂" in line) - 1
        corners = columns(lines[top], "╮")
        assert len(corners) == 1
        (tree_right,) = corners
        rows = [line for line in lines if "📄" in line]
        assert len(rows) == 4
        dialog_edges = columns(lines[top + 1], "│")
        for row in rows:
            assert cell_len(row) == 100
            assert tree_right in columns(row, "│")
            assert columns(row, "│") == dialog_edges

        # The preview of the highlighted file names it on one line.
        await pilot.press("down")  # from the path field (focused first) to the tree
        await pilot.press("down", "down")  # new\nline.png
        await wait_until(pilot, lambda: "PNG · 64x48" in static_text(picker, "#picker-facts"))
        assert static_text(picker, "#picker-facts").splitlines()[0] == "new␊line.png"
        # So does the line of marked files.
        await pilot.press("down", "space", "down", "space")  # odd…, tab…
        assert static_text(picker, "#picker-marked") == (
            "2 marked: odd\\xff\\xfebytes.png, tab␉name.png"
        )

        # The path field: Tab completes in the folder shown escaped, Enter attaches the file
        # (with the marked ones).
        picker.path_input.focus()
        await pilot.press("end", *"ne", "tab")
        await wait_until(pilot, lambda: picker.path_input.value == "~/pics\\xff/new␊line.png")
        assert not unprintable(screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))
        await wait_until(
            pilot,
            lambda: (
                len(main_bar(app).attachments) == 2
                and all(a.state == "ready" for a in main_bar(app).attachments)
            ),
        )
        bar = main_bar(app)
        paths = [Path(a.path) for a in bar.attachments]
        assert paths[-1] == odd_folder / NEWLINE
        assert paths[0] in (odd_folder / ODD, odd_folder / TAB)
        # Each chip names its file on one line.
        await wait_until(pilot, lambda: "2. new␊line.png\nPNG · 64x48" in chip_text(app))
        first = SHOWN[str(paths[0].name)]
        assert chip_text(app).splitlines()[0] == f"1. {first}"
        # odd… and tab… are the same picture: a notice says so, naming both on one line.
        other = SHOWN[TAB if first == SHOWN[ODD] else ODD]
        notices = [n.message for n in app._notifications]
        assert f"{other} is the same picture as {first}, already attached" in " ".join(notices)
        assert not any(unprintable(n) for n in notices)
        text = screen_text(app)
        assert not unprintable(text)
        assert f"1. {first}" in text and "2. new␊line.png" in text

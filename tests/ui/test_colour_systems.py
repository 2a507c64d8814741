"""The main screen in terminals of 16 and 256 colours: red is kept for errors."""

from __future__ import annotations

import io

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console
from rich.segment import Segment, Segments
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual.widgets._footer import FooterKey

from app.terminal_colours import sixteen_colour_number
from tests.conftest import settle, wait_until
from tests.ui.test_snapshots import saved_conversation

BRIGHT_CYAN = 14

XTERM = TerminalTheme(
    (0, 0, 0),
    (229, 229, 229),
    [
        *[(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0)],
        *[(0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)],
    ],
    [
        *[(127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0)],
        *[(92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)],
    ],
)
"""xterm's own 16 colours (its default resources), for the SVG."""


def as_the_terminal_shows(app) -> str:
    """An SVG of the screen in the colours the app's terminal shows.

    Textual's `export_screenshot` always records 24-bit colours: the colour system only
    matters when the driver writes to the terminal, where Rich turns each colour into the
    nearest one the terminal has (`Color.downgrade`). This does the same to every cell's
    colours, then records them. The SVG shows the first 16 colours as xterm does by
    default (Rich's own SVG palette has an orange "bright yellow" and a teal "bright
    cyan"), the rest of the 256 as xterm defines them.
    """
    system = COLOR_SYSTEMS[app.console.color_system]

    def downgrade(color: RichColor | None) -> RichColor | None:
        return None if color is None else color.downgrade(system)

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    segments = [
        Segment(
            text,
            None
            if style is None
            else style + Style(color=downgrade(style.color), bgcolor=downgrade(style.bgcolor)),
            control,
        )
        for text, style, control in console.render(update)
    ]
    console.print(Segments(segments))
    return console.export_svg(title=app.title, theme=XTERM)


@pytest.mark.parametrize(
    ("term", "no_color"),
    [("xterm", False), ("xterm-256color", False), ("xterm", True)],
    ids=["16-colours", "256-colours", "16-colours-no-color"],
)
def test_main_screen_in_16_and_256_colours(
    snap_compare, make_app, data_dir, monkeypatch, term, no_color
):
    """The main screen at 80x24 with a conversation, as a terminal with TERM=xterm (16
    colours), TERM=xterm-256color, and TERM=xterm with NO_COLOR shows it. In 16 colours
    the input's focus border and the footer's key labels are bright cyan, not the bright
    red that the theme's orange accent becomes there (warnings are yellow, errors red);
    in 256 colours they stay orange. With NO_COLOR everything is grey, the focus border
    brighter than the others."""
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("COLORTERM", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    saved_conversation(data_dir)
    app = make_app(demo=True)
    app.export_screenshot = lambda title=None, simplify=False: as_the_terminal_shows(app)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await wait_until(pilot, lambda: app.screen.query("Footer"))
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 2)
        await wait_until(pilot, lambda: "llama3.2:latest" in app.screen._details)
        app.screen.prompt.cursor_blink = False
        await settle(pilot)
        assert app.console.color_system == ("standard" if term == "xterm" else "256")
        # What the terminal is sent for the focus border and a key label.
        border = app.screen.prompt.styles.border.top[1].hex
        key = app.screen.query(FooterKey).first().get_component_rich_style("footer-key--key")
        key_colour = key.color.triplet.hex if key.color and key.color.triplet else ""
        if term == "xterm":
            # (With NO_COLOR, a filter turns these grey on the way to the terminal.)
            assert sixteen_colour_number(border) == BRIGHT_CYAN
            assert sixteen_colour_number(key_colour) == BRIGHT_CYAN
        else:
            # 256 colours have the theme's orange (xterm's 214), as 24-bit terminals do.
            for colour in (border, key_colour):
                assert RichColor.parse(colour).downgrade(ColorSystem.EIGHT_BIT).number == 214

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

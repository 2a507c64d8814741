"""Theme colours for terminals of 16 colours, where red means an error.

Themes are written in 24-bit colour. A terminal of 16 colours (`TERM=xterm`, no
`COLORTERM`: Rich's "standard" colour system) gets each colour as the nearest of its 16,
by Rich's `Color.downgrade`. Orange, which several themes use as the accent (focus
borders, key labels in the footer, dialog borders) and as the warning colour, is nearest
to bright red there (`#FEA62B` in textual-dark), so focus and keys read as errors.

In 16 colours, a theme colour that would land on red or bright red and is not an error
colour is replaced: warnings by yellow, anything else by cyan (on dark themes; by blue on
light ones, where cyan is hard to read). The replacements are exactly colours of the
16-colour palette, so they reach the terminal as those colours and it shows them in its
own palette. 256-colour and 24-bit terminals keep the theme as it is.
"""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.color import Color, ColorParseError

SIXTEEN_COLOURS = frozenset({"standard", "windows"})
"""Rich's names of the 16-colour systems (`Console.color_system`)."""

_REDS = frozenset({1, 9})
"""Red and bright red in the 16-colour palette."""

_REPLACEMENTS = {
    # (dark theme, warning): the colour, as Rich's 16-colour palette has it
    (True, True): "#FFFF55",  # bright yellow
    (True, False): "#55FFFF",  # bright cyan
    (False, True): "#AA5500",  # yellow (dark yellow in most palettes)
    (False, False): "#0000AA",  # blue
}


def sixteen_colour_number(value: str) -> int | None:
    """The colour of the 16 that a CSS colour value (`#FEA62B`, `#FEA62B 50%`) becomes in
    a 16-colour terminal; None for a value that is no plain colour (`auto 60%`, ANSI
    colours, which the terminal shows as they are, `transparent`)."""
    name = value.split()[0] if value.strip() else ""
    if not name or name.startswith("ansi_"):
        return None
    try:
        colour = Color.parse(name)
    except ColorParseError:
        return None
    if colour.a == 0:
        return None
    return RichColor.from_rgb(*colour.rgb).downgrade(ColorSystem.STANDARD).number


def for_sixteen_colours(variables: dict[str, str], *, dark: bool) -> dict[str, str]:
    """The theme's CSS variables with the colours that would become red (and are not
    errors) replaced, as the module docstring says."""
    adapted = dict(variables)
    for name, value in variables.items():
        if "error" in name or sixteen_colour_number(value) not in _REDS:
            continue
        _colour, *rest = value.split()
        adapted[name] = " ".join([_REPLACEMENTS[dark, "warning" in name], *rest])
    return adapted

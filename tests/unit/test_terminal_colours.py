"""In 16 colours no theme colour but an error one turns red."""

from __future__ import annotations

from textual.app import App
from textual.theme import BUILTIN_THEMES

from app.terminal_colours import for_sixteen_colours, sixteen_colour_number

REDS = {1, 9}


def test_every_built_in_theme_keeps_red_for_errors():
    defaults = App().get_theme_variable_defaults()
    for theme in BUILTIN_THEMES.values():
        if theme.ansi:
            continue  # ANSI themes use the terminal's own colours already
        variables = {**defaults, **theme.to_color_system().generate(), **theme.variables}
        adapted = for_sixteen_colours(variables, dark=theme.dark)
        for name, value in adapted.items():
            if "error" not in name:
                assert sixteen_colour_number(value) not in REDS, (theme.name, name, value)
        # Errors, and colours that were not red, are left as they were.
        assert adapted["error"] == variables["error"]
        assert adapted["background"] == variables["background"]
    textual_dark = BUILTIN_THEMES["textual-dark"]
    variables = textual_dark.to_color_system().generate()
    adapted = for_sixteen_colours(variables, dark=True)
    assert sixteen_colour_number(adapted["accent"]) == 14  # bright cyan
    assert sixteen_colour_number(adapted["warning"]) == 11  # bright yellow
    # An alpha is kept; light themes get blue and dark yellow.
    assert for_sixteen_colours({"accent": "#FEA62B 50%"}, dark=True) == {"accent": "#55FFFF 50%"}
    light = for_sixteen_colours({"accent": "#FEA62B", "warning": "#FEA62B"}, dark=False)
    assert light == {"accent": "#0000AA", "warning": "#AA5500"}

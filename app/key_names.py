"""Keys named the way keyboards label them (`Ctrl+P`, `F3`), as they are bound right now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.keys import format_key

if TYPE_CHECKING:
    from textual.screen import Screen

_MODIFIERS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "super": "Super", "meta": "Meta"}
_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "delete": "Del",
    "backspace": "Backspace",
}


def key_text(key: str) -> str:
    """One Textual key name as a keyboard labels it: `ctrl+p` -> `Ctrl+P`, `f3` -> `F3`,
    `ctrl+right_square_bracket` -> `Ctrl+]`."""
    *modifiers, name = key.split("+")
    shown = _NAMES.get(name) or format_key(name)
    if (len(shown) == 1 and modifiers) or (shown[:1] == "f" and shown[1:].isdigit()):
        shown = shown.upper()
    elif len(shown) > 1:
        shown = shown[:1].upper() + shown[1:]
    return "+".join([*(_MODIFIERS.get(m, m) for m in modifiers), shown])


def bound_key(screen: Screen[Any], *, binding_id: str = "", action: str = "") -> str | None:
    """The key that runs a binding on `screen` now ([keymap] included), named as on a
    keyboard; None if no key does."""
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if (binding_id and binding.id == binding_id) or (action and binding.action == action):
            return key_text(key)
    return None


_MODIFIER_NAMES = frozenset({"ctrl", "shift", "alt", "super", "meta", "hyper"})


def invalid_key_names(keys: str) -> list[str]:
    """The names in a comma-separated list of keys (as `[keymap]` and `Binding` take
    them) that name no key Textual knows: such a key never matches anything pressed."""
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

    known = {key.value for key in Keys} | set(KEY_NAME_REPLACEMENTS.values())
    invalid: list[str] = []
    for name in keys.split(","):
        name = name.strip()
        *modifiers, key = name.split("+") if name else [""]
        valid = (
            bool(key)
            and all(modifier in _MODIFIER_NAMES for modifier in modifiers if modifier)
            and (
                key in known
                # A character alone is a key; with a modifier, only a letter or digit is
                # (others go by name: "ctrl+right_square_bracket", not "ctrl+]").
                or (len(key) == 1 and key.isprintable() and (key.isalnum() or not modifiers))
                or (len(key) > 1 and key_to_character(key) is not None)
            )
        )
        if not valid:
            invalid.append(name)
    return invalid

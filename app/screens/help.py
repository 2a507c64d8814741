"""F1: every key of the app, as it is bound right now (config overrides included); from a
dialog or a screen over the main one, the keys of that screen."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# Where each class's keys apply, in the order the help lists them.
AREAS: dict[str, str] = {
    "OlladeckApp": "Anywhere",
    "MainScreen": "Main screen",
    "PromptInput": "Message input",
    "MessagePane": "Conversation (Tab to move into it; typing there goes to the input)",
    "ConversationList": "Conversation list (typing in the rows goes to the input)",
    "AttachmentBar": "Attachments under the input",
    "KeyedModal": "Any dialog",
}


@dataclass(frozen=True)
class KeyHelp:
    """One binding as the help shows it."""

    area: str
    keys: str
    description: str
    binding_id: str


def _app_classes() -> Iterator[type[DOMNode]]:
    """Every widget, screen and app class defined in olladeck (importing their modules)."""
    import app.screens
    import app.widgets

    for package in (app.widgets, app.screens):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    importlib.import_module("app.app")
    seen: set[type] = set()
    stack: list[type] = [DOMNode]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    for cls in sorted(seen, key=lambda c: (c.__module__, c.__qualname__)):
        if cls.__module__.startswith("app.") and cls.__dict__.get("BINDINGS"):
            yield cls


def _area(cls: type) -> str:
    if cls.__name__ in AREAS:
        return AREAS[cls.__name__]
    name = cls.__name__.removesuffix("Screen")
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:]


def keys_text(keys: str) -> str:
    """Keys as keyboards label them: `ctrl+q,f1` -> `Ctrl+Q / F1`."""
    names = {
        "up": "↑",
        "down": "↓",
        "left": "←",
        "right": "→",
        "home": "Home",
        "end": "End",
        "tab": "Tab",
        "ctrl": "Ctrl",
        "shift": "Shift",
        "alt": "Alt",
        "escape": "Esc",
        "enter": "Enter",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "question_mark": "?",
        "pageup": "PgUp",
        "pagedown": "PgDn",
        "space": "Space",
        "delete": "Del",
        "backspace": "Backspace",
    }
    shown = []
    for key in keys.split(","):
        parts = key.strip().split("+")
        if len(parts) > 1 and len(parts[-1]) == 1:
            parts[-1] = parts[-1].upper()  # Ctrl+Q, as keyboards label it
        parts = [names.get(p, p.upper() if p[:1] == "f" and p[1:].isdigit() else p) for p in parts]
        shown.append("+".join(parts))
    return " / ".join(shown)


def _rows(cls: type, area: str, keymap: dict[str, str]) -> Iterator[KeyHelp]:
    for item in cls.__dict__.get("BINDINGS", ()):
        if not isinstance(item, Binding):
            continue
        keys = keymap.get(item.id or "", item.key)
        description = item.tooltip or item.description or item.action
        yield KeyHelp(area, keys_text(keys), description, item.id or "")


def _textual_rows() -> list[KeyHelp]:
    """Textual's own keys, which every screen has."""
    return [
        KeyHelp("Anywhere", "Ctrl+P", "Command palette: every action by name", "command_palette"),
        KeyHelp("Anywhere", "Tab / Shift+Tab", "Move to the next / previous region", "focus_next"),
    ]


def all_bindings(keymap: dict[str, str] | None = None) -> list[KeyHelp]:
    """Every binding of every olladeck class, with `keymap` overrides applied."""
    keymap = keymap or {}
    rows: list[KeyHelp] = []
    for cls in _app_classes():
        rows.extend(_rows(cls, _area(cls), keymap))
    rows.extend(_textual_rows())
    order = list(AREAS.values())
    rows.sort(key=lambda r: (order.index(r.area) if r.area in order else len(order), r.area))
    return rows


def screen_bindings(screen: Screen[Any], keymap: dict[str, str] | None = None) -> list[KeyHelp]:
    """The keys of one screen: its own (and its base classes'), then those of the olladeck
    widgets on it, then the few that work anywhere (the app's priority keys, Textual's)."""
    keymap = keymap or {}
    area = _area(type(screen))
    rows: list[KeyHelp] = []
    for cls in type(screen).__mro__:
        if cls.__module__.startswith("app."):
            rows.extend(_rows(cls, area, keymap))
    seen: set[type] = set()
    for widget in screen.query("*"):
        for cls in type(widget).__mro__:
            if cls in seen or not cls.__module__.startswith("app."):
                continue
            seen.add(cls)
            rows.extend(_rows(cls, _area(cls), keymap))
    app_class = type(screen.app)
    for cls in app_class.__mro__:
        if cls.__module__.startswith("app."):
            rows.extend(r for r in _rows(cls, "Anywhere", keymap) if _is_priority(cls, r))
    rows.extend(_textual_rows())
    return rows


def _is_priority(cls: type, row: KeyHelp) -> bool:
    """True for an app key that works over every screen (a priority binding)."""
    return any(
        isinstance(item, Binding) and item.priority and (item.id or "") == row.binding_id
        for item in cls.__dict__.get("BINDINGS", ())
    )


class HelpScreen(ModalScreen[None]):
    """Lists every key binding, grouped by where it applies."""

    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", id="help.close", tooltip="Close the help"),
        Binding("down,j", "scroll(1)", "Down", show=False, id="help.down", tooltip="Scroll down"),
        Binding("up,k", "scroll(-1)", "Up", show=False, id="help.up", tooltip="Scroll up"),
    ]

    def __init__(
        self, keymap: dict[str, str] | None = None, *, screen: Screen[Any] | None = None
    ) -> None:
        """
        Args:
            keymap: The `[keymap]` overrides of config.toml.
            screen: List only the keys of this screen (a dialog); None: every key.
        """
        super().__init__(classes="dialog-screen")
        self.keymap = keymap or {}
        self.for_screen = screen

    def compose(self) -> ComposeResult:
        screen = self.for_screen
        if screen is None:
            rows = all_bindings(self.keymap)
            title = "Keys (as bound now; change them under [keymap] in config.toml)"
        else:
            rows = screen_bindings(screen, self.keymap)
            title = f"Keys of {_area(type(screen)).lower()} (change them under [keymap])"
        with Vertical(classes="dialog help"):
            yield Static(Content(title), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                area = None
                for row in rows:
                    if row.area != area:
                        area = row.area
                        yield Static(Content.styled(area, "bold $text-accent"), classes="help-area")
                    # Keys too long for the column get a line of their own.
                    keys = f"{row.keys:>16}  " if len(row.keys) <= 16 else f"{row.keys}\n{'':18}"
                    yield Static(
                        Content.assemble(
                            (keys, "bold"),
                            row.description,
                            (f"  {row.binding_id}", "$text-muted"),
                        ),
                        classes="help-row",
                    )
            yield Static(Content("Esc, F1 or q closes · ↑↓ or j k scroll"), classes="dialog-hint")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        """Scroll the list."""
        self.query_one("#help-body", VerticalScroll).scroll_relative(y=lines, animate=False)

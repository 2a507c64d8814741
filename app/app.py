"""The olladeck App: stylesheets, app-wide keys, start and exit."""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding

from .assets import STYLES
from .core.display_text import one_line, sanitize
from .screens.main import MainScreen
from .services import Services
from .stall_probe import start_if_asked as _start_stall_probe
from .terminal_colours import SIXTEEN_COLOURS, for_sixteen_colours

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.driver import Driver
    from textual.screen import Screen

    from .demo import ThreadedDemoServer


def _collect_garbage_again() -> None:
    """The first frame is drawn: turn the cyclic garbage collector back on (`__main__`
    turns it off for start-up). What start-up made lives as long as the app, so it is
    frozen: later collections do not walk it again."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class OlladeckApp(App[None]):
    """A keyboard-first chat client for Ollama."""

    TITLE = "olladeck"
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "conversation_list.tcss",
        STYLES / "message_pane.tcss",
        STYLES / "model_sidebar.tcss",
        STYLES / "prompt.tcss",
        STYLES / "dialogs.tcss",
        STYLES / "attachments.tcss",
        STYLES / "history.tcss",
    ]
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key, as bound now"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit olladeck"),
        Binding(
            "question_mark",
            "help",
            "Help",
            show=False,
            id="app.help_question",
            tooltip="Every key, as bound now (outside text fields)",
        ),
    ]

    def __init__(
        self,
        services: Services,
        *,
        model: str = "",
        notices: list[str] | None = None,
        demo_server: ThreadedDemoServer | None = None,
    ) -> None:
        """
        Args:
            services: Config, store and Ollama host.
            model: Model for new conversations (overrides the config's default).
            notices: Messages to show once the app is up (e.g. a broken config file).
            demo_server: The simulated server, when running with `--demo`.
        """
        super().__init__()
        self.services = services
        self._model = model
        self._notices = notices or []
        self.demo_server = demo_server
        if services.config.keymap:
            # Keys from [keymap] in config.toml: binding id -> keys (e.g. "chat.send"); the
            # ids are checked after the first frame (that needs every screen's bindings).
            self.set_keymap(dict(services.config.keymap))
        theme = services.config.theme
        self._saved_theme = theme
        if theme in self.available_themes:
            self.theme = theme
        elif theme:
            self._notices.append(
                f"Unknown theme '{one_line(theme)}' in the config; using the default."
            )

    def get_css_variables(self) -> dict[str, str]:
        """The theme's colours; in a terminal of 16 colours, none that turns red but an
        error (see `terminal_colours`)."""
        variables = super().get_css_variables()
        if self.console.color_system in SIXTEEN_COLOURS and not self.current_theme.ansi:
            variables = for_sixteen_colours(variables, dark=self.current_theme.dark)
            self.theme_variables = variables
        return variables

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform; on Linux and macOS one that reads Alt+Enter
        (ESC CR) as Alt+Enter rather than Enter (see `terminal_input`)."""
        driver_class = super().get_driver_class()
        try:
            from textual.drivers.linux_driver import LinuxDriver
        except ImportError:  # Windows: no termios
            return driver_class
        if driver_class is LinuxDriver:
            from .terminal_input import NewlineKeysDriver

            return NewlineKeysDriver
        return driver_class

    def action_help(self) -> None:
        """Show every key binding."""
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.services.config.keymap))

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.services, model=self._model)

    def on_mount(self) -> None:
        for notice in self._notices:
            # They may quote the config (a value, a line of a broken file): display-safe.
            self.notify(sanitize(notice), severity="warning", timeout=15, markup=False)
        self.watch(self, "theme", self._remember_theme, init=False)
        self.call_after_refresh(self._write_config_template)
        self.call_after_refresh(_collect_garbage_again)
        _start_stall_probe()
        if self.services.config.keymap:
            self.set_timer(0.5, self._check_keymap)

    def _check_keymap(self) -> None:
        """Say which [keymap] ids match no binding (a typo would otherwise do nothing)."""
        from .screens.help import all_bindings

        known = {row.binding_id for row in all_bindings()}
        unknown = sorted(set(self.services.config.keymap) - known)
        if unknown:
            names = ", ".join(f'"{one_line(name)}"' for name in unknown)
            self.notify(
                f"[keymap] in the config names no such key binding: {names}. F1 lists the ids.",
                severity="warning",
                timeout=15,
                markup=False,
            )

    @work(thread=True, group="config", exit_on_error=False, description="Writing config.toml")
    def _write_config_template(self) -> None:
        """On the first run, leave a commented config.toml to edit."""
        from .config import ensure_config_file

        with contextlib.suppress(OSError):
            ensure_config_file(self.services.config_file)

    def _remember_theme(self, theme: str) -> None:
        if theme != self._saved_theme:
            self._saved_theme = theme
            self._save_theme(theme)

    @work(thread=True, group="config", exit_on_error=False, description="Saving the theme")
    def _save_theme(self, theme: str) -> None:
        from .config import ConfigError, save_theme

        try:
            save_theme(theme, self.services.config_file)
        except (OSError, ConfigError) as exc:
            self.call_from_thread(
                self.notify,
                f"The theme could not be saved in the config file: {exc}",
                severity="warning",
                markup=False,
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # A screen may offer commands of its own; they run the same actions as its keys.
        commands = getattr(screen, "system_commands", None)
        if callable(commands):
            yield from commands()

    async def action_quit(self) -> None:
        """Stop streaming replies (each is saved), then exit; if a conversation could not
        be saved, ask first (see `screens/unsaved.py`)."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None:
            if any(w.group == "quit" and not w.is_finished for w in self.workers):
                return  # the question about unsaved conversations is on screen
            from .screens import unsaved

            await main.stop_all_replies()
            await unsaved.wait_for_saves(main)
            if unsaved.unsaved(main):
                self.run_worker(
                    unsaved.quit_safely(main),
                    group="quit",
                    exclusive=True,
                    exit_on_error=False,
                    description="Saving before quitting",
                )
                return
        self.exit()

    async def on_unmount(self) -> None:
        await self.services.aclose()
        if self.demo_server is not None:
            self.demo_server.stop()

"""The olladeck App: stylesheets, app-wide keys, start and exit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from .screens.main import MainScreen
from .services import Services

if TYPE_CHECKING:
    from .demo import ThreadedDemoServer


def _styles_dir() -> Path:
    # Installed from a wheel, the stylesheets travel inside the package; in a source
    # checkout (or an editable install) they sit beside it, at the top of the repository.
    here = Path(__file__).resolve().parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


STYLES = _styles_dir()


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
        STYLES / "history.tcss",
    ]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit olladeck"),
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
        theme = services.config.theme
        if theme in self.available_themes:
            self.theme = theme
        elif theme:
            self._notices.append(f"Unknown theme '{theme}' in the config; using the default.")

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.services, model=self._model)

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=15, markup=False)

    async def action_quit(self) -> None:
        """Stop streaming replies (each is saved), then exit."""
        screen = self.screen
        if isinstance(screen, MainScreen):
            await screen.stop_all_replies()
        self.exit()

    async def on_unmount(self) -> None:
        await self.services.aclose()
        if self.demo_server is not None:
            self.demo_server.stop()

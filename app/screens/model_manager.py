"""The models on the server: use, load, unload, delete, copy, read the Modelfile and
license; what is loaded now; and pulling a new one.

Everything here acts on the server, not on a conversation, except Enter ("use"), which
hands the model back to the conversation on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ..assets import STYLES
from ..chat import DisplayText, sanitize
from ..ollama.errors import OllamaError
from ..ollama.types import EMBEDDING_MARK
from ..widgets.attachment_bar import human_size
from ..widgets.key_footer import KeyFooter
from ..widgets.pull_view import PullView
from ..widgets.running_models import RunningModels
from .modal import KeyedModal

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ..models import KeepAlive
    from ..ollama.types import ModelDetails, ModelInfo
    from ..services import Services


async def load_or_unload(
    node: DOMNode, services: Services, model: str, keep_alive: KeepAlive, unload: bool
) -> bool:
    """Load a model into memory (empty `messages`) or unload it (`keep_alive: 0`), saying
    so in notifications; False if the server refused."""
    client = services.client()
    verb = "Unloading" if unload else "Loading"
    node.notify(sanitize(f"{verb} {model}…"), markup=False)
    try:
        if unload:
            await client.unload(model)
        else:
            await client.load(model, keep_alive)
    except OllamaError as exc:
        text = sanitize(f"{exc.message} {exc.hint}".strip())
        node.notify(text, title=f"{verb} failed", severity="error", markup=False)
        return False
    node.notify(sanitize(f"{model} is {'unloaded' if unload else 'loaded'}."), markup=False)
    return True


TABS = ("installed", "running", "pull")


def literal(text: str) -> Text:
    """A table cell shown exactly as the server sent it (a plain str would be markup)."""
    return Text(sanitize(text))


class ModelManagerScreen(KeyedModal[str | None]):
    """Manage the server's models. Dismisses with a model to use, or None."""

    # Loaded when the screen is first shown, not at start-up.
    CSS_PATH = [STYLES / "settings.tcss"]

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="models.close", tooltip="Close"),
        Binding("l", "load", "Load", id="models.load", tooltip="Load the model into memory"),
        Binding(
            "u", "unload", "Unload", id="models.unload", tooltip="Unload the model from memory"
        ),
        Binding(
            "d,delete",
            "delete",
            "Delete",
            id="models.delete",
            tooltip="Delete the model from the server (asks first)",
        ),
        Binding("c", "copy", "Copy", id="models.copy", tooltip="Copy the model under a new name"),
        Binding("m", "modelfile", "Modelfile", id="models.modelfile", tooltip="Show the Modelfile"),
        Binding("i", "license", "License", id="models.license", tooltip="Show the license"),
        Binding(
            "r,ctrl+r,f5",
            "refresh",
            "Refresh",
            id="models.refresh",
            tooltip="Ask the server again",
        ),
        Binding(
            "ctrl+g,f4",
            "cancel_pull",
            "Cancel pull",
            id="models.cancel_pull",
            tooltip="Stop the pull and close its connection",
        ),
    ]

    def __init__(
        self,
        services: Services,
        details: dict[str, ModelDetails],
        *,
        current: str = "",
        tab: str = "installed",
        pull_name: str = "",
        changed: Callable[[], None] | None = None,
    ) -> None:
        """
        Args:
            services: Where the server is.
            details: The `/api/show` cache (model name -> details), shared with the screen
                below, filled here too.
            current: The conversation's model (the cursor starts on it).
            tab: `installed`, `running` or `pull`.
            pull_name: A name to put in the pull field.
            changed: Called when the server's list of models changed (pulled, deleted,
                copied), so the screen below can list them again.
        """
        super().__init__(classes="dialog-screen")
        self.services = services
        self.details = details
        self.current = current
        self.tab = tab if tab in TABS else "installed"
        self.pull_name = pull_name
        self.changed = changed
        self.models: list[ModelInfo] = []
        """The installed models, as last listed."""

    def compose(self) -> ComposeResult:
        where = "demo server" if self.services.demo else self.services.host.label
        with Vertical(classes="dialog", id="models-dialog"):
            yield Static(Content(sanitize(f"Models on {where}")), classes="dialog-title")
            with TabbedContent(initial=self.tab, id="models-tabs"):
                with TabPane("Installed", id="installed"):
                    table: DataTable[str] = DataTable(
                        cursor_type="row", zebra_stripes=True, id="installed-table"
                    )
                    for label, key in (
                        ("Model", "model"),
                        ("Params", "params"),
                        ("Quant", "quant"),
                        ("Family", "family"),
                        ("Size", "size"),
                    ):
                        table.add_column(label, key=key)
                    yield table
                    yield Static(Content(""), id="installed-detail")
                with TabPane("Running", id="running"):
                    yield RunningModels(self.services, id="running-models")
                with TabPane("Pull", id="pull"):
                    yield PullView(self.services, self.pull_name, id="pull-view")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_installed()
        self.call_after_refresh(self._focus_tab, self.tab)

    def _focus_tab(self, tab: str) -> None:
        target = {"installed": "#installed-table", "running": "#ps-table", "pull": "#pull-name"}
        self.query_one(target[tab]).focus()
        if tab == "running":
            self.running.start()

    @property
    def running(self) -> RunningModels:
        return self.query_one("#running-models", RunningModels)

    @property
    def pull_view(self) -> PullView:
        return self.query_one("#pull-view", PullView)

    def _active_tab(self) -> str:
        return self.query_one("#models-tabs", TabbedContent).active

    @on(TabbedContent.TabActivated, "#models-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The loaded-models view asks the server only while it is the tab on show.
        if self._active_tab() == "running":
            self.running.start()
        else:
            self.running.stop()
        self.refresh_bindings()

    def on_screen_suspend(self) -> None:
        # Covered by a dialog or a viewer: the loaded-models view is not seen, so it rests.
        self.running.stop()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self._active_tab() == "running":
            self.running.start()

    # -- installed --------------------------------------------------------------------------

    @work(group="tags", exclusive=True, exit_on_error=False, description="Listing models")
    async def refresh_installed(self, select: str = "") -> None:
        """List the installed models (`/api/tags`); the cursor stays on the model it was on
        (or goes to `select`), wherever the new list puts it."""
        try:
            models = await self.services.client().tags()
        except OllamaError as exc:
            self._detail(f"Could not list the models: {exc.message}")
            return
        # The model under the cursor, read from the list it was drawn from (not the new one).
        selected = select or self.selected_installed() or self.current
        self.models = models
        table = self.query_one("#installed-table", DataTable)
        table.clear()
        for model in models:
            table.add_row(
                self._name_cell(model.name),
                literal(model.parameter_size),
                literal(model.quantization_level),
                literal(model.family),
                human_size(model.size) if model.size is not None else "?",
                key=model.name,
            )
        names: list[str] = [m.name for m in models]
        if selected in names:
            table.move_cursor(row=names.index(selected))
        if not models:
            self._detail("No models on this server yet: pull one (Pull tab).")
        self.refresh_bindings()

    def _name_cell(self, name: str) -> Text:
        """The model's name, marked when it only makes embeddings (it cannot chat)."""
        details = self.details.get(name)
        cell = literal(name)
        if details is not None and details.embedding_only:
            cell.append(EMBEDDING_MARK, style="dim")
        return cell

    def selected_installed(self) -> str | None:
        """The model on the highlighted row of the installed list."""
        if not self.is_mounted or not self.models:
            return None
        index = self.query_one("#installed-table", DataTable).cursor_row
        return self.models[index].name if 0 <= index < len(self.models) else None

    def _target(self) -> str | None:
        """The model the keys act on: the highlighted row of the tab on show."""
        tab = self._active_tab()
        if tab == "installed":
            return self.selected_installed()
        if tab == "running":
            return self.running.selected
        return None

    def _detail(self, text: str) -> None:
        self.query_one("#installed-detail", Static).update(Content(sanitize(text)))

    @on(DataTable.RowHighlighted, "#installed-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = self.selected_installed()
        if name is None:
            return
        details = self.details.get(name)
        if details is None:
            self._detail("")
            self._fetch_details(name)
        else:
            self._show_details(details)
        self.refresh_bindings()

    def _show_details(self, details: ModelDetails) -> None:
        parts = []
        if details.capabilities:
            parts.append(" ".join(f"[{c}]" for c in details.capabilities))
        if details.context_length:
            parts.append(f"context {details.context_length:,} tokens")
        self._detail(f"{details.name}: " + " · ".join(parts) if parts else details.name)

    @work(group="show", exclusive=True, exit_on_error=False, description="Model details")
    async def _fetch_details(self, name: str) -> None:
        try:
            details = await self.services.client().show(name)
        except OllamaError as exc:
            self._detail(f"{name}: {exc.message}")
            return
        self.details[name] = details
        if details.embedding_only:
            self.query_one("#installed-table", DataTable).update_cell(
                name, "model", self._name_cell(name)
            )
        if self.selected_installed() == name:
            self._show_details(details)

    @on(DataTable.RowSelected, "#installed-table")
    def _use(self, event: DataTable.RowSelected) -> None:
        event.stop()
        name = self.selected_installed()
        if name:
            self.dismiss(name)

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        tab = self._active_tab()
        if action in ("load", "unload"):
            return tab in ("installed", "running") and (self._target() is not None or None)
        if action in ("delete", "copy", "modelfile", "license"):
            return tab == "installed" and (self._target() is not None or None)
        if action == "cancel_pull":
            return self.pull_view.pulling
        return True

    def action_close(self) -> None:
        """Close (asks first while a pull runs: closing stops it)."""
        if not self.pull_view.pulling:
            self.dismiss(None)
            return
        from .confirm import ConfirmScreen

        def answer(stop: bool | None) -> None:
            if stop:
                self.pull_view.cancel()
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                DisplayText("A pull is running. Stop it and close?"),
                DisplayText(
                    "Stopping closes the download; pulling again resumes where it stopped."
                ),
                yes="Stop and close",
                no="Keep pulling",
            ),
            answer,
        )

    def action_refresh(self) -> None:
        """Ask the server again for the models (and the loaded ones)."""
        self.refresh_installed()
        if self._active_tab() == "running":
            self.running.refresh_models()

    def action_cancel_pull(self) -> None:
        """Stop the pull that is running."""
        if self.pull_view.cancel():
            self.notify("Pull cancelled.")

    def action_load(self) -> None:
        """Load the highlighted model into memory."""
        name = self._target()
        if name:
            self._load(name, unload=False)

    def action_unload(self) -> None:
        """Unload the highlighted model from memory."""
        name = self._target()
        if name:
            self._load(name, unload=True)

    @work(group="load", exit_on_error=False, description="Loading or unloading a model")
    async def _load(self, name: str, unload: bool) -> None:
        if not await load_or_unload(self, self.services, name, None, unload):
            return
        if self._active_tab() == "running":
            self.running.refresh_models()

    def action_delete(self) -> None:
        """Delete the highlighted model from the server, after asking."""
        from .confirm import ConfirmScreen

        name = self._target()
        if not name:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        self.app.push_screen(
            ConfirmScreen(
                sanitize(f"Delete {name}?"),
                DisplayText(
                    "Its files are removed from the server; using it again means pulling it again."
                ),
                yes="Delete",
                danger=True,
            ),
            answer,
        )

    @work(group="delete", exit_on_error=False, description="Deleting a model")
    async def _delete(self, name: str) -> None:
        try:
            await self.services.client().delete(name)
        except OllamaError as exc:
            self.notify(sanitize(exc.message), title="Not deleted", severity="error", markup=False)
            return
        self.details.pop(name, None)
        self.notify(sanitize(f"Deleted {name}."), markup=False)
        self._models_changed()

    def action_copy(self) -> None:
        """Copy the highlighted model under a new name (asked for)."""
        from .text_prompt import TextPromptScreen

        name = self._target()
        if not name:
            return
        base, _, tag = name.partition(":")
        names = {m.name for m in self.models}

        def check(text: str) -> str | None:
            text = text.strip()
            if not text:
                return "A name is needed."
            full = text if ":" in text else f"{text}:latest"
            return f"{full} already exists." if full in names else None

        def answer(destination: str | None) -> None:
            if destination:
                self._copy(name, destination.strip())

        self.app.push_screen(
            TextPromptScreen(
                sanitize(f"Copy {name} as"),
                sanitize(f"{base}-copy:{tag}" if tag else f"{base}-copy"),
                validate=check,
            ),
            answer,
        )

    @work(group="copy", exit_on_error=False, description="Copying a model")
    async def _copy(self, source: str, destination: str) -> None:
        try:
            await self.services.client().copy(source, destination)
        except OllamaError as exc:
            self.notify(sanitize(exc.message), title="Not copied", severity="error", markup=False)
            return
        self.notify(sanitize(f"Copied {source} to {destination}."), markup=False)
        self._models_changed()

    def action_modelfile(self) -> None:
        """Show the highlighted model's Modelfile, read-only."""
        name = self._target()
        if name:
            self._view(name, "modelfile")

    def action_license(self) -> None:
        """Show the highlighted model's license, read-only."""
        name = self._target()
        if name:
            self._view(name, "license")

    @work(group="show", exclusive=True, exit_on_error=False, description="Model details")
    async def _view(self, name: str, what: str) -> None:
        from .text_viewer import TextViewerScreen

        details = self.details.get(name)
        if details is None:
            try:
                details = await self.services.client().show(name)
            except OllamaError as exc:
                self.notify(
                    sanitize(exc.message), title="No details", severity="error", markup=False
                )
                return
            self.details[name] = details
        if what == "modelfile":
            title, text = f"Modelfile of {name}", str(details.modelfile)
        else:
            title, text = f"License of {name}", details.license or "(no license given)"
        self.app.push_screen(TextViewerScreen(title, text))

    # -- pulling ----------------------------------------------------------------------------

    @on(PullView.Finished)
    def _pull_finished(self, event: PullView.Finished) -> None:
        self.refresh_bindings()
        if event.ok:
            self.notify(sanitize(f"Pulled {event.model}."), markup=False)
            name = event.model if ":" in event.model else f"{event.model}:latest"
            self._models_changed(select=name)
        elif event.error != "cancelled":
            self.notify(sanitize(event.error), title="Pull failed", severity="error", markup=False)

    def _models_changed(self, select: str = "") -> None:
        self.refresh_installed(select)
        if self.changed is not None:
            self.changed()

    @on(PullView.Started)
    def _pull_started(self) -> None:
        self.refresh_bindings()  # Ctrl+G / F4 (cancel) applies now

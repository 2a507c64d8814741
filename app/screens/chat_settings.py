"""The settings of one conversation: options, request, format and system prompt.

Edits are a draft: every field is checked as it is typed, and Ctrl+S applies them only when
all are valid; leaving with changes not applied asks what to do with them. An invalid value
is marked where it is, explained, and never leaves this screen: it is neither sent nor saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.lazy import Lazy
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from ..assets import STYLES
from ..chat import sanitize
from ..models import ChatOptions, Conversation
from ..options import (
    EXAMPLE_SCHEMA,
    GROUPS,
    OPTION_SPECS,
    THINK_CHOICES,
    InvalidValue,
    OptionSpec,
    describe_keep_alive,
    format_keep_alive,
    format_option,
    format_schema_text,
    model_parameters,
    parse_keep_alive,
    parse_option,
    parse_schema,
    think_from_key,
    think_key,
)
from ..widgets.key_footer import KeyFooter
from ..widgets.option_field import OptionField
from .modal import KeyedModal

if TYPE_CHECKING:
    from ..ollama.types import ModelDetails
    from ..store.prompts import SavedPrompt

TABS = ("options", "request", "format", "system")
"""The tabs, by id, in order."""

FORMAT_CHOICES = (
    ("none: plain text", "none"),
    ("json: any JSON", "json"),
    ("schema: JSON matching a schema", "schema"),
)


@dataclass(frozen=True)
class ChatSettings:
    """What the screen hands back when its changes are applied."""

    system: str
    chat_options: ChatOptions


class KeepAliveValidator(Validator):
    """`keep_alive` as Ollama reads it (see `app.options.parse_keep_alive`)."""

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_keep_alive(value)
        except InvalidValue as exc:
            return self.failure(str(exc))
        return self.success()


class PromptList(OptionList):
    """The saved system prompts; d or Delete deletes the highlighted one (after asking)."""

    BINDINGS = [
        Binding(
            "d,delete",
            "screen.delete_prompt",
            "Delete prompt",
            id="settings.delete_prompt_here",
            tooltip="Delete the highlighted saved prompt (asks first)",
        ),
    ]


class ChatSettingsScreen(KeyedModal[ChatSettings | None]):
    """Edit a conversation's options, request settings, format and system prompt."""

    # Loaded when the screen is first shown, not at start-up.
    CSS_PATH = [STYLES / "settings.tcss"]

    BINDINGS = [
        Binding(
            "ctrl+s",
            "apply",
            "Apply",
            id="settings.apply",
            tooltip="Apply the changes and close (refused while a field is invalid)",
        ),
        Binding(
            "escape,q,ctrl+t",
            "close",
            "Close",
            id="settings.close",
            tooltip="Close; with changes not applied yet, asks: apply, discard or keep editing",
        ),
        Binding(
            "ctrl+r,f5",
            "reset_field",
            "Reset field",
            id="settings.reset_field",
            tooltip="Clear the focused setting, so the model's default applies",
        ),
        Binding(
            "ctrl+l,f8",
            "reset_all",
            "Reset tab",
            id="settings.reset_all",
            tooltip="Clear every setting on this tab, so the model's defaults apply",
        ),
        Binding(
            "ctrl+o,f3",
            "save_prompt",
            "Save prompt",
            id="settings.save_prompt",
            tooltip="Save the system prompt in the library under a name",
        ),
        Binding(
            "f4",
            "delete_prompt",
            "Delete prompt",
            id="settings.delete_prompt",
            tooltip="Delete the highlighted prompt from the library (also d or Delete in it)",
        ),
        Binding(
            "ctrl+g,f9",
            "discard",
            "Discard",
            id="settings.discard",
            tooltip="Close without applying any change",
        ),
    ]

    def __init__(
        self,
        conversation: Conversation,
        details: ModelDetails | None,
        library_path: Path,
        *,
        tab: str = "options",
    ) -> None:
        """
        Args:
            conversation: Whose settings are edited (not changed here: see `ChatSettings`).
            details: `/api/show` of its model, for the model's defaults and capabilities.
            library_path: The saved system prompts (`prompts.toml`).
            tab: The tab to open on (`options`, `request`, `format`, `system`).
        """
        super().__init__(classes="dialog-screen")
        self.conversation = conversation
        self.details = details
        self.library_path = library_path
        self.tab = tab if tab in TABS else "options"
        self.prompts: list[SavedPrompt] = []
        """The library, once read."""
        opts = conversation.chat_options
        self.texts: dict[str, str] = {
            spec.name: format_option(spec.name, opts.options.get(spec.name))
            for spec in OPTION_SPECS
        }
        """The draft: what each option field holds (kept here, not only in the fields,
        because most fields are mounted a moment after the screen appears)."""
        self._format_mode = (
            "schema" if isinstance(opts.format, dict) else "json" if opts.format else "none"
        )
        # Control characters (from a file) are shown as symbols, so they cannot reach the
        # terminal; left as shown, the prompt is kept exactly as it was.
        self._system_shown = sanitize(conversation.system)

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        conversation = self.conversation
        opts = conversation.chat_options
        title = f"Settings · {conversation.display_title} · {conversation.model or 'no model'}"
        with Vertical(classes="dialog", id="settings-dialog"):
            yield Static(Content(sanitize(title)), classes="dialog-title")
            with TabbedContent(initial=self.tab, id="settings-tabs"):
                with TabPane("Options", id="options"):
                    yield from self._compose_options(opts)
                with TabPane("Request", id="request"):
                    yield from self._compose_request(opts)
                with TabPane("Format", id="format"):
                    yield from self._compose_format(opts)
                with TabPane("System prompt", id="system"):
                    yield from self._compose_system()
        yield KeyFooter()

    def _compose_options(self, opts: ChatOptions) -> ComposeResult:
        defaults = model_parameters(self.details.parameters) if self.details else {}

        def group(name: str) -> ComposeResult:
            yield Static(Content(name), classes="option-group")
            for spec in OPTION_SPECS:
                if spec.group == name:
                    yield OptionField(
                        spec, opts.options.get(spec.name), defaults.get(spec.name), self.texts
                    )

        # Not focusable itself: Shift+Tab from the first field goes straight to the tabs
        # (focusing a field scrolls it into view anyway).
        with VerticalScroll(id="options-scroll", can_focus=False):
            yield Static(
                Content("Empty means unset: the model's own default applies and nothing is sent."),
                classes="dialog-hint",
            )
            yield from group(GROUPS[0])
            # The other groups are mounted just after the screen is drawn: it opens at once.
            with Lazy(Vertical(id="more-options")):
                for name in GROUPS[1:]:
                    yield from group(name)

    def _compose_request(self, opts: ChatOptions) -> ComposeResult:
        can_think = self.details is None or self.details.supports("thinking")
        with VerticalScroll(id="request-scroll", can_focus=False):
            with Horizontal(classes="option-row"):
                yield Static(Content("think"), classes="option-name")
                yield Select[str](
                    [(label, key) for label, key in THINK_CHOICES],
                    value=think_key(opts.think),
                    allow_blank=False,
                    compact=True,
                    id="think-select",
                )
            note = "Reason before answering (thinking models)."
            if not can_think:
                note += " This model cannot think: the server refuses think with it."
            yield Static(Content(note), classes="option-description", id="think-note")
            with Horizontal(classes="option-row"):
                yield Static(Content("stream"), classes="option-name")
                yield Checkbox(
                    "show the reply as it is written", opts.stream, compact=True, id="stream"
                )
            yield Static(
                Content(
                    "Off: the whole reply arrives at once (a working indicator shows; "
                    "Escape still stops it)."
                ),
                classes="option-description",
            )
            with Horizontal(classes="option-row"):
                yield Static(Content("keep_alive"), classes="option-name")
                yield Input(
                    # From a file it could hold anything: shown safely (and then invalid).
                    sanitize(format_keep_alive(opts.keep_alive)),
                    placeholder="server default (5m)",
                    validators=[KeepAliveValidator()],
                    valid_empty=True,
                    compact=True,
                    id="keep-alive",
                )
            yield Static(
                Content(
                    "How long the model stays loaded after a reply: 5m, 1h30m, 300ms, "
                    "seconds (300), -1 for ever, 0 to unload at once."
                ),
                classes="option-description",
            )
            yield Static(Content(""), classes="option-problem", id="keep-alive-problem")

    def _compose_format(self, opts: ChatOptions) -> ComposeResult:
        schema = opts.format if isinstance(opts.format, dict) else EXAMPLE_SCHEMA
        with Vertical(id="format-pane"):
            with Horizontal(classes="option-row"):
                yield Static(Content("format"), classes="option-name")
                yield Select[str](
                    list(FORMAT_CHOICES),
                    value=self._format_mode,
                    allow_blank=False,
                    compact=True,
                    id="format-select",
                )
            yield Static(
                Content(
                    "The reply's content is JSON; with a schema, JSON of that shape "
                    "(checked here as JSON and as a schema before it is sent)."
                ),
                classes="option-description",
            )
            yield TextArea(
                format_schema_text(schema),
                soft_wrap=True,
                tab_behavior="focus",
                id="schema",
            )
            yield Static(Content(""), classes="option-problem", id="schema-problem")

    def _compose_system(self) -> ComposeResult:
        with Vertical(id="system-pane"):
            yield Static(
                Content("Sent first in every request; empty: the model's own (if any)."),
                classes="dialog-hint",
            )
            yield TextArea(
                self._system_shown,
                soft_wrap=True,
                tab_behavior="focus",
                id="system-text",
            )
            yield Static(Content("Saved prompts (Enter uses one)"), classes="option-group")
            yield PromptList(id="prompt-library")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save as… (Ctrl+O)", id="save-prompt", compact=True)
                yield Button("Delete (d)", id="delete-prompt", compact=True)

    def on_mount(self) -> None:
        self._show_format_mode()
        self._check_keep_alive()
        self._check_schema()
        self.load_library()
        self.call_after_refresh(self._focus_tab, self.tab)

    def _focus_tab(self, tab: str) -> None:
        target = {
            "options": "#option-temperature",
            "request": "#think-select",
            "format": "#format-select",
            "system": "#system-text",
        }[tab]
        self.query_one(target).focus()

    def scroll_to_center(self, widget: Widget, animate: bool = True, **kwargs: Any) -> None:
        # Focus moves scroll at once here (the screen centres the focused widget): an
        # animated scroll could end after, and undo, the one that shows the whole setting.
        super().scroll_to_center(widget, False, **kwargs)

    @on(events.DescendantFocus)
    def _show_focused_setting(self, event: events.DescendantFocus) -> None:
        """Tab scrolls the whole setting into view: its name and explanation above the
        field, and what is said under it, not only the line that has the cursor."""
        widget = event.widget
        group: list[Widget] = []
        for node in widget.ancestors_with_self:
            if isinstance(node, OptionField):
                group = [node]
                break
            if isinstance(node, Widget) and node.has_class("option-row"):
                # A row, then the lines that explain it (up to the next row).
                group = [node]
                parent = node.parent
                siblings = list(parent.children) if parent is not None else []
                for sibling in siblings[siblings.index(node) + 1 :]:
                    if sibling.has_class("option-row"):
                        break
                    if sibling.display:
                        group.append(sibling)
                break
        if group:
            # The last part first, then the first: all of it if it fits, its top if not.
            for part in (group[-1], group[0]):
                part.scroll_visible(animate=False)

    # -- checking -------------------------------------------------------------------------

    @property
    def fields(self) -> list[OptionField]:
        """The option fields mounted so far."""
        return list(self.query(OptionField))

    @on(Input.Changed)
    def _option_edited(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        name = input_id.removeprefix("option-")
        if input_id.startswith("option-") and name in self.texts:
            self.texts[name] = event.value

    def _option_text(self, name: str) -> str:
        """The option's text as typed: read from its field when mounted (its Changed event
        may not have arrived yet, e.g. when Ctrl+S follows the last key at once)."""
        fields = self.query(f"#option-{name}")
        if fields:
            field = fields.first()
            if isinstance(field, Input):
                self.texts[name] = field.value
        return self.texts[name]

    def _option_problem(self, spec: OptionSpec) -> str | None:
        try:
            parse_option(spec.name, self._option_text(spec.name))
        except InvalidValue as exc:
            return str(exc)
        return None

    def _check_keep_alive(self) -> str | None:
        text = self.query_one("#keep-alive", Input).value
        problem = None
        described = ""
        try:
            value = parse_keep_alive(text)
            if value is not None:
                described = f"→ {describe_keep_alive(value)}"
        except InvalidValue as exc:
            problem = str(exc)
        widget = self.query_one("#keep-alive-problem", Static)
        widget.update(Content(f"⚠ {problem}" if problem else described))
        widget.set_class(problem is None, "-ok")
        widget.display = bool(problem or described)
        self.query_one("#keep-alive", Input).set_class(problem is not None, "-invalid")
        return problem

    def _schema_value(self) -> dict[str, Any]:
        return parse_schema(self.query_one("#schema", TextArea).text)

    def _check_schema(self) -> str | None:
        problem = None
        if self._format_mode == "schema":
            try:
                self._schema_value()
            except InvalidValue as exc:
                problem = str(exc)
        widget = self.query_one("#schema-problem", Static)
        widget.update(Content(f"⚠ {problem}" if problem else ""))
        widget.display = problem is not None
        self.query_one("#schema", TextArea).set_class(problem is not None, "-invalid")
        return problem

    def _show_format_mode(self) -> None:
        self.query_one("#schema", TextArea).display = self._format_mode == "schema"

    @on(Input.Changed, "#keep-alive")
    def _keep_alive_changed(self) -> None:
        self._check_keep_alive()

    @on(TextArea.Changed, "#schema")
    def _schema_changed(self) -> None:
        self._check_schema()

    @on(Select.Changed, "#format-select")
    def _format_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._format_mode = event.value
        self._show_format_mode()
        self._check_schema()

    def problems(self) -> list[tuple[str, Widget | None, str]]:
        """Every invalid field as (tab, widget to focus, why), in display order."""
        found: list[tuple[str, Widget | None, str]] = []
        for spec in OPTION_SPECS:
            problem = self._option_problem(spec)
            if problem:
                fields = self.query(f"#option-{spec.name}")
                found.append(("options", fields.first() if fields else None, problem))
        problem = self._check_keep_alive()
        if problem:
            found.append(("request", self.query_one("#keep-alive"), problem))
        problem = self._check_schema()
        if problem:
            found.append(("format", self.query_one("#schema"), f"format: {problem}"))
        return found

    def settings(self) -> ChatSettings:
        """The draft as settings to apply.

        Raises:
            InvalidValue: a field is invalid (check `problems()` first).
        """
        options: dict[str, Any] = {}
        for spec in OPTION_SPECS:
            value = parse_option(spec.name, self._option_text(spec.name))
            if value is not None:
                options[spec.name] = value
        think = self.query_one("#think-select", Select).value
        fmt: Any = None
        if self._format_mode == "json":
            fmt = "json"
        elif self._format_mode == "schema":
            fmt = self._schema_value()
        chat_options = ChatOptions(
            options=options,
            format=fmt,
            keep_alive=parse_keep_alive(self.query_one("#keep-alive", Input).value),
            think=think_from_key(think) if isinstance(think, str) else None,
            stream=self.query_one("#stream", Checkbox).value,
            # Not edited here (Ctrl+G on the main screen): kept as it is.
            tools=self.conversation.chat_options.tools,
        )
        system = self.query_one("#system-text", TextArea).text
        if system == self._system_shown:
            system = self.conversation.system
        return ChatSettings(system, chat_options)

    # -- actions --------------------------------------------------------------------------

    def _unchanged(self) -> ChatSettings:
        conversation = self.conversation
        return ChatSettings(conversation.system, conversation.chat_options)

    def has_changes(self) -> bool:
        """True when the draft differs from the conversation's settings (an invalid field
        is a change too)."""
        if self.problems():
            return True
        return self.settings() != self._unchanged()

    def action_apply(self) -> None:
        """Apply the changes and close, unless a field is invalid (then say which, and go
        to it)."""
        problems = self.problems()
        if problems:
            tab, widget, why = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.notify(
                sanitize(
                    f"Not applied: {why.rstrip('.')}{more}. Fix or clear the marked field, "
                    "or press Ctrl+G to discard the changes."
                ),
                title="Invalid setting",
                severity="error",
                markup=False,
            )
            self.query_one("#settings-tabs", TabbedContent).active = tab
            if widget is not None:
                # The tab's pane is shown on the next refresh: only then can it take focus.
                self.call_after_refresh(self._focus_field, widget)
            return
        settings = self.settings()
        self.dismiss(None if settings == self._unchanged() else settings)

    def _focus_field(self, widget: Widget) -> None:
        widget.focus()
        widget.scroll_visible(animate=False)

    def action_close(self) -> None:
        """Close; with changes not applied, ask whether to apply or discard them first."""
        from .confirm import ChoiceScreen

        if not self.has_changes():
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == "a":
                self.action_apply()
            elif choice == "d":
                self.dismiss(None)

        self.app.push_screen(
            ChoiceScreen(
                "Apply the changes to this conversation's settings?",
                "They are not applied yet.",
                [("a", "Apply"), ("d", "Discard"), ("k", "Keep editing")],
            ),
            answer,
        )

    def action_discard(self) -> None:
        """Close without applying anything."""
        self.dismiss(None)

    def _active_tab(self) -> str:
        return self.query_one("#settings-tabs", TabbedContent).active

    def action_reset_field(self) -> None:
        """Clear the focused setting: the model's (or server's) default applies."""
        focused = self.focused
        if focused is None:
            return
        field = next((a for a in focused.ancestors_with_self if isinstance(a, OptionField)), None)
        if field is not None:
            field.reset()
        elif focused.id == "keep-alive":
            self.query_one("#keep-alive", Input).value = ""
        elif focused.id == "think-select" or focused.parent is self.query_one("#think-select"):
            self.query_one("#think-select", Select).value = "default"
        elif focused.id == "stream":
            self.query_one("#stream", Checkbox).value = True
        elif focused.id in ("format-select", "schema"):
            self.query_one("#format-select", Select).value = "none"
        elif focused.id == "system-text":
            self.query_one("#system-text", TextArea).text = ""

    def action_reset_all(self) -> None:
        """Clear every setting on the current tab."""
        tab = self._active_tab()
        if tab == "options":
            for name in self.texts:
                self.texts[name] = ""
            for field in self.fields:
                field.reset()
        elif tab == "request":
            self.query_one("#think-select", Select).value = "default"
            self.query_one("#stream", Checkbox).value = True
            self.query_one("#keep-alive", Input).value = ""
        elif tab == "format":
            self.query_one("#format-select", Select).value = "none"
        elif tab == "system":
            self.query_one("#system-text", TextArea).text = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save_prompt", "delete_prompt"):
            # Only where they make sense: on the system prompt tab.
            if not self.is_mounted or self._active_tab() != "system":
                return False
            if action == "delete_prompt":
                return self._highlighted_prompt() is not None or None
        return True

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.refresh_bindings()

    # -- system prompt library -------------------------------------------------------------

    @work(thread=True, group="prompts", exit_on_error=False, description="Reading saved prompts")
    def load_library(self) -> None:
        """Read the library (in a thread) and list it."""
        from ..store.prompts import PromptLibrary, PromptLibraryError

        try:
            prompts = PromptLibrary(self.library_path).load()
        except PromptLibraryError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title="Saved prompts", severity="warning", markup=False
            )
            prompts = []
        self.app.call_from_thread(self._show_library, prompts)

    def _show_library(self, prompts: list[SavedPrompt]) -> None:
        self.prompts = prompts
        library = self.query_one("#prompt-library", OptionList)
        library.clear_options()
        if not prompts:
            empty = Content("No saved prompts yet (Ctrl+O saves this one).")
            library.add_option(Option(empty, None))
            library.disabled = True
        else:
            library.disabled = False
            for index, prompt in enumerate(prompts):
                first = " ".join(prompt.text.split())
                label = Content.assemble(
                    (sanitize(prompt.name), "bold"),
                    ("  " + sanitize(first[:70]), "italic"),
                )
                library.add_option(Option(label, id=str(index)))
            library.highlighted = 0
        self.refresh_bindings()

    def _highlighted_prompt(self) -> SavedPrompt | None:
        if not self.is_mounted:
            return None
        library = self.query_one("#prompt-library", OptionList)
        index = library.highlighted
        if library.disabled or index is None or not 0 <= index < len(self.prompts):
            return None
        return self.prompts[index]

    @on(OptionList.OptionSelected, "#prompt-library")
    def _use_prompt(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        if 0 <= index < len(self.prompts):
            prompt = self.prompts[index]
            self.query_one("#system-text", TextArea).text = sanitize(prompt.text)
            self.notify(sanitize(f"Using the saved prompt “{prompt.name}”."), markup=False)

    @on(OptionList.OptionHighlighted, "#prompt-library")
    def _prompt_highlighted(self) -> None:
        self.refresh_bindings()

    @on(Button.Pressed, "#save-prompt")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save_prompt()

    @on(Button.Pressed, "#delete-prompt")
    def _delete_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_delete_prompt()

    def action_save_prompt(self) -> None:
        """Save the system prompt in the library under a name (asked for)."""
        from .text_prompt import TextPromptScreen

        text = self.query_one("#system-text", TextArea).text
        if not text.strip():
            self.notify("The system prompt is empty: there is nothing to save.")
            return
        names = {p.name for p in self.prompts}

        def check(name: str) -> str | None:
            return "A name is needed." if not name.strip() else None

        def save(name: str | None) -> None:
            if name is None:
                return
            name = name.strip()
            verb = "Replaced" if name in names else "Saved"
            self._change_library(name, text, f"{verb} “{name}”.")

        self.app.push_screen(
            TextPromptScreen(
                "Save the system prompt as",
                placeholder="a short name, e.g. Terse reviewer",
                validate=check,
            ),
            save,
        )

    def action_delete_prompt(self) -> None:
        """Delete the highlighted saved prompt (after asking)."""
        from .confirm import ConfirmScreen

        prompt = self._highlighted_prompt()
        if prompt is None:
            return

        def delete(yes: bool | None) -> None:
            if yes:
                self._change_library(prompt.name, None, f"Deleted “{prompt.name}”.")

        self.app.push_screen(
            ConfirmScreen(sanitize(f"Delete the saved prompt “{prompt.name}”?"), danger=True),
            delete,
        )

    @work(thread=True, group="prompts", exit_on_error=False, description="Saving prompts")
    def _change_library(self, name: str, text: str | None, done: str) -> None:
        """Save (or, with `text` None, delete) one prompt, on top of what is on disk now."""
        from ..store.prompts import PromptLibrary, PromptLibraryError, SavedPrompt

        library = PromptLibrary(self.library_path)
        try:
            # Read again first: another olladeck may have saved a prompt meanwhile.
            prompts = [p for p in library.load() if p.name != name]
            if text is not None:
                prompts.append(SavedPrompt(name, text))
            library.save(prompts)
            saved = library.load()
        except PromptLibraryError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title="Not saved", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self._show_library, saved)
        self.app.call_from_thread(self.notify, sanitize(done), markup=False)

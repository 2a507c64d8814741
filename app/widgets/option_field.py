"""One Modelfile option in the settings editor: typed, checked as you type, explained."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Static

from ..chat import sanitize
from ..options import InvalidValue, OptionSpec, format_option, parse_option


class OptionValidator(Validator):
    """Checks typed text with the option's own parser (the same one that builds the body)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.option = name

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_option(self.option, value)
        except InvalidValue as exc:
            return self.failure(str(exc))
        return self.success()


class OptionField(Vertical):
    """A line naming and explaining the option (and why a value is refused), then its input.

    Two widgets per option, not more: the editor has over twenty of them, and each widget
    costs time when the screen opens. Empty means unset: the model's own default applies
    and nothing is sent.
    """

    def __init__(
        self,
        spec: OptionSpec,
        value: Any,
        model_default: str | None = None,
        draft: dict[str, str] | None = None,
    ) -> None:
        """
        Args:
            spec: The option.
            value: The conversation's value (None when unset).
            model_default: The model's own value from its Modelfile, when known.
            draft: The editor's texts by option name; a field mounted late shows what the
                draft holds by then (it may have been reset meanwhile).
        """
        super().__init__(classes="option-field", id=f"field-{spec.name}")
        self.spec = spec
        self._draft = draft
        self._initial = format_option(spec.name, value)
        self._model_default = model_default or ""
        self._shown_problem: str | None = "?"

    def compose(self) -> ComposeResult:
        spec = self.spec
        if self._model_default:
            hint = f"model: {self._model_default}"
        elif spec.default:
            hint = f"default {spec.default}"
        else:
            hint = "not set"
        yield Static(self._header(None), classes="option-header")
        yield Input(
            self._initial,
            placeholder=sanitize(hint),
            validators=[OptionValidator(spec.name)],
            valid_empty=True,
            compact=True,
            id=f"option-{spec.name}",
            tooltip=spec.description,
        )

    def _header(self, problem: str | None) -> Content:
        # The description takes the muted colour of the line (see settings.tcss); the
        # name stands out in the foreground colour.
        parts: list[str | tuple[str, str]] = [
            (self.spec.name, "bold $text-error" if problem else "bold $foreground"),
            "  ",
            self.spec.description,
        ]
        if problem:
            parts += ["\n", (f"⚠ {sanitize(problem)}", "$text-error")]
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        if self._draft is not None and self._draft.get(self.spec.name, self.text) != self.text:
            self.input.value = self._draft[self.spec.name]
        self._show_problem(self.problem)

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def text(self) -> str:
        return self.input.value

    @property
    def problem(self) -> str | None:
        """Why the typed text would be refused (None when it is fine or empty)."""
        try:
            parse_option(self.spec.name, self.text)
        except InvalidValue as exc:
            return str(exc)
        return None

    def value(self) -> Any:
        """The value to send (None when unset).

        Raises:
            InvalidValue: the text is not a valid value.
        """
        return parse_option(self.spec.name, self.text)

    def reset(self) -> None:
        """Back to unset: the model's default applies."""
        self.input.value = ""

    def on_input_changed(self, event: Input.Changed) -> None:
        # Not stopped: the screen keeps the draft of every field.
        self._show_problem(self.problem)

    def _show_problem(self, problem: str | None) -> None:
        if problem == self._shown_problem:
            return
        self._shown_problem = problem
        self.set_class(problem is not None, "-invalid")
        self.query_one(".option-header", Static).update(self._header(problem))
        # The Input marks itself only on its own validation; a value loaded from a file
        # that is already wrong must show as wrong before any key is pressed.
        self.input.set_class(problem is not None, "-invalid")

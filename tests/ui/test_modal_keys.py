"""Keys and focus in the dialogs and screens over the main one, and in the overlays of a
narrow terminal: F1 in every dialog, q and Escape back, Ctrl alternatives to the F-keys,
focus where typing is expected, and a screen repainted whole after an overlay closes."""

from __future__ import annotations

import json

from textual import events
from textual.command import CommandPalette
from textual.widgets import Input, TabbedContent

from app.attachments import save_last_folder
from app.screens.chat_settings import ChatSettingsScreen
from app.screens.confirm import ChoiceScreen
from app.screens.help import HelpScreen
from app.screens.image_picker import ImagePickerScreen
from app.screens.model_manager import ModelManagerScreen
from tests.conftest import confirm_ready, screen_text, wait_until
from tests.ui.test_images import VISION, make_png, ready
from tests.ui.test_images import main_bar as attachment_bar
from tests.ui.test_model_settings import SHORT, connected, main, reply_done


def help_ids(app) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(".help-row"))


async def on_top(pilot, kind: type) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause()


async def test_f1_answers_in_every_dialog_and_q_goes_back_outside_text_fields(
    make_app, demo_server, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where the image picker starts
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        # Settings: F1 lists its keys (not the main screen's), Escape closes the help.
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        settings = app.screen
        await pilot.press("f1")
        await on_top(pilot, HelpScreen)
        ids = help_ids(app)
        assert "settings.apply" in ids and "settings.discard" in ids and "dialog.help" in ids
        assert "conversation.new" not in ids
        assert "app.quit" in ids  # Ctrl+Q works over every screen
        await pilot.press("escape")
        await on_top(pilot, ChatSettingsScreen)
        # In a text field q is typed; elsewhere it goes back.
        field = settings.query_one("#option-temperature", Input)
        assert field.has_focus
        await pilot.press("q")
        assert field.value == "q" and app.screen is settings
        await pilot.press("ctrl+u")
        settings.query_one("#settings-tabs Tabs").focus()
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatSettingsScreen))
        # Models: F1, then q (the table has the focus) closes the help and then the screen.
        await pilot.press("f3")
        await on_top(pilot, ModelManagerScreen)
        await pilot.press("f1")
        await on_top(pilot, HelpScreen)
        assert "models.refresh" in help_ids(app) and "models.cancel_pull" in help_ids(app)
        await pilot.press("q")
        await on_top(pilot, ModelManagerScreen)
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelManagerScreen))
        # The image picker: F1 lists its keys and those of its tree and path field.
        await pilot.press("ctrl+o")
        await on_top(pilot, ImagePickerScreen)
        await pilot.press("f1")
        await on_top(pilot, HelpScreen)
        ids = help_ids(app)
        assert "picker.cancel" in ids and "picker.mark" in ids and "picker.complete" in ids
        await pilot.press("f1")  # F1 again closes the help
        await on_top(pilot, ImagePickerScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))


async def test_settings_keys_without_f_keys_and_leaving_with_changes_asks(make_app, demo_server):
    demo_server.reply_tokens = SHORT
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        # Nothing edited: Escape closes at once (tool calling, set elsewhere, is no change).
        await pilot.press("ctrl+g")
        assert main(app).current.chat_options.tools is True
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main(app))
        assert main(app).current.chat_options.tools is True
        await pilot.press("ctrl+g")
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        settings = app.screen
        # Ctrl+R clears the focused field (F5 did), Ctrl+L the whole tab (F8 did).
        await pilot.press(*"0.5")
        await pilot.press("ctrl+r")
        assert settings.query_one("#option-temperature", Input).value == ""
        await pilot.press(*"0.5")
        settings.query_one("#option-top_k", Input).value = "7"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert settings.texts["temperature"] == "" and settings.texts["top_k"] == ""
        # Every key is also in this screen's command palette, and runs the same action.
        await pilot.press(*"0.5")
        titles = [command.title for command in settings.system_commands()]
        for title in ("Apply", "Close", "Reset field", "Reset tab", "Discard", "Help"):
            assert title in titles
        await pilot.press("ctrl+p")
        await on_top(pilot, CommandPalette)
        palette = app.screen
        palette.query_one("CommandInput").value = "Reset field"
        shown = palette.query_one("CommandList")
        await wait_until(
            pilot,
            lambda: (
                shown.highlighted_option is not None
                and "Reset field" in str(shown.highlighted_option.prompt)
            ),
        )
        await pilot.press("enter")
        await on_top(pilot, ChatSettingsScreen)
        await wait_until(pilot, lambda: settings.texts["temperature"] == "")
        # Escape with changes not applied asks, and keys typed before the question appeared
        # are not taken as an answer.
        await pilot.press(*"0.25")
        typed_ahead = events.Key("a", "a")  # typed before the question, delivered late
        await pilot.press("escape")
        await on_top(pilot, ChoiceScreen)
        app.post_message(typed_ahead)
        await pilot.pause(0.1)
        assert isinstance(app.screen, ChoiceScreen)  # "a" (apply) was not taken
        await pilot.press("k")  # keep editing
        await on_top(pilot, ChatSettingsScreen)
        assert settings.query_one("#option-temperature", Input).value == "0.25"
        await pilot.press("escape")
        await on_top(pilot, ChoiceScreen)
        await wait_until(pilot, lambda: app.screen.accepts_keys)
        await pilot.press("d")  # discard
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatSettingsScreen))
        assert main(app).current.chat_options.options == {}
        # Ctrl+S applies (and is in the footer); Ctrl+G discards.
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        footer_keys = [str(k.key_display) for k in app.screen.query("FooterKey")]
        assert "^s" in footer_keys, footer_keys
        await pilot.press(*"0.25", "ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatSettingsScreen))
        assert main(app).current.chat_options.options == {"temperature": 0.25}
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        await pilot.press("ctrl+u", *"0.9", "ctrl+g")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatSettingsScreen))
        assert main(app).current.chat_options.options == {"temperature": 0.25}
        # The system prompt library: Ctrl+O saves, d deletes from the list (after asking).
        main(app).current.system = "Be brief."
        main(app).action_open_settings("system")
        await on_top(pilot, ChatSettingsScreen)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TextPromptScreen")
        await pilot.press(*"Terse", "enter")
        settings = app.screen
        await wait_until(pilot, lambda: settings.prompts)
        settings.query_one("#prompt-library").focus()
        await pilot.press("d")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not settings.prompts)
        assert settings.query_one(TabbedContent).active == "system"


async def test_a_path_typed_right_after_ctrl_o_is_attached(
    make_app, demo_server, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))  # a short whole path to type: ~/other/…

    folder = tmp_path / "pics"
    folder.mkdir()
    make_png(folder / "red.png")
    other = tmp_path / "other"
    other.mkdir()
    make_png(other / "blue.png", colour=(0, 0, 255))
    save_last_folder(data_dir, folder)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        # A name typed at once: relative to the folder shown (the field's text is replaced).
        await pilot.press(*"red.png", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))
        await wait_until(pilot, lambda: ready(app))
        assert [a.path for a in attachment_bar(app).attachments] == [str(folder / "red.png")]
        # A whole path, typed at once too.
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        await pilot.press(*"~/other/blue.png", "enter")
        await wait_until(pilot, lambda: len(attachment_bar(app).attachments) == 2)
        assert attachment_bar(app).attachments[1].path == str(other / "blue.png")


async def test_the_picker_preview_never_shows_a_widget_name(
    make_app, demo_server, data_dir, tmp_path
):
    folder = tmp_path / "pics"
    folder.mkdir()
    (folder / "fake.png").write_text("a text file with an image name")
    make_png(folder / "red.png")
    save_last_folder(data_dir, folder)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        picker = app.screen
        await wait_until(pilot, lambda: len(picker.image_tree.root.children) == 2)
        await pilot.press("down", "down")  # to the tree, then fake.png: refused, with why
        await wait_until(pilot, lambda: "Not an image" in screen_text(app))
        assert "ImagePreview" not in screen_text(app)
        assert "picker-image" not in screen_text(app)


async def test_after_a_pull_the_footer_and_the_cursor_follow_the_models(make_app, demo_server):
    from textual.widgets import DataTable

    from app.widgets.pull_view import PullView
    from tests.conftest import footer_settled

    demo_server.pull_seconds = 0.3
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("f3")
        await on_top(pilot, ModelManagerScreen)
        screen = app.screen
        await wait_until(pilot, lambda: screen.models)
        table = screen.query_one("#installed-table", DataTable)
        await wait_until(pilot, lambda: screen.selected_installed() == "llama3.2:latest")
        row = table.cursor_row
        # The server lists its models in another order (another client changed them): the
        # cursor stays on the model, not on the row number.
        items = list(demo_server.models.items())
        demo_server.models = dict([*items[row + 1 :], *items[: row + 1]])
        await pilot.press("r")
        await wait_until(pilot, lambda: table.cursor_row != row)
        assert screen.selected_installed() == "llama3.2:latest"
        # A pull: "Cancel pull" is offered while it runs, not after it succeeded, and the
        # cursor then goes to the pulled model.
        screen.query_one("#models-tabs").active = "pull"
        await pilot.pause()
        view = screen.query_one(PullView)
        screen.query_one("#pull-name").focus()
        await pilot.press(*"phi4-mini", "enter")
        await wait_until(pilot, lambda: view.tracker is not None and view.tracker.finished)
        await wait_until(pilot, lambda: screen.selected_installed() == "phi4-mini:latest")
        await wait_until(pilot, lambda: footer_settled(app))
        actions = [key.action for key in screen.query("FooterKey")]
        assert "cancel_pull" not in actions, actions
        assert screen.check_action("cancel_pull", ()) is False


def focus_in(app, selector: str) -> bool:
    focused = app.focused
    region = app.screen.query_one(selector)
    return focused is not None and (focused is region or region in focused.ancestors)


async def test_an_overlay_takes_the_focus_and_escape_closes_it(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(84, 24)) as pilot:
        await connected(pilot)
        screen = main(app)
        for key, name, selector in (
            ("ctrl+l", "list", "#conversations"),
            ("ctrl+right_square_bracket", "sidebar", "#sidebar"),
        ):
            assert screen.prompt.has_focus
            await pilot.press(key)
            await wait_until(pilot, lambda name=name: screen.has_class(f"-overlay-{name}"))
            await wait_until(pilot, lambda selector=selector: focus_in(app, selector))
            await pilot.press("down")  # goes to the overlay, not to the hidden input
            assert focus_in(app, selector) and screen.prompt.text == ""
            await pilot.press("escape")
            await wait_until(pilot, lambda name=name: screen.has_class(f"-hide-{name}"))
            assert not screen.has_class(f"-overlay-{name}")
            assert screen.prompt.has_focus
        # With no overlay, Escape does nothing to the regions.
        await pilot.press("escape")
        assert screen.has_class("-hide-list") and screen.has_class("-hide-sidebar")
        # Text typed in the list goes to the input, and the overlay gives way to it.
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: focus_in(app, "#conversations"))
        await pilot.press(*"hello")
        await wait_until(pilot, lambda: screen.prompt.text == "hello")
        await wait_until(pilot, lambda: screen.has_class("-hide-list"))
        assert screen.prompt.has_focus


class Terminal:
    """What a terminal shows after Textual's output (cursor moves and text; a wide character
    takes two cells, and writing over either half erases the other, as terminals do)."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.rows = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def write(self, data: str) -> None:
        import re

        position = 0
        for match in re.finditer(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07", data):
            self._text(data[position : match.start()])
            position = match.end()
            if match.group(2) == "H":
                row, _, column = (match.group(1) or "1;1").partition(";")
                self.y, self.x = int(row or 1) - 1, int(column or 1) - 1
        self._text(data[position:])

    def _text(self, text: str) -> None:
        from rich.cells import get_character_cell_size

        for char in text:
            width = get_character_cell_size(char)
            row, x = self.rows[self.y], self.x
            if not width or x >= self.width:
                continue
            if row[x] == "" and x > 0:
                row[x - 1] = " "  # the right half of a wide character: it goes
            after = x + width
            if after < self.width and row[after] == "":
                row[after] = " "  # the left half of one was overwritten
            row[x] = char
            if width == 2 and x + 1 < self.width:
                row[x + 1] = ""
            self.x += width

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.rows)


async def test_closing_an_overlay_repaints_wide_characters_at_its_edge(make_app, demo_server):
    from textual._compositor import CompositorUpdate

    demo_server.reply_tokens = SHORT
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(80, 24)
        display = app._display

        def record(screen, update) -> None:
            # Headless runs write nothing: what would be written is kept here instead.
            if isinstance(update, CompositorUpdate):
                terminal.write(update.render_segments(app.console))
            display(screen, update)

        app._display = record
        await connected(pilot)
        screen = main(app)
        line = "日本語の文字列" * 6  # wide characters across the overlay's edge at either parity
        screen.prompt.text = f"{line}\na{line}"
        await pilot.press("enter")
        await reply_done(pilot)
        await pilot.pause(0.2)
        before = terminal.text()
        assert line[:20] in before.replace("\n", "")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: screen.has_class("-overlay-list"))
        await pilot.pause(0.2)
        assert terminal.text() != before
        # Back to the input (as Tab would): the overlay goes, and only its place changes.
        screen.prompt.focus()
        await wait_until(pilot, lambda: screen.has_class("-hide-list"))
        await pilot.pause(0.2)
        assert terminal.text() == before


async def test_import_path_enter_and_tab_take_the_completion_shown(make_app, tmp_path, monkeypatch):
    from app.screens.text_prompt import TextPromptScreen

    monkeypatch.chdir(tmp_path)
    body = {"model": "llama3.2:latest", "messages": [{"role": "user", "content": "hello"}]}
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "chat-one.json").write_text(json.dumps(body))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main(app)
        await app.run_action("screen.import_conversation")
        await on_top(pilot, TextPromptScreen)
        prompt = app.screen
        field = prompt.query_one(Input)
        # A name that is not there: the error says which path was tried.
        await pilot.press(*"nope.json", "enter")
        error = prompt.query_one(".dialog-error")
        await wait_until(pilot, lambda: str(tmp_path / "nope.json") in str(error.render()))
        # Tab puts in the grey completion, whether shown already or not.
        await pilot.press("ctrl+u", *"ex", "tab")
        await wait_until(pilot, lambda: field.value == "exports/")
        # Enter with a completion shown takes the completion, as Tab would.
        await pilot.press("c")
        await wait_until(pilot, lambda: prompt.suggestion == "exports/chat-one.json")
        assert "hat-one.json" in screen_text(app)  # shown in grey after the cursor
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: [m.content for m in screen.current.messages] == ["hello"])


async def test_settings_show_the_focused_field_whole_and_marked(make_app, demo_server):
    from textual.widget import Widget

    from app.widgets.option_field import OptionField

    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+t")
        await on_top(pilot, ChatSettingsScreen)
        settings = app.screen
        scroll = settings.query_one("#options-scroll")

        def seen_whole(widget: Widget, container: Widget) -> bool:
            return container.region.contains_region(widget.region)

        def marked_lines() -> list[str]:
            # The mark is a shape (a bar at the left), seen without any colour.
            return [line for line in screen_text(app).splitlines() if line.startswith("│ ▌")]

        # Tab and Shift+Tab: each option is scrolled into view whole (its name and what it
        # does above its field: going up, not only the field's line), and marked.
        for key in ["tab"] * 10 + ["shift+tab"] * 8:
            await pilot.press(key)
            await pilot.pause()
            field = app.focused.parent
            assert isinstance(field, OptionField)
            await wait_until(pilot, lambda field=field: seen_whole(field, scroll))
            # Scrolling may still be drawing: wait for the mark on this field, whole.
            await wait_until(
                pilot,
                lambda field=field: (
                    any(field.spec.name in line for line in marked_lines())
                    and len(marked_lines()) == field.region.height
                ),
            )
        # A row of the Request tab: with the lines that explain it under it.
        settings.query_one("#settings-tabs", TabbedContent).active = "request"
        await pilot.pause()
        settings.query_one("#keep-alive").focus()
        request = settings.query_one("#request-scroll")
        last = request.query(".option-description").last()
        await wait_until(pilot, lambda: seen_whole(last, request))
        await wait_until(pilot, lambda: any("keep_alive" in line for line in marked_lines()))
        # A refused apply goes to the field refused, on its tab, in view (here above the
        # part of the list on show).
        settings.query_one("#settings-tabs", TabbedContent).active = "options"
        await pilot.pause()
        settings.query_one("#option-num_thread", Input).focus()
        await wait_until(pilot, lambda: scroll.scroll_y > 20)
        settings.query_one("#settings-tabs", TabbedContent).active = "request"
        settings.query_one("#option-top_k", Input).value = "many"
        await pilot.press("ctrl+s")
        bad = settings.query_one("#option-top_k", Input)
        await wait_until(pilot, lambda: bad.has_focus)
        assert settings.query_one("#settings-tabs", TabbedContent).active == "options"
        await wait_until(pilot, lambda: seen_whole(bad.parent, scroll))
        assert app.screen is settings

"""The shared dialogs answer to the keyboard."""

from textual.app import App

from app.app import STYLES
from app.screens.confirm import ConfirmScreen
from app.screens.text_prompt import TextPromptScreen
from tests.conftest import confirm_ready


class Host(App[None]):
    CSS_PATH = [STYLES / "dialogs.tcss"]


async def test_confirm_keys():
    app = Host()
    answers = []
    async with app.run_test() as pilot:
        app.push_screen(ConfirmScreen("Delete [b]it[/b]?"), answers.append)
        await confirm_ready(pilot)
        await pilot.press("y")
        app.push_screen(ConfirmScreen("Delete?", danger=True), answers.append)
        await pilot.pause()
        await pilot.press("escape")  # at once: declining is never held back
        app.push_screen(ConfirmScreen("Delete?", danger=True), answers.append)
        await confirm_ready(pilot)
        await pilot.press("enter")  # the focused button is "No" for a dangerous action
        await pilot.pause()
    assert answers == [True, False, False]


async def test_confirm_always():
    app = Host()
    answers = []
    async with app.run_test() as pilot:
        plain = ConfirmScreen("Run it?")
        app.push_screen(plain, answers.append)
        await confirm_ready(pilot)
        await pilot.press("a")  # not offered: nothing happens
        await pilot.pause()
        assert app.screen is plain and not plain.query("#always")
        await confirm_ready(pilot)
        await pilot.press("n")
        offered = ConfirmScreen("Run it?", "the command", always="Always allow")
        app.push_screen(offered, answers.append)
        await confirm_ready(pilot)
        assert "Always allow (a)" in str(offered.query_one("#always").label)
        await pilot.press("a")
        await pilot.pause()
    assert answers == [False, True]
    assert offered.always_chosen and not plain.always_chosen


async def test_confirm_ignores_keys_typed_as_it_appears():
    """A key in the same burst as the one that opened the question does not answer it;
    nor does one that goes on a burst of typing; after a short pause a key answers."""
    app = Host()
    answers: list[bool | None] = []
    async with app.run_test() as pilot:
        screen = ConfirmScreen("Delete?", yes="Delete", danger=True)
        app.push_screen(screen, answers.append)
        await pilot.press("y", "e", "s", "enter", "y")  # at once: all ignored
        await pilot.pause()
        assert app.screen is screen and answers == []
        assert not screen.accepts_keys  # the burst kept the guard up
        await confirm_ready(pilot)
        await pilot.press("y")
        await pilot.pause()
    assert answers == [True]


async def test_text_prompt_validates_and_cancels():
    app = Host()
    answers = []
    async with app.run_test() as pilot:
        app.push_screen(
            TextPromptScreen("Name?", "old", validate=lambda t: "empty" if not t.strip() else None),
            answers.append,
        )
        await pilot.pause()
        await pilot.press("ctrl+u", "enter")  # empty: refused, dialog stays
        await pilot.pause()
        assert isinstance(app.screen, TextPromptScreen)
        await pilot.press(*"new", "enter")
        app.push_screen(TextPromptScreen("Name?"), answers.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert answers == ["new", None]

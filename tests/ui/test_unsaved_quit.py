"""Quitting loses nothing: unsaved conversations are named and kept (retry, a recovery copy,
or discard on purpose); a file a newer olladeck rewrote goes on as a copy."""

from __future__ import annotations

import errno
import os
import tomllib

from app.config import Config
from app.screens.confirm import ChoiceScreen
from app.store import atomic
from app.store.codec import SCHEMA_VERSION
from tests.conftest import key_now, send_key, wait_until


async def _question(pilot) -> ChoiceScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ChoiceScreen)
    return screen


async def test_quit_with_an_unwritable_data_dir_asks_and_saves_a_recovery_copy(
    make_app, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the data directory should be")
    app = make_app(config=Config(data_dir=str(blocked)), model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"keep this", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        early = key_now(pilot, "d")  # typed just before Ctrl+Q took effect
        await pilot.press("ctrl+q")
        question = await _question(pilot)
        # It says which conversation is unsaved, and why.
        assert "not saved" in question.question
        assert "“keep this”" in question.detail and "Could not save" in question.detail
        assert str(home / "olladeck-recovery") in question.detail
        # Keys typed before it appeared (read only now) never answer it.
        await send_key(pilot, early)
        assert not app._exit and app.screen is question
        await wait_until(pilot, lambda: question.accepts_keys)
        await pilot.press("d")  # discarding takes a capital D: a stray d does nothing
        await pilot.pause()
        assert not app._exit and app.screen is question
        await wait_until(pilot, lambda: question.accepts_keys)
        await pilot.press("k")  # keep olladeck open
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
        assert not app._exit
        await pilot.press("ctrl+q")
        question = await _question(pilot)
        await wait_until(pilot, lambda: question.accepts_keys)
        await pilot.press("s")
        await wait_until(pilot, lambda: app._exit)
        # Where the copies are is said on the terminal once olladeck has closed.
        said = str(app._exit_renderables[0])
    folder = home / "olladeck-recovery"
    (saved,) = folder.glob("*.toml")
    messages = tomllib.loads(saved.read_text())["messages"]
    assert messages[0]["content"] == "keep this" and len(messages) == 2
    assert "keep this" in saved.with_suffix(".md").read_text()
    assert str(folder) in said and saved.name in said


async def test_quit_on_a_full_disk_tries_again_when_asked(make_app, data_dir, monkeypatch):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        real_replace = os.replace
        monkeypatch.setattr(atomic.os, "replace", full)
        await pilot.press(*"on a full disk", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        await pilot.press("ctrl+q")
        question = await _question(pilot)
        assert "No space left on device" in question.detail
        await wait_until(pilot, lambda: question.accepts_keys)
        await pilot.press("r")  # still full: asked again
        question = await _question(pilot)
        assert not app._exit
        monkeypatch.setattr(atomic.os, "replace", real_replace)
        await wait_until(pilot, lambda: question.accepts_keys)
        await pilot.press("r")
        await wait_until(pilot, lambda: app._exit)
    (path,) = (data_dir / "conversations").glob("*.toml")
    messages = tomllib.loads(path.read_text())["messages"]
    assert messages[0]["content"] == "on a full disk" and len(messages) == 2


async def test_a_file_rewritten_by_a_newer_olladeck_goes_on_as_a_copy(
    make_app, data_dir, monkeypatch
):
    import app.screens.history as history

    monkeypatch.setattr(history, "POLL_SECONDS", 0.2)
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.connection == "connected")
        await pilot.press(*"before", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        (path,) = (data_dir / "conversations").glob("*.toml")
        await wait_until(pilot, lambda: len(tomllib.loads(path.read_text())["messages"]) == 2)
        old_id = app.screen.current.id
        newer = path.read_text().replace(
            "schema_version = 1", f"schema_version = {SCHEMA_VERSION + 1}", 1
        )
        path.write_text(newer)
        app.screen.prompt.focus()
        await pilot.press(*"after", "enter")
        await wait_until(pilot, lambda: app.screen.current.id != old_id)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
        notices = [n for n in app._notifications if n.title == "Saved as a copy"]
        assert notices and "newer olladeck" in notices[0].message
        assert "“before (copy)”" in notices[0].message
        copy = data_dir / "conversations" / f"{app.screen.current.id}.toml"
        await wait_until(
            pilot, lambda: copy.exists() and len(tomllib.loads(copy.read_text())["messages"]) == 4
        )
        await pilot.press("ctrl+q")  # nothing unsaved: no question
        await wait_until(pilot, lambda: app._exit)
    assert path.read_text() == newer  # the newer olladeck's file is left as it was
    saved = tomllib.loads(copy.read_text())
    assert [m["content"] for m in saved["messages"]][::2] == ["before", "after"]
    assert saved["title"] == "before (copy)"

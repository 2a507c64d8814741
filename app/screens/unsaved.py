"""Quitting while some conversations are not saved, and files a newer olladeck took over.

Ctrl+Q first stops the replies (each is saved) and waits for the saves on the way. If a
conversation's last save failed (a read-only folder, a full disk), it is tried once more;
if that fails too, a question (`ChoiceScreen`: keys typed before it appeared never answer
it) names each unsaved conversation and why, and offers:

- r: try again (room may have been made on the disk);
- s: save a recovery copy: each conversation as TOML (the store's own format: put the
  file in the conversations folder to get it back) and as Markdown, in
  `~/olladeck-recovery/`, else `<temp dir>/olladeck-recovery-<uid>/` (the first that can
  be written); the folder is named on the terminal after olladeck closes;
- d: discard them and quit;
- k or Escape: do not quit.

A conversation whose file was rewritten by a newer olladeck cannot be saved there (the
file is never overwritten): it goes on under a new id, as a copy (`continue_as_copy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import Conversation, new_id
from ..store import Snapshot, StoreError

if TYPE_CHECKING:
    from .main import MainScreen

RECOVERY_FOLDER = "olladeck-recovery"
"""The name of the folder recovery copies go to."""


def recovery_dirs() -> list[Path]:
    """Where recovery copies may go, in order: the home folder, then the temp folder (the
    data folder is the one that failed)."""
    folders: list[Path] = []
    with contextlib.suppress(RuntimeError, KeyError):
        folders.append(Path.home() / RECOVERY_FOLDER)
    user = os.getuid() if hasattr(os, "getuid") else os.getpid()
    folders.append(Path(tempfile.gettempdir()) / f"{RECOVERY_FOLDER}-{user}")
    return folders


def write_recovery(copies: list[tuple[Snapshot, str]]) -> Path:
    """Write each conversation as TOML and Markdown in the first recovery folder that can
    be written (blocking: call in a thread).

    Args:
        copies: Each conversation's snapshot and its Markdown.

    Returns:
        The folder written to.

    Raises:
        OSError: no folder could be written (the last folder's error).
    """
    from ..store.atomic import atomic_write_text, ensure_private_dir
    from ..store.codec import dumps_document

    error: OSError | None = None
    for folder in recovery_dirs():
        try:
            ensure_private_dir(folder)
            for snapshot, markdown in copies:
                name = snapshot.conversation_id
                atomic_write_text(folder / f"{name}.toml", dumps_document(snapshot.document))
                atomic_write_text(folder / f"{name}.md", markdown)
        except OSError as exc:
            error = exc
            continue
        return folder
    assert error is not None
    raise error


def continue_as_copy(screen: MainScreen, conversation_id: str) -> Conversation | None:
    """A conversation whose file a newer olladeck rewrote goes on under a new id (the file
    is left as it is); the user is told. None while a reply streams into it (a later
    save comes back here) or if it is not open.
    """
    conversation = screen.conversations.get(conversation_id)
    if conversation is None or screen.pane.is_streaming(conversation_id):
        return None
    title = conversation.display_title
    conversation.id = new_id()
    conversation.title = f"{title} (copy)"
    del screen.conversations[conversation_id]
    screen.conversations[conversation.id] = conversation
    screen.services.store.forget(conversation_id)
    editing = screen._editing
    if editing is not None and editing[0] == conversation_id:
        screen._editing = (conversation.id, editing[1], editing[2])
    if conversation is screen.current:
        widget = screen._list_widget()
        if widget is not None:
            widget.set_current(conversation.id)
    screen.refresh_list()
    screen.notify(
        f"“{title}” was rewritten by a newer olladeck, which this one cannot write to: its "
        f"file is left as it is. What you have here, with what you typed since, is saved "
        f"as a new conversation, “{conversation.title}”.",
        title="Saved as a copy",
        severity="warning",
        timeout=15,
        markup=False,
    )
    return conversation


async def wait_for_saves(screen: MainScreen) -> None:
    """Let the saves on the way finish (their failures are then known to the store)."""
    for worker in list(screen.app.workers):
        if worker.group == "save" and not worker.is_finished:
            with contextlib.suppress(Exception):
                await worker.wait()


def unsaved(screen: MainScreen) -> list[Conversation]:
    """The open conversations whose last save failed."""
    failed = screen.services.store.unsaved()
    return [
        conversation
        for conversation_id in failed
        if (conversation := screen.conversations.get(conversation_id)) is not None
        and conversation.messages
    ]


async def save_again(screen: MainScreen) -> list[tuple[Conversation, str]]:
    """Try once more to save each unsaved conversation; the ones still unsaved, with why."""
    store = screen.services.store
    left: list[tuple[Conversation, str]] = []
    for conversation in unsaved(screen):
        if store.is_read_only(conversation.id):
            conversation = continue_as_copy(screen, conversation.id) or conversation
        try:
            await asyncio.to_thread(store.write, store.snapshot(conversation))
        except StoreError as exc:
            left.append((conversation, str(exc)))
    return left


def _question(left: list[tuple[Conversation, str]]) -> tuple[str, str]:
    count = len(left)
    what = "conversation is" if count == 1 else f"{count} conversations are"
    question = f"{what[0].upper()}{what[1:]} not saved. Quit anyway?"
    lines = [f"• “{conversation.display_title}”: {error}" for conversation, error in left[:8]]
    if count > 8:
        lines.append(f"• and {count - 8} more")
    folder = recovery_dirs()[0]
    lines.append(
        f"Save a copy puts each in {folder} (else the temp folder), as TOML (copy it into "
        "the conversations folder to get it back) and Markdown."
    )
    return question, "\n".join(lines)


async def quit_safely(screen: MainScreen) -> None:
    """Quit once nothing is unsaved, or the user chose what to do with what is (run in a
    worker: it waits for the answer)."""
    from rich.text import Text

    from ..transfer import export_markdown
    from .confirm import ChoiceScreen

    app = screen.app
    while True:
        left = await save_again(screen)
        if not left:
            app.exit()
            return
        question, detail = _question(left)
        answer = await app.push_screen_wait(
            ChoiceScreen(
                question,
                detail,
                [
                    ("r", "Try again"),
                    ("s", "Save a copy and quit"),
                    # Discarding loses messages for good: a capital D, never a stray d.
                    ("D", "Discard and quit"),
                    ("k", "Keep olladeck open"),
                ],
            )
        )
        if answer == "D":
            app.exit()
            return
        if answer == "s":
            store = screen.services.store
            copies = [(store.snapshot(c), export_markdown(c)) for c, _error in left]
            try:
                folder = await asyncio.to_thread(write_recovery, copies)
            except OSError as exc:
                screen.notify(
                    f"No copy could be saved either: {exc.strerror or exc}.",
                    title="Not saved",
                    severity="error",
                    markup=False,
                )
                continue
            names = ", ".join(f"{snapshot.conversation_id}.toml" for snapshot, _ in copies)
            saved = f"olladeck: the unsaved conversations were saved in {folder}: {names}"
            app.exit(message=Text(saved))
            return
        if answer != "r":
            return

"""Folders the app did not make keep their permissions; a symlinked config stays a link."""

from __future__ import annotations

import stat
from pathlib import Path

from app.config import ensure_config_file, parse_config, save_theme
from app.models import ChatMessage, Conversation
from app.store import ConversationStore

SHARED = 0o1777
"""A shared folder, like /tmp: anyone may create files in it, the sticky bit set."""


def shared_folder(path: Path) -> Path:
    path.mkdir()
    path.chmod(SHARED)
    return path


def test_an_existing_data_dir_keeps_its_permissions(tmp_path: Path) -> None:
    """`--data-dir` naming a shared folder: the folders the store makes inside it are
    private, the shared folder itself is left as it was."""
    shared = shared_folder(tmp_path / "shared")
    store = ConversationStore(shared)
    conversation = Conversation(title="t", model="m")
    conversation.messages.append(ChatMessage(role="user", content="hello", images=[]))
    store.save(conversation)
    store.images.put(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert stat.S_IMODE(shared.stat().st_mode) == SHARED
    assert stat.S_IMODE(store.conversations_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.images.root.stat().st_mode) == 0o700


def test_an_existing_config_folder_keeps_its_permissions(tmp_path: Path) -> None:
    """`--config shared/file.toml`: writing the template and then the theme leaves the
    folder's permissions alone."""
    shared = shared_folder(tmp_path / "shared")
    path = shared / "file.toml"
    assert ensure_config_file(path)
    save_theme("nord", path)
    assert stat.S_IMODE(shared.stat().st_mode) == SHARED
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_config_folder_is_private(tmp_path: Path) -> None:
    path = tmp_path / "made" / "config.toml"
    assert ensure_config_file(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_changing_the_theme_writes_through_a_symlinked_config(tmp_path: Path) -> None:
    """A config.toml kept with the dotfiles and linked into place stays a link; the
    file it points to gets the theme, and nothing else in it changes."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "olladeck.toml"
    real.write_text('default_model = "llama3.2"\n', encoding="utf-8")
    folder = tmp_path / "config" / "olladeck"
    folder.mkdir(parents=True)
    link = folder / "config.toml"
    link.symlink_to(real)

    save_theme("nord", link)

    assert link.is_symlink()
    assert link.resolve() == real
    config = parse_config(real.read_text(encoding="utf-8"), str(real))
    assert config.theme == "nord"
    assert config.default_model == "llama3.2"
    assert sorted(p.name for p in folder.iterdir()) == ["config.toml"]
    assert not [p for p in dotfiles.iterdir() if p.name.endswith(".tmp")]
    # A link that points nowhere yet: the template is written where it points.
    dangling = tmp_path / "config" / "other.toml"
    dangling.symlink_to(dotfiles / "new.toml")
    assert ensure_config_file(dangling)
    assert dangling.is_symlink() and (dotfiles / "new.toml").is_file()

"""The library of saved system prompts: `prompts.toml` in the config directory.

    schema_version = 1
    [[prompts]]
    name = "Terse"
    text = "Answer in one sentence."

Named, reusable, written atomically like conversations. A broken file is never overwritten:
it is reported, and saving is refused until it is fixed or moved.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from .atomic import atomic_write_text, ensure_private_dir

SCHEMA_VERSION = 1


class PromptLibraryError(Exception):
    """The library could not be read or written; the text says why, plainly."""


@dataclass(frozen=True)
class SavedPrompt:
    """A named system prompt."""

    name: str
    text: str


class PromptLibrary:
    """Saved system prompts in one TOML file. Blocking: call from a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._broken = False

    def load(self) -> list[SavedPrompt]:
        """Every saved prompt, sorted by name; none when the file does not exist yet.

        Raises:
            PromptLibraryError: the file is unreadable or not a prompt library.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._broken = False
            return []
        except (OSError, UnicodeDecodeError) as exc:
            self._broken = True
            raise PromptLibraryError(f"Could not read {self.path}: {exc}.") from exc
        try:
            prompts = _parse(text)
        except PromptLibraryError as exc:
            self._broken = True
            raise PromptLibraryError(f"{self.path}: {exc}.") from None
        self._broken = False
        return prompts

    def save(self, prompts: list[SavedPrompt]) -> None:
        """Write the whole library atomically (mode 0600).

        Raises:
            PromptLibraryError: the file on disk could not be read (so it is not replaced),
                or the write failed.
        """
        if self._broken:
            raise PromptLibraryError(
                f"{self.path} could not be read, so it is not overwritten; fix or move it."
            )
        document = {
            "schema_version": SCHEMA_VERSION,
            "prompts": [{"name": p.name, "text": p.text} for p in sorted(prompts, key=_sort_key)],
        }
        try:
            ensure_private_dir(self.path.parent)
            atomic_write_text(self.path, tomli_w.dumps(document, multiline_strings=True))
        except OSError as exc:
            raise PromptLibraryError(f"Could not save {self.path}: {exc.strerror or exc}.") from exc


def _sort_key(prompt: SavedPrompt) -> str:
    return prompt.name.casefold()


def _parse(text: str) -> list[SavedPrompt]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptLibraryError(f"not valid TOML ({exc})") from None
    version = doc.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise PromptLibraryError(f"schema_version {version!r} is not one this olladeck knows")
    raw = doc.get("prompts", [])
    if not isinstance(raw, list):
        raise PromptLibraryError("'prompts' should be a list of tables")
    prompts: dict[str, SavedPrompt] = {}
    for index, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise PromptLibraryError(f"prompt {index} is not a table")
        name, body = item.get("name"), item.get("text", "")
        if not isinstance(name, str) or not name.strip() or not isinstance(body, str):
            raise PromptLibraryError(f"prompt {index} needs a name and a text (strings)")
        prompts[name.strip()] = SavedPrompt(name.strip(), body)
    return sorted(prompts.values(), key=_sort_key)

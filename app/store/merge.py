"""Merging two versions of one conversation, for two olladeck instances on one data dir.

Each side is a document as `codec.conversation_document` makes it. The base is the
version this instance last wrote (or read): what changed since then on each side tells
who did what. Messages are matched by id:

- a message only one side has is kept (the other side's new messages are inserted after
  the message that precedes them there, so a question stays next to its answer); the only
  exception is a message this side deleted that the other side never touched;
- a message both sides changed differently is a conflict, unless one is just a longer
  version of the other (a reply that went on streaming).

Settings both sides changed differently (the system prompt, the request settings) are a
conflict too; the title, model, host and pin of this instance win without one. On a
conflict the other side's version wins in the file and this side's version is saved as a
copy by the store, so nothing is lost either way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from ..models import Conversation

_FIELDS = ("title", "model", "system", "host", "pinned", "settings")
"""Top-level fields merged one by one."""
_CONFLICTING_FIELDS = ("system", "settings")
"""Fields a person writes: both sides changing them differently is a conflict."""
_MISSING = object()


@dataclass
class MergeResult:
    """The merged document and what the other side contributed to it."""

    document: dict[str, Any]
    """What goes into the file."""
    conflict: bool = False
    """Both sides changed the same thing differently; the other side's version won."""
    added: list[str] = field(default_factory=list)
    """Ids of the other side's messages that this side did not have."""
    replaced: list[str] = field(default_factory=list)
    """Ids of this side's messages whose content the other side's version replaced."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Top-level fields (title, model, system, host, pinned, settings) taken from the
    other side."""

    @property
    def changed_ours(self) -> bool:
        """True if the merged document differs from this side's in anything but times."""
        return bool(self.added or self.replaced or self.fields)


def _grows(longer: dict[str, Any], shorter: dict[str, Any]) -> bool:
    """`longer` is `shorter` with more text streamed in (same message, later state)."""
    return (
        longer.get("role") == shorter.get("role")
        and shorter.get("state") == "streaming"
        and str(longer.get("content", "")).startswith(str(shorter.get("content", "")))
        and str(longer.get("thinking", "")).startswith(str(shorter.get("thinking", "")))
    )


def _deleted_key(entry: Any) -> object:
    """What tells one deleted entry from another: the ids of its messages."""
    if not isinstance(entry, dict):
        return id(entry)
    return tuple(m.get("id") for m in entry.get("messages", []) if isinstance(m, dict))


def merge_documents(
    base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any]
) -> MergeResult:
    """Merge the other side's version of a conversation into ours.

    Args:
        base: The version both started from (what this side last wrote or read), or None
            when unknown; then nothing counts as deleted and differing settings keep ours.
        ours: This side's version, about to be written.
        theirs: The version found in the file.

    Returns:
        The merged document (a new dict; the arguments are not changed) and a report.
    """
    result = MergeResult(document={})
    base_messages = {m["id"]: m for m in base.get("messages", [])} if base is not None else {}
    theirs_list: list[dict[str, Any]] = list(theirs.get("messages", []))
    theirs_messages = {m["id"]: m for m in theirs_list}
    merged: list[dict[str, Any]] = []
    for mine in ours.get("messages", []):
        mid = mine["id"]
        other = theirs_messages.get(mid)
        original = base_messages.get(mid, _MISSING)
        if other is None or other in (mine, original):
            # A message the other side lacks is kept even if it was there once: the file
            # may come from a machine that never saw it (a sync), and nothing is dropped.
            merged.append(mine)
        elif mine == original or _grows(other, mine):
            merged.append(other)
            result.replaced.append(mid)
        elif _grows(mine, other) or mine.get("state") == "streaming":
            # Only the instance streaming a reply changes it.
            merged.append(mine)
        else:
            merged.append(other)
            result.replaced.append(mid)
            result.conflict = True
    # The other side's new messages go right after the message preceding them there.
    positions = {m["id"]: i for i, m in enumerate(merged)}
    anchor: str | None = None
    for other in theirs_list:
        mid = other["id"]
        if mid in positions:
            anchor = mid
            continue
        original = base_messages.get(mid, _MISSING)
        if original is not _MISSING and other == original:
            continue  # deleted here, untouched there
        at = positions[anchor] + 1 if anchor is not None else 0
        merged.insert(at, other)
        positions = {m["id"]: i for i, m in enumerate(merged)}
        anchor = mid
        result.added.append(mid)

    document = dict(ours)
    for name in _FIELDS:
        mine_value, other_value = ours.get(name, _MISSING), theirs.get(name, _MISSING)
        if mine_value == other_value or other_value is _MISSING:
            continue
        original = base.get(name, _MISSING) if base is not None else _MISSING
        if original is not _MISSING and mine_value == original:
            document[name] = other_value
            result.fields[name] = other_value
        elif original is not _MISSING and other_value == original:
            continue
        elif name in _CONFLICTING_FIELDS and base is not None:
            document[name] = other_value
            result.fields[name] = other_value
            result.conflict = True
    for name, pick in (("updated_at", max), ("created_at", min)):
        values = [v for v in (ours.get(name), theirs.get(name)) if v is not None]
        if values:
            document[name] = pick(values)
    document["messages"] = merged
    # Deleted messages (kept for undo) of both sides, each once.
    deleted = list(ours.get("deleted", []))
    seen = {_deleted_key(d) for d in deleted}
    deleted += [d for d in theirs.get("deleted", []) if _deleted_key(d) not in seen]
    if deleted:
        document["deleted"] = deleted
    result.document = document
    return result


def apply_merge(
    conversation: Conversation,
    result: MergeResult,
    written_ids: set[str] | None = None,
    keep_ids: set[str] | None = None,
) -> None:
    """Bring a conversation in memory up to date with a merge the store wrote.

    Message objects that did not change stay the same objects (a reply streaming into
    one goes on); messages added here after the merged snapshot was taken are kept.

    Args:
        conversation: The live conversation (changed in place).
        result: The merge of that conversation's snapshot with the file.
        written_ids: Ids of the messages in the snapshot that was merged; messages the
            conversation has beyond those are newer than the merge and are kept.
        keep_ids: Messages that must stay the same objects whatever the merge says (a
            reply streaming into them right now).
    """
    from .codec import (
        CodecError,
        deleted_from_document,
        message_from_document,
        options_from_settings,
    )

    conversation.deleted = deleted_from_document(result.document)
    live = {m.id: m for m in conversation.messages}
    replaced = set(result.replaced) - (keep_ids or set())
    merged_messages = []
    for doc in result.document.get("messages", []):
        mid = doc["id"]
        if mid in live and mid not in replaced:
            merged_messages.append(live[mid])
            continue
        try:
            merged_messages.append(message_from_document(doc))
        except CodecError:  # pragma: no cover - the store wrote it from valid documents
            if mid in live:
                merged_messages.append(live[mid])
    merged_ids = {m.id for m in merged_messages}
    known = written_ids if written_ids is not None else set(live)
    previous: str | None = None
    for message in conversation.messages:
        if message.id not in merged_ids and message.id not in known:
            at = next(
                (i + 1 for i, m in enumerate(merged_messages) if m.id == previous),
                len(merged_messages) if previous is not None else 0,
            )
            merged_messages.insert(at, message)
            merged_ids.add(message.id)
        previous = message.id
    conversation.messages[:] = merged_messages
    for name, value in result.fields.items():
        if name == "settings":
            with contextlib.suppress(CodecError):
                conversation.chat_options = options_from_settings(value)
        elif name in ("title", "model", "system", "host") and isinstance(value, str):
            setattr(conversation, name, value)
        elif name == "pinned" and isinstance(value, bool):
            conversation.pinned = value
    updated = result.document.get("updated_at")
    if updated is not None and updated > conversation.updated_at:
        conversation.updated_at = updated

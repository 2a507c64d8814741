"""Saving conversations and images on disk. Nothing here imports Textual."""

from .conversations import (
    ConversationStore,
    MergeReport,
    NewerFileError,
    Snapshot,
    StoreError,
    StoreProblem,
    TrashEntry,
)
from .images import ImageStore, ImageStoreError, sniff_image_type

__all__ = [
    "ConversationStore",
    "ImageStore",
    "ImageStoreError",
    "MergeReport",
    "NewerFileError",
    "Snapshot",
    "StoreError",
    "StoreProblem",
    "TrashEntry",
    "sniff_image_type",
]

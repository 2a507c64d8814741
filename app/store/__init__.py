"""Saving conversations and images on disk. Nothing here imports Textual."""

from .conversations import ConversationStore, Snapshot, StoreError, StoreProblem
from .images import ImageStore, ImageStoreError, sniff_image_type

__all__ = [
    "ConversationStore",
    "ImageStore",
    "ImageStoreError",
    "Snapshot",
    "StoreError",
    "StoreProblem",
    "sniff_image_type",
]

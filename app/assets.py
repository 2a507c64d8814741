"""Where olladeck's stylesheets are."""

from __future__ import annotations

from pathlib import Path


def _styles_dir() -> Path:
    # Installed from a wheel, the stylesheets travel inside the package; in a source
    # checkout (or an editable install) they sit beside it, at the top of the repository.
    here = Path(__file__).resolve().parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


STYLES = _styles_dir()
"""The folder of the `.tcss` files."""

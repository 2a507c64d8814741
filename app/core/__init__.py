"""Headless logic: no Textual, no Rich."""

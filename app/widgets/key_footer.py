"""The footer: redrawn only when the keys it shows change, and never a key cut in two."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget


class KeyFooter(Footer):
    """Textual's footer rebuilds all its keys whenever the screen says its bindings may
    have changed: on every focus move, every `refresh_bindings()`. While a reply streams,
    that is a costly rebuild for nothing most of the time. This one rebuilds only when
    what it would show differs from what it shows.

    Textual's footer also lets the keys run on under the palette key and off the edge,
    so a narrow terminal showed half a key (`^q Qu`). This one shows whole keys only: the
    first ones that fit (those of the focused widget come first), the rest are hidden
    (F1 lists every key)."""

    _shown: tuple[object, ...] | None = None

    def _signature(self) -> tuple[object, ...]:
        return tuple(
            (key, binding.action, binding.description, binding.key_display, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            signature = self._signature()
            if self._bindings_ready and signature == self._shown:
                return
            self._shown = signature
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        async with self.batch():
            await super().recompose()
            self.fit_keys()

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys that fit whole beside the palette key; hide the others."""
        width = self.size.width
        if width <= 0:
            return
        keys = [child for child in self.children if not child.has_class("-command-palette")]
        palette = [child for child in self.children if child.has_class("-command-palette")]
        room = width - sum(self._width(child) + child.styles.margin.width for child in palette)
        used = 0
        fits = True
        for key in keys:
            # A key needs its own width; the margin after it only matters if another follows.
            fits = fits and used + self._width(key) <= room
            key.display = fits
            if fits:
                used += self._width(key) + key.styles.margin.width

    def _width(self, child: Widget) -> int:
        """The width a key takes, without its margins."""
        content = child.get_content_width(self.size, self.app.size)
        return content + child.styles.gutter.width

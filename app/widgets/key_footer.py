"""The footer, redrawn only when the keys it shows change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyFooter(Footer):
    """Textual's footer rebuilds all its keys whenever the screen says its bindings may
    have changed: on every focus move, every `refresh_bindings()`. While a reply streams,
    that is a costly rebuild for nothing most of the time. This one rebuilds only when
    what it would show differs from what it shows."""

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

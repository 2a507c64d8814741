"""Mount a widget after the first frame, importing its module only then."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Deferred(Widget):
    """A placeholder replaced, just after the first frame, by the widget `factory` makes.

    Like `textual.lazy.Lazy`, but the widget is built (and its module imported) only
    then, so regions the user does not need in the first instant cost the first frame
    nothing at all.
    """

    DEFAULT_CSS = "Deferred { display: none; }"

    def __init__(self, factory: Callable[[], Widget]) -> None:
        super().__init__()
        self._factory = factory

    def on_mount(self) -> None:
        self.call_after_refresh(self._replace)

    async def _replace(self) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return
        await parent.mount(self._factory(), after=self)
        await self.remove()

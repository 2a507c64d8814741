"""Full-text search over every message of every conversation (Ctrl+F).

Queries run in a thread against the index's FTS5 table, a moment after typing pauses;
Enter (or choosing a result) dismisses with the hit, and the main screen opens that
conversation at the message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ..chat import sanitize
from .modal import KeyedModal

if TYPE_CHECKING:
    from ..store.index import SearchHit

DEBOUNCE = 0.12
"""Seconds typing must pause before a query runs."""
_SPACE = re.compile(r"\s+")
_ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}


def snippet_content(snippet: str) -> Content:
    """A search snippet with its matches highlighted, every part shown literally."""
    from ..store.index import HIGHLIGHT_END, HIGHLIGHT_START

    def one_line(text: str) -> str:
        return sanitize(_SPACE.sub(" ", text))

    parts: list[str | tuple[str, str]] = []
    for index, chunk in enumerate(snippet.split(HIGHLIGHT_START)):
        if index == 0:
            parts.append(one_line(chunk))
            continue
        match, _, rest = chunk.partition(HIGHLIGHT_END)
        parts.append((one_line(match), "bold $accent"))
        parts.append(one_line(rest))
    return Content.assemble(*parts)


class SearchScreen(KeyedModal["SearchHit | None"]):
    """Type words; the messages containing all of them are listed, best matches first."""

    BINDINGS = [
        Binding("escape,q", "cancel", "Close", id="search.cancel", tooltip="Close the search"),
    ]

    class Found(Message):
        """A query's results (from the search thread)."""

        def __init__(self, query: str, hits: list[SearchHit], seconds: float, problem: str) -> None:
            super().__init__()
            self.query = query
            self.hits = hits
            self.seconds = seconds
            self.problem = problem

    def __init__(
        self,
        search: Callable[[str], list[SearchHit]],
        *,
        query: str = "",
        progress: Callable[[], str] | None = None,
    ) -> None:
        """
        Args:
            search: Runs a query (called in a thread).
            query: Text to start with.
            progress: Says, if the index is still being built, how far it is.
        """
        super().__init__(classes="dialog-screen")
        self._search = search
        self._query = query
        self._progress = progress
        self._hits: list[SearchHit] = []
        self._timer: Timer | None = None
        self.last_seconds: float | None = None
        """How long the last query took."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog search-dialog"):
            yield Static(Content("Search every message"), classes="dialog-title")
            yield Input(self._query, placeholder="Words to find", id="search-input")
            yield Static(Content(""), id="search-status", classes="dialog-hint")
            yield OptionList(id="search-results")
            yield Static(
                Content("Enter opens the message · ↓ to the results · Escape closes"),
                classes="dialog-hint",
            )

    @property
    def results(self) -> OptionList:
        return self.query_one("#search-results", OptionList)

    @property
    def hits(self) -> list[SearchHit]:
        """What the last query found."""
        return list(self._hits)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._show_status("Type words that the message contains.")
        if self._query:
            self._run(self._query)

    def _show_status(self, text: str) -> None:
        progress = self._progress() if self._progress else ""
        self.query_one("#search-status", Static).update(Content(f"{text} {progress}".strip()))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._run(value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._hits:
            index = self.results.highlighted or 0
            self.dismiss(self._hits[index])

    def on_key(self, event: events.Key) -> None:
        # Down from the query goes to the results.
        if event.key == "down" and self.query_one(Input).has_focus:
            event.stop()
            self.results.focus()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Search")
    def _run(self, query: str) -> None:
        started = time.perf_counter()
        try:
            hits = self._search(query)
            problem = ""
        except Exception as exc:  # the index failed: say so, keep the dialog usable
            hits, problem = [], f"The search failed: {exc}."
        seconds = time.perf_counter() - started
        if not get_current_worker().is_cancelled:
            # A message, not call_from_thread: it never blocks this thread if the app exits.
            self.post_message(self.Found(query, hits, seconds, problem))

    def on_search_screen_found(self, event: Found) -> None:
        self._show(event.query, event.hits, event.seconds, event.problem)

    def _show(self, query: str, hits: list[SearchHit], seconds: float, problem: str) -> None:
        if query != self.query_one(Input).value:
            return  # typing went on: a newer query is coming
        self.last_seconds = seconds
        self._hits = hits
        options = self.results
        options.clear_options()
        options.add_options(
            Option(
                Content.assemble(
                    (sanitize(hit.title), "bold"),
                    (f"  {_ROLE_NAMES.get(hit.role, hit.role)}", "$text-muted"),
                    "\n",
                    snippet_content(hit.snippet),
                ),
                id=f"{index}",
            )
            for index, hit in enumerate(hits)
        )
        if hits:
            options.highlighted = 0
        if problem:
            self._show_status(problem)
        elif not query.strip():
            self._show_status("Type words that the message contains.")
        elif not hits:
            self._show_status("No message contains all of these words.")
        else:
            many = "100 or more" if len(hits) >= 100 else str(len(hits))
            noun = "message" if len(hits) == 1 else "messages"
            self._show_status(f"{many} {noun} · {seconds * 1000:.0f} ms")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._hits[event.option_index])

    def action_cancel(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)

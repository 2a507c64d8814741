"""Turning messages into lines of the terminal, cheaply and incrementally.

A reply is split into top-level Markdown blocks. While it streams, only the last block is
still growing: blocks before it are final, rendered once (and only when they come into
view) and cached. Each frame re-renders just the open block, so the cost of a frame does
not grow with the length of the reply.

Imported only when the first message is drawn (Rich's Markdown pulls in markdown-it).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console
from rich.markdown import CodeBlock, Markdown
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from rich.theme import Theme
from textual.color import Color
from textual.strip import Strip

from .chat import sanitize
from .models import ChatMessage, ReplyStats
from .ollama.errors import is_permanent

_LEXERS: dict[str, Any] = {}
"""Pygments lexers by language name (shared by all renderers)."""

GUTTER = 2
"""Columns left of every message: a coloured bar and a space."""
BIG_FENCE_LINES = 200
"""An open code block longer than this is drawn in pieces while it streams."""


MAX_NESTING = 100
"""How deep markdown-it parses blocks (its own default). The CommonMark preset's 20
dropped every list item deeper than 9 levels (a list level takes two); whatever lies
deeper than this is still dropped."""


def _parser() -> MarkdownIt:
    # Raw HTML stays visible text; tables and strikethrough as on GitHub.
    options = {"html": False, "maxNesting": MAX_NESTING}
    return MarkdownIt("commonmark", options).enable("strikethrough").enable("table")


_BLOCK_PARSER = _parser()
_BLOCK_PARSER.core.ruler.disable(["inline"])  # splitting needs the block structure only


def block_starts(text: str) -> list[int]:
    """Line numbers where top-level Markdown blocks start."""
    starts: list[int] = []
    for token in _BLOCK_PARSER.parse(text):
        top_level = token.level == 0 and token.nesting >= 0 and token.map is not None
        if top_level and (not starts or token.map[0] > starts[-1]):  # type: ignore[index]
            starts.append(token.map[0])  # type: ignore[index]
    return starts


LIST_DEPTH = 9
"""Lists nest this many levels on screen (each level indents by three columns or more);
items deeper are drawn at this depth, each marked with its real depth."""

_LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_LIST_CLOSE = ("bullet_list_close", "ordered_list_close")


def _marker_paragraph(marker: str) -> list[Token]:
    text = Token("text", "", 0, content=marker)
    return [
        Token("paragraph_open", "p", 1),
        Token("inline", "", 0, content=marker, children=[text]),
        Token("paragraph_close", "p", -1),
    ]


def flatten_deep_lists(tokens: list[Token], limit: int = LIST_DEPTH) -> list[Token]:
    """The tokens of a Markdown text with lists nested no deeper than `limit`.

    The items of a deeper list lose their own list and become paragraphs of the item at
    depth `limit` that holds them, each starting with a marker of its real depth and its
    bullet or number (`[12] • text`, `[12] 3. text`). Only matching open and close tokens
    are dropped, so what remains is still balanced.
    """
    out: list[Token] = []
    depth = 0
    # The marker of a deep item, until its first text (or whatever else comes) takes it.
    marker: str | None = None
    for token in tokens:
        kind = token.type
        if kind in _LIST_OPEN:
            depth += 1
            if depth > limit:
                continue
        elif kind in _LIST_CLOSE:
            depth -= 1
            if depth >= limit:
                continue
        elif kind in ("list_item_open", "list_item_close") and depth > limit:
            if marker is not None:  # an empty item: its marker on its own
                out.extend(_marker_paragraph(marker))
                marker = None
            if kind == "list_item_open":
                bullet = f"{token.info}{token.markup}" if token.info else "•"
                marker = f"[{depth}] {bullet} "
            continue
        elif marker is not None:
            if kind == "inline":
                token.children = [Token("text", "", 0, content=marker), *(token.children or [])]
                marker = None
            elif kind not in ("paragraph_open", "heading_open"):
                out.extend(_marker_paragraph(marker))
                marker = None
        out.append(token)
    return out


class BlockStream:
    """Top-level Markdown blocks of a text that may still be growing."""

    def __init__(self, text: str = "", complete: bool = False) -> None:
        self.blocks: list[str] = []
        """Blocks that can no longer change."""
        self.open = ""
        """The last block, which the next text may still extend."""
        if text:
            self.feed(text)
        if complete:
            self.close()

    def feed(self, text: str) -> int:
        """Add text; returns how many blocks became final."""
        self.open += text
        if "\n" not in text:
            return 0  # a block can only end at a line end
        starts = block_starts(self.open)
        if len(starts) <= 1:
            return 0
        lines = self.open.splitlines(keepends=True)
        new = ["".join(lines[a:b]) for a, b in itertools.pairwise(starts)]
        self.open = "".join(lines[starts[-1] :])
        self.blocks.extend(new)
        return len(new)

    def close(self) -> None:
        """The text is complete: the open block becomes final too."""
        if self.open.strip():
            self.blocks.append(self.open)
        self.open = ""

    @property
    def all_blocks(self) -> list[str]:
        """Every block, the open one last."""
        return [*self.blocks, self.open] if self.open.strip() else list(self.blocks)


def fence_info(block: str) -> tuple[str, str] | None:
    """`(language, code)` if the block is a fenced code block."""
    stripped = block.lstrip()
    for marker in ("```", "~~~"):
        if stripped.startswith(marker):
            first, _, rest = stripped.partition("\n")
            language = first.strip()[len(marker) :].strip().split(" ")[0]
            body = rest.rstrip("\n")
            fence = first.strip()[: len(first.strip()) - len(first.strip().lstrip(marker[0]))]
            if body.endswith(fence):
                body = body[: -len(fence)].rstrip("\n")
            return language, body
    return None


def count_code_blocks(block: str) -> int:
    """How many code blocks (fenced or indented, at any depth) a Markdown block holds."""
    if "```" not in block and "~~~" not in block and "    " not in block and "\t" not in block:
        return 0
    return sum(token.type in ("fence", "code_block") for token in _BLOCK_PARSER.parse(block))


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """Every code block of a message, in order: `(language, code)`.

    Fenced and indented blocks, at any depth (a block inside a list item counts): the same
    order the labels on screen are numbered in, so the key `n` copies block `n`.
    """
    out = []
    for token in _parser().parse(markdown):
        if token.type == "fence":
            out.append((token.info.strip().split(" ")[0] if token.info else "", token.content))
        elif token.type == "code_block":
            out.append(("", token.content))
    return out


@dataclass(frozen=True)
class Palette:
    """Rich styles for messages, taken from the app's theme variables."""

    dark: bool
    text: str
    muted: str
    accent: str
    primary: str
    secondary: str
    error: str
    warning: str
    success: str
    surface: str
    selection: str

    @classmethod
    def from_variables(cls, variables: dict[str, str], dark: bool) -> Palette:
        def color(name: str, fallback: str) -> Color:
            try:
                return Color.parse(variables.get(name, fallback))
            except Exception:
                return Color.parse(fallback)

        background = color("background", "#121212" if dark else "#ffffff")
        foreground = color("foreground", "#e0e0e0" if dark else "#1e1e1e")
        return cls(
            dark=dark,
            text=foreground.hex,
            muted=foreground.blend(background, 0.4).hex,
            accent=color("text-accent", "#ffc473").hex,
            primary=color("text-primary", "#57a5e2").hex,
            secondary=color("secondary", "#004578").hex,
            error=color("text-error", "#d17e92").hex,
            warning=color("text-warning", "#ffc473").hex,
            success=color("text-success", "#8ad4a1").hex,
            surface=color("surface", "#1e1e1e").hex,
            selection=color("primary-muted", "#0c304c").hex,
        )

    def style(self, name: str, **extra: Any) -> Style:
        return Style(color=getattr(self, name), **extra)

    @property
    def code_theme(self) -> str:
        return "monokai" if self.dark else "friendly"

    def rich_theme(self) -> Theme:
        heading = Style(color=self.accent, bold=True)
        return Theme(
            {
                "markdown.h1": heading + Style(underline=True),
                "markdown.h2": heading,
                "markdown.h3": heading,
                "markdown.h4": Style(color=self.accent, italic=True),
                "markdown.h5": Style(color=self.accent),
                "markdown.h6": Style(color=self.muted),
                "markdown.h1.border": Style(color=self.accent),
                "markdown.code": Style(color=self.accent, bgcolor=self.surface),
                "markdown.code_block": Style(bgcolor=self.surface),
                "markdown.link": Style(color=self.primary, underline=True),
                "markdown.link_url": Style(color=self.muted),
                "markdown.block_quote": Style(color=self.muted, italic=True),
                "markdown.hr": Style(color=self.muted),
                "markdown.item.bullet": Style(color=self.accent, bold=True),
                "markdown.item.number": Style(color=self.accent, bold=True),
                "markdown.table.border": Style(color=self.muted),
                "markdown.table.header": Style(bold=True, color=self.text),
            },
            inherit=True,
        )


class Renderer:
    """Renders Markdown, code and text to lines at a given width."""

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self.console = Console(
            width=200,
            color_system="truecolor",
            force_terminal=True,
            legacy_windows=False,
            theme=palette.rich_theme(),
            file=_NullFile(),
        )
        self._parser = _parser()
        self.selection_style = Style(bgcolor=palette.selection)
        self._bars = {
            (True, False): Strip([Segment("┃", Style(color=palette.accent))]),
            (False, False): Strip([Segment("│", Style(color=palette.surface))]),
            (False, True): Strip([Segment(" ")]),
            (True, True): Strip([Segment(" ")]),
        }

    def scrollbar(self, thumb: bool, hidden: bool) -> Strip:
        """One cell of the pane's scrollbar."""
        return self._bars[thumb, hidden]

    def _lines(self, renderable: Any, width: int) -> list[Strip]:
        options = self.console.options.update(width=max(width, 1), height=None)
        lines = self.console.render_lines(renderable, options, pad=False, new_lines=False)
        strips = [Strip(line) for line in lines]
        # Rich puts blank lines around Markdown elements; the layout adds its own spacing.
        while strips and not strips[0].text.strip():
            strips.pop(0)
        while strips and not strips[-1].text.strip():
            strips.pop()
        return strips

    def markdown(self, block: str, width: int, first_code: int = 1) -> list[Strip]:
        """One Markdown block (links shown, not followed; raw HTML shown as text).

        Code blocks inside it (in a list item, say) are labelled from `first_code` on.
        """
        markdown = _NumberedMarkdown("", code_theme=self.palette.code_theme, hyperlinks=False)
        markdown.next_code = first_code
        markdown.label_style = self.palette.style("muted")
        markdown.markup = block
        markdown.parsed = flatten_deep_lists(self._parser.parse(block))
        return self._lines(markdown, width)

    def _lexer(self, language: str) -> Any:
        # Looking a lexer up by name is slow (it scans Pygments' registry): once per language.
        lexer = _LEXERS.get(language)
        if lexer is None:
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound

            try:
                lexer = get_lexer_by_name(language or "text")
            except ClassNotFound:
                lexer = get_lexer_by_name("text")
            _LEXERS[language] = lexer
        return lexer

    def code(self, code: str, language: str, width: int) -> list[Strip]:
        """A code block, highlighted, wrapped to the width."""
        syntax = Syntax(
            code,
            self._lexer(language),
            theme=self.palette.code_theme,
            word_wrap=True,
            background_color=self.palette.surface,
            padding=(0, 1),
        )
        return self._lines(syntax, width) or [Strip.blank(width)]

    def text(self, text: str, width: int, style: Style | None = None) -> list[Strip]:
        """Literal text (never markup), wrapped."""
        if not text:
            return []
        rich_text = Text(text, style=style or Style(), overflow="fold", no_wrap=False)
        return self._lines(rich_text, width)

    def line(self, *parts: tuple[str, Style]) -> Strip:
        """One line from styled pieces (not wrapped)."""
        return Strip([Segment(text, style) for text, style in parts if text])


class _NumberedCode(CodeBlock):
    """A code block inside a Markdown block, with the number that copies it."""

    number = 0
    label_style = Style()

    @classmethod
    def create(cls, markdown: Markdown, token: Any) -> CodeBlock:
        block = super().create(markdown, token)
        assert isinstance(markdown, _NumberedMarkdown) and isinstance(block, _NumberedCode)
        block.number = markdown.next_code
        block.label_style = markdown.label_style
        markdown.next_code += 1
        return block

    def __rich_console__(self, console: Console, options: Any) -> Any:
        label = Text.assemble(
            (f" {self.number} ", Style(reverse=True, bold=True)),
            (f" {self.lexer_name if self.lexer_name != 'text' else 'code'}", self.label_style),
        )
        yield label
        yield from super().__rich_console__(console, options)


class _NumberedMarkdown(Markdown):
    """Rich's Markdown, numbering the code blocks it draws."""

    elements = {**Markdown.elements, "fence": _NumberedCode, "code_block": _NumberedCode}
    next_code = 1
    label_style = Style()


class _NullFile:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


CHUNK = 4000
"""Literal text longer than this is laid out in pieces, each drawn only when in view."""


def text_chunks(text: str, size: int = CHUNK) -> list[str]:
    """Split text into pieces of about `size` characters, at line ends where possible.

    A pasted megabyte is then drawn a screenful at a time, not all at once.
    """
    if len(text) <= size:
        return [text]
    chunks = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            if cut > start:
                end = cut + 1
        piece = text[start:end]
        chunks.append(piece[:-1] if piece.endswith("\n") else piece)
        start = end
    return chunks


def estimate_lines(text: str, width: int) -> int:
    """Lines a text will probably take, without rendering it."""
    width = max(width, 10)
    return sum(max(1, math.ceil(len(line) / width)) for line in text.splitlines()) or 1


# -- the parts of a message ------------------------------------------------------------------


class Part:
    """A run of lines within a message; rendered lazily, cached per width."""

    def __init__(self) -> None:
        self._width = -1
        self._lines: list[Strip] | None = None
        self._estimated = (-1, 0)

    def rendered_at(self, width: int) -> bool:
        """True when the lines for this width are cached."""
        return self._lines is not None and self._width == width

    def invalidate(self) -> None:
        self._lines = None

    def height(self, width: int) -> int:
        if self._lines is not None and self._width == width:
            return len(self._lines)
        if self._estimated[0] != width:
            self._estimated = (width, self.estimate(width))
        return self._estimated[1]

    def lines(self, renderer: Renderer, width: int) -> list[Strip]:
        if self._lines is None or self._width != width:
            self._lines = self.render(renderer, width)
            self._width = width
        return self._lines

    def estimate(self, width: int) -> int:
        return 1

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        raise NotImplementedError


class MarkdownPart(Part):
    """One top-level Markdown block (a code block gets a numbered label)."""

    def __init__(
        self, block: str, code_number: int | None, gap: bool = False, first_code: int = 1
    ) -> None:
        super().__init__()
        self.block = block
        self.code_number = code_number
        self.gap = gap
        self.first_code = first_code
        """The number of the first code block nested in it (in a list item, say)."""
        """A blank line before it (every block but the first)."""

    def estimate(self, width: int) -> int:
        extra = (1 if self.code_number else 0) + (1 if self.gap else 0)
        return estimate_lines(self.block.strip(), width) + extra

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        gap = [Strip.blank(0)] if self.gap else []
        fence = fence_info(self.block) if self.code_number else None
        if fence is None:
            markdown = renderer.markdown(self.block, width, self.first_code)
            return gap + (markdown or [Strip.blank(0)])
        language, code = fence
        label = renderer.line(
            (f" {self.code_number} ", Style(reverse=True, bold=True)),
            (f" {language or 'code'}", renderer.palette.style("muted")),
        )
        return [*gap, label, *renderer.code(code, language, width)]


class TextPart(Part):
    """Literal text in a style."""

    def __init__(self, text: str, style_name: str = "text", **style: Any) -> None:
        super().__init__()
        self.text = text
        self.style_name = style_name
        self.style_extra = style

    def estimate(self, width: int) -> int:
        return estimate_lines(self.text, width)

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        style = renderer.palette.style(self.style_name, **self.style_extra)
        return renderer.text(self.text, width, style)


class LinesPart(Part):
    """Lines made by a function (headers, facts, JSON) — cheap, always exact."""

    def __init__(self, make: Any) -> None:
        super().__init__()
        self._make = make

    def estimate(self, width: int) -> int:
        return 1

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        return self._make(renderer, width)


# -- one message ---------------------------------------------------------------------------------


def stats_text(stats: ReplyStats | None, state: str) -> str:
    """The unobtrusive line of facts under a reply."""
    parts: list[str] = []
    if stats is not None:
        if stats.model:
            parts.append(stats.model)
        rate = stats.tokens_per_second
        if rate is not None:
            parts.append(f"{rate:.1f} tok/s")
        if stats.first_token_seconds is not None:
            parts.append(f"first token {stats.first_token_seconds:.2f} s")
        if stats.prompt_eval_count is not None or stats.eval_count is not None:
            parts.append(f"{stats.prompt_eval_count or 0} in → {stats.eval_count or 0} out tokens")
        if stats.out_of_range:
            names = ", ".join(stats.out_of_range)
            parts.append(f"Ollama sent numbers out of range ({names}): shown as unknown")
        if stats.done_reason == "length":
            parts.append("cut off: hit the num_predict limit")
        elif stats.done_reason and stats.done_reason not in ("stop", "load"):
            parts.append(f"ended: {stats.done_reason}")
    if state == "stopped":
        parts.append("stopped")
    elif state == "streaming":
        parts.append("interrupted (olladeck closed before the reply finished)")
    return " · ".join(parts)


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class ImageView:
    """An image of the history as the pane shows it: a label and a small picture."""

    label: str
    """`image 1 · PNG · 640x480 · 12.3 KB`, or why it cannot be shown."""
    cells: tuple[tuple[tuple[Rgb, Rgb], ...], ...] = ()
    """Rows of (upper, lower) pixel colours, drawn as half blocks."""


def half_block_cells(image: Any, columns: int = 16) -> tuple[tuple[tuple[Rgb, Rgb], ...], ...]:
    """A PIL image reduced to rows of half-block cells (call in a thread)."""
    width, height = image.size
    if not width or not height:
        return ()
    rows = max(1, round(columns * height / width / 2))
    small = image.convert("RGB").resize((columns, rows * 2))
    pixels = small.load()
    return tuple(
        tuple((pixels[x, 2 * y], pixels[x, 2 * y + 1]) for x in range(columns)) for y in range(rows)
    )


def _image_lines(views: list[ImageView], renderer: Renderer, width: int) -> list[Strip]:
    lines: list[Strip] = []
    muted = renderer.palette.style("muted")
    for view in views:
        for row in view.cells:
            lines.append(
                Strip(
                    [
                        Segment("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
                        for top, bottom in row
                    ]
                )
            )
        lines.extend(renderer.text(f"▣ {view.label}", width, muted))
    return lines


@dataclass
class ViewState:
    """How a message is shown right now (besides its content)."""

    streaming: bool = False
    """Text is still arriving."""
    thinking_open: bool | None = None
    """Show the reasoning expanded (None: the default for the message's state)."""
    json_format: bool = False
    """The conversation asked for JSON: show the reply as formatted JSON."""
    variant: tuple[int, int] | None = None
    """(position, count) when the message has alternative versions."""
    images: list[ImageView] | None = None
    """The attached images, once read back from the store (None: not yet)."""
    spinner: int = 0
    """Frame of the waiting indicator."""
    last: bool = False
    """The last message of the conversation (Ctrl+R retries only that one)."""


class _LastResortPart(Part):
    """Text drawn without Rich: a line per line of text, cut at the width. Used when even
    the plain view of a message failed to draw."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def estimate(self, width: int) -> int:
        return max(1, self.text.count("\n") + 1)

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        return [Strip([Segment(line[: max(width, 1)])]) for line in self.text.split("\n")]


FailureHook = Callable[["MessageItem", BaseException], None]
"""Told when a message could not be drawn as usual (it is then drawn as plain text)."""


class MessageItem:
    """A message laid out as parts; knows its height and renders its lines.

    Whatever is in the message (a number too large for a float, JSON nested thousands of
    levels deep, a date at the end of the calendar), drawing it never raises: a message
    that fails to draw is drawn again as plain text with a note (`failure`), and
    `on_failure` is told once.
    """

    def __init__(self, message: ChatMessage, state: ViewState | None = None) -> None:
        self.message = message
        self.state = state or ViewState()
        self.failure: str | None = None
        """Why the message is drawn as plain text (None: it is drawn as usual)."""
        self.on_failure: FailureHook | None = None
        self._last_resort = False
        self._blocks: BlockStream | None = None
        self._block_parts: list[MarkdownPart] = []
        self._parts: list[Part] | None = None
        self._code_count = 0
        self._fence_pieces: dict[tuple[int, str], Part] = {}
        self._live_thinking: list[str] = []
        self._has_content = bool(message.content) and not self.state.streaming
        self._layout: list[int] | None = None
        self._layout_width = -1
        self._kept: dict[tuple[Any, ...], Part] = {}
        self._estimate: tuple[tuple[int, int], int] = ((-1, -1), 0)

    # -- content --------------------------------------------------------------------------

    def _ensure_blocks(self) -> BlockStream:
        if self._blocks is None:
            text = "" if self.state.streaming else sanitize(self.message.content)
            self._blocks = BlockStream(text, complete=not self.state.streaming)
            self._block_parts = []
            self._code_count = 0
            for block in self._blocks.blocks:
                self._add_block_part(block)
        return self._blocks

    def _add_block_part(self, block: str) -> MarkdownPart:
        # Numbered as `code_blocks` counts: every code block, nested ones too.
        first = self._code_count + 1
        number = first if fence_info(block) is not None else None
        self._code_count += count_code_blocks(block)
        part = MarkdownPart(block, number, gap=bool(self._block_parts), first_code=first)
        self._block_parts.append(part)
        return part

    def feed_thinking(self, thinking: str) -> None:
        """Add streamed reasoning (already sanitised)."""
        self._live_thinking.append(thinking)
        self._changed()

    def _changed(self) -> None:
        self._parts = None
        self._layout = None

    @property
    def has_text(self) -> bool:
        """True once any content or reasoning is there to show."""
        return self._has_content or bool(self._live_thinking) or bool(self.message.thinking)

    @property
    def thinking_text(self) -> str:
        if self.state.streaming:
            return "".join(self._live_thinking)
        return sanitize(self.message.thinking)

    def feed(self, content: str) -> None:
        """Add streamed content (already sanitised)."""
        self._has_content = True
        if self.failure is None:
            try:
                blocks = self._ensure_blocks()
                frozen = blocks.feed(content)
                for block in blocks.blocks[len(blocks.blocks) - frozen :] if frozen else ():
                    self._add_block_part(block)
            except Exception as exc:
                self._failed(exc)
        self._changed()

    def finish(self) -> None:
        """The message is complete: the last block becomes final; drawn blocks are kept."""
        self.state.streaming = False
        self._has_content = bool(self.message.content)
        if self._blocks is not None and self.failure is None:
            try:
                before = len(self._blocks.blocks)
                self._blocks.close()
                for block in self._blocks.blocks[before:]:
                    self._add_block_part(block)
            except Exception as exc:
                self._failed(exc)
        self._fence_pieces = {}
        self._changed()

    def invalidate(self) -> None:
        """Forget rendered lines (theme or state changed)."""
        self._changed()
        self._kept = {}
        for part in self._block_parts:
            part.invalidate()

    # -- layout ---------------------------------------------------------------------------

    def parts(self) -> list[Part]:
        if self._parts is None and self.failure is None:
            try:
                self._parts = self._build_parts()
            except Exception as exc:
                self._failed(exc)
        if self._parts is None:
            self._parts = self._plain_parts()
        return self._parts

    def _failed(self, exc: Exception) -> None:
        """Drawing went wrong: from now on the message is drawn as plain text."""
        if self.failure is not None:
            # The plain view failed too: text cut at the width, nothing else.
            self._last_resort = True
        else:
            self.failure = f"{type(exc).__name__}: {exc}"[:200]
        self._parts = None
        self._layout = None
        self._kept = {}
        if self.on_failure is not None and not self._last_resort:
            self.on_failure(self, exc)

    def _plain_parts(self) -> list[Part]:
        """The message as plain text: no Markdown, no formatting, no numbers of its stats."""
        message = self.message
        role = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
        label = role.get(message.role, "Message")
        note = f"⚠ Shown as plain text: it could not be drawn ({self.failure})."
        body = [sanitize(message.content)] if message.content else []
        if message.state == "error" and message.error:
            body.append(f"⚠ {sanitize(message.error)}")
        if self._last_resort:
            return [_LastResortPart("\n".join([label, sanitize(note), *body, ""]))]
        parts: list[Part] = [TextPart(label, "muted", bold=True)]
        parts.extend(TextPart(text) for text in body)
        parts.append(TextPart(sanitize(note), "warning"))
        parts.append(LinesPart(_blank_line))
        return parts

    def _part_lines(self, part: Part, renderer: Renderer, width: int) -> list[Strip] | None:
        """The part's lines, or None if it failed to draw (the parts are then rebuilt)."""
        try:
            return part.lines(renderer, width)
        except Exception as exc:
            if self._last_resort:
                return [Strip.blank(width)]
            self._failed(exc)
            return None

    def estimate(self, width: int) -> int:
        """Height without rendering anything (for messages far out of view), cached."""
        if self._parts is not None:
            return self.height(width)
        message = self.message
        key = (width, len(message.content))
        if self._estimate[0] != key:
            body = estimate_lines(message.content, width - GUTTER) if message.content else 1
            self._estimate = (key, body + 3)
        return self._estimate[1]

    def layout(self, width: int) -> list[int]:
        """First line of each part (and the total height last), cached."""
        if self._layout is None or self._layout_width != width:
            inner = width - GUTTER
            offsets = [0]
            for part in self.parts():
                offsets.append(offsets[-1] + part.height(inner))
            self._layout, self._layout_width = offsets, width
        return self._layout

    def height(self, width: int) -> int:
        return self.layout(width)[-1]

    @property
    def laid_out(self) -> bool:
        """False until the item is first needed on screen (its height is an estimate)."""
        return self._parts is not None

    def line(self, renderer: Renderer, width: int, y: int) -> Strip | None:
        """Line `y` of the message (rendering its part if needed)."""
        offsets = self.layout(width)
        index = bisect_right(offsets, y) - 1
        parts = self.parts()
        if not 0 <= index < len(parts):
            return None
        inner = width - GUTTER
        part = parts[index]
        lines = self._part_lines(part, renderer, inner)
        if lines is None:
            return self.line(renderer, width, y)
        if len(lines) != offsets[index + 1] - offsets[index]:
            self._layout = None
        local = y - offsets[index]
        return lines[local] if local < len(lines) else None

    def render_range(self, renderer: Renderer, width: int, start: int, end: int) -> bool:
        """Render the parts covering local lines [start, end); True if the height changed."""
        offsets = self.layout(width)
        parts = self.parts()
        inner = width - GUTTER
        index = max(0, bisect_right(offsets, max(start, 0)) - 1)
        changed = False
        while index < len(parts) and offsets[index] < end:
            part = parts[index]
            expected = offsets[index + 1] - offsets[index]
            if not part.rendered_at(inner):
                lines = self._part_lines(part, renderer, inner)
                if lines is None:
                    self.render_range(renderer, width, start, end)
                    return True
                if len(lines) != expected:
                    changed = True
            index += 1
        if changed:
            self._layout = None
        return changed

    def _keep(self, key: tuple[Any, ...], make: Any) -> Part:
        """The part for `key`: the one built before if its inputs did not change."""
        part = self._kept.get(key)
        if part is None:
            part = make()
        self._next_kept[key] = part
        return part

    def _build_parts(self) -> list[Part]:
        # Parts whose inputs did not change are reused as they are (with their rendered
        # lines), so a frame repaints only what is new.
        self._next_kept: dict[tuple[Any, ...], Part] = {}
        message = self.message
        state = self.state
        parts: list[Part] = [self._keep(("header",), lambda: LinesPart(self._header))]
        if message.role == "assistant":
            thinking = self.thinking_text
            if thinking:
                key = ("thinking-header", self.thinking_open, self._has_content, state.streaming)
                parts.append(self._keep(key, lambda: LinesPart(self._thinking_header)))
                if self.thinking_open:
                    for number, chunk in enumerate(text_chunks(thinking)):
                        parts.append(
                            self._keep(
                                ("thinking", number, len(chunk)),
                                lambda c=chunk: TextPart(c, "muted", italic=True),
                            )
                        )
            if state.json_format and not state.streaming and message.content:
                parts.append(self._keep(("json",), lambda: LinesPart(self._json)))
            elif state.json_format and state.streaming:
                blocks = self._ensure_blocks()
                text = "".join([*blocks.blocks, blocks.open])
                parts.append(self._keep(("json-live", len(text)), lambda: TextPart(text)))
            else:
                self._ensure_blocks()
                parts.extend(self._block_parts)
                if self._blocks is not None and self._blocks.open.strip():
                    parts.extend(self._open_parts(self._blocks.open))
            if message.tool_calls:
                key = ("tools", len(message.tool_calls))
                parts.append(self._keep(key, lambda: LinesPart(self._tool_calls)))
            waiting = state.streaming and not self._has_content and not message.tool_calls
            if waiting and not (thinking and self.thinking_open):
                key = ("waiting", state.spinner)
                parts.append(self._keep(key, lambda: LinesPart(self._waiting)))
        else:
            if message.content:
                style = "muted" if message.role != "user" else "text"
                text = sanitize(message.content)
                for number, chunk in enumerate(text_chunks(text)):
                    parts.append(self._keep(("text", number), lambda c=chunk: TextPart(c, style)))
            if message.images and state.images is not None:
                views = state.images
                parts.append(
                    self._keep(
                        ("image-views", id(views)),
                        lambda: LinesPart(
                            lambda renderer, width: _image_lines(views, renderer, width)
                        ),
                    )
                )
            elif message.images:
                count = len(message.images)
                label = f"▣ {count} image{'s' if count != 1 else ''} attached"
                parts.append(self._keep(("images", count), lambda: TextPart(label, "muted")))
        if message.state == "error" and message.error:
            text = f"⚠ {sanitize(message.error)}"
            if not is_permanent(message.error):
                retry = "Ctrl+R" if self.state.last else "r with this reply selected"
                text += f"\nPress {retry} to retry."
            parts.append(self._keep(("error", text), lambda: TextPart(text, "error")))
        if message.role == "assistant" and not state.streaming:
            facts = stats_text(message.stats, message.state)
            if facts:
                parts.append(self._keep(("facts", facts), lambda: TextPart(facts, "muted")))
        parts.append(self._keep(("end",), lambda: LinesPart(_blank_line)))
        self._kept = self._next_kept
        return parts

    def _open_parts(self, block: str) -> list[Part]:
        """The block still streaming: drawn each frame (a long code block in pieces)."""
        fence = fence_info(block)
        gap = bool(self._block_parts)
        number = self._code_count + 1
        if fence is None:
            return [MarkdownPart(block, None, gap, first_code=number)]
        language, code = fence
        lines = code.split("\n")
        if len(lines) <= BIG_FENCE_LINES:
            return [MarkdownPart(block, number, gap)]
        # Completed pieces of a very long block are highlighted once; only the tail re-renders.
        cache = self._fence_pieces
        parts: list[Part] = []
        for start in range(0, len(lines) - 1, BIG_FENCE_LINES):
            chunk = "\n".join(lines[start : start + BIG_FENCE_LINES])
            complete = start + BIG_FENCE_LINES < len(lines)
            key = (start, language)
            if complete and key in cache:
                parts.append(cache[key])
                continue
            part = _CodePiece(chunk, language, number if start == 0 else None)
            if complete:
                cache[key] = part
            parts.append(part)
        return parts

    @property
    def thinking_open(self) -> bool:
        if self.state.thinking_open is not None:
            return self.state.thinking_open
        # While the model only reasons, show it; once the answer starts, fold it away.
        return self.state.streaming and not self._has_content

    # -- line makers ----------------------------------------------------------------------

    def _header(self, renderer: Renderer, width: int) -> list[Strip]:
        message = self.message
        palette = renderer.palette
        role = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
        label = role.get(message.role, message.role)
        if message.role == "tool" and message.tool_name:
            label = f"Tool result · {sanitize(message.tool_name)}"
        model = message.stats.model if message.stats and message.role == "assistant" else ""
        when = _local_time(message.created_at)
        pieces: list[tuple[str, Style]] = [
            (label, palette.style(_ROLE_COLOR.get(message.role, "muted"), bold=True)),
        ]
        if model:
            pieces.append((f" · {sanitize(model)}", palette.style("muted")))
        pieces.append((f" · {when}", palette.style("muted")))
        if self.state.variant is not None:
            position, count = self.state.variant
            pieces.append((f"  ‹ {position}/{count} ›", palette.style("accent", bold=True)))
        return [renderer.line(*pieces)]

    def _thinking_header(self, renderer: Renderer, width: int) -> list[Strip]:
        stats = self.message.stats
        seconds = stats.thinking_seconds if stats else None
        took = f" for {seconds:.1f} s" if seconds is not None else ""
        if self.state.streaming and not self._has_content:
            text = f"▾ Thinking{took}…"
        elif self.thinking_open:
            text = f"▾ Thought{took} (t folds)"
        else:
            text = f"▸ Thought{took} (t unfolds)"
        return [renderer.line((text, renderer.palette.style("muted", italic=True)))]

    def _waiting(self, renderer: Renderer, width: int) -> list[Strip]:
        frame = SPINNER[self.state.spinner % len(SPINNER)]
        model = self.message.stats.model if self.message.stats else "the model"
        waited = max(0, int((datetime.now(UTC) - self.message.created_at).total_seconds()))
        text = (
            f"{frame} waiting for the reply from {sanitize(model)} · {waited} s · Escape stops it"
        )
        return [renderer.line((text, renderer.palette.style("muted")))]

    def _tool_calls(self, renderer: Renderer, width: int) -> list[Strip]:
        lines: list[Strip] = []
        for call in self.message.tool_calls:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
            text = Text.assemble(
                ("⚙ tool call ", renderer.palette.style("accent", bold=True)),
                (sanitize(call.name), Style(bold=True)),
                (f" {sanitize(arguments)}", renderer.palette.style("muted")),
                overflow="fold",
            )
            lines.extend(renderer._lines(text, width))
        return lines

    def _json(self, renderer: Renderer, width: int) -> list[Strip]:
        content = self.message.content
        problem = pretty = ""
        too_deep = (
            f"⚠ The reply is JSON nested too deeply to format (over {MAX_JSON_DEPTH} "
            "levels): shown as it came"
        )
        if json_depth(content) > MAX_JSON_DEPTH:
            problem = too_deep
        else:
            try:
                pretty = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
            except ValueError:
                problem = "⚠ The reply is not valid JSON"
            except RecursionError:  # (a stack already deep when this is drawn)
                problem = too_deep
        if problem:
            warning = renderer.line((problem, renderer.palette.style("warning", bold=True)))
            return [warning, *renderer.text(sanitize(content), width)]
        return renderer.code(sanitize(pretty), "json", width)


MAX_JSON_DEPTH = 100
"""A JSON reply nested deeper is shown as it came: formatted, it would take many
thousands of lines (each level indents the ones below), and Python's JSON reader and
writer recurse once per level."""
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings left out; unclosed ones count)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class _CodePiece(Part):
    def __init__(self, code: str, language: str, number: int | None) -> None:
        super().__init__()
        self.code, self.language, self.number = code, language, number

    def estimate(self, width: int) -> int:
        return estimate_lines(self.code, width) + (1 if self.number else 0)

    def render(self, renderer: Renderer, width: int) -> list[Strip]:
        lines = renderer.code(self.code, self.language, width)
        if self.number is None:
            return lines
        label = renderer.line(
            (f" {self.number} ", Style(reverse=True, bold=True)),
            (f" {self.language or 'code'}", renderer.palette.style("muted")),
        )
        return [label, *lines]


def _blank_line(renderer: Renderer, width: int) -> list[Strip]:
    return [Strip.blank(width)]


_ROLE_COLOR = {"user": "primary", "assistant": "accent", "system": "muted", "tool": "muted"}


def _local_time(moment: datetime) -> str:
    """`14:05` in the local time zone; near the ends of the calendar (year 1 or 9999),
    where the local time may not exist, the time as saved with its zone."""
    try:
        return moment.astimezone().strftime("%H:%M")
    except (OverflowError, ValueError, OSError):
        return moment.strftime("%H:%M %Z").strip()


_GUTTERS: dict[tuple[Palette, str, bool], Strip] = {}


def gutter(palette: Palette, role: str, selected: bool) -> Strip:
    """The bar left of a message's lines."""
    key = (palette, role, selected)
    strip = _GUTTERS.get(key)
    if strip is None:
        color = getattr(palette, _ROLE_COLOR.get(role, "muted"))
        if selected:
            strip = Strip([Segment("█ ", Style(color=color, bold=True))])
        else:
            strip = Strip([Segment("▎ ", Style(color=color))])
        _GUTTERS[key] = strip
    return strip


def warm_up() -> None:
    """Load what the first render needs (lexers for the languages models use most)."""
    from pygments.lexers import get_lexer_by_name

    for language in ("python", "bash", "json", "javascript", "text"):
        _LEXERS.setdefault(language, get_lexer_by_name(language))

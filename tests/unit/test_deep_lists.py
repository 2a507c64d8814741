"""List items nested deeper than the screen nests lists are still shown."""

from __future__ import annotations

from markdown_it.token import Token

from app.rendering import LIST_DEPTH, _parser, flatten_deep_lists
from tests.unit.test_rendering import rendered

DEEP_LIST = "".join("  " * level + f"- item {level}\n" for level in range(15))
"""A bullet list 15 levels deep, one item per level."""


def test_every_item_of_a_list_fifteen_levels_deep_is_shown():
    lines = [line.text.rstrip() for line in rendered(DEEP_LIST, 100) if line is not None]
    text = "\n".join(lines)
    for level in range(15):
        assert f"item {level}\n" in text + "\n", f"item {level} is missing"
    # Items deeper than the limit are drawn at the limit's indentation, marked with
    # their real depth.
    (deepest,) = [line for line in lines if line.endswith("item 14")]
    (at_limit,) = [line for line in lines if line.endswith(f"item {LIST_DEPTH - 1}")]
    assert deepest.strip() == "[15] • item 14"
    assert deepest.index("[") == at_limit.index("item")


def test_deep_ordered_items_keep_their_numbers_and_the_tokens_stay_balanced():
    text = "".join("   " * level + f"1. item {level}\n" for level in range(12))
    text += "   " * 11 + "2. last\n"
    tokens = flatten_deep_lists(_parser().parse(text))
    assert sum(token.nesting for token in tokens) == 0
    lists = [token for token in tokens if token.type.endswith("_list_open")]
    assert len(lists) == LIST_DEPTH
    markers = [_first_text(tokens, i) for i, t in enumerate(tokens) if t.type == "inline"]
    assert markers[-2:] == ["[12] 1. item 11", "[12] 2. last"]


def _first_text(tokens: list[Token], index: int) -> str:
    return "".join(child.content for child in tokens[index].children or [])

"""The line renderer on its own: links, raw HTML, code block numbers."""

from __future__ import annotations

from textual.app import App

from app.models import ChatMessage
from app.rendering import MessageItem, Palette, Renderer, code_blocks


def rendered(content: str, width: int = 70) -> list:
    renderer = Renderer(Palette.from_variables(App().get_css_variables(), True))
    item = MessageItem(ChatMessage(role="assistant", content=content))
    return [item.line(renderer, width, y) for y in range(item.height(width))]


def test_links_are_shown_not_followed_and_html_stays_text():
    lines = rendered("See [the docs](https://ollama.com/docs) now. <b>raw</b>")
    text = "\n".join(line.text for line in lines if line is not None)
    assert "the docs (https://ollama.com/docs)" in text
    assert "<b>raw</b>" in text
    # No terminal hyperlink is emitted: nothing on screen can be clicked open.
    assert not any(seg.style and seg.style.link for line in lines if line for seg in line)


def test_every_code_block_is_numbered_in_the_order_the_keys_copy_them():
    content = (
        "1. Install:\n\n   ```bash\n   pip install foo\n   ```\n\n"
        "```python\nprint(1)\n```\n\n    indented()\n"
    )
    text = "\n".join(line.text for line in rendered(content) if line is not None)
    labels = [line.split()[:2] for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert ["1", "bash"] in labels and ["2", "python"] in labels and ["3", "code"] in labels
    assert [code.strip() for _, code in code_blocks(content)] == [
        "pip install foo",
        "print(1)",
        "indented()",
    ]

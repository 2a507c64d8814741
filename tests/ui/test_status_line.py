"""The status line: a plain-HTTP remote host is flagged where even 80 columns show it."""

from __future__ import annotations

from tests.conftest import screen_text, wait_until

REMOTE = "gpu-box.invalid:11434"  # never resolves: no server is needed
WARNING = "⚠ plain HTTP"
EXPLANATION = " · unencrypted HTTP to a remote host"


def first_line(app) -> str:
    return screen_text(app).splitlines()[0]


async def test_plain_http_to_a_remote_host_is_flagged_at_80_columns(make_app):
    app = make_app(host=REMOTE, model="llava:7b")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.status.state == "unreachable", timeout=20)
        await pilot.pause()
        line = first_line(app)
        assert f"○ {REMOTE} {WARNING} · unreachable" in line
        assert EXPLANATION.strip() not in screen_text(app)  # no room for it
        assert app.screen.status.tooltip
        # Where there is room, the whole explanation follows the state.
        await pilot.resize_terminal(160, 24)
        await wait_until(pilot, lambda: EXPLANATION in first_line(app))
        line = first_line(app)
        assert f"○ {REMOTE} {WARNING} · unreachable{EXPLANATION}  model llava:7b" in line
        # And goes again when the terminal narrows.
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: EXPLANATION not in first_line(app))
        assert WARNING in first_line(app)


async def test_a_local_server_is_not_flagged(make_app, demo_server):
    app = make_app(model="llava:7b")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.status.state == "connected")
        await pilot.pause()
        text = screen_text(app)
        assert f"● {demo_server.url.split('//')[-1]} · Ollama" in text
        assert WARNING not in text and "unencrypted" not in text
        assert app.screen.status.tooltip is None

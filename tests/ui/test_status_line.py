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


async def test_at_80_columns_the_version_gives_way_to_the_tool_state(make_app, demo_server):
    app = make_app(model="llava:7b")  # a model that cannot call tools
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.status.state == "connected")
        await wait_until(pilot, lambda: "llava:7b" in app.screen._details)
        await pilot.press("ctrl+g")  # tools on: "unsupported" for this model
        await wait_until(pilot, lambda: "⚙ tools unsupported" in first_line(app))
        line = first_line(app)
        assert "model llava:7b  ⚙ tools unsupported" in line and "Ollama" not in line
        # Where there is room, the version is back.
        await pilot.resize_terminal(140, 24)
        await wait_until(pilot, lambda: "· Ollama" in first_line(app))
        assert "⚙ tools unsupported" in first_line(app)
        # A model name too long for 80 columns is shortened; the tool state stays whole.
        await pilot.resize_terminal(80, 24)
        app.screen.status.model = "hf.co/someone/a-very-long-model-name-GGUF:Q4_K_M"
        await wait_until(pilot, lambda: "…" in first_line(app))
        line = first_line(app).rstrip()
        assert line.endswith("…  ⚙ tools unsupported") and "olladeck" not in line, line
        assert f"● {demo_server.url.split('//')[-1]}" in line


async def test_without_a_sidebar_the_notice_says_where_to_choose_a_model(make_app, demo_server):
    demo_server.models.clear()  # a server with no models: none is chosen
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.screen.status.state == "connected")
        assert not app.screen.current.model
        await pilot.press("h", "i", "enter")
        await wait_until(pilot, lambda: app._notifications)
        notice = [n.message for n in app._notifications][-1]
        assert notice == (
            "Choose a model first: F3 lists the models (Enter on one uses it); "
            "Ctrl+] shows the model sidebar."
        )
        assert not app.screen.current.messages and app.screen.prompt.text == "hi"
        # With the sidebar on screen, it is the place to choose.
        await pilot.resize_terminal(160, 30)
        await wait_until(pilot, lambda: app.screen.query("ModelSidebar"))
        app.screen.prompt.focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: app._notifications and "in the sidebar" in list(app._notifications)[-1].message,
        )

"""A host with a password in it: sent as basic auth, shown masked, never saved."""

from __future__ import annotations

import base64
from pathlib import Path

from textual.widgets import Select

from app.config import Config
from app.ollama.host import MASK
from tests.conftest import screen_text, wait_until
from tests.ui.test_model_settings import connected, main, reply_done, send

PASSWORD = "hunter2-s3cret"
MODEL = "llama3.2:latest"


async def test_a_password_in_the_host_is_sent_shown_masked_and_never_saved(
    make_app, demo_server, xdg: Path
):
    demo_server.basic_auth = ("alice", PASSWORD)
    where = f"127.0.0.1:{demo_server.port}"
    app = make_app(host=f"http://alice:{PASSWORD}@{where}", model="llama3.2:latest")
    async with app.run_test(size=(140, 30)) as pilot:
        await connected(pilot)  # the server answers only with the right credentials
        await send(pilot, "hello")
        await reply_done(pilot)
        assert main(app).current.messages[-1].state == "complete"
        await wait_until(pilot, lambda: any((xdg / "data").rglob("*.toml")))
        text = screen_text(app)
        first = text.splitlines()[0]
        assert f"● alice:{MASK}@{where} · Ollama" in first
        assert PASSWORD not in text
        assert main(app).current.host == f"http://{where}"
        await pilot.press("ctrl+q")
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert demo_server.requests
    assert all(r.headers.get("authorization") == f"Basic {token}" for r in demo_server.requests)
    saved = [p for p in xdg.rglob("*") if p.is_file()]
    assert saved
    for path in saved:
        assert PASSWORD.encode() not in path.read_bytes(), path


async def test_without_the_password_the_server_refuses(make_app, demo_server):
    """The demo server really asks: the same server without credentials answers 401."""
    demo_server.basic_auth = ("alice", PASSWORD)
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_until(pilot, lambda: main(app).connection == "unreachable")
        await wait_until(pilot, lambda: "401" in screen_text(app))
    assert all("authorization" not in r.headers for r in demo_server.requests)


async def test_the_banner_the_sidebar_and_notices_mask_the_password(make_app, demo_server):
    """An unnamed host: the sidebar shows where it is, masked. A named host that is down:
    the banner names it masked. Switching hosts says so, masked."""
    demo_server.basic_auth = ("alice", PASSWORD)
    where = f"127.0.0.1:{demo_server.port}"
    down = "http://bob:other-secret@127.0.0.1:9"  # the discard port: nothing listens
    config = Config(hosts={"box": f"http://alice:{PASSWORD}@{where}", "lab": down})
    app = make_app(config=config, host=f"http://carol:third-secret@{where}", model=MODEL)
    async with app.run_test(size=(140, 30)) as pilot:
        shown = f"carol:{MASK}@{where}"
        await wait_until(pilot, lambda: f"○ {shown}" in text(app))  # the status line
        picker = main(app).query_one("#host-select", Select)  # the sidebar's
        await wait_until(pilot, lambda: picker.prompt == shown)
        await main(app).switch_host("lab")
        await wait_until(
            pilot, lambda: f"Nothing is listening at bob:{MASK}@127.0.0.1:9" in text(app)
        )
        await main(app).switch_host("box")
        await connected(pilot)
        assert main(app).current.host == "box"
        notices = [
            f"Now using lab (bob:{MASK}@127.0.0.1:9).",
            f"Now using box (alice:{MASK}@{where}).",
        ]
        await wait_until(
            pilot, lambda: all(n in [m.message for m in app._notifications] for n in notices)
        )
        for secret in (PASSWORD, "other-secret", "third-secret"):
            assert secret not in text(app)
            assert not any(secret in n.message for n in app._notifications)


def text(app) -> str:
    """The screen's text, toasts included, without the frame's line breaks."""
    return screen_text(app).replace("\n", " ")


async def test_an_ipv4_mapped_loopback_address_is_not_flagged(make_app, demo_server):
    """`[::ffff:127.0.0.1]` is this machine: no "plain HTTP" warning for it."""
    app = make_app(host=f"[::ffff:127.0.0.1]:{demo_server.port}", model=MODEL)
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_until(pilot, lambda: "[::ffff:127.0.0.1]" in text(app))
        assert not main(app).status.insecure
        assert "plain HTTP" not in text(app) and "unencrypted" not in text(app)

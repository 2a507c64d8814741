"""A host with a password in it: sent as basic auth, shown masked, never saved."""

from __future__ import annotations

import base64
from pathlib import Path

from app.ollama.host import MASK
from tests.conftest import screen_text, wait_until
from tests.ui.test_model_settings import connected, main, reply_done, send

PASSWORD = "hunter2-s3cret"


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

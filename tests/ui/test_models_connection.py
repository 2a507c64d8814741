"""Models the app may chat with, and the connection: an embedding model, think, permanent
errors, a server that dies and comes back, a port where something else answers, and the
host a conversation records. The real app, against servers on 127.0.0.1."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from textual.command import CommandPalette
from textual.widgets import DataTable

from app.config import Config
from app.demo import Fault, ThreadedDemoServer
from app.models import ChatMessage, Conversation
from app.store import ConversationStore
from tests.conftest import screen_text, wait_until

EMBED = "nomic-embed-text:latest"
CHAT = "llama3.2:latest"


def words(app) -> str:
    text = screen_text(app)
    for char in "▎█│┃╭╮╰╯─":
        text = text.replace(char, " ")
    return " ".join(text.split())


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


def last(app) -> ChatMessage:
    return app.screen.current.messages[-1]


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.connection == "connected")


async def send(pilot, text: str) -> None:
    pilot.app.screen.prompt.focus()
    await pilot.press(*text, "enter")


def saved_host(data_dir, conversation_id: str) -> str:
    path = data_dir / "conversations" / f"{conversation_id}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["host"]


async def test_an_embedding_model_is_marked_and_never_used_for_chat(make_app, demo_server):
    """Pulled last (so listed first), an embedding model is not made the chat model; the
    pickers mark it and refuse it with a reason; a conversation that has it sends nothing."""
    demo_server.add_model("nomic-embed-text")
    app = make_app(config=Config())  # no default_model
    async with app.run_test(size=(130, 40), notifications=True) as pilot:
        await connected(pilot)
        screen = app.screen
        await wait_until(pilot, lambda: screen.current.model)
        assert screen._models[0].name == EMBED  # the most recently pulled comes first
        assert screen.current.model == CHAT
        # The sidebar's picker marks it once its capabilities are known.
        sidebar = screen.query_one("ModelSidebar")
        label = f"{EMBED} · embeddings only"
        await wait_until(pilot, lambda: label in [str(text) for text, _ in sidebar._options])
        # Picked there: refused with the reason, the picker shows the chat model again.
        sidebar.select.value = EMBED
        await wait_until(pilot, lambda: any("only makes embeddings" in n for n in notices(app)))
        await wait_until(pilot, lambda: sidebar.select.value == CHAT)
        assert screen.current.model == CHAT
        # The models screen marks it too, and Enter on it is refused the same way.
        app._notifications.clear()
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.screen.query("#installed-table"))
        table = app.screen.query_one("#installed-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == len(demo_server.models))
        assert str(table.get_cell(EMBED, "model")) == label
        assert str(table.get_cell(CHAT, "model")) == CHAT
        table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: any("only makes embeddings" in n for n in notices(app)))
        assert screen.current.model == CHAT
        # The palette offers every model; the embedding one is marked and refused too.
        app._notifications.clear()
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one("CommandInput").value = "Use model: nomic"
        shown = app.screen.query_one("CommandList")
        await wait_until(
            pilot,
            lambda: (
                shown.highlighted_option is not None
                and "Use model: nomic" in str(shown.highlighted_option.prompt)
            ),
        )
        assert f"Use model: {label}" in str(shown.highlighted_option.prompt)
        assert "it cannot chat" in str(shown.highlighted_option.prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("only makes embeddings" in n for n in notices(app)))
        assert screen.current.model == CHAT
        # A conversation that has it (say, from the config's default_model) sends nothing.
        screen.current.model = EMBED
        before = len(demo_server.chat_requests())
        app._notifications.clear()
        await send(pilot, "hello")
        await wait_until(pilot, lambda: any("only makes embeddings" in n for n in notices(app)))
        assert len(demo_server.chat_requests()) == before
        assert screen.prompt.text == "hello" and not screen.current.messages


async def test_think_is_sent_only_to_models_that_can_think(make_app, demo_server):
    """`think = true` in the config: a model without `thinking` gets no think (and no 400),
    said once per conversation and model; a thinking model still gets it."""
    app = make_app(config=Config(think=True), model=CHAT)
    async with app.run_test(size=(130, 40), notifications=True) as pilot:
        await connected(pilot)
        for text in ("hello", "again"):
            await send(pilot, text)
            await wait_until(pilot, lambda t=text: last(app).state == "complete")
        assert [m.state for m in app.screen.current.messages] == ["complete"] * 4
        requests = demo_server.chat_requests()[-2:]
        assert all("think" not in body for body in requests)
        said = [n for n in notices(app) if "cannot think" in n]
        assert len(said) == 1 and "llama3.2:latest cannot think" in said[0]
        # A thinking model gets think, and its reply thinks.
        sidebar = app.screen.query_one("ModelSidebar")
        sidebar.select.value = "qwen3:8b"
        await wait_until(pilot, lambda: app.screen.current.model == "qwen3:8b")
        await send(pilot, "think now")
        await wait_until(pilot, lambda: last(app).state == "complete")
        assert demo_server.chat_requests()[-1]["think"] is True
        assert last(app).thinking
        # Back to the first model: not said again in this conversation.
        sidebar.select.value = CHAT
        await wait_until(pilot, lambda: app.screen.current.model == CHAT)
        await send(pilot, "once more")
        await wait_until(pilot, lambda: last(app).state == "complete")
        assert "think" not in demo_server.chat_requests()[-1]
        assert len([n for n in notices(app) if "cannot think" in n]) == 1


async def test_permanent_errors_do_not_advise_retrying(make_app, demo_server):
    """A missing model points to the Pull tab (F3), not the CLI; a capability refusal says
    what to change; neither says to press Ctrl+R. A passing error still does."""
    app = make_app(model="nope:latest")
    async with app.run_test(size=(100, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "hello")
        await wait_until(pilot, lambda: last(app).state == "error")
        await pilot.pause(0.1)
        text = words(app)
        assert "Pull it on the Pull tab of the models screen (F3)." in text
        assert "ollama pull" not in text and "Ctrl+R" not in text
        app.screen.current.model = CHAT
        demo_server.inject(Fault("http_error", status=400, message='"x" does not support tools'))
        await send(pilot, "tools?")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 4)
        await wait_until(pilot, lambda: last(app).state == "error")
        await pilot.pause(0.1)
        text = words(app)
        assert 'Ollama answered 400: "x" does not support tools.' in text
        assert "Turn tools off (Ctrl+G), or choose a model that lists tools." in text
        assert "Ctrl+R" not in text
        demo_server.inject(Fault("http_error", status=500, message="runner crashed"))
        await send(pilot, "and now?")
        await wait_until(pilot, lambda: len(app.screen.current.messages) == 6)
        await wait_until(pilot, lambda: last(app).state == "error")
        await pilot.pause(0.1)
        assert "Press Ctrl+R to retry." in words(app)


async def test_a_dead_server_is_noticed_and_found_again(make_app, monkeypatch):
    """The server dies: the first failed send flips the status to unreachable and brings
    back the banner, its retries and the demo offer (F2); it comes back: reconnected."""
    monkeypatch.setattr("app.screens.main.RETRY_DELAYS", (0.3,))
    server = ThreadedDemoServer()
    url = server.start()
    port = server.server.port
    again: ThreadedDemoServer | None = None
    app = make_app(host=url, model=CHAT)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await connected(pilot)
            screen = app.screen
            assert screen.status.state == "connected"
            server.stop()
            await send(pilot, "hello")
            await wait_until(pilot, lambda: last(app).state == "error")
            assert "connection refused" in (last(app).error or "")
            await wait_until(pilot, lambda: screen.status.state == "unreachable")
            assert screen.connection == "unreachable"
            await wait_until(pilot, lambda: screen.query("ConnectionBanner"))
            banner = screen.query_one("ConnectionBanner")
            await wait_until(pilot, lambda: banner.display)
            text = words(app)
            assert "○" in text and "Cannot reach Ollama" in text
            assert "Use the demo server (F2)" in text and "Trying again by itself" in text
            assert screen.check_action("use_demo", ())
            # Still dead on the next tries; then it is back on the same port.
            tries = screen._retry_index
            await wait_until(pilot, lambda: screen._retry_index > tries)
            again = ThreadedDemoServer()
            again.start(port=port)
            await wait_until(pilot, lambda: screen.connection == "connected", timeout=10)
            await wait_until(pilot, lambda: not banner.display)
            assert screen.status.state == "connected" and not screen.check_action("use_demo", ())
            await send(pilot, "hi")
            await wait_until(pilot, lambda: last(app).state == "complete")
    finally:
        server.stop()
        if again is not None:
            again.stop()


async def test_a_web_server_on_the_port_is_not_taken_for_ollama(make_app, web_server):
    """A wrong port: the banner says something answers there but it is not Ollama, with the
    host; no HTML, no "model not on this server", no Ctrl+R under a reply."""
    app = make_app(host=web_server, model=CHAT)
    netloc = web_server.removeprefix("http://")
    async with app.run_test(size=(80, 30)) as pilot:  # no side regions
        screen = app.screen
        await wait_until(pilot, lambda: screen.connection == "unreachable")
        await wait_until(pilot, lambda: screen.query("ConnectionBanner"))
        await wait_until(pilot, lambda: "but it is not Ollama" in words(app))
        text = words(app)
        assert f"Something answers at {netloc}, but it is not Ollama." in text
        assert "<" not in text and "not on this server" not in text
        await send(pilot, "hello")
        await wait_until(pilot, lambda: screen.current.messages and last(app).state == "error")
        await pilot.pause(0.1)
        assert last(app).error.startswith(f"Something answers at {netloc}, but it is not Ollama.")
        text = words(app)
        assert "<html" not in text.lower() and "Ctrl+R" not in text


async def test_a_conversation_records_the_host_it_was_sent_to(make_app, demo_server, data_dir):
    """Continued on another host, a conversation records that host; one made with the demo
    server records `demo`, not the demo's random port."""
    old = Conversation(
        title="From the lab",
        model=CHAT,
        host="http://10.9.8.7:11434",
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        updated_at=datetime(2026, 1, 5, tzinfo=UTC),
        messages=[
            ChatMessage(role="user", content="hi"),
            ChatMessage(role="assistant", content="hello"),
        ],
    )
    store = ConversationStore(data_dir)
    store.save(old)
    store.close()
    app = make_app(model=CHAT)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = app.screen
        await wait_until(pilot, lambda: screen.current.id == old.id)
        await send(pilot, "continued here")
        await wait_until(pilot, lambda: len(screen.current.messages) == 4)
        await wait_until(pilot, lambda: last(app).state == "complete")
        await wait_until(pilot, lambda: saved_host(data_dir, old.id) == demo_server.url)
        # The demo server: this conversation and a new one record `demo`.
        await screen.action_use_demo()  # as the palette entry "Use the demo server" does
        app.demo_server.server.token_rate = 0  # no need to watch it type
        await connected(pilot)
        assert screen.current.host == "demo"
        await pilot.press("ctrl+n")
        new = screen.current
        assert new.id != old.id and new.host == "demo"
        await send(pilot, "hello demo")
        await wait_until(
            pilot,
            lambda: len(new.messages) == 2 and new.messages[-1].state == "complete",
            timeout=20,
        )
        await wait_until(pilot, lambda: (data_dir / "conversations" / f"{new.id}.toml").exists())
        assert saved_host(data_dir, new.id) == "demo"
        assert "127.0.0.1" not in saved_host(data_dir, new.id)


async def test_a_saved_conversation_opened_while_a_model_is_chosen_keeps_its_own(
    make_app, demo_server, data_dir
):
    """The model for a new conversation is chosen after asking the server about the
    models; the last conversation opens meanwhile. The choice goes to the conversation
    that had no model, never over the saved one's (it was switched to llama3.2)."""
    when = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    saved = Conversation(
        id="saved",
        model="deepseek-r1:8b",
        created_at=when,
        updated_at=when,
        messages=[ChatMessage(role="user", content="hi", created_at=when, id="m1")],
    )
    ConversationStore(data_dir).save(saved)
    demo_server.inject(Fault("slow", delay=1.0, path="/api/show"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.current.id == "saved")
        await connected(pilot)
        await wait_until(pilot, lambda: app.screen.status.model == "deepseek-r1:8b")
        await wait_until(pilot, lambda: not any(w.group == "probe" for w in app.workers), 5)
        assert app.screen.current.model == "deepseek-r1:8b"
    path = data_dir / "conversations" / "saved.toml"
    assert tomllib.loads(path.read_text())["model"] == "deepseek-r1:8b"

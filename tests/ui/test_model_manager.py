"""Model management against the simulated server: load and unload, what is loaded, pull,
delete, copy, Modelfile and license, and switching between named hosts."""

from __future__ import annotations

import tomllib

from textual.command import CommandPalette
from textual.widgets import DataTable

from app.config import Config
from app.demo import ThreadedDemoServer
from app.models import ChatMessage, Conversation
from app.screens.confirm import ConfirmScreen
from app.screens.main import MainScreen as MainScreenType
from app.screens.model_manager import ModelManagerScreen
from app.screens.text_prompt import TextPromptScreen
from app.screens.text_viewer import TextViewerScreen
from app.store import ConversationStore
from app.widgets.pull_view import PullView
from app.widgets.running_models import RunningModels
from tests.conftest import confirm_ready, screen_text, wait_until
from tests.ui.test_model_settings import SHORT, connected, main, reply_done, send


def requests(server, path: str) -> list:
    return [r for r in list(server.requests) if r.path == path]


async def open_models(pilot) -> ModelManagerScreen:
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelManagerScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.models)
    await pilot.pause()
    return screen


async def show_tab(pilot, screen: ModelManagerScreen, tab: str) -> None:
    screen.query_one("#models-tabs").active = tab
    await pilot.pause()


async def highlight(pilot, screen: ModelManagerScreen, name: str) -> None:
    table = screen.query_one("#installed-table", DataTable)
    table.focus()
    names = [m.name for m in screen.models]
    table.move_cursor(row=names.index(name))
    await pilot.pause()
    assert screen.selected_installed() == name


async def test_load_and_unload_keys_send_the_documented_bodies(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: "llama3.2:latest" in demo_server.loaded)
        assert demo_server.chat_requests()[-1] == {
            "model": "llama3.2:latest",
            "messages": [],
            "stream": False,
        }
        await wait_until(pilot, lambda: any("is loaded" in n.message for n in app._notifications))
        await pilot.press("f8")
        await wait_until(pilot, lambda: "llama3.2:latest" not in demo_server.loaded)
        assert demo_server.chat_requests()[-1] == {
            "model": "llama3.2:latest",
            "messages": [],
            "keep_alive": 0,
            "stream": False,
        }


async def test_load_uses_the_conversations_keep_alive(make_app, demo_server):
    app = make_app(config=Config(keep_alive=-1), model="qwen3:8b")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: "qwen3:8b" in demo_server.loaded)
        assert demo_server.chat_requests()[-1]["keep_alive"] == -1
        assert demo_server.loaded["qwen3:8b"] is None  # kept for ever


async def test_running_models_view_shows_size_gpu_share_and_countdown(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_models(pilot)
        await highlight(pilot, screen, "gemma3:4b")
        await pilot.press("l")
        await wait_until(pilot, lambda: "gemma3:4b" in demo_server.loaded)
        await show_tab(pilot, screen, "running")
        running = screen.query_one(RunningModels)
        running.poll_seconds = 1  # ask every second: the test need not wait long
        await wait_until(pilot, lambda: running.models)
        assert running.polling
        text = screen_text(app)
        assert "gemma3:4b" in text and "3.8 GB" in text and "20%/80% CPU/GPU" in text
        assert "4:5" in text  # about five minutes left, counting down
        # It keeps asking while it is shown ...
        asked = len(requests(demo_server, "/api/ps"))
        await wait_until(pilot, lambda: len(requests(demo_server, "/api/ps")) > asked, timeout=4)
        # ... and unloading from here empties it.
        running.query_one("#ps-table").focus()
        await pilot.press("u")
        await wait_until(pilot, lambda: "gemma3:4b" not in demo_server.loaded)
        await wait_until(pilot, lambda: not running.models)
        assert "No model is loaded" in screen_text(app)
        # Hidden: no more polling.
        await show_tab(pilot, screen, "installed")
        assert not running.polling
        asked = len(requests(demo_server, "/api/ps"))
        await pilot.pause(1.6)
        assert len(requests(demo_server, "/api/ps")) == asked


async def test_pull_shows_progress_to_completion(make_app, demo_server):
    demo_server.pull_seconds = 2.0  # long enough to watch it move, short enough for a test
    app = make_app(model="mistral:7b")  # not on the server: offered for pull
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: "press F3 to pull it" in screen_text(app))
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelManagerScreen))
        screen = app.screen
        await pilot.pause()
        view = screen.query_one(PullView)
        assert screen.query_one("#models-tabs").active == "pull"
        assert screen.query_one("#pull-name").value == "mistral:7b"
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.tracker is not None and view.tracker.completed)
        await wait_until(pilot, lambda: "%" in screen_text(app) and "ETA" in screen_text(app))

        # Each layer has its own line with its speed and time left.
        def layer_lines() -> list[str]:
            return str(screen.query_one("#pull-layers").render()).splitlines()

        await wait_until(
            pilot,
            lambda: any("/s" in line and "ETA" in line and "%" in line for line in layer_lines()),
        )
        await wait_until(pilot, lambda: view.tracker.finished and not view.pulling)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "mistral:7b · success" in text
        assert text.count("100%") >= 4  # the bar and each of the three layers
        assert "4.0 GB/4.0 GB" in text
        # Far fewer redraws than progress lines: drawn per frame, not per line.
        assert len(view.tracker.layers) == 3 and view.tracker.version > 60
        assert view.frames < view.tracker.version / 2
        assert "mistral:7b" in demo_server.models
        await wait_until(pilot, lambda: any(m.name == "mistral:7b" for m in main(app)._models))
        await wait_until(pilot, lambda: screen.selected_installed() is not None)
        assert "mistral:7b" in [m.name for m in screen.models]
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert "press F3 to pull it" not in screen_text(app)
    pulls = requests(demo_server, "/api/pull")
    assert [r.body for r in pulls] == [{"model": "mistral:7b", "stream": True}]


async def test_pull_can_be_cancelled(make_app, demo_server):
    demo_server.pull_seconds = 60
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        screen = await open_models(pilot)
        await show_tab(pilot, screen, "pull")
        view = screen.query_one(PullView)
        screen.query_one("#pull-name").focus()
        await pilot.press(*"phi4-mini", "enter")
        await wait_until(pilot, lambda: view.tracker is not None and view.tracker.completed)
        # Escape asks first; "no" keeps pulling.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and view.pulling
        await pilot.press("f4")
        await wait_until(pilot, lambda: not view.pulling)
        assert view.tracker.status == "cancelled"
        assert "cancelled" in screen_text(app)
        # The server saw the connection close: the model never arrives.
        await pilot.pause(0.3)
        assert "phi4-mini:latest" not in demo_server.models
        # A second pull, stopped by closing the screen.
        screen.query_one("#pull-name").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.pulling and view.tracker.completed)
        await pilot.press("escape")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreenType))
        assert not view.pulling and "phi4-mini:latest" not in demo_server.models


async def test_pull_of_an_unknown_model_says_why(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        screen = await open_models(pilot)
        await show_tab(pilot, screen, "pull")
        screen.query_one("#pull-name").focus()
        await pilot.press(*"nosuchmodel", "enter")
        view = screen.query_one(PullView)
        await wait_until(pilot, lambda: view.tracker is not None and not view.pulling)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "failed: pull model manifest: file does not exist" in text
        assert "mid-reply" not in text
        assert not screen.query_one("#pull-bar").display  # no bar pulsing as if at work


async def test_delete_asks_first(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_models(pilot)
        await highlight(pilot, screen, "gemma3:4b")
        await pilot.press("d")
        await confirm_ready(pilot)
        assert "Delete gemma3:4b?" in screen_text(app)
        await pilot.press("enter")  # the focused button is "No": nothing happens
        await pilot.pause(0.2)
        assert app.screen is screen
        assert "gemma3:4b" in demo_server.models and not requests(demo_server, "/api/delete")
        await pilot.press("delete")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "gemma3:4b" not in [m.name for m in screen.models])
        (request,) = requests(demo_server, "/api/delete")
        assert (request.method, request.body) == ("DELETE", {"model": "gemma3:4b"})
        await wait_until(pilot, lambda: all(m.name != "gemma3:4b" for m in main(app)._models))


async def test_modelfile_and_license_viewer_and_use(make_app, demo_server, data_dir):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_models(pilot)
        await highlight(pilot, screen, "qwen3:8b")
        await wait_until(pilot, lambda: "[thinking]" in screen_text(app))  # capabilities
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewerScreen))
        await pilot.pause()
        assert "FROM qwen3:8b" in screen_text(app)
        await pilot.press("c")
        assert "FROM qwen3:8b" in app.clipboard
        await pilot.press("escape")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewerScreen))
        await pilot.pause()
        assert "Demo license" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        # Copy it under a new name.
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        await pilot.press("ctrl+u", *"qwen-mine", "enter")
        await wait_until(pilot, lambda: "qwen-mine:latest" in [m.name for m in screen.models])
        assert requests(demo_server, "/api/copy")[-1].body == {
            "source": "qwen3:8b",
            "destination": "qwen-mine",
        }
        # Enter uses the highlighted model for the conversation.
        await highlight(pilot, screen, "qwen3:8b")
        await pilot.press("enter")
        await wait_until(pilot, lambda: main(app).current.model == "qwen3:8b")
        assert isinstance(app.screen, MainScreenType)


async def test_refresh_lists_the_models_again(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        del demo_server.models["llava:7b"]
        await pilot.press("f5")
        await wait_until(pilot, lambda: all(m.name != "llava:7b" for m in main(app)._models))


async def now_on_gpu(pilot, other, demo_server, text: str) -> None:
    """The switch to the host named "gpu" took: its server answers, the conversation
    remembers the name, and the next message goes to it alone."""
    app = pilot.app
    await wait_until(pilot, lambda: "Ollama 0.14.1" in screen_text(app))
    await connected(pilot)
    assert main(app).current.host == "gpu"
    await send(pilot, text)
    await reply_done(pilot)
    assert other.server.chat_requests()[-1]["messages"][-1]["content"] == text
    assert not demo_server.chat_requests()


async def test_switching_between_named_hosts(make_app, demo_server, data_dir):
    other = ThreadedDemoServer(reply_tokens=SHORT)
    other.server.version = "0.14.1"
    other_url = other.start()
    try:
        config = Config(hosts={"laptop": demo_server.url, "gpu": other_url})
        app = make_app(config=config, host=demo_server.url, model="llama3.2:latest")
        async with app.run_test(size=(140, 40), notifications=True) as pilot:
            await connected(pilot)
            assert "Ollama 0.13.0" in screen_text(app)
            assert main(app).current.host == "laptop"
            await pilot.press("f9")
            await now_on_gpu(pilot, other, demo_server, "hello gpu")
            await pilot.pause(0.2)
            (path,) = (data_dir / "conversations").glob("*.toml")
            assert tomllib.loads(path.read_text())["host"] == "gpu"
            # The sidebar's host picker goes back.
            select = main(app).query_one("#host-select")
            assert select.value == "gpu"
            select.focus()
            await pilot.press("enter", "up", "enter")
            await wait_until(pilot, lambda: "Ollama 0.13.0" in screen_text(app))
            assert main(app).current.host == "laptop"
    finally:
        other.stop()


async def test_opening_a_conversation_brings_back_its_host(make_app, demo_server, data_dir):
    other = ThreadedDemoServer()
    other_url = other.start()
    other.server.version = "0.14.1"
    try:
        store = ConversationStore(data_dir)
        on_gpu = Conversation(title="On the GPU box", model="llama3.2:latest", host="gpu")
        on_gpu.messages.append(ChatMessage(role="user", content="old"))
        store.save(on_gpu)
        newer = Conversation(title="On the laptop", model="llama3.2:latest", host="laptop")
        newer.messages.append(ChatMessage(role="user", content="new"))
        store.save(newer)
        config = Config(hosts={"laptop": demo_server.url, "gpu": other_url})
        app = make_app(config=config, host=demo_server.url)
        async with app.run_test(size=(140, 40)) as pilot:
            await connected(pilot)
            await wait_until(pilot, lambda: main(app).current.id == newer.id)
            await wait_until(pilot, lambda: main(app).pane.conversation is main(app).current)
            await pilot.pause(0.2)
            assert "Ollama 0.13.0" in screen_text(app)  # start-up keeps the chosen host
            options = main(app).query_one("#conversation-options")
            options.focus()
            await pilot.press("down", "enter")
            await wait_until(pilot, lambda: main(app).current.id == on_gpu.id)
            await wait_until(pilot, lambda: "Ollama 0.14.1" in screen_text(app))
            await connected(pilot)
    finally:
        other.stop()


async def test_server_text_is_shown_literally(make_app, demo_server, data_dir):
    from app.demo.catalog import DEMO_MODELS

    name = "[bold]evil\x1b[31m:latest"
    base = DEMO_MODELS[0]
    demo_server.models[name] = type(base)(name, "[red]fam", "1B", "Q4_0", 10, ("tools",), 2048)
    ConversationStore(data_dir).save(
        Conversation(
            model="llama3.2:latest",
            system="Be \x1b[31mred\x1b[0m.",
            messages=[ChatMessage(role="user", content="x")],
        )
    )
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: main(app).current.system.startswith("Be"))
        await open_models(pilot)
        text = screen_text(app)
        assert "[bold]evil␛[31m:latest" in text and "[red]fam" in text
        assert "\x1b[31m" not in text
        await pilot.press("escape")
        main(app).action_open_settings("system")
        await wait_until(pilot, lambda: app.screen.query("#system-text"))
        await pilot.pause()
        assert "Be ␛[31mred␛[0m." in screen_text(app)
        await pilot.press("escape")  # nothing edited: the prompt is kept exactly
        await pilot.pause()
        assert main(app).current.system == "Be \x1b[31mred\x1b[0m."


async def test_the_palette_switches_host_by_name(make_app, demo_server, data_dir):
    other = ThreadedDemoServer(reply_tokens=SHORT)
    other.server.version = "0.14.1"
    other_url = other.start()
    try:
        config = Config(hosts={"laptop": demo_server.url, "gpu": other_url})
        app = make_app(config=config, host=demo_server.url, model="llama3.2:latest")
        async with app.run_test(size=(140, 40)) as pilot:
            await connected(pilot)
            assert main(app).current.host == "laptop"
            await pilot.press("ctrl+p")
            await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"Switch host: gpu")
            await pilot.pause(0.3)
            shown = app.screen.query_one("CommandList").highlighted_option
            assert shown is not None and "Switch host: gpu" in str(shown.prompt)
            await pilot.press("enter")
            await now_on_gpu(pilot, other, demo_server, "via the palette")
    finally:
        other.stop()

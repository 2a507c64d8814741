"""The settings editor (Ctrl+T) and the exact `/api/chat` body each setting produces.

Every test drives the real app by keyboard against the simulated server and reads what the
server received.
"""

from __future__ import annotations

import tomllib

from textual.widgets import Input, OptionList, Select, Static, TextArea

from app.config import Config
from app.models import ChatOptions, Conversation
from app.options import EXAMPLE_SCHEMA
from app.screens.chat_settings import ChatSettingsScreen
from app.screens.main import MainScreen
from app.screens.text_prompt import TextPromptScreen
from app.store import ConversationStore
from app.widgets.option_field import OptionField
from tests.conftest import confirm_ready, screen_text, wait_until

SHORT = 4
"""Tokens per simulated reply where its text does not matter (less to render: faster)."""


def main(app) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def connected(pilot) -> None:
    await wait_until(pilot, lambda: main(pilot.app).connection == "connected")


async def send(pilot, text: str) -> None:
    main(pilot.app).prompt.focus()
    await pilot.press(*text)
    await pilot.press("enter")


async def reply_done(pilot) -> None:
    def done() -> bool:
        messages = main(pilot.app).current.messages
        return bool(messages) and messages[-1].state in ("complete", "error", "stopped")

    await wait_until(pilot, done)


async def open_settings(pilot, tab: str = "options") -> ChatSettingsScreen:
    app = pilot.app
    if tab == "options":
        await pilot.press("ctrl+t")
    else:
        main(app).action_open_settings(tab)
    await wait_until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen))
    await pilot.pause()
    return app.screen


async def type_into(pilot, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    await pilot.press("ctrl+u" if isinstance(widget, Input) else "ctrl+a")
    await pilot.press(*text)


async def set_field(pilot, selector: str, text: str) -> None:
    """Put text in a field at once (the same Changed event and checks as typing it)."""
    pilot.app.screen.query_one(selector, Input).value = text
    await pilot.pause()


async def done(pilot) -> None:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChatSettingsScreen))


def saved(data_dir) -> dict:
    (path,) = sorted((data_dir / "conversations").glob("*.toml"))
    return tomllib.loads(path.read_text())


async def test_options_are_sent_with_their_json_types(make_app, demo_server, data_dir):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await open_settings(pilot)
        typed = {
            "temperature": "1",
            "num_ctx": "8192",
            "seed": "42",
            "top_p": ".9",
            "num_predict": "-1",
            "repeat_penalty": "1.2",
            "mirostat": "2",
            "stop": '###, "\\n\\nUser:"',
            "use_mmap": "false",
        }
        for name, text in typed.items():
            await type_into(pilot, f"#option-{name}", text)
        await done(pilot)
        assert "temperature 1.0" in screen_text(app)  # the sidebar summary
        await send(pilot, "hi")
        await reply_done(pilot)
        await pilot.pause(0.2)
    options = demo_server.chat_requests()[-1]["options"]
    assert options == {
        "temperature": 1.0,
        "num_ctx": 8192,
        "seed": 42,
        "top_p": 0.9,
        "num_predict": -1,
        "repeat_penalty": 1.2,
        "mirostat": 2,
        "stop": ["###", "\n\nUser:"],
        "use_mmap": False,
    }
    # Floats go out as JSON floats even when typed as "1", ints as ints.
    assert type(options["temperature"]) is float and type(options["num_ctx"]) is int
    assert type(options["mirostat"]) is int and type(options["repeat_penalty"]) is float
    assert saved(data_dir)["settings"]["options"]["temperature"] == 1.0


async def test_invalid_values_are_marked_refused_and_never_sent(make_app, demo_server, data_dir):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        await type_into(pilot, "#option-temperature", "0.7x")
        await type_into(pilot, "#option-num_ctx", "2.5")
        await pilot.pause()
        field = screen.query_one("#field-temperature", OptionField)
        assert field.has_class("-invalid") and field.input.has_class("-invalid")
        header = field.query_one(".option-header", Static)
        assert "⚠ temperature must be a number" in str(header.content)
        # The field being edited is on screen, with why its value is refused.
        assert "num_ctx must be a whole number, not 2.5" in screen_text(app)
        await pilot.press("ctrl+s")  # Apply: refused, the screen stays
        await pilot.pause(0.1)
        assert app.screen is screen
        assert any("Not applied: temperature" in n.message for n in app._notifications)
        assert main(app).current.chat_options.options == {}
        # Fixing one is not enough; clearing the other (F5) makes it unset.
        await type_into(pilot, "#option-temperature", "0.25")
        screen.query_one("#option-num_ctx").focus()
        await pilot.press("f5")
        await done(pilot)
        await send(pilot, "hi")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["options"] == {"temperature": 0.25}
        # Discarding (F9) leaves the conversation as it was.
        await open_settings(pilot)
        await type_into(pilot, "#option-top_k", "-5")
        await pilot.press("f9")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatSettingsScreen))
        await send(pilot, "again")
        await reply_done(pilot)
        await pilot.pause(0.2)
    assert demo_server.chat_requests()[-1]["options"] == {"temperature": 0.25}
    assert saved(data_dir)["settings"]["options"] == {"temperature": 0.25}


async def test_reset_all_clears_every_option(make_app, demo_server):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    config = Config(options={"temperature": 0.3, "num_ctx": 4096})
    app = make_app(config=config, model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        assert screen.query_one("#option-temperature", Input).value == "0.3"
        await pilot.press("f8")
        await done(pilot)
        await send(pilot, "hi")
        await reply_done(pilot)
    assert "options" not in demo_server.chat_requests()[-1]


async def test_keep_alive_forms_are_sent_as_ollama_reads_them(make_app, demo_server):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        sent = []
        for text in ["1h30m", "300", "-1", "0"]:
            await open_settings(pilot, "request")
            await set_field(pilot, "#keep-alive", text)
            await done(pilot)
            await send(pilot, "x")
            await reply_done(pilot)
            sent.append(demo_server.chat_requests()[-1]["keep_alive"])
        assert sent == ["1h30m", 300, -1, 0]  # every form is in tests/unit/test_options.py
        assert [type(v) for v in sent[1:]] == [int, int, int]
        # Not a duration: marked, refused, not sent.
        screen = await open_settings(pilot, "request")
        await type_into(pilot, "#keep-alive", "5 min")
        await pilot.pause()
        assert "keep_alive must be a duration like 5m" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert app.screen is screen
        await pilot.press("f5")  # reset: the server's default
        await pilot.pause()
        assert screen.query_one("#keep-alive", Input).value == ""
        await done(pilot)
        await send(pilot, "hi")
        await reply_done(pilot)
        assert "keep_alive" not in demo_server.chat_requests()[-1]


async def test_think_on_and_off(make_app, demo_server):
    app = make_app(model="qwen3:8b")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        # think: on, by keyboard in the Select
        screen = await open_settings(pilot, "request")
        screen.query_one("#think-select").focus()
        await pilot.press("enter", "down", "enter")  # model default -> on
        await pilot.pause()
        assert screen.query_one("#think-select", Select).value == "on"
        await done(pilot)
        await send(pilot, "why?")
        await reply_done(pilot)
        body = demo_server.chat_requests()[-1]
        assert body["think"] is True
        assert main(app).current.messages[-1].thinking  # the model reasoned
        # think off
        screen = await open_settings(pilot, "request")
        screen.query_one("#think-select", Select).value = "off"
        await done(pilot)
        await send(pilot, "and?")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["think"] is False


async def test_format_json_and_a_schema_edited_in_place(make_app, demo_server):
    app = make_app(model="qwen3:8b")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        # format json
        screen = await open_settings(pilot, "format")
        screen.query_one("#format-select").focus()
        await pilot.press("enter", "down", "enter")  # none -> json
        await pilot.pause()
        assert not screen.query_one("#schema").display
        await done(pilot)
        await send(pilot, "a country")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["format"] == "json"

        # format: a schema edited in place; broken JSON is refused first
        screen = await open_settings(pilot, "format")
        screen.query_one("#format-select", Select).value = "schema"
        await pilot.pause()
        schema = screen.query_one("#schema", TextArea)
        assert schema.display
        schema.focus()
        await pilot.press("end", "ctrl+end", "x")  # breaks the example schema
        await pilot.pause()
        assert "Not valid JSON" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert app.screen is screen
        assert any("format: Not valid JSON" in n.message for n in app._notifications)
        await pilot.press("backspace")
        await pilot.pause()
        await done(pilot)
        await send(pilot, "France")
        await reply_done(pilot)
        body = demo_server.chat_requests()[-1]
        assert body["format"] == EXAMPLE_SCHEMA
        reply = main(app).current.messages[-1].content
        assert '"capital"' in reply  # the simulated model answered in that shape


async def test_a_schema_that_is_json_but_not_a_schema_is_refused(make_app, demo_server):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot, "format")
        screen.query_one("#format-select", Select).value = "schema"
        schema = screen.query_one("#schema", TextArea)
        schema.text = '{"type": "object", "properties": {"n": {"type": "int"}}}'
        await pilot.pause()
        assert "'type' at properties.n is \"int\"" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert app.screen is screen
        await pilot.press("f9")
        await send(pilot, "x")
        await reply_done(pilot)
        assert "format" not in demo_server.chat_requests()[-1]


async def test_stream_off_shows_a_working_indicator_and_can_be_cancelled(make_app, demo_server):
    demo_server.token_rate = 10  # a non-streamed reply now takes seconds
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot, "request")
        screen.query_one("#stream").focus()
        await pilot.press("space")
        await done(pilot)
        assert main(app).current.chat_options.stream is False
        assert "stream off" in screen_text(app)
        await send(pilot, "hello")
        await wait_until(pilot, lambda: "waiting for the reply" in screen_text(app))
        assert demo_server.chat_requests()[-1]["stream"] is False
        assert main(app).pane.is_streaming(main(app).current.id)
        await pilot.press("escape")
        await reply_done(pilot)
        assert main(app).current.messages[-1].state == "stopped"
        await pilot.pause(0.1)
        assert "waiting for the reply" not in screen_text(app)
        # And a non-streamed reply that is left to finish arrives whole.
        demo_server.token_rate = 0
        await pilot.press("ctrl+r")
        await reply_done(pilot)
        reply = main(app).current.messages[-1]
        assert reply.state == "complete" and "Welcome to the olladeck demo" in reply.content


async def test_settings_belong_to_each_conversation_and_defaults_come_from_config(
    make_app, demo_server, data_dir
):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    config = Config(
        options={"num_ctx": 4096},
        keep_alive="10m",
        think=False,
        format="json",
        stream=False,
        system="Be brief.",
    )
    app = make_app(config=config, model="qwen3:8b")
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await send(pilot, "first")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1] == {
            "model": "qwen3:8b",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "first"},
            ],
            "options": {"num_ctx": 4096},
            "format": "json",
            "keep_alive": "10m",
            "think": False,
            "stream": False,
        }
        await open_settings(pilot)
        await type_into(pilot, "#option-temperature", "0.1")
        await done(pilot)
        first_id = main(app).current.id
        await pilot.press("ctrl+n")  # a new conversation starts from the config again
        await wait_until(pilot, lambda: main(app).pane.conversation is main(app).current)
        await pilot.pause(0.1)
        await send(pilot, "second")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["options"] == {"num_ctx": 4096}
        await pilot.pause(0.1)
        await main(app).open_conversation(first_id)
        await send(pilot, "third")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["options"] == {"num_ctx": 4096, "temperature": 0.1}
        await pilot.pause(0.2)
    again = make_app(config=config)
    async with again.run_test(size=(120, 40)) as pilot:
        # Start-up opens the newest conversation; opening another while that is still
        # being drawn races in MessagePane.show_conversation, so wait for it.
        await wait_until(pilot, lambda: main(again).current.messages)
        await wait_until(pilot, lambda: main(again).pane.conversation is main(again).current)
        await pilot.pause(0.2)
        await main(again).open_conversation(first_id)
        options = main(again).current.chat_options
        assert options == ChatOptions(
            options={"num_ctx": 4096, "temperature": 0.1},
            format="json",
            keep_alive="10m",
            think=False,
            stream=False,
        )


async def test_system_prompt_and_its_library(make_app, demo_server, xdg):
    demo_server.reply_tokens = SHORT  # the reply's text does not matter here
    app = make_app(model="llama3.2:latest")
    library = xdg / "config" / "olladeck" / "prompts.toml"
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot, "system")
        assert screen.query_one("#system-text").has_focus
        await pilot.press(*"Answer like a pirate.")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen))
        await pilot.press(*"Pirate", "enter")
        await wait_until(pilot, lambda: library.exists())
        await wait_until(pilot, lambda: len(screen.prompts) == 1)
        saved_library = tomllib.loads(library.read_text())
        assert saved_library["prompts"] == [{"name": "Pirate", "text": "Answer like a pirate."}]
        await done(pilot)
        await send(pilot, "hi")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["messages"][0] == {
            "role": "system",
            "content": "Answer like a pirate.",
        }
        # Another conversation takes it from the library.
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = await open_settings(pilot, "system")
        await wait_until(pilot, lambda: len(screen.prompts) == 1)
        assert screen.query_one("#system-text", TextArea).text == ""
        screen.query_one("#prompt-library", OptionList).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#system-text", TextArea).text == "Answer like a pirate."
        await done(pilot)
        await send(pilot, "ahoy")
        await reply_done(pilot)
        assert demo_server.chat_requests()[-1]["messages"][0]["content"] == "Answer like a pirate."
        # Delete it (asks first).
        screen = await open_settings(pilot, "system")
        await wait_until(pilot, lambda: len(screen.prompts) == 1)
        screen.query_one("#prompt-library", OptionList).focus()
        await pilot.press("f4")
        await confirm_ready(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not screen.prompts)
        assert tomllib.loads(library.read_text())["prompts"] == []


async def test_think_on_a_model_that_cannot_think_is_explained(make_app, demo_server, data_dir):
    ConversationStore(data_dir).save(
        Conversation(model="llama3.2:latest", chat_options=ChatOptions(think=True))
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: main(app).current.chat_options.think is True)
        await wait_until(pilot, lambda: "llama3.2:latest" in main(app)._details)
        await open_settings(pilot, "request")
        assert "This model cannot think" in screen_text(app)


async def test_sidebar_buttons_open_the_same_screens(make_app, demo_server):
    app = make_app(model="llama3.2:latest")
    async with app.run_test(size=(140, 40)) as pilot:
        await connected(pilot)
        # Once the badges are in, the buttons stay where they are.
        await wait_until(pilot, lambda: "llama3.2:latest" in main(app)._details)
        await pilot.pause(0.1)
        await pilot.click("#open-settings")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen))
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.click("#open-models")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ModelManagerScreen")


async def test_picker_updates_in_quick_succession_never_switch_the_model(
    make_app, demo_server, data_dir
):
    """The picker is set for one conversation and at once for another (the model list
    arrives just as a saved conversation opens): the first update's late "changed" event
    must not switch the open conversation's model, nor start the two updates answering
    each other (which switched the model back and forth and saved without end)."""
    from app.widgets.model_sidebar import ModelSidebar

    app = make_app(model="deepseek-r1:8b")
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        screen = main(app)
        sidebar = screen.query_one(ModelSidebar)
        await wait_until(pilot, lambda: len(sidebar.models) > 1)
        await send(pilot, "hi")
        await reply_done(pilot)
        await pilot.pause(0.3)
        saves = []
        real_save = screen._save_soon
        screen._save_soon = lambda conversation: (saves.append(1), real_save(conversation))
        sidebar.set_models(sidebar.models, "llama3.2:latest")
        sidebar.set_models(sidebar.models, "deepseek-r1:8b")
        await pilot.pause(0.5)
        assert screen.current.model == "deepseek-r1:8b"
        assert sidebar.query_one("#model-select", Select).value == "deepseek-r1:8b"
        assert saves == []
        # A choice in the picker (one change, not overtaken) still switches, once.
        sidebar.query_one("#model-select", Select).value = "llama3.2:latest"
        await wait_until(pilot, lambda: screen.current.model == "llama3.2:latest")
        await pilot.pause(0.3)
        assert len(saves) == 1

"""Attaching images: picker, typed path, pasted path; checks; what is sent; history resend."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import tomllib
from pathlib import Path

import pytest
from PIL import Image
from textual import events

from app.app import OlladeckApp
from app.attachments import MAX_BYTES, WARN_BYTES, load_last_folder
from app.screens.confirm import ConfirmScreen
from app.screens.image_picker import ImagePickerScreen, ImageTree
from app.widgets.attachment_bar import AttachmentBar
from tests.conftest import confirm_ready, screen_text, wait_until

VISION = "llava:7b"
BLIND = "llama3.2:latest"


def make_png(path: Path, size=(64, 48), colour=(200, 40, 40)) -> bytes:
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path.read_bytes()


def make_jpeg(path: Path, size=(30, 20)) -> bytes:
    Image.new("RGB", size, (20, 200, 20)).save(path, format="JPEG")
    return path.read_bytes()


@pytest.fixture
def pics(tmp_path: Path) -> Path:
    folder = tmp_path / "pics"
    folder.mkdir()
    make_png(folder / "red.png")
    make_jpeg(folder / "green.jpg")
    (folder / "notes.txt").write_text("not listed")
    (folder / "fake.png").write_text("a text file with an image name")
    return folder


def bar(app: OlladeckApp) -> AttachmentBar:
    return app.screen.query_one("#attachments", AttachmentBar)


def main_bar(app: OlladeckApp) -> AttachmentBar:
    return app.screen_stack[0].query_one("#attachments", AttachmentBar)


def ready(app: OlladeckApp) -> bool:
    items = main_bar(app).attachments
    return bool(items) and all(a.state != "reading" for a in items)


async def connected(pilot, app: OlladeckApp) -> None:
    await wait_until(pilot, lambda: app.screen.connection == "connected")


async def open_picker(pilot, app: OlladeckApp) -> ImagePickerScreen:
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
    screen = app.screen
    assert isinstance(screen, ImagePickerScreen)
    tree = screen.query_one(ImageTree)
    await wait_until(pilot, lambda: len(tree.root.children) > 0)
    return screen


async def send_and_wait(pilot, app: OlladeckApp, text: str) -> None:
    count = len(app.screen.current.messages)
    await pilot.press(*text, "enter")
    await wait_until(
        pilot,
        lambda: (
            len(app.screen.current.messages) == count + 2
            and app.screen.current.messages[-1].state == "complete"
        ),
    )


def static_text(parent, selector: str) -> str:
    """The plain text of the Static widgets `selector` finds (joined by newlines)."""
    return "\n".join(str(w.content) for w in parent.query(selector))


def chip_text(app: OlladeckApp) -> str:
    return static_text(main_bar(app), ".chip-text")


def decoded(images: list[str]) -> list[bytes]:
    return [base64.b64decode(data, validate=True) for data in images]


async def test_attach_by_picker_marks_two_and_sends_their_bytes(
    make_app, demo_server, pics, data_dir, monkeypatch
):
    monkeypatch.chdir(pics)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        picker = await open_picker(pilot, app)
        tree = picker.query_one(ImageTree)
        names = [node.data.path.name for node in tree.root.children]
        assert names == ["fake.png", "green.jpg", "red.png"]  # images by name; no notes.txt
        await pilot.press("down")  # from the path field to the tree
        await pilot.press("down", "down", "space", "down", "space")  # mark green.jpg, red.png
        assert [p.name for p in tree.marked] == ["green.jpg", "red.png"]
        # The preview of the highlighted image, and what it is.
        await wait_until(pilot, lambda: "PNG · 64x48" in static_text(picker, "#picker-facts"))
        assert picker.query(".image-preview-picture")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))
        await wait_until(pilot, lambda: ready(app))
        chips = main_bar(app).attachments
        assert [a.name for a in chips] == ["green.jpg", "red.png"]
        assert [a.state for a in chips] == ["ready", "ready"]
        # The chips are redrawn on the next refresh.
        await wait_until(pilot, lambda: "2. red.png\nPNG · 64x48 · " in chip_text(app))
        assert "1. green.jpg\nJPEG · 30x20 · " in chip_text(app)
        # A preview on each chip.
        await wait_until(pilot, lambda: len(main_bar(app).query(".image-preview-picture")) == 2)
        await send_and_wait(pilot, app, "what is this?")
        sent = app.screen.current.messages[-2]
        assert len(sent.images) == 2
        assert not main_bar(app).display  # the chips went with the message
        # The folder is remembered for the next time.
        await wait_until(pilot, lambda: load_last_folder(data_dir) == pics)
    request = demo_server.chat_requests()[-1]
    (user,) = request["messages"]
    assert user["content"] == "what is this?"
    assert decoded(user["images"]) == [
        (pics / "green.jpg").read_bytes(),
        (pics / "red.png").read_bytes(),
    ]


async def test_picker_starts_in_the_last_folder_and_cancels(make_app, pics, data_dir, tmp_path):
    from app.attachments import save_last_folder

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    make_png(elsewhere / "blue.png", colour=(0, 0, 255))
    make_png(elsewhere / ".secret.png")
    save_last_folder(data_dir, elsewhere)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        assert picker.folder == elsewhere
        tree = picker.image_tree
        assert [n.data.path.name for n in tree.root.children] == ["blue.png"]
        await pilot.press("ctrl+g")  # hidden files shown
        await wait_until(pilot, lambda: len(tree.root.children) == 2)
        assert [n.data.path.name for n in tree.root.children] == [".secret.png", "blue.png"]
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: len(tree.root.children) == 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))
        assert not main_bar(app).attachments
        assert app.screen.focused is app.screen.prompt


async def test_typed_paths_complete_with_tab_and_attach(
    make_app, demo_server, pics, monkeypatch, tmp_path
):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    sub = pics / "holiday"
    sub.mkdir()
    make_png(sub / "beach.png", colour=(250, 220, 120))
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        field = picker.path_input
        field.focus()
        field.value = ""
        await pilot.press(*"~/pi", "tab")
        await wait_until(pilot, lambda: field.value == "~/pics/")
        await pilot.press(*"ho", "tab")
        await wait_until(pilot, lambda: field.value == "~/pics/holiday/")
        await pilot.press("enter")  # a folder: the tree shows it
        await wait_until(pilot, lambda: picker.folder == sub)
        # Relative to the folder shown.
        field.value = ""
        await pilot.press(*"../red.png", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ImagePickerScreen))
        await wait_until(pilot, lambda: ready(app))
        (attachment,) = main_bar(app).attachments
        assert attachment.path == str(pics / "red.png")
        assert attachment.state == "ready"


async def test_a_missing_typed_path_is_explained(make_app, pics, monkeypatch):
    monkeypatch.chdir(pics)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        picker.path_input.focus()
        picker.path_input.value = ""
        await pilot.press(*"nope.png", "enter")
        await wait_until(pilot, lambda: "does not exist" in static_text(picker, "#picker-facts"))
        assert isinstance(app.screen, ImagePickerScreen)


async def test_pasted_image_path_attaches_instead_of_inserting(make_app, pics, tmp_path):
    spaced = tmp_path / "my pics"
    spaced.mkdir()
    make_png(spaced / "a b.png")
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        prompt = app.screen.prompt
        await pilot.press(*"hi ")
        # As terminals paste a dropped file: quoted, with a trailing space.
        prompt.post_message(events.Paste(f"'{spaced / 'a b.png'}' "))
        await wait_until(pilot, lambda: ready(app))
        assert prompt.text == "hi "  # nothing inserted
        assert [a.name for a in main_bar(app).attachments] == ["a b.png"]
        # Once read, a notice says what was attached.
        await wait_until(pilot, lambda: any("a b.png" in n.message for n in app._notifications))
        # A pasted path to something that is not an image is inserted as text.
        prompt.post_message(events.Paste(str(pics / "fake.png")))
        await wait_until(pilot, lambda: prompt.text.endswith("fake.png"))
        assert prompt.text == f"hi {pics / 'fake.png'}"
        # Ordinary text is pasted as usual.
        prompt.post_message(events.Paste(" and more"))
        await wait_until(pilot, lambda: prompt.text.endswith("and more"))
        assert len(main_bar(app).attachments) == 1


async def test_chips_are_removed_by_keyboard(make_app, demo_server, pics):
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([pics / "red.png", pics / "green.jpg"])
        await wait_until(pilot, lambda: ready(app))
        await pilot.press("shift+tab")
        assert app.screen.focused is main_bar(app)
        await pilot.press("right", "delete")  # the second chip: green.jpg
        assert [a.name for a in main_bar(app).attachments] == ["red.png"]
        await pilot.press("backspace")
        assert not main_bar(app).attachments
        assert not main_bar(app).display
        assert app.screen.focused is not main_bar(app)
        app.screen.prompt.focus()
        await send_and_wait(pilot, app, "no pictures")
    assert "images" not in demo_server.chat_requests()[-1]["messages"][0]


async def test_refused_files_show_why_on_their_chips_and_block_sending(
    make_app, demo_server, pics, tmp_path, monkeypatch
):
    empty_dir = tmp_path / "a folder.png"
    empty_dir.mkdir()
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:  # sparse: nothing is really written
        handle.truncate(MAX_BYTES + 1)
    unreadable = tmp_path / "secret.png"
    make_png(unreadable)
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):
        # Running as root, permissions do not stop reading: the refusal is simulated.
        real_open = Path.open

        def refusing_open(self, *args, **kwargs):
            if self == unreadable:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refusing_open)
    files = [pics / "fake.png", tmp_path / "missing.png", empty_dir, fifo, huge, unreadable]
    app = make_app(model=VISION)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths(files)
        await wait_until(pilot, lambda: ready(app))
        by_name = {a.name: a for a in main_bar(app).attachments}
        assert by_name["fake.png"].error.startswith("Not an image")
        assert by_name["missing.png"].error.startswith("Not found")
        assert by_name["a folder.png"].error == "This is a folder, not an image."
        assert by_name["pipe.png"].error.startswith("Not a regular file")
        assert by_name["huge.png"].error.startswith("Too large: 50.0 MB")
        assert by_name["secret.png"].error == "Cannot be read: permission denied."
        await wait_until(pilot, lambda: "⚠ Not found" in chip_text(app))
        assert "⚠ Not an image" in chip_text(app)
        requests = len(demo_server.chat_requests())
        await pilot.press(*"look", "enter")
        await wait_until(
            pilot, lambda: any("cannot be sent" in n.message for n in app._notifications)
        )
        assert len(demo_server.chat_requests()) == requests  # nothing sent
        assert app.screen.prompt.text == "look"  # nothing lost
        assert not app.screen.current.messages
    unreadable.chmod(stat.S_IRUSR | stat.S_IWUSR)


async def test_a_large_image_is_sent_with_a_warning(make_app, demo_server, tmp_path):
    big = tmp_path / "big.bmp"
    # A valid BMP header and pixels, padded past the warning size (BMP readers ignore it).
    Image.new("RGB", (8, 8), (9, 9, 9)).save(big, format="BMP")
    with big.open("r+b") as handle:
        handle.truncate(WARN_BYTES + 1000)
    app = make_app(model=VISION)
    async with app.run_test(size=(160, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([big])
        await wait_until(pilot, lambda: ready(app))
        (attachment,) = main_bar(app).attachments
        assert attachment.state == "ready"
        assert attachment.warning.startswith("Large (20.0 MB)")
        await wait_until(pilot, lambda: "⚠ Large (20.0 MB)" in chip_text(app))


async def test_history_is_resent_after_the_original_file_is_deleted(
    make_app, demo_server, tmp_path, data_dir
):
    original = tmp_path / "once.png"
    data = make_png(original, colour=(1, 2, 3))
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([original])
        await wait_until(pilot, lambda: ready(app))
        await send_and_wait(pilot, app, "first")
        original.unlink()
        await send_and_wait(pilot, app, "second")
        # The sent message shows its image, read back from the store, with a small picture.
        first_item = app.screen.pane._items[0]
        await wait_until(pilot, lambda: first_item.state.images is not None)
        (view,) = first_item.state.images
        # It keeps the name of the file it was attached from, though that file is gone.
        assert view.label == "image 1 · once.png · PNG · 64x48 · " + view.label.rsplit(" · ", 1)[1]
        assert view.cells and view.cells[0][0][0] == (1, 2, 3)  # the picture's colour
        await wait_until(pilot, lambda: "▣ image 1 · once.png · PNG · 64x48" in screen_text(app))
        conversation_id = app.screen.current.id
    saved = tomllib.loads((data_dir / "conversations" / f"{conversation_id}.toml").read_text())
    (ref,) = saved["messages"][0]["images"]
    assert saved["messages"][0]["image_names"] == {ref: "once.png"}
    first, second = demo_server.chat_requests()[-2:]
    assert decoded(first["messages"][0]["images"]) == [data]
    history = second["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    assert decoded(history[0]["images"]) == [data]
    assert "images" not in history[2]
    (stored,) = (data_dir / "images").iterdir()
    assert stored.read_bytes() == data


async def test_a_model_without_vision_asks_first(make_app, demo_server, pics):
    app = make_app(model=BLIND)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([pics / "red.png"])
        await wait_until(pilot, lambda: ready(app))
        before = len(demo_server.chat_requests())
        # Declined: nothing sent, nothing lost.
        await pilot.press(*"see?", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "llama3.2:latest may not see images" in screen_text(app)
        assert "do not include vision" in screen_text(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert len(demo_server.chat_requests()) == before
        assert app.screen.prompt.text == "see?"
        assert len(main_bar(app).attachments) == 1
        # Accepted: sent with the image. The model's details are fetched again if unknown.
        app.screen._details.clear()
        shows = sum(1 for r in demo_server.requests if r.path == "/api/show")
        await pilot.press("enter")
        await confirm_ready(pilot)
        assert sum(1 for r in demo_server.requests if r.path == "/api/show") == shows + 1
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen.current.messages)
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "complete")
    request = demo_server.chat_requests()[-1]
    assert request["model"] == BLIND
    assert decoded(request["messages"][0]["images"]) == [(pics / "red.png").read_bytes()]


async def test_a_vision_model_is_not_asked_about(make_app, demo_server, pics):
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([pics / "green.jpg"])
        await wait_until(pilot, lambda: ready(app))
        await send_and_wait(pilot, app, "")  # images alone, no text
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
        assert "I can see the image(s) you sent" in app.screen.current.messages[-1].content


async def test_the_palette_opens_the_picker(make_app, pics, monkeypatch):
    monkeypatch.chdir(pics)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Attach images")
        # Wait for the palette to list the command (it searches in the background).
        await wait_until(
            pilot,
            lambda: any(
                "Attach images" in str(results.get_option_at_index(0).prompt)
                for results in app.screen.query("CommandList")
                if results.option_count
            ),
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePickerScreen))
        assert app.screen.folder == pics


async def test_an_image_missing_from_the_store_ends_the_reply_with_a_reason(
    make_app, demo_server, tmp_path, data_dir
):
    original = tmp_path / "gone.png"
    make_png(original)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        main_bar(app).add_paths([original])
        await wait_until(pilot, lambda: ready(app))
        await send_and_wait(pilot, app, "first")
        for stored in (data_dir / "images").iterdir():
            stored.unlink()
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: app.screen.current.messages[-1].state == "error")
        reply = app.screen.current.messages[-1]
        assert "missing from the store" in reply.error
        assert not app.screen.pane.is_streaming(app.screen.current.id)
        assert "Could not resend the history" in screen_text(app)
        # The user's message is kept.
        assert app.screen.current.messages[-2].content == "second"


async def test_typing_goes_on_while_an_image_is_read(make_app, demo_server, pics, monkeypatch):
    import threading

    from app.widgets import attachment_bar

    release = threading.Event()
    threads = []
    real = attachment_bar.read_attachment

    def slow_read(path, images):
        threads.append(threading.current_thread() is threading.main_thread())
        release.wait(10)  # a huge image, still being read and encoded
        return real(path, images)

    monkeypatch.setattr(attachment_bar, "read_attachment", slow_read)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot, app)
        app.screen.prompt.focus()
        main_bar(app).add_paths([pics / "red.png"])
        await wait_until(pilot, lambda: threads)
        await pilot.press(*"still typing")
        assert app.screen.prompt.text == "still typing"  # while the image is being read
        assert "reading" in chip_text(app)
        release.set()
        await wait_until(pilot, lambda: ready(app))
        assert threads == [False]  # read in a worker thread, not on the UI's


async def test_the_same_picture_under_another_name_is_attached_once_and_said_so(
    make_app, pics, tmp_path
):
    copy = tmp_path / "my red.png"
    shutil.copyfile(pics / "red.png", copy)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        prompt = app.screen.prompt

        def notices() -> list[str]:
            return [n.message for n in app._notifications]

        prompt.post_message(events.Paste(str(pics / "red.png")))
        await wait_until(pilot, lambda: ready(app))
        await wait_until(pilot, lambda: notices())
        assert notices() == ["Attached red.png. The pasted path was not inserted as text."]
        # A copy of it: not a second chip, and the notice says why.
        prompt.post_message(events.Paste(f"'{copy}' "))
        await wait_until(pilot, lambda: len(notices()) == 2)
        assert notices()[-1] == (
            "my red.png is the same picture as red.png, already attached: it is attached "
            "once. The pasted path was not inserted as text."
        )
        assert [a.name for a in main_bar(app).attachments] == ["red.png"]
        # The same file again.
        prompt.post_message(events.Paste(str(pics / "red.png")))
        await wait_until(pilot, lambda: len(notices()) == 3)
        assert notices()[-1] == (
            "red.png is already attached. The pasted path was not inserted as text."
        )
        assert [a.name for a in main_bar(app).attachments] == ["red.png"]
        assert prompt.text == ""
        assert not any(n.startswith("Attached my red.png") for n in notices())


async def test_the_picker_shows_the_whole_folder_path_after_a_reload(
    make_app, data_dir, tmp_path, monkeypatch
):
    from app.attachments import save_last_folder

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    folder = home / "Pictures" / "2024"
    (folder / "trip").mkdir(parents=True)
    make_png(folder / "a.png")
    make_png(folder / ".hidden.png")
    save_last_folder(data_dir, folder)
    app = make_app(model=VISION)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        tree = picker.image_tree
        assert str(tree.root.label) == "~/Pictures/2024"
        for count in (3, 2):  # Ctrl+G reloads the tree with hidden files shown, then not
            await pilot.press("ctrl+g")
            await wait_until(pilot, lambda count=count: len(tree.root.children) == count)
            assert str(tree.root.label) == "~/Pictures/2024"
            assert "📂 ~/Pictures/2024 " in screen_text(app)
        # Another folder (typed, or the one above): its whole path too.
        picker.path_input.focus()
        await pilot.press("end", *"trip", "enter")
        await wait_until(pilot, lambda: picker.folder == folder / "trip")
        await wait_until(pilot, lambda: str(tree.root.label) == "~/Pictures/2024/trip")
        tree.focus()
        await pilot.press("backspace", "backspace")
        await wait_until(pilot, lambda: picker.folder == home / "Pictures")
        await wait_until(pilot, lambda: str(tree.root.label) == "~/Pictures")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: tree.show_hidden)
        await pilot.pause()
        assert str(tree.root.label) == "~/Pictures"

"""Reading, checking and finding image files, without the UI."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from app.attachments import (
    MAX_BYTES,
    complete_path,
    display_path,
    expand_path,
    is_image_file,
    load_last_folder,
    pasted_paths,
    read_attachment,
    save_last_folder,
    stored_image_info,
)
from app.store import ImageStore
from app.widgets.image_preview import fit_cells


def png(path: Path, size=(20, 10), mode="RGB") -> bytes:
    Image.new(mode, size).save(path, format="PNG")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif"), ("BMP", "bmp")],
)
def test_every_supported_kind_is_read_by_content(tmp_path, fmt, kind):
    # The names lie on purpose: the content decides.
    path = tmp_path / "picture.txt"
    Image.new("RGB", (12, 7), (10, 20, 30)).save(path, format=fmt)
    attachment = read_attachment(path, ImageStore(tmp_path / "store"))
    assert attachment.state == "ready", attachment.error
    assert (attachment.kind, attachment.width, attachment.height) == (kind, 12, 7)
    assert attachment.ref.endswith(f".{kind}")
    assert (tmp_path / "store" / attachment.ref).read_bytes() == path.read_bytes()
    assert attachment.thumbnail is not None and attachment.thumbnail.mode == "RGB"


def test_a_damaged_image_is_refused(tmp_path):
    path = tmp_path / "cut.png"
    data = png(path, (300, 300))
    path.write_bytes(data[:60])  # the header survives, the pixels do not
    attachment = read_attachment(path, ImageStore(tmp_path / "store"))
    assert attachment.state == "error"
    assert attachment.error.startswith("A damaged PNG file")
    assert not (tmp_path / "store").exists()  # nothing stored


def test_transparent_images_get_a_grey_background(tmp_path):
    path = tmp_path / "clear.png"
    png(path, (4, 4), mode="RGBA")
    attachment = read_attachment(path, ImageStore(tmp_path / "store"))
    assert attachment.thumbnail.getpixel((0, 0)) == (128, 128, 128)


def test_size_limits(tmp_path):
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    attachment = read_attachment(huge, ImageStore(tmp_path / "store"))
    assert attachment.error == "Too large: 50.0 MB, over the 50.0 MB limit for one image."
    empty = tmp_path / "empty.png"
    empty.touch()
    assert read_attachment(empty, ImageStore(tmp_path)).error == "The file is empty."


def test_the_same_picture_is_stored_once(tmp_path):
    store = ImageStore(tmp_path / "store")
    data = png(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(data)
    first = read_attachment(tmp_path / "a.png", store)
    second = read_attachment(tmp_path / "b.png", store)
    assert first.ref == second.ref
    assert len(list((tmp_path / "store").iterdir())) == 1


def test_stored_images_are_described_and_missing_ones_explained(tmp_path):
    store = ImageStore(tmp_path / "store")
    ref = store.put(png(tmp_path / "a.png", (8, 6)))
    info = stored_image_info(store, ref)
    assert (info.state, info.facts) == ("ready", f"PNG · 8x6 · {info.size} B")
    (tmp_path / "store" / ref).unlink()
    missing = stored_image_info(store, ref)
    assert missing.state == "error" and "missing from the store" in missing.error


def test_is_image_file_looks_at_the_first_bytes(tmp_path):
    png(tmp_path / "real.dat")
    (tmp_path / "fake.png").write_text("hello")
    assert is_image_file(tmp_path / "real.dat")
    assert not is_image_file(tmp_path / "fake.png")
    assert not is_image_file(tmp_path)
    assert not is_image_file(tmp_path / "missing.png")


def test_expand_and_display_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    base = tmp_path / "a" / "b"
    assert expand_path("~/x.png", base) == tmp_path / "x.png"
    assert expand_path("../c.png", base) == tmp_path / "a" / "c.png"
    assert expand_path("  /etc/x.png ", base) == Path("/etc/x.png")
    assert display_path(tmp_path / "Pictures") == "~/Pictures"
    assert display_path(tmp_path) == "~"
    assert display_path(Path("/elsewhere")) == "/elsewhere"


def test_tab_completion(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Pictures").mkdir()
    (tmp_path / "Pictures" / "cat-1.png").touch()
    (tmp_path / "Pictures" / "cat-2.png").touch()
    (tmp_path / "Pictures" / ".hidden.png").touch()
    (tmp_path / "Public").mkdir()
    base = tmp_path
    assert complete_path("Pic", base) == ("Pictures/", ["Pictures"])
    assert complete_path("P", base) == ("P", ["Pictures", "Public"])
    assert complete_path("~/Pictures/c", base) == ("~/Pictures/cat-", ["cat-1.png", "cat-2.png"])
    assert complete_path("Pictures/cat-2", base) == ("Pictures/cat-2.png", ["cat-2.png"])
    assert complete_path("Pictures/", base)[1] == ["cat-1.png", "cat-2.png"]
    assert complete_path("Pictures/.", base)[1] == [".hidden.png"]
    assert ".hidden.png" in complete_path("Pictures/", base, show_hidden=True)[1]
    assert complete_path(str(tmp_path / "Pu"), base)[0] == str(tmp_path / "Public") + "/"
    assert complete_path("nothing", base) == ("nothing", [])
    assert complete_path("~", base) == ("~/", ["~"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/home/u/a.png", ["/home/u/a.png"]),
        ("'/home/u/my pic.png' ", ["/home/u/my pic.png"]),  # GNOME Terminal
        ("/home/u/my\\ pic.png", ["/home/u/my pic.png"]),  # kitty, iTerm2
        ("file:///home/u/my%20pic.png", ["/home/u/my pic.png"]),  # file managers
        ("/a.png /b.png", ["/a.png", "/b.png"]),
        ("/a.png\n/b.png\n", ["/a.png", "/b.png"]),
        ("hello /a.png", None),  # text around a path: an ordinary paste
        ("relative/a.png", None),
        ("file://server/share/a.png", None),
        ("'unbalanced", None),
        ("", None),
        ("   ", None),
    ],
)
def test_pasted_paths(text, expected):
    result = pasted_paths(text)
    assert (None if result is None else [str(p) for p in result]) == expected


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    min_size=1,
    max_size=30,
)


@given(st.lists(names, min_size=1, max_size=4))
def test_pasted_paths_round_trip_whatever_the_names(parts):
    # However a terminal quotes a dropped file's path, the same path comes back.
    path = "/" + "/".join(parts)
    assert pasted_paths(shlex.quote(path)) == [Path(path)]


@given(st.text(max_size=200))
def test_pasted_paths_never_raises(text):
    result = pasted_paths(text)
    assert result is None or all(p.is_absolute() for p in result)


def test_the_last_folder_is_remembered(tmp_path):
    data = tmp_path / "data"
    assert load_last_folder(data) is None
    save_last_folder(data, tmp_path)
    assert load_last_folder(data) == tmp_path
    assert oct((data / "image-picker.json").stat().st_mode & 0o777) == "0o600"
    (data / "image-picker.json").write_text("{broken")
    assert load_last_folder(data) is None
    save_last_folder(data, tmp_path / "gone")
    assert load_last_folder(data) is None  # a folder that no longer exists is not used


def test_fit_cells_keeps_the_aspect():
    assert fit_cells(64, 48, 3, 8) == (8, 3)
    assert fit_cells(10, 100, 3, 8) == (1, 3)
    assert fit_cells(1000, 10, 16, 40) == (40, 1)
    assert fit_cells(0, 10, 3, 8) == (0, 0)


def test_pillow_and_textual_image_stay_off_the_start_up_path():
    code = (
        "import sys\n"
        "import app.app, app.__main__\n"
        "print(','.join(m for m in ('PIL', 'textual_image') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_attachments_module_does_not_import_textual():
    code = (
        "import sys, app.attachments\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(os.name != "posix", reason="POSIX terminals only")
def test_textual_image_is_imported_without_probing_the_terminal(tmp_path):
    # With stdout a terminal, textual-image would write queries (ESC [ c ...) to it on
    # import; through the guard it writes nothing.
    script = tmp_path / "probe.py"
    script.write_text(
        "import os, pty, sys\n"
        "pid, fd = pty.fork()\n"
        "if pid == 0:\n"
        "    from app.widgets.image_preview import _textual_image\n"
        "    _textual_image()\n"
        "    os._exit(0)\n"
        "out = b''\n"
        "while True:\n"
        "    try:\n"
        "        chunk = os.read(fd, 1024)\n"
        "    except OSError:\n"
        "        break\n"
        "    if not chunk:\n"
        "        break\n"
        "    out += chunk\n"
        "os.waitpid(pid, 0)\n"
        "print(repr(out))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "b''"

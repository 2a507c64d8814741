"""The core runs without the UI, and the command starts without heavy imports."""

import subprocess
import sys

CORE = [
    "app.ollama",
    "app.ollama.client",
    "app.store",
    "app.store.index",
    "app.store.merge",
    "app.transfer",
    "app.titles",
    "app.chat",
    "app.models",
    "app.config",
    "app.demo",
    "app.tools",
]


def test_core_does_not_import_textual():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_startup_path_does_not_import_httpx_markdown_or_sqlite():
    code = (
        "import sys\n"
        "import app.app, app.__main__\n"
        "print(','.join(m for m in ('httpx', 'markdown_it', 'textual.widgets._markdown',"
        " 'sqlite3', 'app.store.index') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_and_version():
    version = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("olladeck ")
    helptext = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, check=True
    )
    for flag in ("--host", "--model", "--demo", "--data-dir"):
        assert flag in helptext.stdout

"""The `olladeck` command."""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    import argparse


def build_parser() -> argparse.ArgumentParser:
    """The command line (argparse is imported only when there are arguments to read)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="olladeck",
        description="A fast, keyboard-first terminal chat client for Ollama.",
        epilog=(
            "The server is taken from --host, else the config file's `host`, else "
            "OLLAMA_HOST, else http://127.0.0.1:11434. Config: $XDG_CONFIG_HOME/olladeck/"
            "config.toml; conversations: $XDG_DATA_HOME/olladeck/."
        ),
    )
    parser.add_argument("--version", action="version", version=f"olladeck {__version__}")
    parser.add_argument(
        "--host",
        metavar="HOST",
        help="Ollama server, in any form OLLAMA_HOST accepts, or a name from [hosts] in the config",
    )
    parser.add_argument("--model", metavar="MODEL", help="model for new conversations")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in simulated Ollama server (no Ollama needed)",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="where conversations are saved")
    parser.add_argument("--config", metavar="FILE", help="another config file to use")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the app."""
    # Start-up allocates a great deal and frees little: the cyclic collector would only
    # walk it again and again. It is switched back on once the first frame is drawn.
    gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        args = build_parser().parse_args(argv)
    else:
        # The usual case: no arguments, so no parser to build on the way to the first frame.
        from types import SimpleNamespace

        args = SimpleNamespace(host=None, model=None, demo=False, data_dir=None, config=None)

    from pathlib import Path

    from .config import Config, load_config
    from .hosts import resolve_host
    from .ollama.host import parse_host
    from .services import Services
    from .store import ConversationStore

    config_file = Path(args.config).expanduser() if args.config else None
    config, problem = load_config(config_file)
    notices = [problem] if problem else []
    if args.data_dir:
        config = Config(**{**config.__dict__, "data_dir": args.data_dir})

    demo_server = None
    if args.demo:
        from .demo import ThreadedDemoServer

        demo_server = ThreadedDemoServer(token_rate=40.0)
        host = parse_host(demo_server.start())
    else:
        from .ollama.host import InvalidHost

        try:
            host = resolve_host(args.host, config, os.environ)
        except InvalidHost as exc:
            where = "--host" if args.host and args.host not in config.rejected_hosts else None
            print(f"olladeck: {where or 'OLLAMA_HOST'}: {exc}", file=sys.stderr)
            return 2

    services = Services(config, ConversationStore(config.resolved_data_dir), host)
    services.demo = args.demo
    services.config_file = config_file

    from .app import OlladeckApp

    app = OlladeckApp(services, model=args.model or "", notices=notices, demo_server=demo_server)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the simulated Ollama server on its own: `python -m app.demo --port 11434`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from .server import DemoServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=11434, help="port (0: any free port)")
    parser.add_argument("--rate", type=float, default=40.0, help="tokens per second (0: max)")
    parser.add_argument("--reply-tokens", type=int, default=None, help="make every reply N tokens")
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="seconds")
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="put terminal escape sequences in every string sent (a client must show them inert)",
    )
    parser.add_argument(
        "--large-replies",
        action="store_true",
        help="answer a prompt `large:<name>` (line, table, list, nested, flood) with a large "
        "canned reply at its own rate",
    )
    parser.add_argument(
        "--log-done", action="store_true", help="print `done <unix time>` after each reply"
    )
    args = parser.parse_args(argv)

    async def serve() -> None:
        server = DemoServer(
            token_rate=args.rate,
            reply_tokens=args.reply_tokens,
            first_token_delay=args.first_token_delay,
            hostile=args.hostile,
            large_replies=args.large_replies,
        )
        if args.log_done:
            server.on_reply_done = lambda: print(f"done {time.time():.6f}", flush=True)
        port = await server.start(args.host, args.port)
        print(f"listening on http://{args.host}:{port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``minigrad playground``: the browser playground, served on this machine only (127.0.0.1).

The server needs the ``playground`` extra (Starlette and uvicorn); without it the command
says how to install it instead of failing on an import.
"""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "playground", help="train an MLP in the browser and watch the optimizers, live",
        description="Serve the playground on http://127.0.0.1:PORT/: pick a dataset, a network and one or "
                    "two optimizers, and watch minigrad train them. Stop it with Ctrl+C.",
    )
    parser.add_argument("--port", type=port_number, default=8765,
                        help="port to listen on, on 127.0.0.1 only (default: 8765; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in the default web browser")
    parser.set_defaults(func=run)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return value


SERVER_PACKAGES = ("starlette", "uvicorn")


def run(args) -> int:
    import importlib.util
    import socket

    missing = [name for name in SERVER_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        print(f"minigrad playground: error: the playground's server needs {' and '.join(missing)}, "
              f"which {'is' if len(missing) == 1 else 'are'} not installed: "
              f"pip install \"minigrad-np[playground]\"", file=sys.stderr)
        return 1
    from minigrad.playground.server import serve

    if args.port:
        # Say plainly that the port is taken, before the server's own log line would.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", args.port)) == 0:
                print(f"minigrad playground: error: port {args.port} on 127.0.0.1 is already in use; "
                      f"choose another with --port (0 picks a free one)", file=sys.stderr)
                return 1

    def ready(url: str) -> None:
        print(f"minigrad playground: serving on {url} (Ctrl+C to stop)", flush=True)

    try:
        serve(port=args.port, open_browser=args.open, ready=ready)
    except KeyboardInterrupt:
        pass
    return 0

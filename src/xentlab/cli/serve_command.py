"""``xentlab serve``: bind the address, say where the page is (and whether other machines can
reach it), serve until Ctrl-C or SIGTERM, however the process was started. The page itself is
``xentlab.web``, imported only here, so that the other commands work without the web extra."""

from __future__ import annotations

import argparse
import threading
import webbrowser

from rich.console import Console

from ..errors import XentlabError
from . import text
from .commands import EXIT_OK, signals_request_stop

DEFAULT_HOST = "127.0.0.1"  # this machine only
DEFAULT_PORT = 8000


def run_serve(args: argparse.Namespace, out: Console) -> int:
    # Ctrl-C and SIGTERM are the ways to stop a server, not errors: from the first line on, each
    # asks it to stop (one that comes before it serves stops it as soon as it starts).
    stop = threading.Event()
    with signals_request_stop(stop.set):
        try:
            from .. import web
        except ImportError as exc:  # starlette or uvicorn missing
            raise XentlabError(
                f"xentlab serve needs the web extra ({exc.name} is not installed): "
                "pip install 'xentlab[web]'"
            ) from None
        web.address_of(args.host, args.port)  # a bad host or port is an error, not a warning
        private = web.is_loopback(args.host)
        if not private:
            text.warning_line(
                f"--host {args.host} is not a loopback address: every machine that can reach "
                "this one can open the page and start training runs on it"
            )
        sock = web.listen(args.host, args.port)
        with sock:
            app = web.create_app(
                data_dir=args.data_dir, allowed_hosts=web.LOOPBACK_NAMES if private else None
            )
            address = web.page_address(sock)
            out.print(f"the page is at {address} (Ctrl-C stops the server)")
            if args.open:
                webbrowser.open(address)
            web.serve(web.make_server(app), sock, stop)
    out.print("the server has stopped")
    return EXIT_OK

"""``xentlab serve``: bind the address, say where the page is (and whether other machines can
reach it), serve until Ctrl-C or SIGTERM, however the process was started. The page itself is
``xentlab.web``, imported only here, so that the other commands work without the web extra."""

from __future__ import annotations

import argparse
import threading
import webbrowser

from rich.console import Console

from ...errors import XentlabError
from .. import text
from ..argument_types import path
from ..exit_codes import EXIT_OK
from ..parser import Subcommands
from ..signals import signals_request_stop

DEFAULT_HOST = "127.0.0.1"  # this machine only
DEFAULT_PORT = 8000


def add_parser(subcommands: Subcommands) -> None:
    p = subcommands.add_parser(
        "serve",
        help="the interactive page: the neuron, the saturation map, the race and the algebra",
        description="Serve the interactive page on this machine: one neuron learning under "
        "either cost (and the linear neuron beside them), the saturation map (click a start to "
        "watch it learn), a race of one network under both costs, live, and the article's "
        "algebra checked by SymPy. Everything the page needs is served from the package: "
        "it works without internet access. Needs the web extra (pip install 'xentlab[web]').",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="the address to listen on; anything but a loopback address makes the page "
        "reachable from other machines",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    p.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy in front of the server (an IP address or network; may be given "
        "again): only its X-Forwarded-For header names the client. Without one, a client is "
        "the address it connects from, whatever its headers say, and the limits per client "
        "hold",
    )
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.add_argument(
        "--data-dir",
        type=path,
        help="where the race looks for MNIST (default: $XENTLAB_DATA, then the cache)",
    )
    p.set_defaults(run=run, command_parser=p)


def run(args: argparse.Namespace, out: Console) -> int:
    # Ctrl-C and SIGTERM are the ways to stop a server, not errors: from the first line on, each
    # asks it to stop (one that comes before it serves stops it as soon as it starts).
    stop = threading.Event()
    with signals_request_stop(stop.set):
        try:
            from ... import web
        except ImportError as exc:  # starlette or uvicorn missing
            raise XentlabError(
                f"xentlab serve needs the web extra ({exc.name} is not installed): "
                "pip install 'xentlab[web]'"
            ) from None
        web.address_of(args.host, args.port)  # a bad host or port is an error, not a warning
        proxies = web.trusted_proxies(args.trusted_proxy or ())
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
            web.serve(web.make_server(app, proxies=proxies), sock, stop)
    out.print("the server has stopped")
    return EXIT_OK

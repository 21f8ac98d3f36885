"""``xentlab serve``: the page, a thin front end over the library (needs the ``web`` extra).

One module per view of the page, each holding its parameters, its computation call and its
routes: ``neuron_view``, ``map_view``, ``race_view`` (with ``races``, the races it runs), each
with its script in static/. ``app``: the Starlette app built from ``app.VIEWS``, the one list of
views, with what they share (the Host check, errors as JSON). ``view``: what a view is, and
what the app lends every view (reading a request within the limits, bounded worker threads).
``params``: how a parameter is declared and checked by the library's constraints. ``limits``:
the bounds of the work one request may ask for. ``assets``: the page's files. ``server``: the
listening socket and the uvicorn server. Nothing here imports a plotting library.
"""

from .app import LOOPBACK_NAMES, create_app
from .limits import Limits
from .server import (
    address_of,
    is_loopback,
    listen,
    make_server,
    page_address,
    serve,
    trusted_proxies,
)

__all__ = [
    "LOOPBACK_NAMES",
    "Limits",
    "address_of",
    "create_app",
    "is_loopback",
    "listen",
    "make_server",
    "page_address",
    "serve",
    "trusted_proxies",
]

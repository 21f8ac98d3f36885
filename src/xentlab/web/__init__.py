"""``xentlab serve``: the page, a thin front end over the library (needs the ``web`` extra).

``app``: the Starlette app (routes, validation, errors as JSON, limits). ``views``: the neuron
and the saturation map as JSON-ready data. ``races``: the race, two runs trained at once and
streamed. ``params``: every endpoint's parameters, checked by the library's constraints.
``limits``: the bounds of the work one request may ask for. ``assets``: the page's files.
``server``: the listening socket and the uvicorn server.
"""

from .app import LOOPBACK_NAMES, create_app
from .limits import Limits
from .server import address_of, is_loopback, listen, make_server, page_address, serve

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
]

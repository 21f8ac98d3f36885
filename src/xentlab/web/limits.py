"""What one request may ask of the server: the bounds of every parameter and of the work at once.

A page on a laptop must not be made to train for an hour or to allocate gigabytes by a typo or a
loop of requests. Every parameter has a range (each view's ``parameters``), each computation runs
in one of a few worker threads, and races (the only long-running work) are counted per client
and in total and stopped after a time limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The server's bounds; the defaults suit a 2-core laptop. Tests lower them."""

    # One neuron: at most 2,000 epochs of each cost (a few milliseconds, 0.4 MB of JSON).
    neuron_epochs: int = 2000
    neuron_start: float = 20.0  # |w| and |b| at most this
    neuron_input: float = 10.0  # |x| at most this
    neuron_eta: float = 100.0
    # The saturation map: at most 201 × 201 starts and 1,000 epochs (about 0.3 s per cost).
    map_points: int = 201
    map_epochs: int = 1000
    map_limit: float = 20.0
    map_eta: float = 10.0
    # A race: two small networks on digits or MNIST.
    race_epochs: int = 30
    race_hidden: int = 100
    race_batch_size: int = 100
    race_eta: float = 20.0
    race_pace: float = 2.0  # seconds per epoch, at the slowest
    race_seconds: float = 300.0  # a race still running after this is stopped
    races_per_client: int = 2
    races: int = 4
    mnist_races: int = 1  # an MNIST race holds about 0.8 GB while it trains
    # Work at once: computations (neuron, map) in worker threads, queued beyond this.
    compute_threads: int = 2
    query_length: int = 1000  # characters of a query string

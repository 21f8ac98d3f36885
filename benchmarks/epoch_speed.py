"""Seconds per epoch of [784, 30, 10] on MNIST (sigmoid hidden layer, cross-entropy, η = 0.5,
mini-batch 10, plain SGD, float32): xentlab's two kernels against PyTorch, JAX and scikit-learn,
in the same run; then [784, 100, 10] for both kernels, and the time to reproduce the book's
three chapter-3 results with each kernel.

    python benchmarks/epoch_speed.py [--epochs 3] [--repeats 3] [--book estimate|full]

Every configuration trains the same architecture from N(0, 1) weights on the same 50,000
images, with a fresh shuffle each epoch, and is timed over its SGD epochs only (no monitoring);
each reports its test accuracy after the same epochs, so none wins by doing less work. The
configurations run interleaved, repeat after repeat, so that a noisy spell on a shared machine
hits them all; the table gives medians. One-time costs (numba compiling xentlab's kernel, JAX's
jit, torch.compile) are measured apart and never inside a timed epoch.

Peers: PyTorch autograd + torch.optim.SGD, and PyTorch with back-propagation written by hand
(no autograd), eagerly and under torch.compile, each with the default thread count and with
one; JAX with the whole epoch jit-compiled (lax.scan over the mini-batches; skipped when jax
is not installed); scikit-learn's MLPClassifier (softmax output: its only multiclass option).
Needs real MNIST (XENTLAB_DATA) and, for the peers, ``pip install ".[bench]"``.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from _kernel import kernel_epochs
from _report import benchmark_parser, report

from xentlab.data import load_dataset
from xentlab.errors import XentlabError
from xentlab.functions import sigmoid
from xentlab.kernel import compiled_unavailable
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

SIZES = [784, 30, 10]
ETA, BATCH = 0.5, 10
# The book's three chapter-3 results (tests/test_mnist_results.py): sizes, cost, η.
BOOK = [([784, 30, 10], "cross-entropy", 0.5), ([784, 100, 10], "cross-entropy", 0.5)]
BOOK += [([784, 30, 10], "quadratic", 3.0)]
BOOK_SEEDS, BOOK_EPOCHS = 3, 30
ALONE = "xentlab compiled, kernel alone (no divergence checks)"
# [784, 100, 10]: (label, kernel, BLAS threads for NumPy or None for its default)
WIDE_CONFIGURATIONS = [
    ("compiled", "compiled", None),
    ("numpy", "numpy", None),
    ("numpy (1 BLAS thread)", "numpy", 1),
]

Result = tuple[list[float], float]  # seconds of each epoch, test accuracy after the last


def xentlab_run(
    ds: Any,
    epochs: int,
    seed: int,
    kernel: str,
    sizes: list[int] = SIZES,
    blas_threads: int | None = None,
) -> Result:
    """``epochs`` of xentlab's training loop (the seconds it records per epoch: mini-batches
    and divergence checks, not the end-of-epoch evaluation); NumPy's BLAS limited to
    ``blas_threads`` if given."""
    from threadpoolctl import threadpool_limits

    net = Network.create(sizes, cost="cross-entropy", init="large", seed=seed)
    config = TrainConfig(epochs=epochs, batch_size=BATCH, eta=ETA, seed=seed, kernel=kernel)
    state = TrainState.start(net, config)
    with threadpool_limits(blas_threads, user_api="blas"):
        fit(state, check_labelled(net, ds.train.X, ds.train.labels, "training"))
    return state.history.column("seconds"), net.accuracy(ds.test.X, ds.test.labels)


def kernel_alone_run(ds: Any, epochs: int, seed: int) -> Result:
    """xentlab's compiled kernel called directly, as the JAX peer's epoch is (``_kernel``): no
    divergence checks (the training loop checks the weights after every 10,000 examples, on
    100 of them)."""
    net = Network.create(SIZES, cost="cross-entropy", init="large", seed=seed)
    X = check_labelled(net, ds.train.X, ds.train.labels, "training").X
    seconds = kernel_epochs(net, X, ds.train.labels, BATCH, ETA, epochs, seed)
    return seconds, net.accuracy(ds.test.X, ds.test.labels)


def torch_model(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 1.0)  # the "large" initialisation, as in xentlab's run
    return model


def torch_accuracy(forward: Callable[[Any], Any], ds: Any) -> float:
    import torch

    with torch.no_grad():
        predicted = forward(torch.from_numpy(ds.test.X)).argmax(dim=1).numpy()
    return float(np.mean(predicted == ds.test.labels))


def torch_autograd_run(ds: Any, epochs: int, seed: int, threads: int) -> Result:
    import torch

    torch.set_num_threads(threads)
    model = torch_model(seed)
    # BCE-with-logits averages over batch and the 10 outputs; xentlab's cost sums over outputs
    # and averages over the batch, so sum and divide by the batch size for the same gradient.
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    optimiser = torch.optim.SGD(model.parameters(), lr=ETA)
    X = torch.from_numpy(ds.train.X)
    Y = torch.nn.functional.one_hot(torch.from_numpy(ds.train.labels), 10).float()
    generator = torch.Generator().manual_seed(seed)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X), generator=generator)
        Xs, Ys = X[order], Y[order]  # one shuffle per epoch, then slices
        for lo in range(0, len(X), BATCH):
            xb, yb = Xs[lo : lo + BATCH], Ys[lo : lo + BATCH]
            optimiser.zero_grad()
            loss = loss_fn(model(xb), yb) / len(xb)
            loss.backward()
            optimiser.step()
        seconds.append(time.perf_counter() - start)
    return seconds, torch_accuracy(model, ds)


def torch_sgd_step(W1: Any, b1: Any, W2: Any, b2: Any, x: Any, y: Any, eta: float) -> None:
    """One mini-batch of back-propagation written out (cross-entropy, sigmoid layers), in place:
    δ2 = (a2 − y) η/m, δ1 = δ2 W2ᵀ ⊙ a1 (1 − a1), W −= aᵀδ, b −= Σ δ (W is (in, out))."""
    a1 = (x @ W1 + b1).sigmoid()
    a2 = (a1 @ W2 + b2).sigmoid()
    d2 = (a2 - y) * (eta / x.shape[0])
    d1 = (d2 @ W2.T) * a1 * (1 - a1)
    W2.sub_(a1.T @ d2)
    b2.sub_(d2.sum(0))
    W1.sub_(x.T @ d1)
    b1.sub_(d1.sum(0))


def torch_manual_run(ds: Any, epochs: int, seed: int, threads: int, compiled: bool) -> Result:
    import torch

    torch.set_num_threads(threads)
    model = torch_model(seed)
    W1, b1 = model[0].weight.detach().T.contiguous(), model[0].bias.detach().clone()
    W2, b2 = model[2].weight.detach().T.contiguous(), model[2].bias.detach().clone()
    step = torch_compiled_step() if compiled else torch_sgd_step
    X = torch.from_numpy(ds.train.X)
    Y = torch.nn.functional.one_hot(torch.from_numpy(ds.train.labels), 10).float()
    generator = torch.Generator().manual_seed(seed)
    seconds = []
    with torch.no_grad():
        # untimed: any recompilation for these tensors or this thread count happens here
        step(*(p.clone() for p in (W1, b1, W2, b2)), X[:BATCH], Y[:BATCH], ETA)
        for _ in range(epochs):
            start = time.perf_counter()
            order = torch.randperm(len(X), generator=generator)
            Xs, Ys = X[order], Y[order]
            for lo in range(0, len(X), BATCH):
                step(W1, b1, W2, b2, Xs[lo : lo + BATCH], Ys[lo : lo + BATCH], ETA)
            seconds.append(time.perf_counter() - start)
    return seconds, torch_accuracy(lambda x: (x @ W1 + b1).sigmoid() @ W2 + b2, ds)


@functools.cache
def torch_compiled_step() -> Callable[..., None]:
    import torch

    return torch.compile(torch_sgd_step, fullgraph=True, dynamic=False)  # type: ignore[no-any-return]


def torch_compile_seconds(ds: Any) -> float:
    """torch.compile's one-time cost: the first call of the compiled step (it needs a C
    compiler); raises if torch.compile does not work here."""
    import torch

    W1, b1, W2, b2 = torch.zeros(784, 30), torch.zeros(30), torch.zeros(30, 10), torch.zeros(10)
    x, y = torch.from_numpy(ds.train.X[:BATCH]), torch.zeros(BATCH, 10)
    start = time.perf_counter()
    with torch.no_grad():
        torch_compiled_step()(W1, b1, W2, b2, x, y, ETA)
    return time.perf_counter() - start


def jax_epoch_function() -> Callable[..., Any]:
    """One epoch as one jit-compiled function: shuffle, then lax.scan of the SGD step over the
    mini-batches (n / m of them; 50,000 / 10 leaves no short batch)."""
    import jax

    def step(params: Any, batch: Any) -> tuple[Any, None]:
        W1, b1, W2, b2 = params
        x, y = batch
        a1 = jax.nn.sigmoid(x @ W1 + b1)
        a2 = jax.nn.sigmoid(a1 @ W2 + b2)
        d2 = (a2 - y) * (ETA / x.shape[0])
        d1 = (d2 @ W2.T) * a1 * (1 - a1)
        return (W1 - x.T @ d1, b1 - d1.sum(0), W2 - a1.T @ d2, b2 - d2.sum(0)), None

    def epoch(params: Any, X: Any, Y: Any, order: Any) -> Any:
        batches = X.shape[0] // BATCH
        Xs = X[order].reshape(batches, BATCH, X.shape[1])
        Ys = Y[order].reshape(batches, BATCH, Y.shape[1])
        return jax.lax.scan(step, params, (Xs, Ys))[0]

    return jax.jit(epoch)


@functools.cache
def jax_epoch() -> Callable[..., Any]:
    return jax_epoch_function()


def jax_run(ds: Any, epochs: int, seed: int) -> Result:
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(seed)  # the same N(0, 1) start, drawn by NumPy
    params = tuple(
        jnp.asarray(rng.standard_normal(shape).astype(np.float32))
        for shape in ((784, 30), (30,), (30, 10), (10,))
    )
    X = jnp.asarray(ds.train.X)
    Y = jnp.asarray(np.eye(10, dtype=np.float32)[ds.train.labels])
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = jnp.asarray(rng.permutation(len(ds.train.X)))
        params = jax.block_until_ready(jax_epoch()(params, X, Y, order))
        seconds.append(time.perf_counter() - start)
    W1, b1, W2, b2 = (np.asarray(p) for p in params)
    z = sigmoid(ds.test.X @ W1 + b1) @ W2 + b2
    return seconds, float(np.mean(z.argmax(axis=1) == ds.test.labels))


def jax_compile_seconds(ds: Any) -> float:
    """The jit's one-time cost: the first epoch call minus a later one."""
    import jax
    import jax.numpy as jnp

    params = tuple(jnp.zeros(s, jnp.float32) for s in ((784, 30), (30,), (30, 10), (10,)))
    X, Y = jnp.asarray(ds.train.X), jnp.zeros((len(ds.train.X), 10), jnp.float32)
    order = jnp.arange(len(ds.train.X))
    times = []
    for _ in range(2):
        start = time.perf_counter()
        jax.block_until_ready(jax_epoch()(params, X, Y, order))
        times.append(time.perf_counter() - start)
    return times[0] - times[1]


def sklearn_run(ds: Any, epochs: int, seed: int) -> Result:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    # MLPClassifier's output layer is softmax + log-loss (its only multiclass option), averaged
    # over the mini-batch; η = 0.5 suits that cost as well. One partial_fit call is one epoch.
    model = MLPClassifier(
        hidden_layer_sizes=(30,),
        activation="logistic",
        solver="sgd",
        batch_size=BATCH,
        learning_rate="constant",
        learning_rate_init=ETA,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        shuffle=True,
        random_state=seed,
    )
    classes = np.arange(10)
    seconds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            start = time.perf_counter()
            model.partial_fit(ds.train.X, ds.train.labels, classes=classes)
            seconds.append(time.perf_counter() - start)
    return seconds, float(model.score(ds.test.X, ds.test.labels))


WARM_UP = (
    "import time; t = time.perf_counter(); from xentlab.kernel.compiled import warm_up; "
    "warm_up(); print(time.perf_counter() - t)"
)


def numba_compile_seconds() -> tuple[float, float]:
    """(compiling xentlab's kernel for float32 and float64 with an empty cache, loading it from
    the cache), each in a fresh process (imports included)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", WARM_UP],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(2)
        ]
    return runs[0], runs[1]


def peers(
    args: argparse.Namespace, notes: list[str], one_time: dict[str, float]
) -> dict[str, Callable[..., Result]]:
    """The configurations to time, by name; what cannot run here is noted and left out."""
    runners: dict[str, Callable[..., Result]] = {}
    if compiled_unavailable() is None:
        runners["xentlab compiled (numba)"] = functools.partial(xentlab_run, kernel="compiled")
        runners[ALONE] = kernel_alone_run
    else:
        notes.append(f"xentlab compiled skipped: {compiled_unavailable()}")
    runners["xentlab numpy"] = functools.partial(xentlab_run, kernel="numpy")
    runners["xentlab numpy (1 BLAS thread)"] = functools.partial(
        xentlab_run, kernel="numpy", blas_threads=1
    )
    try:
        import torch
    except ImportError:
        notes.append("PyTorch not installed (pip install torch==2.13.0): its rows are skipped")
    else:
        threads = sorted({torch.get_num_threads(), 1}, reverse=True)
        for n in threads:
            label = f"{n} thread{'s' if n > 1 else ''}"
            runners[f"pytorch autograd + SGD ({label})"] = functools.partial(
                torch_autograd_run, threads=n
            )
            runners[f"pytorch hand-written backprop, eager ({label})"] = functools.partial(
                torch_manual_run, threads=n, compiled=False
            )
        try:
            one_time["torch.compile (first call)"] = torch_compile_seconds(args.ds)
        except Exception as exc:  # no C compiler, or inductor unsupported here
            notes.append(f"torch.compile skipped: {type(exc).__name__}: {exc}".splitlines()[0])
        else:
            for n in threads:
                label = f"{n} thread{'s' if n > 1 else ''}"
                runners[f"pytorch hand-written backprop, torch.compile ({label})"] = (
                    functools.partial(torch_manual_run, threads=n, compiled=True)
                )
    try:
        import jax  # noqa: F401
    except ImportError:
        notes.append("JAX not installed (pip install 'jax[cpu]'): its row is skipped")
    else:
        one_time["JAX jit of the epoch"] = jax_compile_seconds(args.ds)
        runners["jax, epoch jit-compiled (lax.scan)"] = jax_run
    if not args.no_sklearn:
        runners["scikit-learn MLPClassifier"] = sklearn_run
    return runners


def time_configurations(
    ds: Any, runners: dict[str, Callable[..., Result]], epochs: int, repeats: int
) -> dict[str, tuple[list[float], list[float]]]:
    results: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in runners}
    for repeat in range(repeats):
        for name, run in runners.items():
            seconds, accuracy = run(ds, epochs, seed=repeat + 1)
            shown = ", ".join(f"{t:.3f}" for t in seconds)
            print(f"repeat {repeat + 1}: {name}: {shown} s, accuracy {accuracy:.4f}", flush=True)
            results[name][0].extend(seconds)
            results[name][1].append(accuracy)
    return results


class EpochClock:
    """An observer noting when training started and each epoch ended (evaluation included)."""

    def __init__(self) -> None:
        self.marks = [time.perf_counter()]

    def on_batches(self, state: TrainState, done: int, total: int) -> None:
        pass

    def on_epoch(self, state: TrainState, record: Any) -> None:
        self.marks.append(time.perf_counter())


def book_seconds(ds: Any, kernel: str, full: bool) -> float:
    """Seconds to train the book's three networks for 3 seeds × 30 epochs with ``kernel``, the
    end-of-epoch evaluation included: run in full, or estimated from 2 epochs of each network
    (the first dropped, so start-up is not counted 9 times)."""
    total = 0.0
    for sizes, cost, eta in BOOK:
        epochs = BOOK_EPOCHS if full else 2
        seeds = range(1, BOOK_SEEDS + 1) if full else [1]
        for seed in seeds:
            net = Network.create(sizes, cost=cost, init="large", seed=seed)
            training = check_labelled(net, ds.train.X, ds.train.labels, "training")
            state = TrainState.start(
                net, TrainConfig(epochs=epochs, batch_size=BATCH, eta=eta, seed=seed, kernel=kernel)
            )
            clock = EpochClock()
            fit(state, training, observers=[clock])
            marks = clock.marks
            if full:
                total += marks[-1] - marks[0]
            else:
                total += (marks[2] - marks[1]) * BOOK_EPOCHS * BOOK_SEEDS
    return total


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn (slow)")
    parser.add_argument(
        "--book",
        choices=["estimate", "full", "skip"],
        default="estimate",
        help="the book's 3 × 3 × 30 epochs: estimated from 2 epochs each, or run in full",
    )
    args = parser.parse_args()
    try:
        args.ds = ds = load_dataset("mnist")
    except XentlabError as exc:
        sys.exit(f"epoch_speed needs real MNIST: {exc}")
    notes: list[str] = []
    one_time: dict[str, float] = {}
    if compiled_unavailable() is None:
        cold, warm = numba_compile_seconds()
        one_time["xentlab kernel: numba compile, empty cache (float32 + float64)"] = cold
        one_time["xentlab kernel: load from numba's cache (float32 + float64)"] = warm
        from xentlab.kernel.compiled import warm_up

        warm_up()  # this process's first use is not timed either
    runners = peers(args, notes, one_time)
    load = os.getloadavg()
    results = time_configurations(ds, runners, args.epochs, args.repeats)
    peer_medians = [
        statistics.median(s) for name, (s, _) in results.items() if not name.startswith("xentlab")
    ]
    fastest_peer = min(peer_medians) if peer_medians else None  # none installed: no ratio
    rows = []
    compiled_name = "xentlab compiled (numba)"
    base = statistics.median(results[compiled_name][0]) if compiled_name in results else None
    for name, (seconds, accuracies) in results.items():
        per_epoch = statistics.median(seconds)
        rows.append(
            {
                "configuration": name,
                "s/epoch (median)": per_epoch,
                "s/epoch (min)": min(seconds),
                "time / xentlab compiled": per_epoch / base if base else None,
                f"test accuracy after {args.epochs} epochs (median)": statistics.median(accuracies),
            }
        )
    wide: dict[str, float] = {}  # [784, 100, 10], xentlab's kernels only
    for label, kernel, threads in WIDE_CONFIGURATIONS:
        if kernel == "compiled" and compiled_unavailable() is not None:
            continue
        seconds: list[float] = []
        for repeat in range(args.repeats):
            seconds += xentlab_run(ds, 2, repeat + 1, kernel, [784, 100, 10], threads)[0]
        wide[label] = statistics.median(seconds)
    book: dict[str, float] = {}
    if args.book != "skip":
        for kernel in ("compiled", "numpy"):
            if kernel in wide:
                book[kernel] = book_seconds(ds, kernel, args.book == "full")
    meta = {
        "sizes": SIZES,
        "eta": ETA,
        "batch_size": BATCH,
        "dtype": "float32",
        "epochs": args.epochs,
        "repeats": args.repeats,
        "load_average_at_start": load,
        "load_average_at_end": os.getloadavg(),
        "one_time_seconds": one_time,
        "fastest_peer_s_per_epoch": fastest_peer,
        "compiled_speedup_vs_fastest_peer": fastest_peer / base if base and fastest_peer else None,
        "kernel_alone_speedup_vs_fastest_peer": (
            fastest_peer / statistics.median(results[ALONE][0])
            if fastest_peer and ALONE in results
            else None
        ),
        "784_100_10_s_per_epoch": wide,
        "784_100_10_compiled_speedup_vs_numpy": (
            wide["numpy"] / wide["compiled"] if "compiled" in wide else None
        ),
        "784_100_10_compiled_speedup_vs_faster_numpy": (
            min(wide["numpy"], wide["numpy (1 BLAS thread)"]) / wide["compiled"]
            if "compiled" in wide
            else None
        ),
        "book_3x3x30_seconds": book,
        "book_mode": args.book,
        "notes": notes,
    }
    report("epoch_speed", "one epoch of [784, 30, 10] on MNIST, mini-batch 10, float32", rows, meta)
    for what, seconds in one_time.items():
        print(f"one-time: {what}: {seconds:.2f} s")
    for kernel, seconds in wide.items():
        print(f"[784, 100, 10]: xentlab {kernel} {seconds:.3f} s/epoch")
    for kernel, seconds in book.items():
        how = "measured" if args.book == "full" else "estimated from 2 epochs of each network"
        print(
            f"the book's 3 networks x 3 seeds x 30 epochs, {kernel} kernel: {seconds:.0f} s ({how})"
        )
    if base and fastest_peer:
        print(
            f"xentlab compiled is {fastest_peer / base:.1f}x faster per epoch than the fastest peer"
        )
    print(f"load average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()

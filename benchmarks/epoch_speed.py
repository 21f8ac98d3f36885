"""Seconds per epoch of [784, 30, 10] on MNIST (sigmoid hidden layer, cross-entropy, η = 0.5,
mini-batch 10, plain SGD): xentlab against PyTorch CPU and scikit-learn, in the same run.

    python benchmarks/epoch_speed.py [--epochs 3] [--repeats 3]

Every framework trains the same architecture from N(0, 1) weights on the same 50,000 images,
with a fresh shuffle each epoch, and is timed over the SGD epochs only (no monitoring).
PyTorch is run with its default thread count and with one thread (tiny matrices are often
faster single-threaded); the faster of the two is the peer. Needs real MNIST (XENTLAB_DATA)
and, for the PyTorch rows, ``pip install torch==2.13.0``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
import warnings

import numpy as np
from _report import report

from xentlab.data import load_dataset
from xentlab.errors import XentlabError
from xentlab.model import Network
from xentlab.training import TrainConfig, TrainState, check_labelled, fit

SIZES = [784, 30, 10]
ETA, BATCH = 0.5, 10


def xentlab_run(ds, epochs: int, seed: int) -> tuple[list[float], float]:
    net = Network.create(SIZES, cost="cross-entropy", init="large", seed=seed)
    state = TrainState.start(net, TrainConfig(epochs=epochs, batch_size=BATCH, eta=ETA, seed=seed))
    fit(state, check_labelled(net, ds.train.X, ds.train.labels, "training"))
    return state.history.column("seconds"), net.accuracy(ds.test.X, ds.test.labels)


def torch_run(ds, epochs: int, seed: int, threads: int) -> tuple[list[float], float]:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 1.0)  # the "large" initialisation, as in xentlab's run
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
        Xs, Ys = X[order], Y[order]  # xentlab also shuffles once per epoch, then slices
        for lo in range(0, len(X), BATCH):
            xb, yb = Xs[lo : lo + BATCH], Ys[lo : lo + BATCH]
            optimiser.zero_grad()
            loss = loss_fn(model(xb), yb) / len(xb)
            loss.backward()
            optimiser.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        predicted = model(torch.from_numpy(ds.test.X)).argmax(dim=1).numpy()
    return seconds, float(np.mean(predicted == ds.test.labels))


def sklearn_run(ds, epochs: int, seed: int) -> tuple[list[float], float]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per framework (default 3)")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn (slow)")
    args = parser.parse_args()
    try:
        ds = load_dataset("mnist")
    except XentlabError as exc:
        sys.exit(f"epoch_speed needs real MNIST: {exc}")
    runners = {"xentlab": xentlab_run}
    try:
        import torch
    except ImportError:
        print("PyTorch not installed (pip install torch==2.13.0): its rows are skipped")
    else:
        default_threads = torch.get_num_threads()
        label = f"pytorch ({default_threads} threads)"
        runners[label] = functools.partial(torch_run, threads=default_threads)
        if default_threads != 1:
            runners["pytorch (1 thread)"] = functools.partial(torch_run, threads=1)
    if not args.no_sklearn:
        runners["scikit-learn"] = sklearn_run
    results: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in runners}
    # Interleave the frameworks so that a noisy spell on the shared machine hits them all.
    for repeat in range(args.repeats):
        for name, run in runners.items():
            seconds, accuracy = run(ds, args.epochs, seed=repeat + 1)
            results[name][0].extend(seconds)
            results[name][1].append(accuracy)
    base = statistics.median(results["xentlab"][0])
    rows = []
    for name, (seconds, accuracies) in results.items():
        per_epoch = statistics.median(seconds)
        rows.append(
            {
                "framework": name,
                "s/epoch (median)": per_epoch,
                "s/epoch (min)": min(seconds),
                "time / xentlab": per_epoch / base,
                f"test accuracy after {args.epochs} epochs (median)": statistics.median(accuracies),
            }
        )
    torch_rows = [r for r in rows if r["framework"].startswith("pytorch")]
    meta = {
        "sizes": SIZES,
        "eta": ETA,
        "batch_size": BATCH,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "xentlab_speedup_vs_best_pytorch": (
            min(r["s/epoch (median)"] for r in torch_rows) / base if torch_rows else None
        ),
    }
    report("epoch_speed", "one epoch of [784, 30, 10] on MNIST, mini-batch 10", rows, meta)
    if torch_rows:
        print(
            f"xentlab is {meta['xentlab_speedup_vs_best_pytorch']:.1f}x faster per epoch than "
            "the faster PyTorch configuration"
        )


if __name__ == "__main__":
    main()

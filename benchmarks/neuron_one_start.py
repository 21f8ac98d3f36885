"""How fast does one neuron train from one start? The article's neuron ((w, b) = (2, 2), x = 1,
y = 0) for 100,000 epochs, in plain floats (what ``neuron.train`` does for one start) against the
array path (what it does for many), in the same run, with the largest difference between them.

    python benchmarks/neuron_one_start.py [--epochs 100000] [--repeats 3]
"""

from __future__ import annotations

import functools

import numpy as np
from _report import benchmark_parser, best_of, report

from xentlab import neuron


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for cost in neuron.NEURON_COSTS:
        run = functools.partial(neuron.train, 2.0, 2.0, cost=cost, eta=0.15, epochs=args.epochs)
        plain = best_of(args.repeats, functools.partial(run, path="scalar"))
        arrays = best_of(args.repeats, functools.partial(run, path="arrays"))
        a, b = run(path="scalar"), run(path="arrays")
        difference = max(float(np.max(np.abs(a.w - b.w))), float(np.max(np.abs(a.cost - b.cost))))
        rows.append(
            {
                "cost": cost,
                "epochs": args.epochs,
                "plain floats s": plain,
                "arrays s": arrays,
                "µs/epoch plain": plain / args.epochs * 1e6,
                "µs/epoch arrays": arrays / args.epochs * 1e6,
                "speed-up": arrays / plain,
                "largest difference": difference,
            }
        )
    report("neuron_one_start", f"one start x {args.epochs} epochs", rows, {})


if __name__ == "__main__":
    main()

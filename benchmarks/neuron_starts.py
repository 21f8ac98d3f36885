"""How fast are many starts (w, b) trained at once? 10,000 starts × 300 epochs, one array pass,
against training the same starts one at a time (the plain loop), in the same run.

    python benchmarks/neuron_starts.py [--starts 10000] [--epochs 300] [--loop-starts 300]
"""

from __future__ import annotations

import functools

import numpy as np
from _report import benchmark_parser, best_of, report

from xentlab import neuron


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--starts", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--loop-starts", type=int, default=300, help="starts timed in the loop")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    w0, b0 = rng.uniform(-3, 3, args.starts), rng.uniform(-3, 3, args.starts)
    rows = []
    k = args.loop_starts
    for cost in neuron.NEURON_COSTS:
        run = functools.partial(neuron.train, cost=cost, eta=0.15, epochs=args.epochs)
        together = best_of(5, functools.partial(run, w0, b0))
        loop = best_of(1, lambda run=run: [run(w, b) for w, b in zip(w0[:k], b0[:k], strict=True)])
        loop_all = loop * args.starts / k  # the loop's cost is linear in starts
        # Same answers both ways (checked on the starts the loop ran).
        check, alone = run(w0[:k], b0[:k]), run(w0[0], b0[0])
        assert np.allclose(check.w[:, 0], alone.w[:, 0], rtol=1e-12)
        rows.append(
            {
                "cost": cost,
                "starts": args.starts,
                "epochs": args.epochs,
                "vectorised s": together,
                "loop s (extrapolated)": loop_all,
                "speed-up": loop_all / together,
            }
        )
    report(
        "neuron_starts",
        f"{args.starts} starts x {args.epochs} epochs",
        rows,
        {"loop_starts_timed": args.loop_starts},
    )


if __name__ == "__main__":
    main()

"""Time the saturation map: 201 × 201 starts × 300 epochs per cost, in one vectorised pass,
against training the same starts one at a time (timed on a sample and scaled up).

    python benchmarks/saturation_map.py [--repeats 5]
"""

from __future__ import annotations

import numpy as np
from _report import benchmark_parser, best_of, report

from xentlab.experiments.saturation import saturation_map
from xentlab.neuron import NEURON_COSTS, epochs_until

POINTS, EPOCHS, SAMPLE = 201, 300, 200


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    grid = np.linspace(-6, 6, POINTS)
    W, B = (a.ravel() for a in np.meshgrid(grid, grid))
    sample = np.random.default_rng(0).choice(len(W), SAMPLE, replace=False)
    rows = []
    for cost in NEURON_COSTS:
        vectorised = best_of(args.repeats, lambda c=cost: epochs_until(W, B, cost=c, epochs=EPOCHS))
        one_at_a_time = best_of(
            1, lambda c=cost: [epochs_until(W[i], B[i], cost=c, epochs=EPOCHS) for i in sample]
        ) * (len(W) / SAMPLE)
        rows.append(
            {
                "cost": cost,
                "starts": len(W),
                "epochs": EPOCHS,
                "vectorised s": vectorised,
                "one at a time s (scaled)": one_at_a_time,
                "speed-up": one_at_a_time / vectorised,
            }
        )
    whole = best_of(args.repeats, lambda: saturation_map(POINTS, epochs=EPOCHS))
    rows.append(
        {
            "cost": "both (saturation_map)",
            "starts": 2 * len(W),
            "epochs": EPOCHS,
            "vectorised s": whole,
            "one at a time s (scaled)": sum(r["one at a time s (scaled)"] for r in rows),
            "speed-up": sum(r["one at a time s (scaled)"] for r in rows) / whole,
        }
    )
    report(
        "saturation_map",
        f"saturation map: {POINTS} x {POINTS} starts, {EPOCHS} epochs, fastest of {args.repeats}",
        rows,
        {"points": POINTS, "epochs": EPOCHS, "repeats": args.repeats, "sample": SAMPLE},
    )


if __name__ == "__main__":
    main()

"""Write the sweep and list-argument cases of the bad-input corpus:
``python tests/corpus/make_sweeps.py``.

Bounds first: every list option given a range or a list longer than any command uses
(``--seeds 1-100000000``, 10,001 values of ``--eta``), sweep files of 100,000 seeds, 20,000
grids or a product over 10,000 runs, networks too large to train (refused on the client, before
a cluster starts), and outputs that could not be written found before any run: a sweep folder
where no file can be created, a figure in a folder that does not exist. Each case is a command
line and the words its one-line error must contain; cases/sweeps.json receives them, and
files/sweeps-* the sweep files.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
FILES = HERE / "files"
TOO_MANY = 10_001  # one more value than a list may hold (argument_types.MAX_LIST_VALUES)


def many(value: str, separator: str = ",") -> str:
    return separator.join([value] * TOO_MANY)


def sweep_files() -> dict[str, str]:
    """The sweep files, by name: their text."""
    return {
        # the example: 100,000 seeds (the same one, so that a duplicate check run
        # before the size check would have 10^10 comparisons to make)
        "sweeps-100k-seeds.json": json.dumps({"seed": [7] * 100_000}),
        # 20,000 grids of one run each: the sizes of the grids are summed
        "sweeps-20k-grids.json": json.dumps({"grid": [{"seed": i} for i in range(20_000)]}),
        # 200 seeds × 60 rates: no axis is long, the product is
        "sweeps-product.toml": (
            f"seed = {list(range(200))}\neta = {[round(0.1 * k, 1) for k in range(1, 61)]}\n"
        ),
        # a network of 300 GiB, refused on the client
        "sweeps-huge-network.toml": "hidden = [[100000, 100000, 100000]]\nepochs = 1\n",
        # one grid of three fine, the other's network too large
        "sweeps-huge-network-in-grid-2.json": json.dumps(
            {
                "epochs": 1,
                "grid": [{"hidden": 30}, {"hidden": [[50000, 50000]], "dtype": "float64"}],
            }
        ),
    }


CASES: list[tuple[str, list[str], str]] = [
    # ranges are measured by their ends, lists by their separators, before either is expanded
    (
        "sweeps-seeds-range-100-million",
        ["sweep", "--seeds", "1-100000000"],
        "argument --seeds: lists 100,000,000 values; at most 10,000",
    ),
    (
        "sweeps-seeds-ranges-summed",
        ["sweep", "--seeds", "1-5000,10001-15001"],
        "argument --seeds: lists 10,001 values",
    ),
    (
        "sweeps-epochs-range",
        ["sweep", "--epochs", "1-1000000000"],
        "argument --epochs: lists 1,000,000,000 values",
    ),
    (
        "sweeps-batch-size-range-of-30-digits",
        ["sweep", "--batch-size", "1-" + "9" * 30],
        "argument --batch-size: lists 999,999,999,999,999,999,999,999,999,999 values",
    ),
    ("sweeps-schedule-range", ["sweep", "--schedule", "1-20000"], "argument --schedule: lists"),
    ("sweeps-eta-list", ["sweep", "--eta", many("0.5")], "argument --eta: lists 10,001 values"),
    ("sweeps-lmbda-list", ["sweep", "--lmbda", many("0")], "argument --lmbda: lists 10,001"),
    ("sweeps-costs-list", ["sweep", "--costs", many("quadratic")], "argument --costs: lists"),
    ("sweeps-init-list", ["sweep", "--init", many("default")], "argument --init: lists 10,001"),
    ("sweeps-hidden-list", ["sweep", "--hidden", many("30")], "argument --hidden: lists 10,001"),
    (
        "sweeps-hidden-layers-list",
        ["sweep", "--hidden", many("30", ":")],
        "argument --hidden: lists 10,001",
    ),
    (
        "sweeps-compare-seeds-range",
        ["compare", "--seeds", "0-" + "9" * 30],
        "argument --seeds: lists 1,000,000,000,000,000,000,000,000,000,000 values",
    ),
    ("sweeps-compare-sizes-list", ["compare", "--sizes", many("5")], "argument --sizes: lists"),
    ("sweeps-compare-costs-list", ["compare", "--costs", many("quadratic")], "argument --costs:"),
    (
        "sweeps-compare-eta-pairs",
        ["compare", "--eta", many("quadratic=3")],
        "argument --eta: lists 10,001",
    ),
    ("sweeps-report-seeds-range", ["report", "--seeds", "1-10000000"], "argument --seeds: lists"),
    ("sweeps-train-sizes-list", ["train", "--sizes", many("5")], "argument --sizes: lists"),
    # sweep files: the size first (product of axis lengths, summed over grids), then the values
    (
        "sweeps-file-100k-seeds",
        ["sweep", "{files}/sweeps-100k-seeds.json"],
        "sweeps-100k-seeds.json: the sweep has 100,000 runs; at most 10,000 are allowed",
    ),
    (
        "sweeps-file-20k-grids",
        ["sweep", "{files}/sweeps-20k-grids.json"],
        "the sweep has 20,000 runs; at most 10,000",
    ),
    (
        "sweeps-file-product",
        ["sweep", "{files}/sweeps-product.toml"],
        "the sweep has 12,000 runs; at most 10,000",
    ),
    (
        "sweeps-options-product",
        ["sweep", "--seeds", "1-5000", "--eta", "0.1,0.5,3"],
        "the sweep has 30,000 runs; at most 10,000",
    ),
    # networks too large to train: refused on the client, before a cluster starts
    (
        "sweeps-hidden-150-gib",
        ["sweep", "--hidden", "100000:100000", "--epochs", "1"],
        "sizes 64,100000,100000,10 in float32 would need about 149.1 GiB",
    ),
    (
        "sweeps-hidden-large-in-float64-only",
        ["sweep", "--hidden", "15000:15000", "--dtype", "float32,float64", "--yes"],
        "in float64 would need about",
    ),
    (
        "sweeps-file-huge-network",
        ["sweep", "{files}/sweeps-huge-network.toml"],
        "sweeps-huge-network.toml: a network with sizes 64,100000,100000,100000,10",
    ),
    (
        "sweeps-file-huge-network-in-grid-2",
        ["sweep", "{files}/sweeps-huge-network-in-grid-2.json"],
        "sizes 64,50000,50000,10 in float64 would need about",
    ),
    # outputs that could not be written, found before any run
    (
        "sweeps-out-in-proc",
        ["sweep", "--seeds", "1", "--out", "/proc/xentlab-sweep"],
        "cannot create the sweep folder /proc/xentlab-sweep",
    ),
    (
        "sweeps-out-a-file",
        ["sweep", "--seeds", "1", "--out", "{files}/sweeps-product.toml"],
        "is not a folder: a sweep writes a folder of results",
    ),
    (
        "sweeps-figure-in-missing-folder",
        ["sweep", "--seeds", "1", "--figure", "{tmp}/missing/sweep.png"],
        "cannot write figure file {tmp}/missing/sweep.png: directory {tmp}/missing does not exist",
    ),
    (
        "sweeps-figure-below-new-sweep-folder",
        ["sweep", "--seeds", "1", "--out", "{tmp}/new", "--figure", "{tmp}/new/figures/a.png"],
        "directory {tmp}/new/figures does not exist",
    ),
    (
        "sweeps-figure-a-folder",
        ["sweep", "--seeds", "1", "--figure", "{files}"],
        "the extension must be one of png, svg, pdf",
    ),
    (
        "sweeps-figure-in-proc",
        ["sweep", "--seeds", "1", "--figure", "/proc/sweep.png"],
        "cannot write figure file /proc/sweep.png",
    ),
]


def main() -> None:
    for name, content in sweep_files().items():
        (FILES / name).write_text(content)
    cases = [{"name": name, "args": args, "needle": needle} for name, args, needle in CASES]
    (HERE / "cases" / "sweeps.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()

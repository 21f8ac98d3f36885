"""Write the argument cases of the bad-input corpus: ``python tests/corpus/make_args.py``.

Arguments out of range or ill-typed, counts whose memory would be absurd, empty paths, options
abbreviated or unknown, settings that contradict the checkpoint being resumed, and paths that
look like markup or hold a newline. Each case is a command line and the words its one-line
error must contain; cases/args.json receives them.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
GOOD = "{files}/good.ckpt"  # a valid checkpoint of [64, 5, 10] on digits, cross-entropy, η 0.5

CASES: list[tuple[str, list[str], str]] = [
    # counts and sizes beyond what memory or patience allows
    ("args-epochs-beyond-limit", ["train", "--epochs", "1000000"], "--epochs must be at most"),
    ("args-sizes-memory", ["train", "--sizes", "64,90000,90000,10"], "would need about"),
    (
        "args-sizes-memory-float64",
        ["train", "--sizes", "64,60000,60000,10", "--dtype", "float64"],
        "in float64 would need about",
    ),
    ("args-neuron-epochs-memory", ["neuron", "--epochs", "100000000"], "would need about"),
    ("args-slowdown-epochs-memory", ["slowdown", "--epochs", "100000000"], "from 2 starts"),
    ("args-neuron-z-overflows", ["neuron", "--w", "1e200", "--x", "1e200"], "overflows"),
    ("args-neuron-b-overflows", ["neuron", "--w", "1e308", "--b", "1e308"], "overflows"),
    ("args-neuron-epochs-zero", ["neuron", "--epochs", "0"], "--epochs must be"),
    ("args-neuron-y-nan", ["neuron", "--y", "nan"], "--y must be finite"),
    (
        "args-neuron-cost-log-likelihood",
        ["neuron", "--cost", "log-likelihood"],
        "--cost must be one of quadratic, cross-entropy",
    ),
    ("args-schedule-zero", ["train", "--schedule", "0"], "--schedule must be"),
    (
        "args-checkpoint-every-zero",
        ["train", "--checkpoint", "x.ckpt", "--checkpoint-every", "0"],
        "--checkpoint-every must be",
    ),
    # a folder or size that cannot be meant
    (
        "args-data-dir-missing-for-digits",
        ["train", "--data-dir", "/no/such/folder"],
        "data directory /no/such/folder does not exist",
    ),
    (
        "args-data-dir-a-file",
        ["train", "--data-dir", "{files}/good.ckpt"],
        "is not a directory",
    ),
    (
        "args-sizes-of-mnist-on-digits",
        ["train", "--sizes", "784,30,10"],
        "--sizes must start with 64: digits has 64 inputs; got 784,30,10 (64,30,10 would fit",
    ),
    # empty strings are errors, not defaults
    ("args-empty-sizes", ["train", "--sizes", ""], "argument --sizes"),
    ("args-empty-save", ["train", "--save", ""], "argument --save: must not be empty"),
    ("args-blank-checkpoint", ["train", "--checkpoint", "  "], "argument --checkpoint: must not"),
    ("args-empty-plot", ["train", "--plot", ""], "argument --plot: must not be empty"),
    ("args-empty-resume", ["train", "--resume", ""], "argument --resume: must not be empty"),
    ("args-empty-data-dir", ["train", "--data-dir", ""], "argument --data-dir: must not be"),
    ("args-empty-out", ["slowdown", "--out", ""], "argument --out: must not be empty"),
    ("args-empty-neuron-plot", ["neuron", "--plot", ""], "argument --plot: must not be empty"),
    ("args-empty-network", ["evaluate", ""], "must not be empty"),
    ("args-empty-dest", ["data", "fetch", "mnist", "--dest", ""], "argument --dest: must not"),
    ("args-empty-inspect", ["data", "inspect", ""], "must not be empty"),
    # options are typed whole, and an unknown one points at its subcommand's help
    ("args-abbreviated-epochs", ["train", "--epoch", "3"], "unrecognized arguments: --epoch"),
    ("args-abbreviated-batch", ["train", "--batch", "3"], "unrecognized arguments: --batch"),
    ("args-unknown-train-option", ["train", "--learning-rate", "3"], "see xentlab train --help"),
    ("args-unknown-neuron-option", ["neuron", "--z", "1"], "see xentlab neuron --help"),
    (
        "args-unknown-inspect-option",
        ["data", "inspect", "x", "--all"],
        "see xentlab data inspect --help",
    ),
    # a resumed run is the saved run continued: other settings are refused, each named
    ("args-resume-other-eta", ["train", "--resume", GOOD, "--eta", "0.1"], "eta 0.1 (saved: 0.5)"),
    (
        "args-resume-other-cost",
        ["train", "--resume", GOOD, "--cost", "quadratic"],
        "cost 'quadratic' (saved: 'cross-entropy')",
    ),
    (
        "args-resume-other-seed-and-lmbda",
        ["train", "--resume", GOOD, "--seed", "4", "--lmbda", "1"],
        "lmbda 1.0 (saved: 0.0); seed 4 (saved: 0)",
    ),
    (
        "args-resume-init",
        ["train", "--resume", GOOD, "--init", "large"],
        "a resumed run keeps its weights",
    ),
    (
        "args-resume-other-dtype",
        ["train", "--resume", GOOD, "--dtype", "float64"],
        "dtype 'float64' (saved: 'float32')",
    ),
    (
        "args-resume-other-batch-size",
        ["train", "--resume", GOOD, "--batch-size", "20"],
        "only epochs and kernel may change",
    ),
    # user text is text: markup-like and multi-line paths give one plain line
    ("args-markup-path", ["train", "--save", "[bold]/x.json"], "network file [bold]/x.json"),
    ("args-newline-path", ["evaluate", "two\nlines.json"], "two\\nlines.json"),
]


def main() -> None:
    cases = [{"name": name, "args": args, "needle": needle} for name, args, needle in CASES]
    (HERE / "cases" / "args.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()

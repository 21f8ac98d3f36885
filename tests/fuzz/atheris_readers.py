"""Coverage-guided fuzzing of xentlab's readers with atheris (libFuzzer for Python).

    pip install atheris
    python tests/fuzz/atheris_readers.py -max_total_time=600 [corpus_dir]

Each input goes to the IDX reader, the network loader and the MNIST-pickle reader; the only
outcomes allowed are a result or xentlab's own XentlabError. Anything else (another exception,
a crash, a hang) is a finding, and libFuzzer writes the input that caused it to crash-*.
The test suite runs this for a few seconds (tests/test_fuzz.py); run it longer by hand.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from xentlab import data
    from xentlab.errors import XentlabError
    from xentlab.formats import load_network

_DIR = tempfile.mkdtemp(prefix="xentlab-fuzz-")
_PATH = os.path.join(_DIR, "input")
READERS = (data.read_idx, load_network, data.read_mnist_pkl)


def one_input(raw: bytes) -> None:
    with open(_PATH, "wb") as handle:
        handle.write(raw)
    for reader in READERS:
        try:
            reader(_PATH)
        except XentlabError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Coverage-guided fuzzing of xentlab's readers with atheris (libFuzzer for Python).

    pip install atheris
    python tests/fuzz/atheris_readers.py -max_total_time=600 [corpus_dir]

Each input goes to every reader of a file a user can give: IDX, the network (JSON and
safetensors) and checkpoint loaders, and the MNIST-pickle reader. The only outcomes allowed are
a result or xentlab's own XentlabError. Anything else (another exception, a crash, a hang) is a
finding, and libFuzzer writes the input that caused it to crash-*. The test suite runs this for
a few seconds (tests/test_fuzz.py); run it longer by hand.

Memory is capped the same way on every run: the process's address space is limited to 2 GiB
(as the bad-input corpus limits each command), so an input that makes a reader allocate too much
fails at once with a MemoryError, a finding, whatever else the machine is doing. libFuzzer's own
check of the resident size, which polls once a second and so may or may not catch a short
burst, is turned off unless ``-rss_limit_mb`` is given.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from xentlab import data
    from xentlab.errors import XentlabError
    from xentlab.formats import load_checkpoint, load_network, load_safetensors

MEMORY_CAP = 2 * 2**30
_DIR = tempfile.mkdtemp(prefix="xentlab-fuzz-")
_PATH = os.path.join(_DIR, "input")
READERS = (data.read_idx, load_network, load_safetensors, load_checkpoint, data.read_mnist_pkl)


def one_input(raw: bytes) -> None:
    with open(_PATH, "wb") as handle:
        handle.write(raw)
    for reader in READERS:
        try:
            reader(_PATH)
        except XentlabError:
            pass


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = MEMORY_CAP if hard == resource.RLIM_INFINITY else min(MEMORY_CAP, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    argv = list(sys.argv)
    if not any(arg.startswith("-rss_limit_mb=") for arg in argv):
        argv.append("-rss_limit_mb=0")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

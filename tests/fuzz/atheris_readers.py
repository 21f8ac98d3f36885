"""Coverage-guided fuzzing of xentlab's readers with atheris (libFuzzer for Python).

    pip install atheris
    python tests/fuzz/atheris_readers.py -max_total_time=600 [corpus_dir]

Each input goes to every reader of a file a user can give: IDX, the network (JSON and
safetensors) and checkpoint loaders, the MNIST-pickle reader, and sweep files (as TOML and as
JSON); and to the page's reader of a race's body (its JSON and the settings it asks for, when
the web extra is installed). The only outcomes allowed are
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

with atheris.instrument_imports(include=["xentlab"]):  # not dask and starlette: slow to load
    from xentlab import data, sweeps
    from xentlab.errors import XentlabError
    from xentlab.formats import load_checkpoint, load_network, load_safetensors

    try:
        from xentlab.web import Limits
        from xentlab.web.race_view import parameters, race_settings
        from xentlab.web.view import read_json_body
    except ImportError:  # the web extra is not installed: its reader is left out
        race_settings = None

MEMORY_CAP = 2 * 2**30
_DIR = tempfile.mkdtemp(prefix="xentlab-fuzz-")
_PATH = os.path.join(_DIR, "input")
READERS = (data.read_idx, load_network, load_safetensors, load_checkpoint, data.read_mnist_pkl)
SWEEP_PATHS = (os.path.join(_DIR, "sweep.toml"), os.path.join(_DIR, "sweep.json"))
RACE_PARAMETERS = parameters(Limits()) if race_settings is not None else ()


def read_sweep(path: str) -> None:
    sweeps.read_sweep_file(path).points()


def read_race_body(raw: bytes) -> None:
    if race_settings is not None:
        race_settings(read_json_body(raw), RACE_PARAMETERS)


def one_input(raw: bytes) -> None:
    for path in (_PATH, *SWEEP_PATHS):
        with open(path, "wb") as handle:
            handle.write(raw)
    readings = [(reader, _PATH) for reader in READERS]
    readings += [(read_sweep, path) for path in SWEEP_PATHS]
    readings.append((read_race_body, raw))
    for reader, given in readings:
        try:
            reader(given)
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

"""What ``xentlab train`` imports: what it uses, and nothing of the other commands, the page, the
sweeps, the figures or the libraries behind them. Each import costs start-up time (scikit-learn
a second or two, numba with the scipy.linalg it loads most of a second), paid by every run.

Read from the modules a real ``xentlab train`` process has loaded when it ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xentlab.cli.commands import COMMANDS
from xentlab.files import places
from xentlab.kernel import compiled_unavailable

SRC = Path(__file__).resolve().parent.parent / "src"
# Runs xentlab's command line in-process, then writes the names of the modules loaded.
LOADED = (
    "import json, sys\n"
    "from xentlab.cli.main import main\n"
    "code = main(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)
# What training never needs: other front ends and their libraries, and xentlab's parts for the
# other commands.
NEVER = (
    "matplotlib",
    "torch",
    "jax",
    "dask",
    "distributed",
    "starlette",
    "uvicorn",
    "sympy",
    "xentlab.experiments",
    "xentlab.sweeps",
    "xentlab.web",
    "xentlab.plots",
    "xentlab.report",
    "xentlab.sklearn",
    "xentlab.torch",
    "xentlab.neuron",
    *(f"xentlab.cli.commands.{name}" for name in COMMANDS if name != "train"),
)
# The network's libraries and asyncio: only `data fetch` and `sweep` need them (scikit-learn
# imports them too, to decode the digits).
NETWORK = ("asyncio", "http.client", "urllib.request", "ssl")
# What only decoding the digits needs (scikit-learn, and pandas, which it imports where it is
# installed): once they are kept decoded, never.
DECODING_DIGITS = ("sklearn", "pandas", "joblib")
# The compiled kernel: numba, and the scipy.linalg numba loads with its first compiled function.
COMPILED = ("numba", "llvmlite", "scipy")


def loaded_by(arguments: list[str], tmp_path: Path) -> set[str]:
    """The modules loaded by ``xentlab *arguments``, run with a cache of the test's own."""
    out = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop(places.NO_DECODED_CACHE, None)
    result = subprocess.run(
        [sys.executable, "-c", LOADED, str(out), *arguments],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(out.read_text()))


def found(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The names (packages with their modules) among ``modules``."""
    return sorted(n for n in names if n in modules or any(m.startswith(f"{n}.") for m in modules))


def test_train_imports_what_it_uses_and_no_more(tmp_path):
    run = ["train", "--dataset", "digits", "--epochs", "1", "--kernel", "numpy"]
    first = loaded_by(run, tmp_path)  # decodes the digits with scikit-learn, and keeps them
    assert found(first, NEVER) == []
    assert "sklearn" in first
    again = loaded_by(run, tmp_path)  # reads them back
    assert found(again, NEVER + NETWORK + DECODING_DIGITS + COMPILED) == []
    assert {"xentlab.cli.commands.train", "xentlab.runs", "rich.progress"} <= again


@pytest.mark.skipif(compiled_unavailable() is not None, reason="numba is not installed")
def test_train_with_the_compiled_kernel_adds_numba_only(tmp_path):
    run = ["train", "--dataset", "digits", "--epochs", "1", "--kernel", "compiled"]
    loaded_by(run, tmp_path)
    again = loaded_by(run, tmp_path)
    assert found(again, NEVER + NETWORK + DECODING_DIGITS) == []
    assert "numba" in again


def test_the_program_freezes_its_objects_before_it_ends(monkeypatch, capsys):
    """The interpreter's last garbage collections walk every object a process made (0.2 s of a
    short run with numba loaded); the program freezes them first, once its work is done."""
    import gc

    from xentlab.cli import entry_point

    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(sys, "argv", ["xentlab", "--version"])
    assert entry_point() == 0
    assert frozen == [True]
    assert capsys.readouterr().out.startswith("xentlab ")


def test_both_ways_of_starting_the_program_go_through_its_entry_point():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = SRC.parent
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"xentlab": "xentlab.cli:entry_point"}
    assert "sys.exit(entry_point())" in (SRC / "xentlab" / "__main__.py").read_text()

"""The bad-input corpus (tests/corpus): every case through the real command line must end with
exit code 2 and one line on stderr naming the problem — no traceback, no file changed, no
pickle code run, and no memory blow-up (each run is capped at 2 GiB of address space)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from idx_tools import write_mnist_dir

CORPUS = Path(__file__).parent / "corpus"
# One file of cases per kind of input (base.json from make_corpus.py, others from their own
# make_*.py scripts), so that each kind can be regenerated on its own.
CASES = [
    case
    for path in sorted((CORPUS / "cases").glob("*.json"))
    for case in json.loads(path.read_text())
]
MEMORY_CAP = 2 * 2**30


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()  # a FIFO or a link to a device is not read
    }


@pytest.fixture(scope="module")
def valid_mnist(tmp_path_factory):
    return write_mnist_dir(tmp_path_factory.mktemp("mnist") / "mnist")


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_exits_2_with_one_line(case, tmp_path, valid_mnist):
    files = tmp_path / "files"
    shutil.copytree(CORPUS / "files", files, symlinks=True)  # links stay links (writes-link-*)
    mnist = tmp_path / "mnist"
    shutil.copytree(valid_mnist, mnist)
    if "replace" in case:
        shutil.copy(files / case["name"], mnist / case["replace"])
    work = tmp_path / "work"
    work.mkdir()

    def fill(text: str) -> str:
        places = {"{files}": files, "{mnist}": mnist, "{tmp}": tmp_path}
        for place, path in places.items():
            text = text.replace(place, str(path))
        return text

    # Inputs a repository cannot hold, made here: FIFOs and symbolic links (to a FIFO, a device).
    for name in case.get("fifos", []):
        (tmp_path / name).unlink(missing_ok=True)
        os.mkfifo(tmp_path / name)
    for name, target in case.get("links", {}).items():
        (tmp_path / name).unlink(missing_ok=True)
        (tmp_path / name).symlink_to(fill(target))
    args = [fill(a) for a in case["args"]]
    env = {**os.environ, **{key: fill(value) for key, value in case.get("env", {}).items()}}
    before = snapshot(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "xentlab", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap_memory,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert fill(case["needle"]) in lines[0], lines[0]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert snapshot(tmp_path) == before  # nothing written, nothing changed, no 'pwned' file

"""The process around the program (issue 19, class 7): closed standard streams, a user with no
home directory, and file names as long as the file system allows.

Each case runs the real command line in a process of its own, as a user would meet it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from xentlab import data, files
from xentlab.files import places
from xentlab.files.temporaries import TEMP_EXTRA, TEMP_STEM_MAX, temporary_stem
from xentlab.files.writing import beside

SRC = Path(__file__).resolve().parents[1] / "src"


def environment(**changes: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def xentlab(
    args: list[str], cwd: Path, closed: str = "", env: dict[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess[str]:
    """Run ``xentlab args`` with the streams in ``closed`` ("stdout", "stderr", both) closed,
    as a shell's ``>&-`` and ``2>&-`` close them."""
    redirections = {"stdout": ">&-", "stderr": "2>&-"}
    shut = " ".join(r for name, r in redirections.items() if name in closed)
    script = f'exec "$@" {shut}'
    return subprocess.run(
        ["sh", "-c", script, "sh", sys.executable, "-m", "xentlab", *args],
        cwd=cwd,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


# --- closed standard streams --------------------------------------------------------------------


@pytest.mark.parametrize("closed", ["stdout", "stderr", "stdout stderr"])
def test_train_with_closed_streams_still_saves(tmp_path, closed):
    """The issue's example: `xentlab train --save net.json >&-` (and 2>&-, and both) trains,
    saves a network that loads, and exits 0."""
    result = xentlab(["train", "--epochs", "1", "--save", "net.json"], tmp_path, closed)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    network, meta = files_load(tmp_path / "net.json")
    assert network.sizes == (64, 30, 10) and len(meta["history"]["records"]) == 1


def files_load(path: Path):
    from xentlab.formats import load_network

    return load_network(path)


def test_closed_stderr_never_sends_its_lines_to_stdout(tmp_path):
    """With stderr closed, `neuron --json --plot` writes the JSON alone on stdout: the line
    "figure written to ..." meant for stderr is dropped, not printed into the data."""
    result = xentlab(["neuron", "--json", "--plot", "f.png"], tmp_path, "stderr")
    assert result.returncode == 0
    assert json.loads(result.stdout)["cost"] == "cross-entropy"
    assert (tmp_path / "f.png").stat().st_size > 0


def test_closed_stderr_keeps_an_error_out_of_stdout(tmp_path):
    result = xentlab(["train", "--epochs", "0"], tmp_path, "stderr")
    assert result.returncode == 2
    assert result.stdout == ""


def test_a_closed_stdout_is_the_null_device_not_the_next_file(tmp_path):
    """A closed descriptor 1 would be taken by the next file opened: the command puts the null
    device there first, so nothing written to descriptor 1 lands in a file being saved."""
    script = textwrap.dedent(
        """
        import os, sys
        from xentlab.cli import streams
        opened = streams.open_closed_streams()
        fd = os.open("other.txt", os.O_WRONLY | os.O_CREAT)
        os.write(1, b"to standard output")
        print(opened, fd, os.readlink("/proc/self/fd/1"), file=sys.stderr)
        """
    )
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", script],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.split() == ["['stdout']", "3", os.devnull]
    assert (tmp_path / "other.txt").read_bytes() == b""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_serve_with_a_closed_stream_serves(tmp_path, closed):
    """uvicorn's log formatter asks sys.stdout.isatty(): with stdout closed, `serve` died
    before listening; now it serves the page."""
    pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install uvicorn)")
    port = free_port()
    redirection = ">&-" if closed == "stdout" else "2>&-"
    server = subprocess.Popen(
        ["sh", "-c", f'exec "$@" {redirection}', "sh", sys.executable, "-m", "xentlab"]
        + ["serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.DEVNULL if closed == "stderr" else None,
        stderr=subprocess.PIPE if closed == "stdout" else None,
    )
    try:
        status = None
        for _ in range(300):
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    status = response.status
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200, server.stderr.read() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()


# --- no home directory ----------------------------------------------------------------------

# A user id with no passwd entry and no HOME: the password database knows no such user.
NO_HOME = textwrap.dedent(
    """
    import pwd, runpy, sys

    def no_entry(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    pwd.getpwuid = no_entry
    sys.argv = ["xentlab", *sys.argv[1:]]
    runpy.run_module("xentlab", run_name="__main__", alter_sys=True)
    """
)


def homeless(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``xentlab args`` as a user with no home directory, with its temporary folder in tmp_path."""
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = environment(
        HOME=None,
        XDG_CACHE_HOME=None,
        XENTLAB_DATA=None,
        MPLCONFIGDIR=None,
        NUMBA_CACHE_DIR=None,
        TMPDIR=str(temporary),
    )
    return subprocess.run(
        [sys.executable, "-c", NO_HOME, *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_train_without_a_home_falls_back_to_a_temporary_cache(tmp_path):
    """The issue's example: `train` died with RuntimeError: Could not determine home directory.
    Now it looks for MNIST in a temporary cache of the user's own, and says so once."""
    result = homeless(["train", "--dataset", "mnist", "--epochs", "1"], tmp_path)
    stand_in = tmp_path / "tmp" / f"xentlab-cache-{os.getuid()}"
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 2
    assert lines[0].startswith("xentlab: warning: ") and f"caching in {stand_in}" in lines[0]
    assert f"no mnist data in {stand_in} (the cache)" in lines[1]
    assert stand_in.is_dir() and (stand_in.stat().st_mode & 0o777) == 0o700


def test_a_figure_without_a_home_says_it_once_and_leaves_no_tilde_folder(tmp_path):
    """Matplotlib, with no home, printed a warning of its own and made a new temporary folder
    every run; now its cache is in xentlab's stand-in and xentlab's one warning is all."""
    result = homeless(["neuron", "--plot", "n.png"], tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 1 and warnings[0].startswith("xentlab: warning: "), result.stderr
    assert "Matplotlib" not in result.stderr
    assert (tmp_path / "work" / "n.png").stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["n.png"]  # no "~" folder
    stand_in = tmp_path / "tmp" / f"xentlab-cache-{os.getuid()}"
    assert (stand_in / "matplotlib").is_dir()


def test_a_stand_in_someone_else_made_is_not_used(tmp_path, monkeypatch):
    """A link (or a folder others may write to) planted at the stand-in's name is not
    trusted: a fresh private folder is made instead."""
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError)))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"xentlab-cache-{os.getuid()}").symlink_to(elsewhere)
    cache = places.cache()
    assert cache.stand_in_because is not None
    assert cache.path.parent == tmp_path and cache.path.name.startswith("xentlab-cache-")
    assert not cache.path.is_symlink() and cache.path != elsewhere
    assert (cache.path.stat().st_mode & 0o777) == 0o700
    assert data.cache_dir() == cache.path  # the same stand-in all along


def test_the_library_cache_without_a_home(tmp_path, monkeypatch):
    """data.cache_dir() raised RuntimeError with no home; it gives the stand-in now."""
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError)))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert data.cache_dir() == tmp_path / f"xentlab-cache-{os.getuid()}"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "xentlab"  # the user's word comes first


# --- file names as long as the file system allows ------------------------------------------------


def long_names(tmp_path: Path) -> dict[str, str]:
    """Stems whose names, with their extensions, come within a few bytes of NAME_MAX: ASCII,
    and UTF-8 of two bytes a character (η)."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    return {"ascii": "n" * (limit - 15), "utf8": "η" * ((limit - 15) // 2) + "n"}


@pytest.mark.parametrize("script", ["ascii", "utf8"])
def test_every_file_train_export_and_compare_write_takes_a_long_name(tmp_path, script):
    """Names 240 to 254 bytes long, for the network (JSON, safetensors), the checkpoint, the
    figure and compare's figure, JSON and CSV: all written, and nothing else left beside."""
    stem = long_names(tmp_path)[script]
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    run = xentlab(
        ["train", "--epochs", "1", "--save", f"{stem}.json", "--plot", f"{stem}.png"]
        + ["--checkpoint", f"{stem}.ckpt"],
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    export = xentlab(["export", f"{stem}.json", "--to", f"{stem}.safetensors"], tmp_path)
    assert export.returncode == 0, export.stderr
    other = stem[:-1] + "c"  # compare's JSON must not be the network's
    compare = xentlab(["compare", "--epochs", "1", "--out", f"{other}.svg"], tmp_path)
    assert compare.returncode == 0, compare.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [os.path.splitext(n)[1] for n in names] == [  # and no temporary file left
        *[".csv", ".json", ".svg"],  # compare's ("...c" sorts before "...n")
        *[".ckpt", ".json", ".png", ".safetensors"],
    ]
    assert all(n.startswith((stem[:-1], stem[:10])) for n in names)
    assert all(len(os.fsencode(n)) <= limit for n in names)
    assert max(len(os.fsencode(n)) for n in names) >= limit - 5


def test_a_sweep_writes_into_a_folder_with_a_long_name(tmp_path):
    pytest.importorskip("distributed", reason="the sweep extra is not installed")
    stem = long_names(tmp_path)["utf8"]
    result = xentlab(
        ["sweep", "--eta", "0.5", "--epochs", "1", "--seeds", "1", "--workers", "1"]
        + ["--out", stem, "--figure", f"{stem}.pdf", "--yes"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"{stem}.pdf").stat().st_size > 0
    assert {"sweep.json", "summary.csv", "summary.json"} <= {
        p.name for p in (tmp_path / stem).iterdir()
    }


@pytest.mark.parametrize("name", ["n" * 250 + ".json", "η" * 125 + ".json", "€" * 83 + ".json"])
def test_temporary_names_are_short_whatever_the_target(name):
    """The temporary name of a 250-byte target used to be 292 bytes (refused by the file
    system); it is at most TEMP_STEM_MAX + TEMP_EXTRA bytes, cut between characters, and names
    its own target only."""
    temporary = files.temporary_name(name, 4194304, "0123abcd")
    assert len(os.fsencode(temporary)) <= TEMP_STEM_MAX + TEMP_EXTRA
    assert temporary.encode("utf-8").decode("utf-8") == temporary  # no character cut in two
    assert files.temporary_owner(temporary, name) == 4194304
    other = name[:-6] + "x.json"  # the same first hundred bytes
    assert temporary_stem(other) != temporary_stem(name)
    assert files.temporary_owner(temporary, other) is None
    assert files.temporary_name("net.json", 7, "0123abcd").startswith(".net.json.xentlab-7-")


def test_a_file_named_beside_a_long_name_fits(tmp_path):
    """The checkpoint Ctrl-C saves beside a 250-byte network name, and compare's data beside
    its figure, have their stems cut so that they fit (they were refused: 262 bytes)."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    for stem in ("n" * 246, "η" * 123):
        path = beside(tmp_path / f"{stem}.json", "-interrupted.ckpt")
        name = os.path.basename(path)
        assert len(os.fsencode(name)) <= limit and name.endswith("-interrupted.ckpt")
        assert stem.startswith(name.removesuffix("-interrupted.ckpt"))
        files.check_output_target(path, "checkpoint")
    assert beside("cmp/compare.png", ".json") == "cmp/compare.json"

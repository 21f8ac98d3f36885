"""A run killed at random moments (SIGKILL, mid-epoch included) and resumed each time ends with
the same bits as an uninterrupted run; Ctrl-C saves a checkpoint and exits with code 130. Each
with both epoch kernels; a run resumed under the other kernel goes on, equal to rounding."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from xentlab.formats import load_checkpoint, load_network
from xentlab.kernel import compiled_unavailable

RUN = [
    "train",
    "--dataset",
    "digits",
    "--sizes",
    "64,40,10",
    "--epochs",
    "40",
    "--batch-size",
    "5",
    "--eta",
    "0.3",
    "--lmbda",
    "0.5",
    "--seed",
    "3",
]
KILL_TRIALS = 4
KERNELS = [
    "numpy",
    pytest.param(
        "compiled",
        marks=pytest.mark.skipif(compiled_unavailable() is not None, reason="numba unavailable"),
    ),
]


def start(*args, cwd, stderr=subprocess.DEVNULL):
    return subprocess.Popen(
        [sys.executable, "-m", "xentlab", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )


def stamp(path):
    """The file's modification time in ns, or None if it does not exist."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def wait_for(path, process, timeout=60.0, before=None):
    """Wait until path exists and has been rewritten since ``before`` (its stamp when the
    process started): the run is past start-up and training. False if the run ended first."""
    deadline = time.monotonic() + timeout
    while stamp(path) in (None, before):
        if process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} was never written")
        time.sleep(0.005)
    return True


def same_bits(a, b):
    net_a, _ = load_network(a)
    net_b, _ = load_network(b)
    return all(
        x.dtype == y.dtype and x.tobytes() == y.tobytes()
        for x, y in zip(net_a.weights + net_a.biases, net_b.weights + net_b.biases, strict=True)
    )


@pytest.fixture(scope="module", params=KERNELS)
def kernel(request):
    return request.param


@pytest.fixture(scope="module")
def reference(tmp_path_factory, kernel):
    where = tmp_path_factory.mktemp(f"reference-{kernel}")
    done = subprocess.run(
        [sys.executable, "-m", "xentlab", *RUN, "--kernel", kernel, "--save", "ref.json"],
        cwd=where,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return where / "ref.json"


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path, reference, kernel):
    rng = np.random.default_rng(2024)
    ckpt = tmp_path / "run.ckpt"
    killed_at = []
    args = [*RUN, "--kernel", kernel, "--checkpoint", "run.ckpt", "--checkpoint-every", "7"]
    args += ["--save", "out.json"]
    for _ in range(KILL_TRIALS):
        before = stamp(ckpt)
        process = start(*args, cwd=tmp_path)
        # A resumed run is killed only once it has written a checkpoint of its own, so every
        # kill falls in training, not in the start-up of the process.
        if wait_for(ckpt, process, before=before):
            time.sleep(rng.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if ckpt.exists():
            state, _ = load_checkpoint(ckpt)  # never half-written, whenever the kill came
            killed_at.append((state.epoch, state.batch))
        args = ["train", "--resume", "run.ckpt", "--checkpoint-every", "7", "--save", "out.json"]
    final = subprocess.run(
        [sys.executable, "-m", "xentlab", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert final.returncode == 0, final.stderr
    assert len(killed_at) == KILL_TRIALS
    assert killed_at == sorted(set(killed_at)), killed_at  # each kill came after new progress
    assert any(batch > 0 for _, batch in killed_at), killed_at  # some kills came mid-epoch
    assert same_bits(tmp_path / "out.json", reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "run.ckpt"]  # no temp files


def test_ctrl_c_saves_and_says_how_to_resume(tmp_path, reference, kernel):
    process = start(
        *RUN,
        *("--kernel", kernel, "--checkpoint", "run.ckpt", "--save", "out.json"),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    assert wait_for(tmp_path / "run.ckpt", process)
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "xentlab train --resume run.ckpt" in stderr and "Traceback" not in stderr
    state, _ = load_checkpoint(tmp_path / "run.ckpt")
    assert 0 < state.epoch < 40
    done = subprocess.run(
        [sys.executable, "-m", "xentlab", "train", "--resume", "run.ckpt", "--save", "out.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert same_bits(tmp_path / "out.json", reference)


def test_resume_refuses_other_data_and_shapes(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "xentlab",
            *RUN[:-4],
            "--epochs",
            "1",
            "--seed",
            "3",
            "--checkpoint",
            "run.ckpt",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    for extra, needle in [
        (["--sizes", "64,30,10"], "holds a network with sizes 64,40,10"),
        (["--dataset", "mnist"], "was made on 'digits'"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "xentlab", "train", "--resume", "run.ckpt", *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2 and needle in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

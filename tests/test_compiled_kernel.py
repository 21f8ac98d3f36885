"""The compiled epoch kernel against the NumPy kernel, the reference: equal to 1e-12 relative in
float64 over whole epochs, within float32 rounding in float32, for every cost on each of its
outputs and every regularisation, several shapes and layer counts, a short last mini-batch;
deterministic; chosen by name, with a one-line error where numba is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xentlab.errors import XentlabError
from xentlab.functions import PAIRED_COSTS
from xentlab.kernel import (
    EpochKernel,
    compiled_unavailable,
    make_kernel,
    resolve_kernel,
)
from xentlab.model import Network, one_hot
from xentlab.training import TrainConfig, TrainState, check_labelled, check_targets, fit

pytestmark = pytest.mark.skipif(
    compiled_unavailable() is not None, reason=f"numba unavailable: {compiled_unavailable()}"
)

# (sizes, batch size, examples): one to four layers, short last mini-batches (n % m != 0), a
# batch of one, and a mini-batch as large as the training set.
SHAPES = [
    ([20, 12, 5], 10, 203),
    ([20, 4], 7, 100),
    ([20, 33, 17, 6], 4, 150),
    ([20, 9, 8, 7, 3], 1, 40),
    ([20, 40, 10], 61, 61),
]
REGULARISATIONS = [(0.0, "l2"), (3.0, "l2"), (2.0, "l1")]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def sparse_data(n, features, outputs, seed, dtype, zeros=0.7):
    """Inputs in [0, 1] with a share of exact zeros (as images have; one row all zero) and
    one-hot targets of random labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, features)) * (rng.random((n, features)) > zeros)
    X[n // 2] = 0.0
    labels = rng.integers(0, outputs, n)
    return X.astype(dtype), one_hot(labels, outputs, np.dtype(dtype)), labels


def train_epochs(kernel_name, net, X, Y, batch_size, lmbda, reg, epochs=3, eta=0.5, seed=0):
    """``epochs`` whole epochs, each in a fresh shuffle, applied in chunks of 7 mini-batches."""
    kernel = make_kernel(kernel_name, net.sizes, batch_size, net.dtype, net.cost)
    rng = np.random.default_rng(seed)
    n = len(X)
    batches = -(-n // batch_size)
    for _ in range(epochs):
        order = rng.permutation(n)
        for first in range(0, batches, 7):
            stop = min(batches, first + 7)
            kernel.run(net.weights, net.biases, X, Y, first, stop, eta, lmbda, n, reg, order)
    return net


def parameters(net):
    return net.weights + net.biases


def scaled_difference(a, b):
    """max |a − b| relative to the array's size, max |b|."""
    return float(np.abs(a.astype(np.float64) - b).max() / np.abs(b).max())


@pytest.mark.parametrize(("lmbda", "reg"), REGULARISATIONS)
@pytest.mark.parametrize("cost", PAIRED_COSTS, ids=lambda cost: cost.label)
@pytest.mark.parametrize(("sizes", "batch_size", "n"), SHAPES)
def test_compiled_equals_numpy_in_float64(sizes, batch_size, n, cost, lmbda, reg):
    X, Y, _ = sparse_data(n, sizes[0], sizes[-1], seed=len(sizes), dtype=np.float64)
    start = Network.create(sizes, cost=cost, seed=4, dtype="float64")
    numpy_net = train_epochs("numpy", start.copy(), X, Y, batch_size, lmbda, reg)
    compiled_net = train_epochs("compiled", start.copy(), X, Y, batch_size, lmbda, reg)
    for a, b, s in zip(
        parameters(compiled_net), parameters(numpy_net), parameters(start), strict=True
    ):
        assert not np.array_equal(b, s)  # training moved every array
        assert scaled_difference(a, b) < 1e-12


@pytest.mark.parametrize(("lmbda", "reg"), REGULARISATIONS)
@pytest.mark.parametrize("cost", PAIRED_COSTS, ids=lambda cost: cost.label)
@pytest.mark.parametrize(("sizes", "batch_size", "n"), SHAPES[:3])
def test_compiled_is_within_float32_rounding(sizes, batch_size, n, cost, lmbda, reg):
    """In float32 the compiled kernel's distance from the float64 result is of the size of the
    reference's (rounding of a few thousand float32 steps: a few ε for most arrays, up to about
    2,500 ε with L1 regularisation)."""
    X, Y, _ = sparse_data(n, sizes[0], sizes[-1], seed=1, dtype=np.float64)
    start = Network.create(sizes, cost=cost, seed=2, dtype="float64")
    exact = train_epochs("numpy", start.copy(), X, Y, batch_size, lmbda, reg)
    start32 = Network.create(sizes, cost=cost, seed=2, dtype="float32")
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    numpy32 = train_epochs("numpy", start32.copy(), X32, Y32, batch_size, lmbda, reg)
    compiled32 = train_epochs("compiled", start32.copy(), X32, Y32, batch_size, lmbda, reg)
    for c, r, e in zip(parameters(compiled32), parameters(numpy32), parameters(exact), strict=True):
        assert c.dtype == np.float32
        reference_error = scaled_difference(r, e)
        assert scaled_difference(c, e) < 4 * reference_error + 64 * FLOAT32_EPS
        assert scaled_difference(c, r) < 1e-4


@pytest.mark.parametrize("zeros", [0.8, 0.0])
def test_compiled_equals_numpy_on_mnist_sized_layers(zeros):
    """The benchmark's shape, [784, 30, 10] (padded rows; input rows taken eight at a time,
    and the rest), on 1,000 examples as sparse as MNIST's or not sparse at all, float64."""
    X, Y, _ = sparse_data(1000, 784, 10, seed=5, dtype=np.float64, zeros=zeros)
    start = Network.create([784, 30, 10], init="large", seed=1, dtype="float64")
    numpy_net = train_epochs("numpy", start.copy(), X, Y, 10, 5.0, "l2", epochs=2)
    compiled_net = train_epochs("compiled", start.copy(), X, Y, 10, 5.0, "l2", epochs=2)
    for a, b in zip(parameters(compiled_net), parameters(numpy_net), strict=True):
        assert scaled_difference(a, b) < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_is_deterministic_and_chunking_changes_nothing(dtype):
    X, Y, _ = sparse_data(97, 20, 5, seed=3, dtype=dtype)
    start = Network.create([20, 12, 5], seed=7, dtype=dtype)
    order = np.random.default_rng(1).permutation(97)
    results = []
    for chunks in ([(0, 10)], [(0, 10)], [(0, 3), (3, 4), (4, 10)]):
        net = start.copy()
        kernel = make_kernel("compiled", net.sizes, 10, net.dtype, net.cost)
        for first, stop in chunks:
            kernel.run(net.weights, net.biases, X, Y, first, stop, 0.5, 1.0, 97, "l2", order)
        results.append(net)
    for other in results[1:]:
        for a, b in zip(parameters(results[0]), parameters(other), strict=True):
            assert a.tobytes() == b.tobytes()


def test_without_an_order_batches_are_consecutive_rows():
    """The kernels' older calling form: rows already in batch order."""
    X, Y, _ = sparse_data(50, 20, 5, seed=3, dtype=np.float64)
    start = Network.create([20, 12, 5], seed=7, dtype="float64")
    a, b = start.copy(), start.copy()
    make_kernel("compiled", a.sizes, 8, a.dtype, a.cost).run(
        a.weights, a.biases, X, Y, 0, 7, 0.5, 0.0, 50, "l2"
    )
    make_kernel("compiled", b.sizes, 8, b.dtype, b.cost).run(
        b.weights, b.biases, X, Y, 0, 7, 0.5, 0.0, 50, "l2", np.arange(50)
    )
    for u, v in zip(parameters(a), parameters(b), strict=True):
        assert u.tobytes() == v.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_runs_agree_and_targets_work_too(dtype):
    """Through fit: labelled data and data with targets in [0, 1], each kernel."""
    X, _, labels = sparse_data(120, 20, 4, seed=9, dtype=dtype)
    targets = np.random.default_rng(0).random((120, 4))
    tolerance = 1e-12 if dtype == "float64" else 1e-4
    for kind in ("labels", "targets"):
        nets = {}
        for kernel in ("numpy", "compiled"):
            net = Network.create([20, 10, 4], cost="quadratic", seed=1, dtype=dtype)
            data = (
                check_labelled(net, X, labels, "training")
                if kind == "labels"
                else check_targets(net, X, targets, "training")
            )
            config = TrainConfig(epochs=3, batch_size=9, eta=2.0, lmbda=0.5, kernel=kernel)
            fit(TrainState.start(net, config), data, chunk=5)
            nets[kernel] = net
        for a, b in zip(parameters(nets["compiled"]), parameters(nets["numpy"]), strict=True):
            assert scaled_difference(a, b) < tolerance


def test_the_divergence_guard_stops_at_the_same_mini_batch():
    from xentlab.training import TrainingDiverged

    X, _, labels = sparse_data(200, 20, 4, seed=2, dtype=np.float64)
    stopped = {}
    for kernel in ("numpy", "compiled"):
        net = Network.create([20, 10, 4], cost="cross-entropy", seed=1, dtype="float64")
        config = TrainConfig(epochs=2, batch_size=5, eta=1e5, kernel=kernel)
        with pytest.raises(TrainingDiverged) as caught:
            fit(TrainState.start(net, config), check_labelled(net, X, labels, "training"))
        stopped[kernel] = (caught.value.epoch, caught.value.batch, net)
    assert stopped["numpy"][:2] == stopped["compiled"][:2]
    for a, b in zip(
        parameters(stopped["compiled"][2]), parameters(stopped["numpy"][2]), strict=True
    ):
        assert scaled_difference(a, b) < 1e-12


def test_kernel_names():
    assert resolve_kernel("auto") == "compiled"
    assert resolve_kernel("numpy") == "numpy"
    assert isinstance(
        make_kernel("numpy", [3, 2], 1, np.dtype("float64"), "quadratic"), EpochKernel
    )
    with pytest.raises(
        XentlabError, match="kernel must be one of auto, numpy, compiled; got 'numba'"
    ):
        resolve_kernel("numba")
    with pytest.raises(XentlabError, match="kernel must be one of"):
        TrainConfig(kernel="fast")


WITHOUT_NUMBA = "import sys; sys.modules['numba'] = None; from xentlab.cli import main; "


def test_without_numba_auto_is_numpy_and_compiled_says_how_to_install(tmp_path):
    """numba missing (its import fails): auto trains with NumPy; --kernel compiled is one line
    on stderr, exit 2, naming the fix."""
    run = ["train", "--epochs", "1", "--sizes", "64,10,10"]
    auto = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMBA + f"sys.exit(main({run!r}))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert auto.returncode == 0, auto.stderr
    assert "numpy kernel" in auto.stdout
    forced = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_NUMBA + f"sys.exit(main({[*run, '--kernel', 'compiled']!r}))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert forced.returncode == 2
    lines = forced.stderr.strip().splitlines()
    assert len(lines) == 1 and "kernel 'compiled' needs numba" in lines[0], forced.stderr
    assert "pip install numba" in lines[0]


def test_warm_up_compiles_or_loads_both_dtypes():
    """What the benchmark calls before timing: afterwards both dtypes run without compiling."""
    from xentlab.kernel.compiled import warm_up
    from xentlab.kernel.compiled_loop import sgd_batches_compiled

    warm_up()
    dtypes = {signature[0].dtype.name for signature in sgd_batches_compiled.signatures}
    assert {"float32", "float64"} <= dtypes


def test_a_change_to_any_compiled_module_forgets_the_cached_machine_code(tmp_path):
    """numba checks only the file of the function it loads from its cache, but the loop inlines
    the other compiled modules' functions: a change to any of them must clear all their cache."""
    from xentlab.kernel.compiled_support import COMPILED_MODULES, forget_stale_machine_code

    for name in COMPILED_MODULES:
        (tmp_path / f"{name}.py").write_text(f"# {name}\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()

    def cached(name: str) -> list[Path]:
        files = [cache / f"{name}.f-1.py311.nbi", cache / f"{name}.f-1.py311.1.nbc"]
        for path in files:
            path.write_bytes(b"machine code")
        return files

    other = cache / "model.cpython-311.pyc"
    other.write_bytes(b"bytecode")
    loop = cached("compiled_loop")
    assert forget_stale_machine_code(tmp_path)  # no stamp yet: nothing is known to be fresh
    assert not any(path.exists() for path in loop) and other.exists()
    loop = cached("compiled_loop")
    assert not forget_stale_machine_code(tmp_path)  # the same sources: the cache is kept
    assert all(path.exists() for path in loop)
    (tmp_path / "compiled_layers.py").write_text("# changed\n")
    assert forget_stale_machine_code(tmp_path)
    assert not any(path.exists() for path in loop) and other.exists()
    assert sorted(p.name for p in cache.iterdir()) == ["compiled-sources.sha256", other.name]

"""Network.to_torch and Network.from_torch: the same function both ways, every other module
refused with one line naming the layer. Skipped without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from optional import REASONS

from xentlab.errors import XentlabError
from xentlab.model import Network
from xentlab.sequential import parameter_names

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason=REASONS["torch"])
nn = torch.nn

COSTS = ["quadratic", "cross-entropy", "log-likelihood"]
SHAPES = [(4, 3), (5, 4, 3), (6, 5, 4, 2), (3, 8, 1)]


def relative_error(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("cost", COSTS)
def test_to_torch_computes_predict_proba(cost, sizes):
    net = Network.create(sizes, cost=cost, init="large", seed=2, dtype="float64")
    X = np.random.default_rng(0).standard_normal((13, sizes[0]))
    module = net.to_torch()
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    assert out.dtype == np.float64
    assert relative_error(out, net.predict_proba(X)) < 1e-12
    kinds = [type(layer) for layer in module]
    output = nn.Softmax if cost == "log-likelihood" else nn.Sigmoid
    assert kinds == [nn.Linear, nn.Sigmoid] * (len(sizes) - 2) + [nn.Linear, output]
    if cost == "log-likelihood":
        assert module[-1].dim == 1
    state = module.state_dict()
    assert list(state) == parameter_names(len(sizes) - 1)
    for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        assert np.array_equal(state[f"{2 * layer}.weight"].numpy(), W.T)
        assert np.array_equal(state[f"{2 * layer}.bias"].numpy(), b)


def test_to_torch_keeps_float32_and_shares_no_memory():
    net = Network.create((5, 4, 3), seed=1)  # float32
    module = net.to_torch()
    assert {p.dtype for p in module.parameters()} == {torch.float32}
    X = np.random.default_rng(1).standard_normal((7, 5)).astype(np.float32)
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, net.predict_proba(X), rtol=1e-5, atol=1e-7)
    before = [W.copy() for W in net.weights + net.biases]
    with torch.no_grad():
        for p in module.parameters():
            p.add_(1.0)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights + net.biases, strict=True))
    single = Network.create((6, 1), seed=0)  # W (6, 1): its transpose is contiguous already
    before = single.weights[0].copy()
    with torch.no_grad():
        single.to_torch()[0].weight.add_(1.0)
    assert np.array_equal(single.weights[0], before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cost", COSTS)
def test_round_trip_is_exact(cost, dtype):
    net = Network.create((5, 6, 4, 3), cost=cost, seed=3, dtype=dtype)
    back = Network.from_torch(net.to_torch(), cost=cost)
    assert back.sizes == net.sizes and back.cost == net.cost and back.dtype == net.dtype
    for a, b in zip(net.weights + net.biases, back.weights + back.biases, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize(
    ("last", "given", "expected"),
    [
        (None, None, "cross-entropy"),  # logits, as fed to BCEWithLogitsLoss
        (None, "log-likelihood", "log-likelihood"),  # logits, as fed to CrossEntropyLoss
        (None, "quadratic", "quadratic"),
        (nn.Sigmoid, None, "cross-entropy"),
        (nn.Sigmoid, "quadratic", "quadratic"),
        (nn.Softmax, None, "log-likelihood"),
        (nn.LogSoftmax, None, "log-likelihood"),
    ],
)
def test_from_torch_cost_follows_the_last_layer(last, given, expected):
    torch.manual_seed(0)
    layers = [nn.Linear(4, 5, dtype=torch.float64), nn.Sigmoid(), nn.Linear(5, 3).double()]
    if last is not None:
        layers.append(last() if last is nn.Sigmoid else last(dim=1))
    module = nn.Sequential(*layers)
    net = Network.from_torch(module, cost=given)
    assert net.cost.name == expected and net.sizes == (4, 5, 3) and net.dtype == np.float64
    X = np.random.default_rng(2).standard_normal((9, 4))
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    if last is None:
        out = net.cost.activation(out)
    elif last is nn.LogSoftmax:
        out = np.exp(out)
    assert relative_error(net.predict_proba(X), out) < 1e-12
    assert np.array_equal(net.predict(X), out.argmax(axis=1))


def linear(n_in, n_out, **kwargs):
    return nn.Linear(n_in, n_out, dtype=kwargs.pop("dtype", torch.float64), **kwargs)


class MyLinear(nn.Linear):
    pass


def half_module():
    return nn.Sequential(linear(3, 2)).half()


def nan_module():
    module = nn.Sequential(linear(3, 2))
    with torch.no_grad():
        module[0].weight[0, 0] = float("nan")
    return module


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: linear(3, 2), "module must be a torch.nn.Sequential of Linear and Sigmoid"),
        (lambda: nn.Sequential(), "module has no layers"),
        (lambda: nn.Sequential(nn.Sigmoid()), "module layer 0 is Sigmoid; expected Linear as"),
        (
            lambda: nn.Sequential(linear(3, 4), nn.ReLU(), linear(4, 2)),
            "module layer 1 is ReLU; expected Sigmoid after Linear",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), linear(4, 2)),
            "module layer 1 is Linear; expected Sigmoid after Linear",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Sigmoid(), nn.Sigmoid(), linear(4, 2)),
            "module layer 2 is Sigmoid; expected Linear after Sigmoid",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Sigmoid(), nn.Dropout(), linear(4, 2)),
            "module layer 2 is Dropout; expected Linear after Sigmoid",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Sigmoid(), linear(5, 2)),
            "module layer 2 (Linear) takes 5 inputs but module layer 0 gives 4 outputs",
        ),
        (
            lambda: nn.Sequential(linear(3, 4, bias=False)),
            "module layer 0 (Linear) has no bias",
        ),
        (half_module, "module layer 0 (Linear) has float16 weights; expected float32 or float64"),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Sigmoid(), linear(4, 2, dtype=torch.float32)),
            "module layer 2 (Linear) has float32 weights but module layer 0 has float64",
        ),
        (
            lambda: nn.Sequential(linear(3, 4, device="meta")),
            "module layer 0 (Linear) is on the meta device",
        ),
        (nan_module, "module layer 0 (Linear) holds NaN or infinite"),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Softmax(dim=1), linear(4, 2)),
            "module layer 1 is Softmax, which can only be the last layer (the output); 1 more",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Softmax(dim=0)),
            "module layer 1 is Softmax over dim 0; expected dim=1",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.LogSoftmax()),
            "module layer 1 is LogSoftmax over dim None; expected dim=1",
        ),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Sigmoid(), nn.Sequential(linear(4, 2))),
            "module layer 2 is Sequential; expected Linear after Sigmoid",
        ),
        (lambda: nn.Sequential(MyLinear(3, 2)), "module layer 0 is MyLinear; expected Linear"),
        (
            lambda: nn.Sequential(linear(3, 4), nn.Tanh()),
            "module layer 1 is Tanh; expected Sigmoid after Linear (xentlab's hidden neurons "
            "are sigmoid)",
        ),
    ],
)
def test_from_torch_refuses_other_modules(build, needle):
    with pytest.raises(XentlabError) as caught:
        Network.from_torch(build())
    message = str(caught.value)
    assert needle in message and "\n" not in message


@pytest.mark.parametrize(
    ("last", "cost", "needle"),
    [
        (nn.Sigmoid(), "log-likelihood", "cost 'log-likelihood' needs softmax outputs, but module"),
        (
            nn.Softmax(dim=1),
            "cross-entropy",
            "cost 'cross-entropy' needs sigmoid outputs, but module layer 1 is Softmax",
        ),
        (nn.LogSoftmax(dim=1), "quadratic", "layer 1 is LogSoftmax; give cost log-likelihood"),
        (nn.Sigmoid(), "hinge", "cost must be one of"),
    ],
)
def test_from_torch_refuses_a_cost_that_does_not_fit(last, cost, needle):
    with pytest.raises(XentlabError) as caught:
        Network.from_torch(nn.Sequential(linear(3, 4), last), cost=cost)
    assert needle in str(caught.value)


def test_sizes_beyond_xentlabs_limits_are_refused():
    module = nn.Sequential(nn.Linear(100_001, 1, device="meta"))
    module[0].weight = nn.Parameter(torch.zeros(1, 100_001))
    module[0].bias = nn.Parameter(torch.zeros(1))
    with pytest.raises(XentlabError, match="each layer size must be at most 100000"):
        Network.from_torch(module)


def test_without_torch_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    net = Network.create((3, 2))
    for call in (net.to_torch, lambda: Network.from_torch(object())):
        with pytest.raises(XentlabError) as caught:
            call()
        message = str(caught.value)
        assert "pip install torch==2.13.0" in message and "\n" not in message


def test_importing_xentlab_does_not_import_torch():
    code = (
        "import sys, xentlab.model, xentlab.formats, xentlab.runs, xentlab.cli.main\n"
        "print('torch' in sys.modules, 'safetensors' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr

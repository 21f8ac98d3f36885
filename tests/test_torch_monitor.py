"""xentlab.torch.SaturationMonitor: it flags a saturated network that learns slowly under the
quadratic cost and not the same network under BCE-with-logits, which learns fast; its fractions
are exact on known z; it records only what it says, in bounded memory, and lets go when asked.
Skipped without PyTorch (``pip install torch==2.13.0``)."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import weakref
from dataclasses import dataclass

import numpy as np
import pytest
from optional import REASONS
from sklearn.datasets import load_digits

from xentlab.errors import XentlabError

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason=REASONS["torch"])
from torch import nn  # noqa: E402

from xentlab.torch import MonitorSummary, SaturationMonitor  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These networks are tiny: one thread is faster, and fair to a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def sigma_prime(z: float) -> float:
    return math.exp(-abs(z)) / (1 + math.exp(-abs(z))) ** 2


# --- the demonstration: one saturated network, two costs --------------------------------------

STEPS, BATCH, ETA = 300, 64, 0.5


@dataclass
class Run:
    loss_before: float
    loss_after: float
    monitor: SaturationMonitor

    @property
    def relative_fall(self) -> float:
        return 1 - self.loss_after / self.loss_before


def train(model: nn.Module, loss_fn: nn.Module, X, Y) -> Run:
    """STEPS steps of plain SGD on the same mini-batches for every model, watched."""
    optimiser = torch.optim.SGD(model.parameters(), lr=ETA)
    batches = torch.Generator().manual_seed(1)
    with torch.no_grad():
        before = loss_fn(model(X), Y).item()
    with SaturationMonitor(model, loss=loss_fn) as monitor:
        for _ in range(STEPS):
            rows = torch.randint(0, len(X), (BATCH,), generator=batches)
            loss = loss_fn(model(X[rows]), Y[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        after = loss_fn(model(X), Y).item()
    return Run(before, after, monitor)


@pytest.fixture(scope="module")
def runs(one_thread):
    """sklearn's digits (X/16, one-hot targets) through 64-30-10 sigmoid layers whose output
    starts saturated (weights scaled by 1/4, biases +6: every a ≈ 1, wrong for 9 of 10 outputs),
    trained from the same weights on the same mini-batches under MSE on σ(z) and under
    BCE-with-logits on z."""
    digits = load_digits()
    X = torch.tensor(digits.data / 16, dtype=torch.float32)
    Y = nn.functional.one_hot(torch.tensor(digits.target), 10).float()
    torch.manual_seed(0)
    logits = nn.Sequential(nn.Linear(64, 30), nn.Sigmoid(), nn.Linear(30, 10))
    with torch.no_grad():
        logits[2].weight.mul_(0.25)
        logits[2].bias.fill_(6.0)
    quadratic = nn.Sequential(copy.deepcopy(logits), nn.Sigmoid())
    return {
        "mse": train(quadratic, nn.MSELoss(), X, Y),
        "bce": train(copy.deepcopy(logits), nn.BCEWithLogitsLoss(), X, Y),
    }


def test_the_saturated_quadratic_cost_barely_learns_while_bce_with_logits_does(runs):
    mse, bce = runs["mse"], runs["bce"]
    assert mse.relative_fall < 0.02  # measured: 0.008 (0.8955 → 0.8887)
    assert bce.relative_fall > 0.9  # measured: 0.94 (5.392 → 0.326)


def test_the_monitor_flags_the_quadratic_cost_and_not_bce_with_logits(runs):
    mse, bce = runs["mse"].monitor.summary(), runs["bce"].monitor.summary()
    assert mse.stalled == ("1",)  # the output nn.Sigmoid
    assert bce.stalled == ()
    hidden, output = mse.rows
    assert (hidden.layer, hidden.role, output.role) == ("0.1", "sigmoid", "output → MSELoss")
    assert output.steps_recorded == STEPS and output.last_step == STEPS - 1
    assert output.first_saturation == 1.0 and output.last_saturation == 1.0
    assert output.first_saturated_wrong == pytest.approx(0.9, abs=0.03)
    assert output.last_saturated_wrong == pytest.approx(0.9, abs=0.03)
    assert output.mean_gradient_factor < 0.01  # σ'(6) ≈ 0.0025 at the start
    assert not hidden.stalled and hidden.first_saturated_wrong is None
    hidden, output = bce.rows
    assert output.layer == "BCEWithLogitsLoss input"
    assert output.role == "logits → BCEWithLogitsLoss"
    assert output.first_saturated_wrong == pytest.approx(0.9, abs=0.03)
    assert output.last_saturated_wrong == 0.0  # the saturated, wrong outputs were fixed first
    assert output.mean_gradient_factor == 1.0
    text = str(mse)
    assert "STALLED" in text and "1: stalled by saturation" in text
    assert "STALLED" not in str(bce)


def test_the_plot_is_a_png_with_every_curve(runs, tmp_path):
    path = tmp_path / "monitor.png"
    runs["mse"].monitor.plot(path, title="digits, output biases +6, MSE on σ(z)")
    assert path.read_bytes().startswith(PNG)
    runs["bce"].monitor.plot(tmp_path / "monitor.svg")
    assert b"<svg" in (tmp_path / "monitor.svg").read_bytes()[:1000]
    with pytest.raises(XentlabError, match="the extension must be one of png, svg, pdf"):
        runs["mse"].monitor.plot(tmp_path / "monitor.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.png", "monitor.svg"]


# --- the arithmetic, on known z ---------------------------------------------------------------

Z = [[0.0, 10.0, -10.0, 2.0], [6.0, -6.0, 1.0, 0.5]]
Y_OF_Z = [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
# Saturated (σ'(z) < 0.01): z = ±10, ±6; of those, wrong (|a − y| > 0.5): z = 10 and 6, y = 0.
SATURATION, SATURATED_WRONG = 4 / 8, 2 / 8
FACTOR = sum(sigma_prime(z) for row in Z for z in row) / 8


def one_step(model: nn.Module, loss: nn.Module | None, z, y, **options) -> SaturationMonitor:
    monitor = SaturationMonitor(model, loss=loss, **options)
    out = model(z)
    if loss is not None:
        loss(out, y)
    return monitor


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(2, 4), (2, 1, 4), (1, 2, 2, 2)])
def test_fractions_and_factor_of_a_sigmoid_output_under_mse(dtype, shape):
    z = torch.tensor(Z, dtype=dtype, requires_grad=True).reshape(shape)
    y = torch.tensor(Y_OF_Z, dtype=dtype).reshape(shape)
    (trace,) = one_step(nn.Sequential(nn.Sigmoid()), nn.MSELoss(), z, y).traces()
    assert (trace.name, trace.role, list(trace.steps)) == ("0", "output → MSELoss", [0])
    assert trace.saturation[0] == SATURATION
    assert trace.saturated_wrong[0] == SATURATED_WRONG
    assert trace.gradient_factor[0] == pytest.approx(FACTOR, rel=1e-6)


def test_the_loss_may_read_a_view_of_the_sigmoid_output():
    z, y = torch.tensor(Z).reshape(1, 8), torch.tensor(Y_OF_Z).flatten()
    model = nn.Sequential(nn.Sigmoid())
    monitor = SaturationMonitor(model, loss=nn.MSELoss())
    nn.MSELoss()(model(z), y.reshape(1, 8))  # another MSELoss module: not watched
    nn.functional.mse_loss(model(z).squeeze(0), y)
    assert np.isnan(monitor.traces()[0].saturated_wrong).all()
    loss = nn.MSELoss()
    monitor = SaturationMonitor(model, loss=loss)
    loss(model(z).squeeze(0), y)
    assert monitor.traces()[0].saturated_wrong[0] == SATURATED_WRONG


def test_bce_on_the_output_and_bce_with_logits_cancel_sigma_prime():
    z, y = torch.tensor(Z), torch.tensor(Y_OF_Z)
    (trace,) = one_step(nn.Sequential(nn.Sigmoid()), nn.BCELoss(), z, y).traces()
    assert trace.role == "output → BCELoss"
    assert (trace.saturation[0], trace.saturated_wrong[0]) == (SATURATION, SATURATED_WRONG)
    assert trace.gradient_factor[0] == 1.0
    model, loss = nn.Identity(), nn.BCEWithLogitsLoss()
    monitor = SaturationMonitor(model, loss=loss)
    loss(input=model(z), target=y)  # given by keyword: read all the same
    (trace,) = monitor.traces()
    assert (trace.name, trace.role) == ("BCEWithLogitsLoss input", "logits → BCEWithLogitsLoss")
    assert (trace.saturation[0], trace.saturated_wrong[0]) == (SATURATION, SATURATED_WRONG)
    assert trace.gradient_factor[0] == 1.0
    assert monitor.summary().notes == ()


def test_a_sigmoid_before_bce_with_logits_is_said_to_be_one_too_many():
    model, loss = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid()), nn.BCEWithLogitsLoss()
    monitor = SaturationMonitor(model, loss=loss)
    loss(model(torch.tensor(Z)), torch.tensor(Y_OF_Z))
    (note,) = monitor.summary().notes
    assert "BCEWithLogitsLoss was given the output of an nn.Sigmoid as its logits" in note


def test_cross_entropy_reads_softmax_of_the_logits_and_skips_ignored_rows():
    z = torch.tensor([[10.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 9.0, 0.0]])
    labels = torch.tensor([1, 0, -100])  # the third row is ignored
    (trace,) = one_step(nn.Identity(), nn.CrossEntropyLoss(), z, labels).traces()
    # Row 1: a ≈ (1, 0, 0), every a(1 − a) < 0.01; wrong at class 0 (y = 0) and 1 (y = 1).
    # Row 2: a = 1/3 each, a(1 − a) = 2/9: none saturated.
    assert trace.role == "logits → CrossEntropyLoss"
    assert (trace.saturation[0], trace.saturated_wrong[0]) == (3 / 6, 2 / 6)
    assert trace.gradient_factor[0] == 1.0
    probabilities = nn.functional.one_hot(torch.tensor([1, 0, 2]), 3).float()
    (trace,) = one_step(nn.Identity(), nn.CrossEntropyLoss(), z[:2], probabilities[:2]).traces()
    assert (trace.saturation[0], trace.saturated_wrong[0]) == (3 / 6, 2 / 6)


def test_a_sigmoid_module_used_twice_is_two_layers():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden, self.out, self.act = nn.Linear(2, 3), nn.Linear(3, 1), nn.Sigmoid()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.out(self.act(self.hidden(x))))

    model = Net()
    monitor = SaturationMonitor(model, loss=nn.MSELoss())
    for _ in range(3):
        model(torch.zeros(4, 2))
    names = [(t.name, t.role, len(t.steps)) for t in monitor.traces()]
    assert names == [("act", "sigmoid", 3), ("act, call 2", "sigmoid", 3)]


def test_the_output_not_matched_to_the_loss_is_said():
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.act = nn.Sigmoid()

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return 2 * self.act(z)  # a new tensor: not the sigmoid's output

    loss = nn.MSELoss()
    monitor = one_step(Scaled(), loss, torch.tensor(Z), torch.tensor(Y_OF_Z))
    summary = monitor.summary()
    assert summary.rows[0].role == "sigmoid" and summary.rows[0].first_saturated_wrong is None
    assert "in 1 recorded step the input of MSELoss was not the output of a watched" in str(summary)


# --- the stall rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(("steps", "stalled"), [(9, False), (10, True)])
def test_a_layer_is_flagged_after_ten_recorded_steps(steps, stalled):
    model = nn.Sequential(nn.Sigmoid())
    monitor = SaturationMonitor(model)
    for _ in range(steps):
        model(torch.full((5, 3), 7.0))  # σ'(7) ≈ 0.0009: saturated, no targets to judge
    (row,) = monitor.summary().rows
    assert row.stalled is stalled
    if stalled:
        assert "smaller initial weights" in str(monitor.summary())


def test_saturated_but_right_outputs_are_not_stalled():
    model, loss = nn.Sequential(nn.Sigmoid()), nn.MSELoss()
    monitor = SaturationMonitor(model, loss=loss)
    for _ in range(12):
        loss(model(torch.full((5, 3), 7.0)), torch.ones(5, 3))
    (row,) = monitor.summary().rows
    assert (row.last_saturation, row.last_saturated_wrong, row.stalled) == (1.0, 0.0, False)


# --- what is recorded, and when ---------------------------------------------------------------


def test_only_training_passes_with_gradients_are_steps_by_default():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    monitor, every_pass = SaturationMonitor(model), SaturationMonitor(model, passes="all")
    x = torch.randn(4, 3)
    model(x)  # a training step
    with torch.no_grad():
        model(x)  # training mode, but no gradient: an evaluation
    model.eval()
    model(x)
    with torch.inference_mode():
        model(x)
    model.train()
    model(x)
    assert monitor.training_steps == 2
    assert list(monitor.traces()[0].steps) == [0, 1]
    assert list(every_pass.traces()[0].steps) == [0, 1, 2, 3, 4]


def test_every_kth_step_and_a_fixed_record_per_step():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    every, monitor = SaturationMonitor(model, every=3), SaturationMonitor(model)
    for _ in range(10):
        model(torch.randn(8, 3))
    assert [list(t.steps) for t in every.traces()] == [[0, 3, 6, 9]] * 2
    assert [len(t.steps) for t in monitor.traces()] == [10, 10]
    for trace in monitor.traces():
        assert {a.shape for a in (trace.saturation, trace.gradient_factor)} == {(10,)}


def test_memory_stays_bounded_by_thinning_evenly():
    model = nn.Sequential(nn.Sigmoid())
    monitor = SaturationMonitor(model, max_records=8)
    for _ in range(40):
        model(torch.zeros(2, 2))
    (trace,) = monitor.traces()
    assert monitor.stride == 8 and len(trace.steps) <= 8
    assert list(trace.steps) == [0, 8, 16, 24, 32]
    assert monitor.training_steps == 40


def test_the_monitor_keeps_no_activation_alive():
    model, loss = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), nn.MSELoss()
    monitor = SaturationMonitor(model, loss=loss)
    out = model(torch.randn(4, 3))
    loss(out, torch.zeros(4, 2)).backward()
    gone = weakref.ref(out)
    del out
    assert gone() is None
    assert len(monitor.traces()[0].steps) == 1


def test_detach_removes_every_hook_and_keeps_the_record():
    model, loss = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), nn.MSELoss()
    with SaturationMonitor(model, loss=loss) as monitor:
        loss(model(torch.randn(4, 3)), torch.zeros(4, 2))
        assert monitor.attached
    assert not monitor.attached
    assert not model._forward_pre_hooks and not model[1]._forward_hooks  # torch's own hook tables
    assert not loss._forward_pre_hooks
    loss(model(torch.randn(4, 3)), torch.zeros(4, 2))
    assert monitor.training_steps == 1 and len(monitor.traces()[0].steps) == 1
    monitor.detach()  # again: nothing to do


# --- what is refused --------------------------------------------------------------------------


def test_bad_arguments_are_refused_with_what_is_allowed(tmp_path):
    with pytest.raises(XentlabError, match="model must be a torch.nn.Module; got ndarray"):
        SaturationMonitor(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(XentlabError, match=r"model \(Linear\) has no nn.Sigmoid module .* no loss"):
        SaturationMonitor(nn.Linear(2, 2))
    with pytest.raises(XentlabError, match="has no nn.Sigmoid module to watch and MSELoss reads"):
        SaturationMonitor(nn.Linear(2, 2), loss=nn.MSELoss())
    SaturationMonitor(nn.Linear(2, 2), loss=nn.BCEWithLogitsLoss()).detach()  # logits: fine
    with pytest.raises(XentlabError, match="loss must be None or one of nn.MSELoss, .*; got NLL"):
        SaturationMonitor(nn.Sigmoid(), loss=nn.NLLLoss())
    with pytest.raises(XentlabError, match="every must be an integer >= 1; got 0"):
        SaturationMonitor(nn.Sigmoid(), every=0)
    with pytest.raises(XentlabError, match="passes must be one of training, all; got 'eval'"):
        SaturationMonitor(nn.Sigmoid(), passes="eval")
    empty = SaturationMonitor(nn.Sigmoid())
    with pytest.raises(XentlabError, match="nothing to plot to .*: no layer recorded in 0 train"):
        empty.plot(tmp_path / "empty.png")
    assert list(tmp_path.iterdir()) == []
    assert isinstance(empty.summary(), MonitorSummary)
    assert str(empty.summary()).startswith("no layer recorded in 0 training steps")


def test_without_torch_the_import_fails_with_one_line_saying_what_to_install():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "try:\n"
        "    import xentlab.torch\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("xentlab.torch needs PyTorch, which is not installed")
    assert "pip install torch==2.13.0" in line

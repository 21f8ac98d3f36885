"""Watch the sigmoid layers of a PyTorch network for the saturation that slows its learning.

Back-propagation multiplies the error of every sigmoid unit by σ'(z) = σ(z)(1 − σ(z)):

    δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l)     a layer that feeds the next one
    δ_L = (a − y) ⊙ σ'(z_L)                 the output layer under the quadratic cost (MSE)
    δ_L = a − y                             the output layer under cross-entropy: σ' cancels

σ'(z) is at most 1/4 (at z = 0) and falls like e^(−|z|): σ'(6) ≈ 0.0025. A unit with
σ'(z) < 0.01 (|z| > 4.6) is *saturated*; a saturated output that is also wrong, |a − y| > 0.5,
barely learns under the quadratic cost however wrong it is, and learns fastest under
cross-entropy. :class:`SaturationMonitor` measures exactly this while a plain PyTorch training
loop runs, from forward hooks, and keeps a few numbers per layer per step, never activations.

This module holds the monitor and its hooks, what is recorded at each step; the record itself
is :mod:`.traces`, and what is said about it (the stall rule, the table, the figure) is
:mod:`.summary`.
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from .. import checks
from ..errors import XentlabError
from ..model import SATURATION_THRESHOLD
from .summary import MonitorSummary, plot_traces, summarise
from .traces import LayerTrace, _Trace

PASSES = checks.OneOf(("training", "all"))
MAX_RECORDS = 100_000  # per layer; then every second record is dropped and the stride doubles


@dataclass(frozen=True)
class _LossKind:
    """What a loss module reads and whether its δ = ∂C/∂z keeps σ'(z)."""

    reads: str  # "output": a sigmoid's output a; "sigmoid logits"/"softmax logits": z itself
    cancels_sigma_prime: bool


# Checked in order with isinstance, so subclasses of these losses are understood too.
LOSS_KINDS: tuple[tuple[type[nn.Module], _LossKind], ...] = (
    (nn.MSELoss, _LossKind("output", False)),
    (nn.L1Loss, _LossKind("output", False)),
    (nn.SmoothL1Loss, _LossKind("output", False)),
    (nn.HuberLoss, _LossKind("output", False)),
    (nn.BCELoss, _LossKind("output", True)),  # ∂C/∂a = (a − y)/(a(1 − a)): σ' cancels
    (nn.BCEWithLogitsLoss, _LossKind("sigmoid logits", True)),
    (nn.CrossEntropyLoss, _LossKind("softmax logits", True)),
)


def _loss_kind(loss: object) -> _LossKind:
    for loss_type, kind in LOSS_KINDS:
        if isinstance(loss, loss_type):
            return kind
    allowed = ", ".join(f"nn.{loss_type.__name__}" for loss_type, _ in LOSS_KINDS)
    raise XentlabError(f"loss must be None or one of {allowed}; got {type(loss).__name__}")


def _sigmoid_slope(z: torch.Tensor) -> torch.Tensor:
    """σ'(z) = e^(−|z|) / (1 + e^(−|z|))² in float64: exact where a = σ(z) rounds to 1."""
    e = torch.exp(-z.detach().to(torch.float64).abs())
    return e / (1.0 + e) ** 2


def _broadcasts_to(shape: torch.Size, target: torch.Size) -> bool:
    """Whether an array of ``shape`` broadcasts to ``target`` (NumPy's rule, trailing axes)."""
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(reversed(shape), reversed(target), strict=False))


def _fraction(mask: torch.Tensor) -> float:
    return float(mask.to(torch.float64).mean().item())


class SaturationMonitor:
    """Record, per sigmoid layer and training step, how saturated the layer is and how much
    σ'(z) shrinks its gradient; flag layers stalled by saturation.

    ``model`` is any ``torch.nn.Module``. The monitor watches (with forward hooks, removed by
    :meth:`detach` or on leaving a ``with`` block):

    - every ``nn.Sigmoid`` module in ``model`` (``torch.sigmoid`` calls inside a ``forward``
      cannot be hooked; a module applied several times is one layer per call, named
      "name, call k");
    - ``loss``, the loss module the loop trains with, if given: its input and target give the
      output layer's targets y, and its kind says whether the output's δ keeps σ'(z).
      ``nn.MSELoss``, ``nn.L1Loss``, ``nn.SmoothL1Loss``, ``nn.HuberLoss`` and ``nn.BCELoss`` read
      the output of one of ``model``'s ``nn.Sigmoid`` modules (matched by tensor, views
      included); ``nn.BCEWithLogitsLoss`` and ``nn.CrossEntropyLoss`` read the logits z, and
      appear as a layer of their own, "<Loss> input", with a = σ(z), or a = softmax(z) over the
      class dimension (dimension 1, or 0 for one unbatched example).

    A *step* is one forward pass of ``model`` in training mode with gradients enabled
    (``model.train()``, outside ``torch.no_grad()``); passes under ``model.eval()``,
    ``torch.no_grad()`` or ``torch.inference_mode()`` are neither counted nor recorded, unless
    ``passes="all"``. Steps 0, k, 2k, ... are recorded with ``every=k``. Per recorded step each
    layer keeps its step number and three numbers, over the N = (all batch dimensions) × units
    values z_j of the batch, any shape (..., units), float32 or float64 (computed in float64):

    - saturation S = #{j : σ'(z_j) < 0.01} / N, with σ'(z) = σ(z)(1 − σ(z)) computed from z
      (for softmax, a_j(1 − a_j), as ``xentlab.model.Network.saturation`` does);
    - saturated and wrong W = #{j : σ'(z_j) < 0.01 and |a_j − y_j| > 0.5} / N at the layer the
      loss reads, when targets y are seen (NaN otherwise; class indices become one-hot rows, and
      CrossEntropyLoss's ``ignore_index`` rows are left out);
    - the gradient factor g = (1/N) Σ_j σ'(z_j), the mean factor by which back-propagation
      shrinks the error of the layer's units (δ = (...) ⊙ σ'(z)), at most 1/4; g = 1 where the
      loss cancels σ'(z) so that δ = a − y: ``nn.BCELoss`` on the sigmoid's output,
      ``nn.BCEWithLogitsLoss`` and ``nn.CrossEntropyLoss`` on the logits.

    Memory is bounded: at most ``max_records`` records per layer (32 bytes each); when a layer
    reaches it, every record whose step is not a multiple of twice the stride is dropped and
    the stride doubles, so the record always spans the whole run evenly.

    The stall rule (:meth:`summary`): a layer is *stalled by saturation* when, averaged over its
    last 10 recorded steps (and it has at least 10), at least half its units are stuck
    (saturated and wrong where targets are seen, saturated elsewhere) and its gradient factor g
    is below 0.05. Under BCE-with-logits or cross-entropy the output's g is 1: saturated and
    wrong outputs learn fast there, so they are never flagged.

    A model with no ``nn.Sigmoid`` module and no ``loss`` (or a loss that reads a sigmoid's
    output from a model that has none) has nothing to watch: an XentlabError says so. What the
    monitor saw but could not use (a loss input that is no watched sigmoid's output; a sigmoid's
    output given to a loss that applies σ itself) is said in the summary's notes.

    In a training loop::

        monitor = SaturationMonitor(model, loss=loss_fn)
        for x, y in batches:
            loss = loss_fn(model(x), y)
            ...  # backward, optimiser step
        print(monitor.summary())
        monitor.plot("saturation.png")
    """

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module | None = None,
        *,
        passes: str = "training",
        every: int = 1,
        max_records: int = MAX_RECORDS,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise XentlabError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        self._loss_kind = None if loss is None else _loss_kind(loss)
        self._passes = PASSES.check("passes", passes)
        self._stride = checks.int_at_least("every", every, 1)
        self._max_records = checks.int_at_least("max_records", max_records, 2)
        sigmoids = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Sigmoid)]
        if not sigmoids and (self._loss_kind is None or self._loss_kind.reads == "output"):
            needs = "no loss was given" if loss is None else f"{type(loss).__name__} reads one"
            raise XentlabError(
                f"model ({type(model).__name__}) has no nn.Sigmoid module to watch and {needs}: "
                "build it with nn.Sigmoid modules, or pass the loss that reads its logits "
                "(loss=nn.BCEWithLogitsLoss() or nn.CrossEntropyLoss())"
            )
        self._loss_name = "" if loss is None else type(loss).__name__
        self._traces: dict[str, _Trace] = {}
        self._step = -1  # the current training step; -1 before the first
        self._recording = False  # whether the current pass is recorded
        self._calls: dict[str, int] = {}  # calls of each watched module in the current pass
        # The current pass's sigmoid outputs, weakly held: the loss input is matched to them.
        self._outputs: list[tuple[weakref.ref[torch.Tensor], str]] = []
        self._unmatched_loss_inputs = 0
        self._sigmoid_outputs_as_logits = 0
        self._handles: list[RemovableHandle] = [model.register_forward_pre_hook(self._start_pass)]
        for name, module in sigmoids:
            self._handles.append(module.register_forward_hook(self._sigmoid_hook(name or "model")))
        if loss is not None:
            self._handles.append(loss.register_forward_pre_hook(self._on_loss, with_kwargs=True))

    # -- hooks ------------------------------------------------------------------------------

    def _start_pass(self, model: nn.Module, args: tuple[Any, ...]) -> None:
        self._calls.clear()
        self._outputs.clear()
        if self._passes == "all" or (model.training and torch.is_grad_enabled()):
            self._step += 1
            self._recording = self._step % self._stride == 0
        else:
            self._recording = False

    def _sigmoid_hook(self, name: str) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        def on_sigmoid(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            if not self._recording or not args or not isinstance(args[0], torch.Tensor):
                return
            z = args[0]
            if z.numel() == 0 or not z.is_floating_point():
                return
            key = self._call_key(name)
            with torch.no_grad():
                slope = _sigmoid_slope(z)
                saturation = _fraction(slope < SATURATION_THRESHOLD)
                factor = float(slope.mean().item())
            self._trace(key, "sigmoid").append(self._step, saturation, factor)
            if isinstance(output, torch.Tensor):
                self._outputs.append((weakref.ref(output), key))
            self._bound_memory()

        return on_sigmoid

    def _on_loss(self, loss: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._recording or self._loss_kind is None:
            return
        values = list(args) + [kwargs.get("input"), kwargs.get("target")][len(args) :]
        if len(values) < 2 or not isinstance(values[0], torch.Tensor) or values[0].numel() == 0:
            return
        given, target = values[0], values[1]
        with torch.no_grad():
            if self._loss_kind.reads == "output":
                self._on_sigmoid_output(given, target)
            else:
                self._on_logits(given, target, loss)

    def _on_sigmoid_output(self, a: torch.Tensor, target: Any) -> None:
        key = self._producer_of(a)
        if key is None:
            self._unmatched_loss_inputs += 1
            return
        assert self._loss_kind is not None
        trace = self._traces[key]
        trace.role = f"output → {self._loss_name}"
        if not trace.steps or trace.steps[-1] != self._step:
            return  # this step's record was just thinned out
        if self._loss_kind.cancels_sigma_prime:
            trace.gradient_factor[-1] = 1.0
        a = a.detach().to(torch.float64)
        trace.saturated_wrong[-1] = self._saturated_wrong(a, a * (1 - a), target)

    def _on_logits(self, z: torch.Tensor, target: Any, loss: nn.Module) -> None:
        assert self._loss_kind is not None
        if self._producer_of(z) is not None:
            self._sigmoid_outputs_as_logits += 1
        z = z.detach().to(torch.float64)
        y: torch.Tensor | None = None
        if self._loss_kind.reads == "sigmoid logits":
            a = torch.sigmoid(z)
            slope = _sigmoid_slope(z)
            y = target if isinstance(target, torch.Tensor) else None
        else:
            class_dim = 1 if z.dim() >= 2 else 0
            a = torch.softmax(z, dim=class_dim).movedim(class_dim, -1)
            slope = a * (1 - a)
            if isinstance(target, torch.Tensor) and target.is_floating_point():
                y = target.movedim(class_dim, -1) if target.shape == z.shape else None
            elif isinstance(target, torch.Tensor) and target.shape == a.shape[:-1]:
                ignored = target == getattr(loss, "ignore_index", -100)
                y = nn.functional.one_hot(target.masked_fill(ignored, 0).long(), a.shape[-1])
                a, slope, y = a[~ignored], slope[~ignored], y[~ignored]
        key = self._call_key(f"{self._loss_name} input")
        trace = self._trace(key, f"logits → {self._loss_name}")
        trace.append(self._step, _fraction(slope < SATURATION_THRESHOLD), 1.0)
        if a.numel() > 0:
            trace.saturated_wrong[-1] = self._saturated_wrong(a, slope, y)
        self._bound_memory()

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _saturated_wrong(a: torch.Tensor, slope: torch.Tensor, target: Any) -> float:
        """#{j : σ'(z_j) < 0.01 and |a_j − y_j| > 0.5} / N, or NaN without usable targets."""
        if not isinstance(target, torch.Tensor):
            return math.nan
        y = target.detach().to(torch.float64)
        if not _broadcasts_to(y.shape, a.shape):
            return math.nan  # the loss itself will refuse these shapes
        return _fraction((slope < SATURATION_THRESHOLD) & ((a - y).abs() > 0.5))

    def _call_key(self, name: str) -> str:
        call = self._calls[name] = self._calls.get(name, 0) + 1
        return name if call == 1 else f"{name}, call {call}"

    def _trace(self, key: str, role: str) -> _Trace:
        if key not in self._traces:
            self._traces[key] = _Trace(key, role)
        return self._traces[key]

    def _producer_of(self, tensor: torch.Tensor) -> str | None:
        """The watched sigmoid (of this pass) whose output ``tensor`` is, or is a view of."""
        for output_ref, key in reversed(self._outputs):
            output = output_ref()
            if output is None:
                continue
            if tensor is output or (
                tensor.numel() == output.numel()
                and tensor.untyped_storage().data_ptr() == output.untyped_storage().data_ptr()
                and tensor.storage_offset() == output.storage_offset()
            ):
                return key
        return None

    def _bound_memory(self) -> None:
        if any(len(trace.steps) > self._max_records for trace in self._traces.values()):
            self._stride *= 2
            for trace in self._traces.values():
                trace.keep_multiples_of(self._stride)
            self._recording = self._step % self._stride == 0

    # -- results ----------------------------------------------------------------------------

    @property
    def training_steps(self) -> int:
        """Training steps seen so far (recorded or not)."""
        return self._step + 1

    @property
    def stride(self) -> int:
        """Every how many steps a step is recorded now (``every``, doubled at each thinning)."""
        return self._stride

    def traces(self) -> tuple[LayerTrace, ...]:
        """What was recorded, one :class:`LayerTrace` per layer in the order they first ran."""
        return tuple(trace.frozen() for trace in self._traces.values())

    def summary(self) -> MonitorSummary:
        """Per layer: steps recorded, saturation first/last/mean, saturated and wrong first and
        last, the mean gradient factor, and whether it is stalled by saturation (the rule is
        in the class's description)."""
        return summarise(
            self.traces(),
            self.training_steps,
            self._loss_name,
            self._unmatched_loss_inputs,
            self._sigmoid_outputs_as_logits,
        )

    def plot(self, path: str | os.PathLike[str], title: str = "", *, force: bool = False) -> None:
        """Write the curves to ``path`` (PNG, SVG or PDF, by its extension): saturation per
        layer, saturated and wrong where targets were seen, and the gradient factor on a log
        scale, against the training step. A file there must be a figure xentlab drew, unless
        ``force``."""
        plot_traces(
            self.traces(), self.summary().stalled, self.training_steps, path, title, force=force
        )

    # -- attaching --------------------------------------------------------------------------

    def detach(self) -> None:
        """Remove every hook; what was recorded stays readable. Calling it again does nothing."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._outputs.clear()
        self._recording = False

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def __enter__(self) -> SaturationMonitor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.detach()

"""A network's layers as a PyTorch ``torch.nn.Sequential``, and back.

xentlab's layer l computes Z = A W_l + b_l with W_l of shape (n_in, n_out); PyTorch's
``Linear`` computes x Wᵀ + b with ``weight`` of shape (out, in): so ``weight = W_lᵀ`` and
``bias = b_l``. A network of L layers is the module

    Linear, Sigmoid, Linear, Sigmoid, ..., Linear, Sigmoid          (sigmoid outputs)
    Linear, Sigmoid, Linear, Sigmoid, ..., Linear, Softmax(dim=1)   (log-likelihood)
    Linear, Sigmoid, Linear, Sigmoid, ..., Linear                   (a linear output, a = z)

in which layer l's Linear sits at index 2l: its parameters are called ``"2l.weight"`` and
``"2l.bias"`` in the module's ``state_dict``, and in the safetensors files xentlab writes.

Read back, a module may also end in LogSoftmax(dim=1), or in its last Linear (logits, as fed
to ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``); anything else is refused, naming the layer.

torch is optional: it is imported here, when a conversion is asked for, never when xentlab is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .errors import XentlabError

if TYPE_CHECKING:
    import torch

TORCH_REQUIREMENT = "torch==2.13.0"
# What follows the last Linear: the output activation, or nothing (the module gives logits z).
SIGMOID, SOFTMAX, LOG_SOFTMAX, LOGITS = "Sigmoid", "Softmax", "LogSoftmax", "logits"


def import_torch() -> Any:
    """The torch module, or an XentlabError saying how to install it."""
    try:
        import torch
    except ImportError:
        raise XentlabError(
            f"the PyTorch bridge needs torch: pip install {TORCH_REQUIREMENT} --index-url "
            "https://download.pytorch.org/whl/cpu (the CPU build)"
        ) from None
    return torch


def linear_index(layer: int) -> int:
    """The index in the Sequential of layer ``layer``'s Linear (0 for the first layer)."""
    return 2 * layer


def parameter_names(layers: int) -> list[str]:
    """The state_dict names of a network of ``layers`` layers, in order: "0.weight", "0.bias",
    "2.weight", "2.bias", ..."""
    return [f"{linear_index(i)}.{kind}" for i in range(layers) for kind in ("weight", "bias")]


def to_sequential(
    weights: Sequence[NDArray[np.floating]],
    biases: Sequence[NDArray[np.floating]],
    output: str,
) -> torch.nn.Sequential:
    """The module computing the network whose layers are ``weights`` (W_l, (n_in, n_out)) and
    ``biases``, its last Linear followed by the activation ``output`` names (sigmoid, softmax,
    or linear: nothing): a copy, in the weights' dtype, sharing no memory with them."""
    torch = import_torch()
    modules = []
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        linear = torch.nn.Linear(*W.shape, device="meta", dtype=_torch_dtype(torch, W.dtype))
        linear.weight = torch.nn.Parameter(torch.from_numpy(np.array(W.T, order="C")))
        linear.bias = torch.nn.Parameter(torch.from_numpy(np.array(b)))
        modules.append(linear)
        if layer < len(weights) - 1 or output == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        elif output == "softmax":
            modules.append(torch.nn.Softmax(dim=1))
    return torch.nn.Sequential(*modules)


# The output activation each ending of a module computes; logits say nothing of it.
MODULE_OUTPUTS = {SIGMOID: "sigmoid", SOFTMAX: "softmax", LOG_SOFTMAX: "softmax"}


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return {"float32": torch.float32, "float64": torch.float64}[np.dtype(dtype).name]


@dataclass(frozen=True)
class TorchLayers:
    """What a module holds, in xentlab's layout: W_l (n_in, n_out), b_l (n_out,), and what
    follows the last Linear (``output``: Sigmoid, Softmax, LogSoftmax or logits) at index
    ``output_index`` (that of the last Linear for logits)."""

    weights: list[NDArray[np.floating]]
    biases: list[NDArray[np.floating]]
    output: str
    output_index: int

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.weights[0].shape[0], *(W.shape[1] for W in self.weights))


def from_sequential(module: Any) -> TorchLayers:
    """The layers of ``module``, a torch.nn.Sequential of Linear (with bias) and Sigmoid layers
    in turn, optionally ending in Softmax(dim=1) or LogSoftmax(dim=1); the weights are copied.

    Refused with an XentlabError naming the layer's index and what was expected: any other
    module or layer type (subclasses included: their forward may differ), a Linear without
    bias, two Linears or two activations in a row, Softmax before the end or over another dim,
    sizes that do not chain, weights that are not float32 or float64 (or not all one dtype),
    have no values (the meta device), or hold NaN or infinity.
    """
    torch = import_torch()
    nn = torch.nn
    if type(module) is not nn.Sequential:
        raise XentlabError(
            "module must be a torch.nn.Sequential of Linear and Sigmoid layers; got "
            f"{type(module).__name__}"
        )
    layers = list(module)
    if not layers:
        raise XentlabError("module has no layers; expected Linear, Sigmoid, ..., Linear")
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    for index, layer in enumerate(layers):
        kind, last = type(layer), index == len(layers) - 1
        if index % 2 == 0:  # a Linear's place
            if kind is not nn.Linear:
                after = "as the first layer" if index == 0 else "after Sigmoid"
                raise XentlabError(
                    f"module layer {index} is {kind.__name__}; expected Linear {after}"
                )
            W, b = _linear(torch, layer, index, weights)
            weights.append(W)
            biases.append(b)
        elif kind is nn.Sigmoid:
            if last:
                return TorchLayers(weights, biases, SIGMOID, index)
        elif kind in (nn.Softmax, nn.LogSoftmax):
            if not last:
                raise XentlabError(
                    f"module layer {index} is {kind.__name__}, which can only be the last "
                    f"layer (the output); {len(layers) - index - 1} more follow it"
                )
            if layer.dim not in (1, -1):
                raise XentlabError(
                    f"module layer {index} is {kind.__name__} over dim {layer.dim}; expected "
                    f"dim=1 (over the outputs of each row)"
                )
            return TorchLayers(weights, biases, kind.__name__, index)
        else:
            finals = "" if last else ", or Softmax or LogSoftmax as the last layer"
            raise XentlabError(
                f"module layer {index} is {kind.__name__}; expected Sigmoid after Linear "
                f"(xentlab's hidden neurons are sigmoid){finals}"
            )
    return TorchLayers(weights, biases, LOGITS, len(layers) - 1)


def _linear(
    torch: Any, layer: Any, index: int, below: list[NDArray[np.floating]]
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """W = weightᵀ and b of a Linear at ``index``, checked against the layers ``below`` it."""
    where = f"module layer {index} (Linear)"
    weight, bias = layer.weight, layer.bias
    if bias is None:
        raise XentlabError(f"{where} has no bias; xentlab's neurons all have one (bias=True)")
    if weight.dtype not in (torch.float32, torch.float64):
        raise XentlabError(
            f"{where} has {str(weight.dtype).removeprefix('torch.')} weights; expected float32 "
            "or float64 (convert with module.float() or module.double())"
        )
    if bias.dtype != weight.dtype:
        raise XentlabError(
            f"{where} has {str(weight.dtype).removeprefix('torch.')} weights but a "
            f"{str(bias.dtype).removeprefix('torch.')} bias; expected one dtype"
        )
    if weight.device.type == "meta" or bias.device.type == "meta":
        raise XentlabError(f"{where} is on the meta device: it has no values to convert")
    if (
        weight.layout != torch.strided
        or weight.ndim != 2
        or tuple(bias.shape) != (weight.shape[0],)
    ):
        raise XentlabError(
            f"{where} must have a dense weight (out, in) and a bias (out,); got "
            f"{tuple(weight.shape)} and {tuple(bias.shape)}"
        )
    W = np.array(weight.detach().cpu().numpy().T, order="C")
    b = np.array(bias.detach().cpu().numpy())
    if below:
        previous, at = below[-1], linear_index(len(below) - 1)
        if W.dtype != previous.dtype:
            raise XentlabError(
                f"{where} has {W.dtype.name} weights but module layer {at} has "
                f"{previous.dtype.name}; expected one dtype for the whole module"
            )
        if W.shape[0] != previous.shape[1]:
            raise XentlabError(
                f"{where} takes {W.shape[0]} inputs but module layer {at} gives "
                f"{previous.shape[1]} outputs"
            )
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise XentlabError(f"{where} holds NaN or infinite weights or biases")
    return W, b

"""An MLP's weights as NumPy matrices or as a PyTorch model, and back again, bit for bit.

    to_numpy(model)                 -> (weights, biases): W^l with shape (n_out, n_in), b^l (n_out,)
    from_numpy(weights, biases)     -> nn.MLP         (the same as MLP.from_numpy)
    to_torch(model)                 -> torch.nn.Sequential of float64 Linear + activation modules
    from_torch(module)              -> nn.MLP

W^l[j, i] is model.layers[l-1].neurons[j].w[i], the weight from unit i of layer l-1 to unit j of
layer l (seed 004's W^m_ij). The weights and biases are nn.vectorized.Layers indexed by the layer
number, so `weights[1]` is W^1 (`weights[0]` is an IndexError: layer 0 has no weights); iterating
gives them in order, W^1 first. Every conversion copies float64 numbers, so round trips are exact.
PyTorch is optional: it is imported only when a torch function is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.replay import INSTALL_TORCH

from .modules import ACTIVATIONS, MLP
from .vectorized import LEAKY_SLOPE, Array, Layers

if TYPE_CHECKING:
    import torch
    from numpy.typing import ArrayLike

TORCH_MISSING = f"this needs PyTorch. {INSTALL_TORCH}"

# torch's Softplus returns x itself above `threshold` (default 20, where log(1 + e^-x) is still
# 2e-9). From 40 on that term is below half a float64 ulp of x, so values agree to the last digit.
SOFTPLUS_THRESHOLD = 40.0


def import_torch() -> ModuleType:
    """torch, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(TORCH_MISSING) from None
    return torch


def to_numpy(model: MLP) -> tuple[Layers[Array], Layers[Array]]:
    """(weights, biases): Layers of float64 arrays indexed by the layer number l = 1..L, W^l of
    shape (n_out, n_in) and b^l of shape (n_out,). They are copies: changing them changes
    nothing in the model."""
    if not isinstance(model, MLP):
        raise TypeError(f"to_numpy needs an nn.MLP, got {type(model).__name__}")
    for name, p in model.named_parameters():
        if not np.isfinite(p.data):
            raise ValueError(f"parameter {name} is {p.data!r}; weights must be finite")
    weights = [
        np.array([[w.data for w in neuron.w] for neuron in layer.neurons], dtype=np.float64)
        for layer in model.layers
    ]
    biases = [
        np.array([neuron.b.data for neuron in layer.neurons], dtype=np.float64)
        for layer in model.layers
    ]
    return Layers(weights, 1, "W"), Layers(biases, 1, "b")


def from_numpy(
    weights: Iterable[ArrayLike],
    biases: Iterable[ArrayLike],
    activation: str = "tanh",
    output_activation: str = "linear",
) -> MLP:
    """An nn.MLP whose layer l holds W^l (shape (n_out, n_in)) and b^l (shape (n_out,) or
    (n_out, 1)), with `activation` on the hidden layers: MLP.from_numpy. The weights and biases
    are Layers (as to_numpy returns them) or plain lists in order, W^1 first."""
    return MLP.from_numpy(weights, biases, activation, output_activation)


def _torch_activation(torch: ModuleType, name: str) -> Any:
    """The torch module computing activation `name` as the engine does (None for linear)."""
    return {
        "linear": None,
        "relu": torch.nn.ReLU,
        "leaky_relu": lambda: torch.nn.LeakyReLU(LEAKY_SLOPE),
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "softplus": lambda: torch.nn.Softplus(beta=1.0, threshold=SOFTPLUS_THRESHOLD),
    }[name]


def to_torch(model: MLP) -> torch.nn.Sequential:
    """torch.nn.Sequential(Linear, activation, ..., Linear[, output activation]) in float64 with
    the model's weights. A linear activation adds no module."""
    torch = import_torch()
    weights, biases = to_numpy(model)
    modules = []
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        name = model.output_activation if l == len(weights) else model.activation
        make = _torch_activation(torch, name)
        if make is not None:
            modules.append(make())
    return torch.nn.Sequential(*modules)


def from_torch(module: torch.nn.Module) -> MLP:
    """An nn.MLP from a torch.nn.Sequential of Linear layers, each followed by at most one
    supported activation (ReLU, LeakyReLU(0.01), Tanh, Sigmoid, Softplus(beta=1)), the same one
    after every hidden layer. A Linear without bias becomes a layer with zero biases."""
    torch = import_torch()
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            "from_torch needs a torch.nn.Sequential of Linear layers and activations, "
            f"got {type(module).__name__}"
        )
    layers = []  # [Linear, activation name] per layer
    for position, m in enumerate(_flatten(torch, module)):
        if isinstance(m, torch.nn.Identity):
            continue
        if isinstance(m, torch.nn.Linear):
            layers.append([m, "linear"])
            continue
        name = _activation_name(torch, m, position)
        if not layers:
            raise ValueError(
                f"the Sequential starts with {type(m).__name__} at position {position}; "
                "an MLP starts with a Linear layer"
            )
        if layers[-1][1] != "linear":
            raise ValueError(
                f"two activations in a row at position {position} ({type(m).__name__} after "
                f"{layers[-1][1]}); an MLP has one activation per layer"
            )
        layers[-1][1] = name
    if not layers:
        raise ValueError("the Sequential has no Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        names = [name for _, name in layers[:-1]]
        raise ValueError(
            f"an nn.MLP has one activation on all hidden layers, got {names} after the hidden "
            "Linear layers"
        )
    weights, biases = [], []
    for linear, _ in layers:
        W = _numpy(linear.weight)
        weights.append(W)
        biases.append(np.zeros(W.shape[0]) if linear.bias is None else _numpy(linear.bias))
    activation = hidden.pop() if hidden else "tanh"
    return from_numpy(weights, biases, activation, layers[-1][1])


def _flatten(torch: ModuleType, sequential: Any) -> Iterator[Any]:
    """The modules of a Sequential, nested Sequentials opened up."""
    for m in sequential:
        if isinstance(m, torch.nn.Sequential):
            yield from _flatten(torch, m)
        else:
            yield m


def _activation_name(torch: ModuleType, m: Any, position: int) -> str:
    """The nn activation name of torch module m, or a ValueError naming why it is not one."""
    nn = torch.nn
    simple = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
    if type(m) in simple:
        return simple[type(m)]
    if isinstance(m, nn.LeakyReLU):
        if m.negative_slope != LEAKY_SLOPE:
            raise ValueError(
                f"LeakyReLU at position {position} has negative_slope {m.negative_slope}; "
                f"nn's leaky_relu has slope {LEAKY_SLOPE}"
            )
        return "leaky_relu"
    if isinstance(m, nn.Softplus):
        if m.beta != 1 or m.threshold < 20:
            raise ValueError(
                f"Softplus at position {position} has beta={m.beta}, threshold={m.threshold}; "
                "nn's softplus is log(1 + e^z): beta=1 and threshold >= 20"
            )
        return "softplus"
    supported = ["Linear", "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softplus"]
    raise ValueError(
        f"from_torch cannot convert {type(m).__name__} at position {position}; an nn.MLP "
        f"is made of {', '.join(supported)} modules (activations: {list(ACTIVATIONS)})"
    )


def _numpy(tensor: Any) -> Array:
    """A float64 NumPy copy of a parameter tensor (float32 to float64 is exact)."""
    return np.array(tensor.detach().cpu().double().numpy(), dtype=np.float64)

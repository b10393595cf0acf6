"""nn: neurons, layers and MLPs built from autograd Values, with losses and optimizers.

The modules, each importing only those below it (and autograd):

    losses       losses for one example, loss(prediction, target) -> Value
    optim        SGD, Adam
    datasets     xor, moons, circles, spirals, sine
    vectorized   the matrix form (NumPy): forward, backward, backprop; Layers      (losses)
    modelfile    the model file's format: write, read and check it, build nothing
    modules      Neuron, Layer, MLP (save/load, from_numpy)      (modelfile, vectorized)
    convert      to_numpy, from_numpy, to_torch, from_torch          (modules, vectorized)
    crosscheck   the engine against the matrix form or PyTorch   (convert, modules, ...)
    train        fit, train_step, predict, evaluate, accuracy          (losses, optim)
    plot         matplotlib pictures of training (loaded on first use)         (train)
    draw         the network diagram
    budget       work estimates and limits (for cli)
    cli          the `chainrule` command                              (nn, budget, ...)

Parameter is autograd's (autograd.Parameter): nn.Parameter is the same class.
"""

from types import ModuleType
from typing import TYPE_CHECKING

from autograd import Parameter

from . import datasets, losses, vectorized
from .convert import from_numpy, from_torch, to_numpy, to_torch
from .crosscheck import crosscheck
from .draw import draw
from .modules import MLP, Layer, Module, Neuron
from .optim import SGD, Adam
from .train import History, NonFiniteError, evaluate, fit, predict, train_step

if TYPE_CHECKING:  # for type checkers; at run time, __getattr__ loads it on first use
    from . import plot


def __getattr__(name: str) -> ModuleType:
    if name == "plot":  # matplotlib loads on first use of nn.plot, not on `import nn`
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "History",
    "NonFiniteError",
    "Parameter",
    "crosscheck",
    "datasets",
    "draw",
    "evaluate",
    "fit",
    "from_numpy",
    "from_torch",
    "losses",
    "plot",
    "predict",
    "to_numpy",
    "to_torch",
    "train_step",
    "vectorized",
]

"""nn: neurons, layers and MLPs built from autograd Values, with losses and optimizers."""

from . import datasets, losses, vectorized
from .convert import from_numpy, from_torch, to_numpy, to_torch
from .crosscheck import crosscheck
from .draw import draw
from .modules import MLP, Layer, Module, Neuron, Parameter
from .optim import SGD, Adam
from .train import History, NonFiniteError, evaluate, fit, predict, train_step


def __getattr__(name):
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

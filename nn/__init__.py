"""nn: neurons, layers and MLPs built from autograd Values, with losses and optimizers."""

from . import datasets, losses, vectorized
from .convert import from_numpy, from_torch, to_numpy, to_torch
from .crosscheck import crosscheck
from .draw import draw
from .modules import MLP, Layer, Module, Neuron, Parameter
from .optim import SGD, Adam
from .train import History, evaluate, fit, predict, train_step

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "History",
    "Parameter",
    "crosscheck",
    "datasets",
    "draw",
    "evaluate",
    "fit",
    "from_numpy",
    "from_torch",
    "losses",
    "predict",
    "to_numpy",
    "to_torch",
    "train_step",
    "vectorized",
]

"""nn: neurons, layers and MLPs built from autograd Values, with losses and optimizers."""

from . import losses
from .modules import MLP, Layer, Module, Neuron, Parameter
from .optim import SGD, Adam

__all__ = ["MLP", "SGD", "Adam", "Layer", "Module", "Neuron", "Parameter", "losses"]

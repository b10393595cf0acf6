"""Neurons, layers and MLPs made of Values.

Notation (the seed documents'): a neuron computes its pre-activation z = w . a_prev + b and its
activation a = sigma(z). Layers are numbered from 1 as in the seeds (a^0 = x is the input, W^1
the first layer of weights); units are numbered from 0, as Python lists are. So the graph node
labelled z[1][3] is neuron `model.layers[0].neurons[3]`'s pre-activation, and w[1][3][0] is its
weight from input 0: entry (3, 0) of the matrix W^1.

Because z is ONE node with local derivatives dz/dw_i = a_i and dz/da_i = w_i, `backward()`
reproduces the seeds' rules exactly: the gradient that arrives at z is delta, and each weight
receives dL/dw_ji = delta_j a_i, each bias dL/db_j = delta_j.
"""

import math
import random

from autograd import Value, linear, weighted_sum
from autograd.value import _real

ACTIVATIONS = {
    "linear": None,  # a = z
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "softplus": Value.softplus,
}

INITS = ("uniform", "xavier", "he")


class Parameter(Value):
    """A Value that training changes: a weight or a bias. (Pictures give parameters their own
    colour; otherwise a Parameter is a plain Value.)"""

    __slots__ = ()
    is_parameter = True


class Module:
    """Anything with parameters: `parameters()`, `named_parameters()` and `zero_grad()`."""

    def parameters(self):
        """Every parameter, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self):
        """(name, parameter) pairs, in the order of `parameters()`."""
        return []

    def zero_grad(self):
        """Set every parameter's gradient to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: z = sum_i w_i a_i + b, a = sigma(z)."""

    def __init__(self, nin, activation="tanh", init="uniform", seed=None, fan_out=1, name=""):
        """`nin` inputs; `activation` one of ACTIVATIONS; `init` one of "uniform" (U(-1, 1), as
        micrograd), "xavier" (Glorot uniform) or "he" (He normal); `seed` an int, None or a
        random.Random. `name` (e.g. "[1][3]") is appended to the graph labels w, b, z and a."""
        nin = _positive_int(nin, "nin")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}"
            )
        rng = _rng(seed)
        draw = _initializer(init, nin, fan_out, rng)
        self.w = [Parameter(draw(), label=f"w{name}[{i}]") for i in range(nin)]
        self.b = Parameter(0.0, label=f"b{name}")
        self.activation = activation
        self._sigma = ACTIVATIONS[activation]
        self._z_label, self._a_label = f"z{name}", f"a{name}"

    def __call__(self, x):
        return self.activate(weighted_sum(self.w, x, self.b))

    def activate(self, z):
        """a = sigma(z) for this neuron's pre-activation z (one node: dz/dw_i = x_i,
        dz/dx_i = w_i, dz/db = 1), labelling both nodes in the seeds' notation."""
        z.label = self._z_label
        if self._sigma is None:  # linear: a = z, and the node keeps the name z (its grad is delta)
            return z
        a = self._sigma(z)
        a.label = self._a_label
        return a

    def named_parameters(self):
        return [(p.label, p) for p in self.w] + [(self.b.label, self.b)]

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that all read the same inputs: a = sigma(W a_prev + b)."""

    def __init__(self, nin, nout, activation="tanh", init="uniform", seed=None, index=None):
        """`index` is the layer's number l in the labels (z[l][j]); a lone layer has none."""
        nout = _positive_int(nout, "nout")
        rng = _rng(seed)
        prefix = "" if index is None else f"[{index}]"
        self.neurons = [
            Neuron(nin, activation, init, rng, fan_out=nout, name=f"{prefix}[{j}]")
            for j in range(nout)
        ]
        self.activation = activation

    def __call__(self, x):
        """The layer's activations, always a list (one entry per neuron)."""
        zs = linear(self.W, x, self.b)  # z = W a_prev + b, one node per neuron
        return [neuron.activate(z) for neuron, z in zip(self.neurons, zs)]

    @property
    def W(self):
        """The weight matrix as a list of rows of Values: W[j][i] = neurons[j].w[i]."""
        return [neuron.w for neuron in self.neurons]

    @property
    def b(self):
        """The bias vector as a list of Values."""
        return [neuron.b for neuron in self.neurons]

    def named_parameters(self):
        return [pair for neuron in self.neurons for pair in neuron.named_parameters()]

    def __repr__(self):
        return (
            f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, activation={self.activation!r})"
        )


class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each layer reading the previous one's a."""

    def __init__(
        self, nin, nouts, activation="tanh", output_activation="linear", init="uniform", seed=None
    ):
        """MLP(2, [16, 16, 1]): 2 inputs, two hidden layers of 16 `activation` units, and one
        `output_activation` output. The same `seed` always gives the same weights (a private
        random.Random is used, never the global one)."""
        nin = _positive_int(nin, "nin")
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        nouts = [_positive_int(n, "each layer size") for n in nouts]
        for name in (activation, output_activation):
            if name not in ACTIVATIONS:
                raise ValueError(
                    f"unknown activation {name!r}; expected one of {list(ACTIVATIONS)}"
                )
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
        rng = _rng(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(
                sizes[l - 1],
                sizes[l],
                activation if l < len(sizes) - 1 else output_activation,
                init,
                rng,
                index=l,
            )
            for l in range(1, len(sizes))
        ]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation, self.init = activation, output_activation, init
        self._input_labels = [f"x[{i}]" for i in range(nin)]

    def __call__(self, x):
        """The network's output for one example `x` (a list of `nin` numbers or Values): a list of
        Values, or a single Value when the last layer has one neuron."""
        a = self._inputs(x)
        for layer in self.layers:
            a = layer(a)
        return a[0] if len(a) == 1 else a

    def _inputs(self, x):
        """x as a list of Values, labelled x[0], x[1], ... when they are given as numbers."""
        if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
            raise TypeError(
                f"MLP input must be a list of {self.nin} numbers, got {type(x).__name__}"
            )
        if len(x) != self.nin:
            raise ValueError(f"MLP expects {self.nin} inputs, got {len(x)}")
        values = []
        for xi, label in zip(x, self._input_labels):
            if isinstance(xi, Value):
                values.append(xi)
                continue
            number = _real(xi)
            if number is None:
                raise TypeError(f"MLP inputs must be numbers, got {type(xi).__name__}")
            values.append(Value(number, label))
        return values

    def named_parameters(self):
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    @classmethod
    def from_numpy(cls, weights, biases, **kwargs):
        """An MLP holding the given weight matrices W^l and bias vectors b^l (see nn.convert)."""
        from .convert import from_numpy

        return from_numpy(weights, biases, **kwargs)

    def __repr__(self):
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


def _rng(seed):
    """A private random.Random: passed through, or made from an int seed (None: unseeded)."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, None or a random.Random, got {type(seed).__name__}")


def _initializer(init, fan_in, fan_out, rng):
    """A function drawing one initial weight."""
    if init == "uniform":  # micrograd's choice
        return lambda: rng.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio (2010): keeps the variance of a and delta level
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return lambda: rng.uniform(-limit, limit)
    if init == "he":  # He et al. (2015): for relu units, std sqrt(2 / fan_in)
        std = math.sqrt(2.0 / fan_in)
        return lambda: rng.gauss(0.0, std)
    raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")


def _positive_int(n, what):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n

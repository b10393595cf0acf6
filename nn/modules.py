"""Neurons, layers and MLPs made of Values.

Notation (the seed documents'): a neuron computes its pre-activation z = w . a_prev + b and its
activation a = sigma(z). Layers are numbered from 1 as in the seeds (a^0 = x is the input, W^1
the first layer of weights); units are numbered from 0, as Python lists are. So the graph node
labelled z[1][3] is neuron `model.layers[0].neurons[3]`'s pre-activation, and w[1][3][0] is its
weight from input 0: entry (3, 0) of the matrix W^1. Every label is written by
autograd.notation.label, which pictures read back.

Because z is ONE node with local derivatives dz/dw_i = a_i and dz/da_i = w_i, `backward()`
reproduces the seeds' rules exactly: the gradient that arrives at z is delta, and each weight
receives dL/dw_ji = delta_j a_i, each bias dL/db_j = delta_j.

Models are saved as JSON in the format of nn.modelfile (MLP.save, MLP.load), and converted from
NumPy matrices by MLP.from_numpy (shapes checked by nn.vectorized.check_parameters).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from autograd import Parameter, Value, linear, weighted_sum
from autograd.checks import Seed, choice, integer, real, rng
from autograd.files import StrPath
from autograd.notation import label
from autograd.value import Number

from . import modelfile
from .modelfile import FORMAT as FORMAT  # noqa: F401 (nn.modules.FORMAT, as before modelfile)
from .modelfile import FORMAT_VERSION as FORMAT_VERSION  # noqa: F401 (likewise)
from .modelfile import MAX_MODEL_BYTES
from .vectorized import check_parameters

if TYPE_CHECKING:
    import random

    from numpy.typing import ArrayLike

_MLP = TypeVar("_MLP", bound="MLP")

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "linear": None,  # a = z
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "softplus": Value.softplus,
}

INITS = ("uniform", "xavier", "he")


class Module:
    """Anything with parameters: `parameters()`, `named_parameters()` and `zero_grad()`."""

    def parameters(self) -> list[Parameter]:
        """Every parameter, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, parameter) pairs, in the order of `parameters()`."""
        return []

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's gradient to 0 (gradients accumulate across backward calls), or
        to None with set_to_none=True (PyTorch's default): "no gradient yet", which backward()
        starts from 0 and optimizers skip."""
        for p in self.parameters():
            p.grad = None if set_to_none else 0.0


class Neuron(Module):
    """One unit: z = sum_i w_i a_i + b, a = sigma(z)."""

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        init: str = "uniform",
        seed: Seed = None,
        fan_out: int = 1,
        name: str = "",
        *,
        unit: Iterable[int] = (),
    ) -> None:
        """`nin` inputs; `activation` one of ACTIVATIONS; `init` one of "uniform" (U(-1, 1), as
        micrograd), "xavier" (Glorot uniform) or "he" (He normal); `seed` an int, None or a
        random.Random.

        The graph labels: `unit` is the neuron's place in the seeds' notation, (l, j) for unit j
        of layer l (as MLP gives it) or (j,) (a lone Layer), which makes its labels w[l][j][i],
        b[l][j], z[l][j] and a[l][j]. `name`, the older spelling, is a suffix written out, such
        as "[1][3]", appended to w, b, z and a. Give one or neither: w[i], b, z and a."""
        nin = integer(nin, "nin", least=1)
        choice(activation, ACTIVATIONS, "activation")
        choice(init, INITS, "init")
        fan_out = integer(fan_out, "fan_out", least=1)
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        unit = tuple(integer(k, "each index in unit", least=0) for k in unit)
        if name and unit:
            raise ValueError(f"give a neuron a unit= or a name=, not both (got {unit}, {name!r})")

        def tag(symbol: str, *indices: int) -> str:
            """This neuron's label for `symbol` (w, b, z, a), with the `indices` that follow."""
            return label(symbol + name, *indices) if name else label(symbol, *unit, *indices)

        draw = _initializer(init, nin, fan_out, rng(seed))
        self.w = [Parameter(draw(), label=tag("w", i)) for i in range(nin)]
        self.b = Parameter(0.0, label=tag("b"))
        self.activation = activation
        self._sigma = ACTIVATIONS[activation]
        self._z_label, self._a_label = tag("z"), tag("a")
        self._input_labels = _input_labels(nin)

    def __call__(self, x: Collection[Number]) -> Value:
        """The neuron's activation a for one input x (a list of `nin` numbers or Values);
        numbers become Values labelled x[0], x[1], ..."""
        return self.activate(weighted_sum(self.w, _inputs(x, self._input_labels, "Neuron"), self.b))

    def activate(self, z: Value) -> Value:
        """a = sigma(z) for this neuron's pre-activation z (one node: dz/dw_i = x_i,
        dz/dx_i = w_i, dz/db = 1), labelling both nodes in the seeds' notation."""
        z.label = self._z_label
        if self._sigma is None:  # linear: a = z, and the node keeps the name z (its grad is delta)
            return z
        a = self._sigma(z)
        a.label = self._a_label
        return a

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [(p.label, p) for p in self.w] + [(self.b.label, self.b)]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that all read the same inputs: a = sigma(W a_prev + b)."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        init: str = "uniform",
        seed: Seed = None,
        index: int | None = None,
    ) -> None:
        """`index` is the layer's number l (from 1) in the labels, z[l][j]; a lone layer has
        none, and its labels are z[j]."""
        nout = integer(nout, "nout", least=1)
        if index is not None:
            index = integer(index, "index (the layer's number)", least=1)
        layer = () if index is None else (index,)
        draw_from = rng(seed)
        self.neurons = [
            Neuron(nin, activation, init, draw_from, fan_out=nout, unit=(*layer, j))
            for j in range(nout)
        ]
        self.activation = activation

    def __call__(self, x: Sequence[Number]) -> list[Value]:
        """The layer's activations, always a list (one entry per neuron)."""
        zs = linear(self.W, x, self.b)  # z = W a_prev + b, one node per neuron
        return [neuron.activate(z) for neuron, z in zip(self.neurons, zs)]

    @property
    def W(self) -> list[list[Parameter]]:
        """The weight matrix as a list of rows of Values: W[j][i] = neurons[j].w[i]."""
        return [neuron.w for neuron in self.neurons]

    @property
    def b(self) -> list[Parameter]:
        """The bias vector as a list of Values."""
        return [neuron.b for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [pair for neuron in self.neurons for pair in neuron.named_parameters()]

    def __repr__(self) -> str:
        return (
            f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, activation={self.activation!r})"
        )


class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each layer reading the previous one's a."""

    def __init__(
        self,
        nin: int,
        nouts: Iterable[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        init: str = "uniform",
        seed: Seed = None,
    ) -> None:
        """MLP(2, [16, 16, 1]): 2 inputs, two hidden layers of 16 `activation` units, and one
        `output_activation` output. The same `seed` always gives the same weights (a private
        random.Random is used, never the global one)."""
        nin = integer(nin, "nin", least=1)
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(
                f"nouts must be a list of layer sizes such as [16, 16, 1], "
                f"got {type(nouts).__name__}"
            )
        nouts = [integer(n, "each layer size in nouts", least=1) for n in nouts]
        if not nouts:
            raise ValueError("nouts must list at least one layer size, got an empty list")
        choice(activation, ACTIVATIONS, "activation")
        choice(output_activation, ACTIVATIONS, "output_activation")
        choice(init, INITS, "init")
        draw_from = rng(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(
                sizes[l - 1],
                sizes[l],
                activation if l < len(sizes) - 1 else output_activation,
                init,
                draw_from,
                index=l,
            )
            for l in range(1, len(sizes))
        ]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation, self.init = activation, output_activation, init
        self._input_labels = _input_labels(nin)

    def __call__(self, x: Collection[Number]) -> Value | list[Value]:
        """The network's output for one example `x` (a list of `nin` numbers or Values): a list of
        Values, or a single Value when the last layer has one neuron."""
        a = _inputs(x, self._input_labels, "MLP")
        for layer in self.layers:
            a = layer(a)
        return a[0] if len(a) == 1 else a

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    # ---- save and load: JSON only, never pickle (a model file must not be able to run code) ----

    def state_dict(self) -> dict[str, list[Any]]:
        """Every weight and bias as plain floats, in the seeds' matrix notation:
        {"W[1]": W^1 as a list of rows, "b[1]": b^1, "W[2]": ...}, so that
        state["W[l]"][j][i] is the weight labelled w[l][j][i]. A copy: editing it changes
        nothing in the model."""
        return modelfile.make_state(
            ([[w.data for w in row] for row in layer.W], [b.data for b in layer.b])
            for layer in self.layers
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every weight and bias from `state`, a dict as `state_dict()` returns it.

        Everything is checked before anything changes: the names (none missing, none extra),
        the shapes (W[l] has one row per neuron of layer l, each with one entry per input) and
        the numbers (real and finite). A ValueError names what is wrong, and leaves the model
        unchanged. The Parameters stay the same objects (an optimizer holding them still works);
        their gradients are left as they were."""
        sizes = [self.nin] + [len(layer.neurons) for layer in self.layers]
        self._set(modelfile.state_numbers(state, sizes, f"the state dict for {self!r}"))

    def save(self, path: StrPath) -> None:
        """Write the model to `path` as JSON (the format of nn.modelfile): {"format":
        "chainrule.MLP", "version": 1, "architecture": {nin, nouts, activation,
        output_activation, init}, "state": state_dict()}. Floats are written as repr() writes
        them, so `MLP.load` gives back every weight exactly.

        `path` must be a regular file or a new path: anything else (a FIFO, a device such as
        /dev/null, a directory) is a ValueError before anything is written, and is never
        replaced. A symlink's target is written. The write is atomic (autograd.files.write_file):
        a failed save leaves an existing file exactly as it was; one that is killed may leave a
        temporary file `.NAME.PID-RANDOM.chainrule-tmp` beside it, which the next save to `path`
        removes. ValueError for a non-finite weight; OSError where the operating system refuses
        (a missing folder, a permission)."""
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"cannot save {self!r}: its parameter {name} is {p.data!r}")
        modelfile.write(path, self._architecture(), self.state_dict())

    @classmethod
    def load(cls: type[_MLP], path: StrPath, *, max_bytes: int = MAX_MODEL_BYTES) -> _MLP:
        """The MLP that `save` wrote to `path`.

        A model file may come from anyone, so nothing in it is trusted. It is JSON (reading it
        runs no code), and all of it is checked before the model is built (nn.modelfile.read):
        the architecture's fields, then the weights' names, shapes and numbers against the sizes
        it declares, so a small file cannot make load build a large model.

        ValueError, naming the file and what is wrong, for: a path that is not a regular file (a
        directory, a FIFO, a device such as /dev/zero) or has more than `max_bytes` bytes (both
        refused before reading; MAX_MODEL_BYTES, 1 MiB, by default: pass more for a larger
        model you trust), and a file that is not a complete, valid model file of this format
        version (truncated, malformed, another version, an architecture that does not match its
        weights, weights that are not finite numbers). OSError (FileNotFoundError,
        PermissionError) where the file cannot be read. A failed load changes nothing."""
        architecture, numbers = modelfile.read(
            path, max_bytes, activations=ACTIVATIONS, inits=INITS
        )
        model = cls(**architecture, seed=0)  # only now: it is no larger than the file's numbers
        model._set(numbers)
        return model

    @classmethod
    def from_numpy(
        cls: type[_MLP],
        weights: Iterable[ArrayLike],
        biases: Iterable[ArrayLike],
        activation: str = "tanh",
        output_activation: str = "linear",
    ) -> _MLP:
        """An MLP whose layer l holds the weight matrix W^l (shape (n_out, n_in)) and the bias
        vector b^l (shape (n_out,) or (n_out, 1)), with `activation` on the hidden layers.
        `weights` and `biases` are nn.vectorized.Layers (as nn.to_numpy returns them) or plain
        lists in order, W^1 first. Every float64 is kept exactly. TypeError or ValueError for
        weights that are not real, finite matrices that chain (see
        nn.vectorized.check_parameters), or an unknown activation."""
        W, b = check_parameters(weights, biases)
        nouts = [W_l.shape[0] for W_l in W]
        model = cls(W[1].shape[1], nouts, activation, output_activation, seed=0)
        model._set(
            x  # row j of W^l, then b^l_j: neuron j's weights, then its bias, as in parameters()
            for W_l, b_l in zip(W, b)
            for row, bias in zip(W_l.tolist(), b_l.tolist())
            for x in (*row, bias)
        )
        return model

    def _set(self, numbers: Iterable[float]) -> None:
        """Set the parameters' data from `numbers` (floats, checked), in the order of
        parameters()."""
        for p, x in zip(self.parameters(), numbers):
            p.data = x

    def _architecture(self):
        """The architecture as a model file records it: MLP's arguments but the seed."""
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
        }

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )

    def summary(self) -> list[tuple[str, int | str, str, str]]:
        """The layers as rows: (name, units, activation, parameters), the input first and the
        total last (what Jupyter shows for a model, as a table)."""
        rows: list[tuple[str, int | str, str, str]] = [("input x", self.nin, "", "")]
        for l, layer in enumerate(self.layers, start=1):
            n_in, n_out = len(layer.neurons[0].w), len(layer.neurons)
            params = f"{n_out * n_in + n_out:,} (W{l} {n_out}×{n_in}, b{l} {n_out})"
            rows.append((f"layer {l}", n_out, layer.activation, params))
        rows.append(("total", "", "", f"{len(self.parameters()):,}"))
        return rows

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("", "units", "activation", "parameters"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
            for row in self.summary()
        )
        return f"<p><code>{html.escape(repr(self))}</code></p><table><tr>{head}</tr>{body}</table>"


def _input_labels(nin: int) -> list[str]:
    """The labels of the inputs' Values: x[0], x[1], ..."""
    return [label("x", i) for i in range(nin)]


def _inputs(x: Collection[Number], labels: Sequence[str], who: str) -> list[Value]:
    """x as a list of len(labels) Values; numbers become Values labelled x[0], x[1], ..."""
    n = len(labels)
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who} input must be a list of {n} numbers, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{who} expects {n} inputs, got {len(x)}")
    values = []
    for xi, name in zip(x, labels):
        if isinstance(xi, Value):
            values.append(xi)
            continue
        number = real(xi)
        if number is None:
            raise TypeError(f"{who} inputs must be numbers, got {type(xi).__name__} at {name}")
        values.append(Value(number, name))
    return values


def _initializer(
    init: str, fan_in: int, fan_out: int, generator: random.Random
) -> Callable[[], float]:
    """A function drawing one initial weight from `generator` (a random.Random)."""
    if init == "uniform":  # micrograd's choice
        return lambda: generator.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio (2010): keeps the variance of a and delta level
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return lambda: generator.uniform(-bound, bound)
    if init == "he":  # He et al. (2015): for relu units, std sqrt(2 / fan_in)
        std = math.sqrt(2.0 / fan_in)
        return lambda: generator.gauss(0.0, std)
    raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")

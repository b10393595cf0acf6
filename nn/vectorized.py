"""The same MLP in matrix form: forward and backward for a whole batch, as the seeds derive it.

Notation (seeds 001 and 004). Layers are numbered l = 1..L; a^0 = x is the input.

    forward:   z^l = W^l a^(l-1) + b^l          a^l = sigma(z^l)
    backward:  delta^L = dC/da^L * sigma'(z^L)
               delta^l = (W^(l+1)^T delta^(l+1)) * sigma'(z^l)
               dC/dW^l = delta^l a^(l-1)^T       dC/db^l = delta^l summed over the batch

The batch is stored as COLUMNS, as in seed 004: a^l has shape (n_l, n), one column per example,
so the seeds' column-vector formulas apply to the whole batch unchanged. The cost is the mean of
the examples' losses, C = 1/n sum_x L_x (as `nn` trains), so dC/da^L carries the 1/n and the
matrix product delta^l a^(l-1)^T sums the examples' contributions to dC/dW^l.

Layers are indexed by the seeds' layer number l = 1..L, everywhere: what this module returns
(z, a, delta, dW, db) and what nn.to_numpy returns (the weights W^l and biases b^l) are
`Layers`, a small sequence whose [l] is layer l. So `dW[1]` is dC/dW^1, the gradient of `W[1]`,
and `delta[l][j, k]` is the gradient on the graph node labelled z[l][j] of example k. Only the
activations have a layer 0: `a[0]` is the input x. Asking for a layer that is not there, such as
`dW[0]` (the input has no weights), is an IndexError that says which layers there are, and
slicing is a TypeError (`W[1:]` would mean "from layer 1" here but "from the second" in a list).
Iterating gives the values in order, the lowest layer first, as a list would hold them.

The weights and biases you pass in may be such Layers, or plain lists read in the same order,
W^1 first: `nn.to_numpy(model)` and `[W1, W2]` both work.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Generic, NamedTuple, SupportsIndex, TypeAlias, TypeVar

import numpy as np

from autograd.checks import choice

from . import losses as scalar_losses

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .losses import Loss

LEAKY_SLOPE = 0.01  # Value.leaky_relu's default slope, which nn's neurons use

_T = TypeVar("_T")
Array: TypeAlias = np.ndarray  # a float64 matrix or vector (NumPy)
# a loss of the matrix form: (outputs a, targets y) -> (each example's L_x, dL_x/da)
MatrixLoss: TypeAlias = Callable[[Array, Array], tuple[Array, Array]]


class Layers(Generic[_T]):
    """One value per layer, indexed by the seeds' layer number (see the module docstring).

    - `layers[l]` is layer l's value, for l in `layers.indices` (1..L; 0..L for the
      activations a, whose layer 0 is the input). A negative l counts from the end, as in a
      list: `a[-1]` is a^L. Any other l is an IndexError naming the layers there are.
    - `len()`, iteration and `list()` give the values in order, the lowest layer first;
      `items()` gives (l, value) pairs.
    - Slicing is a TypeError: `W[1:]` reads as "from layer 1" here, but as "from the second
      matrix" to anyone used to lists; `list(W)[1:]` says which is meant.
    """

    __slots__ = ("_values", "first", "name")

    def __init__(self, values: Iterable[_T], first: int = 1, name: str = "layers") -> None:
        """`values` in order, the first one being layer `first` (1, or 0 for activations);
        `name` (e.g. "dW") is what error messages call it."""
        self._values = tuple(values)
        self.first = first
        self.name = name

    @property
    def indices(self) -> range:
        """The layer numbers this holds: range(first, first + len)."""
        return range(self.first, self.first + len(self._values))

    def items(self) -> Iterator[tuple[int, _T]]:
        """(l, value) pairs, the lowest layer first."""
        return zip(self.indices, self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[_T]:
        return iter(self._values)

    def __reversed__(self) -> Iterator[_T]:
        return reversed(self._values)

    def __getitem__(self, l: SupportsIndex) -> _T:
        if isinstance(l, slice):
            raise TypeError(
                f"{self.name} cannot be sliced: its index is a layer number, so {self.name}[1:] "
                f"would not mean what it means for a list. Use list({self.name}) for the values "
                f"in order (layer {self.first} first) or {self.name}.items() for (l, value) pairs"
            )
        l = operator.index(l)  # a TypeError for what is not an integer
        position = l - self.first if l >= 0 else len(self._values) + l
        if not 0 <= position < len(self._values):
            raise IndexError(self._no_layer(l))
        return self._values[position]

    def _no_layer(self, l: int) -> str:
        name, held = self.name, f"layers {self.first}..{self.first + len(self._values) - 1}"
        if l < 0:
            return f"{name}[{l}]: counting from the end, {name} has {len(self._values)} ({held})"
        if l == 0:  # the likely slip: a list's first index, where layer 0 has no value
            return (
                f"{name}[0]: layer 0 is the input x, which has no {name}; {name} is indexed by "
                f"the seeds' layer number, {held} ({name}[1] is layer 1's)"
            )
        return f"{name}[{l}]: there is no layer {l}; {name} holds {held}"

    def __repr__(self) -> str:
        values = ", ".join(f"{l}: {value!r}" for l, value in self.items())
        return f"Layers({self.name}, {{{values}}})"


def _sigmoid(z: Array) -> Array:
    """1 / (1 + e^-z) without overflow: e^z / (1 + e^z) where z < 0 (as the engine does)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# name -> (sigma(z), sigma'(z) from z and a = sigma(z)); kinks as the engine: relu'(0) = 0,
# leaky_relu'(0) = slope.
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
    "relu": (lambda z: np.where(z > 0, z, 0.0), lambda z, a: np.where(z > 0, 1.0, 0.0)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
        lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE),
    ),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),  # tanh'(z) = 1 - a^2
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),  # sigma'(z) = a (1 - a)
    # softplus(z) = log(1 + e^z), written so that it cannot overflow; softplus' = sigmoid
    "softplus": (
        lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
        lambda z, a: _sigmoid(z),
    ),
}


# ---- losses: for a batch of outputs a (K, n) and targets y, each returns (L_x, dL_x/da): the
# loss of every example, shape (n,), and its derivative by the example's own outputs, (K, n).


def squared_error(a: Array, y: Array) -> tuple[Array, Array]:
    """L_x = 1/2 sum_k (a_k - y_k)^2.   dL_x/da = a - y (seed 001's Step 1)."""
    return 0.5 * np.sum((a - y) ** 2, axis=0), a - y


def mse(a: Array, y: Array) -> tuple[Array, Array]:
    """L_x = 1/K sum_k (a_k - y_k)^2.   dL_x/da = 2 (a - y) / K."""
    K = a.shape[0]
    return np.sum((a - y) ** 2, axis=0) / K, 2.0 * (a - y) / K


def binary_cross_entropy(a: Array, y: Array) -> tuple[Array, Array]:
    """L_x = -sum_k [y_k log a_k + (1 - y_k) log(1 - a_k)] (seed 004's cost).
    dL_x/da = -y / a + (1 - y) / (1 - a) = (a - y) / (a (1 - a)).

    As in nn.losses, a term whose coefficient y or 1 - y is 0 is left out, so a = 0 or 1 is
    exact where the target agrees."""
    _check_probabilities(a, "prediction")
    _check_probabilities(y, "target")
    if np.any((a == 0) & (y > 0)) or np.any((a == 1) & (y < 1)):
        raise ValueError(
            "binary_cross_entropy is infinite where a prediction is exactly 0 or 1 and the "
            "target disagrees; use binary_cross_entropy_with_logits on the logits instead"
        )
    with np.errstate(divide="ignore", invalid="ignore"):  # the left-out terms, masked below
        L = -(np.where(y > 0, y * np.log(a), 0.0) + np.where(y < 1, (1 - y) * np.log(1 - a), 0.0))
        dL_da = np.where(y > 0, -y / a, 0.0) + np.where(y < 1, (1 - y) / (1 - a), 0.0)
    return np.sum(L, axis=0), dL_da


def binary_cross_entropy_with_logits(a: Array, y: Array) -> tuple[Array, Array]:
    """L_x = sum_k [softplus(a_k) - y_k a_k] for logits a.   dL_x/da = sigmoid(a) - y."""
    _check_probabilities(y, "target")
    softplus = ACTIVATIONS["softplus"][0]
    return np.sum(softplus(a) - y * a, axis=0), _sigmoid(a) - y


def cross_entropy(a: Array, y: Array) -> tuple[Array, Array]:
    """Softmax cross-entropy over the K logits a with a class index t per example (y, shape (n,)):
    L_x = log sum_k e^(a_k) - a_t.   dL_x/da = softmax(a) - onehot(t).

    Computed with m = max_k a_k as m + log sum_k e^(a_k - m), so large logits cannot overflow."""
    K, n = a.shape
    m = np.max(a, axis=0)
    e = np.exp(a - m)
    s = np.sum(e, axis=0)
    onehot = np.zeros_like(a)
    onehot[y, np.arange(n)] = 1.0
    return m + np.log(s) - a[y, np.arange(n)], e / s - onehot


def hinge(a: Array, y: Array) -> tuple[Array, Array]:
    """L_x = sum_k max(0, 1 - y_k a_k) for labels y in {-1, +1}.
    dL_x/da = -y where 1 - y a > 0, else 0 (relu'(0) = 0, as the engine)."""
    if not np.all((y == -1.0) | (y == 1.0)):
        raise ValueError(f"hinge needs labels -1 or +1, got {_first_bad(y, (y != 1) & (y != -1))}")
    margin = 1.0 - y * a
    return np.sum(np.maximum(margin, 0.0), axis=0), np.where(margin > 0, -y, 0.0)


LOSSES: dict[str, MatrixLoss] = {
    "squared_error": squared_error,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


class Backprop(NamedTuple):
    """One forward and backward pass over a batch. Its Layers are indexed by the layer number l
    (see the module docstring); matrices have one column per example."""

    C: float  # the cost, the mean of the examples' losses
    z: Layers[Array]  # z[l] = W^l a^(l-1) + b^l, shape (n_l, n), l = 1..L
    a: Layers[Array]  # a[l] = sigma(z[l]), l = 1..L; a[0] is the input x
    dC_da: Array  # dC/da^L, seed 001's Step 1 (with the 1/n of the mean)
    delta: Layers[Array]  # delta[l] = dC/dz^l, shape (n_l, n), l = 1..L
    dW: Layers[Array]  # dW[l] = dC/dW^l = delta^l a^(l-1)^T, shape of W^l, l = 1..L
    db: Layers[Array]  # db[l] = dC/db^l = delta^l summed over the batch, shape (n_l,), l = 1..L


def layer_activations(
    n_layers: int, activation: str = "tanh", output_activation: str = "linear"
) -> Layers[str]:
    """The activation name of each layer, as Layers indexed by l = 1..L: `activation` on the
    hidden layers, `output_activation` on layer L (as nn.MLP)."""
    for what, name in (("activation", activation), ("output_activation", output_activation)):
        choice(name, ACTIVATIONS, what)
    return Layers([activation] * (n_layers - 1) + [output_activation], 1, "activations")


def forward(
    weights: Iterable[ArrayLike],
    biases: Iterable[ArrayLike],
    x: ArrayLike,
    activation: str = "tanh",
    output_activation: str = "linear",
) -> tuple[Layers[Array], Layers[Array]]:
    """z^l = W^l a^(l-1) + b^l and a^l = sigma(z^l) for l = 1..L; returns (z, a) as Layers,
    a[0] being x.

    x has one column per example, shape (n_in, n) (a 1-D x is one example)."""
    W, b = check_parameters(weights, biases)
    sigma = layer_activations(len(W), activation, output_activation)
    z, a = {}, {0: _inputs(x, W[1].shape[1])}  # by layer number, a^0 = x
    for l in W.indices:
        z[l] = W[l] @ a[l - 1] + b[l][:, None]  # b^l is added to every column
        a[l] = ACTIVATIONS[sigma[l]][0](z[l])
    return Layers(z.values(), 1, "z"), Layers(a.values(), 0, "a")


def backward(
    weights: Iterable[ArrayLike],
    z: Iterable[Array],
    a: Iterable[Array],
    dC_da: Array,
    activation: str = "tanh",
    output_activation: str = "linear",
) -> tuple[Layers[Array], Layers[Array], Layers[Array]]:
    """delta^L = dC/da^L * sigma'(z^L); delta^l = (W^(l+1)^T delta^(l+1)) * sigma'(z^l);
    dC/dW^l = delta^l a^(l-1)^T; dC/db^l = delta^l summed over the columns. Returns
    (delta, dW, db) as Layers indexed by l = 1..L.

    z and a are what `forward` returned (or lists in the same order: z^1 first, a^0 first)."""
    W = Layers([np.asarray(W_l, dtype=np.float64) for W_l in _in_order(weights, "weights")])
    L = len(W)
    z, a = _layers(z, 1, "z", L), _layers(a, 0, "a", L + 1)
    sigma = layer_activations(L, activation, output_activation)

    def sigma_prime(l: int) -> Array:
        return ACTIVATIONS[sigma[l]][1](z[l], a[l])

    deltas = {L: dC_da * sigma_prime(L)}  # by layer number, from L down to 1
    for l in range(L - 1, 0, -1):
        deltas[l] = (W[l + 1].T @ deltas[l + 1]) * sigma_prime(l)
    delta = Layers([deltas[l] for l in W.indices], 1, "delta")
    dW = Layers([delta[l] @ a[l - 1].T for l in W.indices], 1, "dW")
    db = Layers([delta[l].sum(axis=1) for l in W.indices], 1, "db")
    return delta, dW, db


def backprop(
    weights: Iterable[ArrayLike],
    biases: Iterable[ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    loss: str | Loss | MatrixLoss,
    activation: str = "tanh",
    output_activation: str = "linear",
) -> Backprop:
    """Forward and backward for the batch x (one column per example) with targets y, and the
    cost C = 1/n sum_x L_x: a Backprop with C, z, a, dC/da^L, delta, dW and db.

    `loss` is a name in LOSSES (or the function of that name from nn.losses). y has the shape
    of a^L, (K, n); for cross_entropy it holds one class index per example, shape (n,)."""
    name = loss_name(loss)
    z, a = forward(weights, biases, x, activation, output_activation)
    y = _targets(y, a[-1].shape, name)
    n = a[0].shape[1]
    L_x, dL_da = LOSSES[name](a[-1], y)
    C = float(np.mean(L_x))
    dC_da = dL_da / n  # C = 1/n sum_x L_x
    delta, dW, db = backward(weights, z, a, dC_da, activation, output_activation)
    return Backprop(C, z, a, dC_da, delta, dW, db)


def loss_name(loss: str | Loss | MatrixLoss) -> str:
    """The name of a loss the matrix form knows, given its name or its nn.losses function."""
    if isinstance(loss, str):
        if loss in LOSSES:
            return loss
    else:
        for name, function in scalar_losses.LOSSES.items():
            if loss is function or loss is LOSSES[name]:
                return name
    raise ValueError(
        f"the matrix form knows the losses {list(LOSSES)} (by name or as nn.losses functions), "
        f"got {getattr(loss, '__name__', loss)!r}"
    )


# ---- checks on what the user passes ----


def check_parameters(
    weights: Iterable[ArrayLike], biases: Iterable[ArrayLike]
) -> tuple[Layers[Array], Layers[Array]]:
    """An MLP's weights and biases, checked, as Layers of float64 arrays W^l of shape
    (n_l, n_(l-1)) and b^l of shape (n_l,), l = 1..L.

    Each may be Layers (as nn.to_numpy returns them) or a plain sequence read in order, W^1
    first; a bias may be a column (n_l, 1). TypeError for what is not real numbers; ValueError
    for a ragged or non-finite array, a missing bias, or shapes that do not chain (W^l must
    have one column per unit of layer l - 1)."""
    weights, biases = _in_order(weights, "weights"), _in_order(biases, "biases")
    if len(weights) == 0 or len(weights) != len(biases):
        raise ValueError(
            "need one bias vector per weight matrix and at least one layer, got "
            f"{len(weights)} weight matrices and {len(biases)} bias vectors"
        )
    W: list[Array] = []
    b: list[Array] = []
    for l, (W_l, b_l) in enumerate(zip(weights, biases), start=1):
        W_l, b_l = _real_array(W_l, f"W^{l}"), _real_array(b_l, f"b^{l}")
        if W_l.ndim != 2 or 0 in W_l.shape:
            raise ValueError(f"W^{l} must be a matrix (n_out, n_in), got shape {W_l.shape}")
        if b_l.shape not in ((W_l.shape[0],), (W_l.shape[0], 1)):
            raise ValueError(
                f"b^{l} must have shape ({W_l.shape[0]},) to match W^{l} {W_l.shape}, "
                f"got {b_l.shape}"
            )
        if l > 1 and W_l.shape[1] != W[-1].shape[0]:
            raise ValueError(
                f"the shapes do not chain: W^{l} has shape {W_l.shape}, so it needs "
                f"{W_l.shape[1]} inputs, but layer {l - 1} has {W[-1].shape[0]} units"
            )
        W.append(W_l)
        b.append(b_l.reshape(-1))
    return Layers(W, 1, "W"), Layers(b, 1, "b")


def _in_order(values: Iterable[_T], what: str, first: int = 1) -> list[_T]:
    """The values of Layers numbered from `first`, or of a plain sequence, as a list in order."""
    if isinstance(values, Layers):
        if values.first != first:
            raise ValueError(
                f"{what} must be numbered from layer {first}, got {values.name} numbered from "
                f"layer {values.first}"
            )
        return list(values)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{what} must be a list with one array per layer (layer {first} first) or Layers, "
            f"got {type(values).__name__}"
        )
    return list(values)


def _layers(values: Iterable[Array], first: int, what: str, count: int) -> Layers[Array]:
    """What forward returned, z or a, as Layers: given so, or as a list in the same order."""
    values = _in_order(values, what, first)
    if values and values[0] is None:  # the old layout, [None, z^1, ...]: would misread z^1
        raise ValueError(
            f"{what} is read in order, layer {first} first, but its first entry is None (a list "
            f"indexed by layer number?); pass the Layers that forward returns"
        )
    if len(values) != count:
        raise ValueError(
            f"{what} must hold {count} layers ({first}..{first + count - 1}), got {len(values)}"
        )
    return Layers(values, first, what)


def _real_array(x: ArrayLike, what: str) -> Array:
    """x as a float64 array; TypeError if it does not hold real numbers, ValueError if ragged
    or not finite."""
    try:
        array = np.asarray(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{what} must be a rectangular array of numbers") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{what} must hold real numbers, got an array of dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite, got {_first_bad(array, ~np.isfinite(array))}")
    return array


def _inputs(x, n_in):
    x = _real_array(x, "x")
    if x.ndim == 1:
        x = x.reshape(-1, 1)  # one example: a column
    if x.ndim != 2 or x.shape[0] != n_in:
        raise ValueError(
            f"x must have one column per example and {n_in} rows (the inputs of W^1), "
            f"got shape {x.shape}"
        )
    return x


def _targets(y: ArrayLike, shape: tuple[int, ...], name: str) -> Array:
    """y as an array of the shape the loss needs: class indices (n,) or the shape of a^L."""
    K, n = shape
    if name == "cross_entropy":
        y = np.asarray(y).reshape(-1)
        if K < 2:
            raise ValueError(f"cross_entropy needs at least 2 outputs (one per class), got {K}")
        if y.shape != (n,) or y.dtype.kind not in "iu" or np.any(y < 0) or np.any(y >= K):
            raise ValueError(
                f"cross_entropy needs one class index in 0..{K - 1} per example ({n} examples), "
                f"got {y.tolist()!r}"
            )
        return y
    y = _real_array(y, "y")
    if y.ndim == 1 and (K == 1 or n == 1):  # one output per example, or one example
        y = y.reshape(-1, 1) if n == 1 else y.reshape(1, -1)
    if y.shape != shape:
        raise ValueError(
            f"y must have the shape of the output a^L, {shape} (outputs x examples), got {y.shape}"
        )
    return y


def _check_probabilities(p, what):
    outside = ~((p >= 0.0) & (p <= 1.0))  # also catches nan
    if np.any(outside):
        raise ValueError(
            f"binary_cross_entropy: the {what} must be probabilities in [0, 1], "
            f"got {_first_bad(p, outside)!r}"
        )


def _first_bad(values, mask):
    return float(values[mask].flat[0])

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

Every list this module returns is indexed by the seeds' layer number l, so `delta[l][j, k]` is
the gradient on the graph node labelled z[l][j] of example k: a[0] is the input x, and z[0],
delta[0], dW[0], db[0] are None (layer 0 has no weights). The weights and biases you pass in
are plain lists, W^1 first (`weights[0]`), as `nn.to_numpy(model)` returns them.
"""

from typing import NamedTuple

import numpy as np

from . import losses as scalar_losses

LEAKY_SLOPE = 0.01  # Value.leaky_relu's default slope, which nn's neurons use


def _sigmoid(z):
    """1 / (1 + e^-z) without overflow: e^z / (1 + e^z) where z < 0 (as the engine does)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# name -> (sigma(z), sigma'(z) from z and a = sigma(z)); kinks as the engine: relu'(0) = 0,
# leaky_relu'(0) = slope.
ACTIVATIONS = {
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


def squared_error(a, y):
    """L_x = 1/2 sum_k (a_k - y_k)^2.   dL_x/da = a - y (seed 001's Step 1)."""
    return 0.5 * np.sum((a - y) ** 2, axis=0), a - y


def mse(a, y):
    """L_x = 1/K sum_k (a_k - y_k)^2.   dL_x/da = 2 (a - y) / K."""
    K = a.shape[0]
    return np.sum((a - y) ** 2, axis=0) / K, 2.0 * (a - y) / K


def binary_cross_entropy(a, y):
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


def binary_cross_entropy_with_logits(a, y):
    """L_x = sum_k [softplus(a_k) - y_k a_k] for logits a.   dL_x/da = sigmoid(a) - y."""
    _check_probabilities(y, "target")
    softplus = ACTIVATIONS["softplus"][0]
    return np.sum(softplus(a) - y * a, axis=0), _sigmoid(a) - y


def cross_entropy(a, y):
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


def hinge(a, y):
    """L_x = sum_k max(0, 1 - y_k a_k) for labels y in {-1, +1}.
    dL_x/da = -y where 1 - y a > 0, else 0 (relu'(0) = 0, as the engine)."""
    if not np.all((y == -1.0) | (y == 1.0)):
        raise ValueError(f"hinge needs labels -1 or +1, got {_first_bad(y, (y != 1) & (y != -1))}")
    margin = 1.0 - y * a
    return np.sum(np.maximum(margin, 0.0), axis=0), np.where(margin > 0, -y, 0.0)


LOSSES = {
    "squared_error": squared_error,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


class Backprop(NamedTuple):
    """One forward and backward pass over a batch. Lists are indexed by layer l (see the module
    docstring); matrices have one column per example."""

    C: float  # the cost, the mean of the examples' losses
    z: list  # z[l] = W^l a^(l-1) + b^l, shape (n_l, n); z[0] is None
    a: list  # a[l] = sigma(z[l]); a[0] is the input x
    dC_da: np.ndarray  # dC/da^L, seed 001's Step 1 (with the 1/n of the mean)
    delta: list  # delta[l] = dC/dz^l, shape (n_l, n); delta[0] is None
    dW: list  # dW[l] = dC/dW^l = delta^l a^(l-1)^T, shape of W^l; dW[0] is None
    db: list  # db[l] = dC/db^l = delta^l summed over the batch, shape (n_l,); db[0] is None


def layer_activations(n_layers, activation="tanh", output_activation="linear"):
    """[None, sigma^1, ..., sigma^L]: `activation` on the hidden layers, `output_activation` on
    layer L (as nn.MLP), indexed by l."""
    for name in (activation, output_activation):
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; expected one of {list(ACTIVATIONS)}")
    return [None] + [activation] * (n_layers - 1) + [output_activation]


def forward(weights, biases, x, activation="tanh", output_activation="linear"):
    """z^l = W^l a^(l-1) + b^l and a^l = sigma(z^l) for l = 1..L; returns the lists (z, a).

    x has one column per example, shape (n_in, n) (a 1-D x is one example)."""
    W, b = _parameters(weights, biases)
    sigma = layer_activations(len(W) - 1, activation, output_activation)
    a = [_inputs(x, W[1].shape[1])]
    z = [None]
    for l in range(1, len(W)):
        z.append(W[l] @ a[l - 1] + b[l][:, None])  # b^l is added to every column
        a.append(ACTIVATIONS[sigma[l]][0](z[l]))
    return z, a


def backward(weights, z, a, dC_da, activation="tanh", output_activation="linear"):
    """delta^L = dC/da^L * sigma'(z^L); delta^l = (W^(l+1)^T delta^(l+1)) * sigma'(z^l);
    dC/dW^l = delta^l a^(l-1)^T; dC/db^l = delta^l summed over the columns. Returns the lists
    (delta, dW, db), indexed by l."""
    W = [None] + [np.asarray(W_l, dtype=np.float64) for W_l in weights]  # checked by forward
    L = len(W) - 1
    sigma = layer_activations(L, activation, output_activation)

    def sigma_prime(l):
        return ACTIVATIONS[sigma[l]][1](z[l], a[l])

    delta = [None] * (L + 1)
    delta[L] = dC_da * sigma_prime(L)
    for l in range(L - 1, 0, -1):
        delta[l] = (W[l + 1].T @ delta[l + 1]) * sigma_prime(l)
    dW = [None] + [delta[l] @ a[l - 1].T for l in range(1, L + 1)]
    db = [None] + [delta[l].sum(axis=1) for l in range(1, L + 1)]
    return delta, dW, db


def backprop(weights, biases, x, y, loss, activation="tanh", output_activation="linear"):
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


def loss_name(loss):
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


def _parameters(weights, biases):
    """[None, W^1, ..., W^L] and [None, b^1, ..., b^L] as float64 arrays, checked to chain."""
    weights, biases = list(weights), list(biases)
    if len(weights) == 0 or len(weights) != len(biases):
        raise ValueError(
            "need one bias vector per weight matrix and at least one layer, got "
            f"{len(weights)} weight matrices and {len(biases)} bias vectors"
        )
    W, b = [None], [None]
    for l, (W_l, b_l) in enumerate(zip(weights, biases), start=1):
        W_l, b_l = _real_array(W_l, f"W^{l}"), _real_array(b_l, f"b^{l}")
        if W_l.ndim != 2 or 0 in W_l.shape:
            raise ValueError(f"W^{l} must be a matrix (n_out, n_in), got shape {W_l.shape}")
        if b_l.shape not in ((W_l.shape[0],), (W_l.shape[0], 1)):
            raise ValueError(
                f"b^{l} must have shape ({W_l.shape[0]},) to match W^{l} {W_l.shape}, "
                f"got {b_l.shape}"
            )
        if l > 1 and W_l.shape[1] != W[l - 1].shape[0]:
            raise ValueError(
                f"the shapes do not chain: W^{l} has shape {W_l.shape}, so it needs "
                f"{W_l.shape[1]} inputs, but layer {l - 1} has {W[l - 1].shape[0]} units"
            )
        W.append(W_l)
        b.append(b_l.reshape(-1))
    return W, b


def _real_array(x, what):
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


def _targets(y, shape, name):
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

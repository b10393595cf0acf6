"""Losses for ONE example: `loss(prediction, target) -> Value`.

The prediction is what the model returned (a Value, or a list of Values); the target is a number
or a list of numbers. A batch's cost is the mean of its examples' losses (seed 000's first
assumption: L = 1/n sum_x L_x), which is what `nn.fit` minimises.

Each docstring gives the formula and its derivative with respect to the prediction, dL/da: the
number the chain rule starts from at the output layer (seed 001's Step 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from autograd import Value, total
from autograd.checks import integer, number, real
from autograd.value import Number

# what a model returns for one example: a Value (or a number), or a list of them
Prediction: TypeAlias = Number | Sequence[Number]
Target: TypeAlias = float | Sequence[float]  # a number, or one per output
Loss: TypeAlias = Callable[[Any, Any], Value]  # loss(prediction, target) -> Value


def squared_error(prediction: Prediction, target: Target) -> Value:
    """L = 1/2 sum_k (a_k - y_k)^2, the seeds' convention.   dL/da_k = a_k - y_k."""
    a, y = _pair(prediction, target, "squared_error")
    return 0.5 * total([(a_k - y_k) ** 2 for a_k, y_k in zip(a, y)])


def mse(prediction: Prediction, target: Target) -> Value:
    """L = 1/K sum_k (a_k - y_k)^2 over the K outputs.   dL/da_k = 2 (a_k - y_k) / K."""
    a, y = _pair(prediction, target, "mse")
    return total([(a_k - y_k) ** 2 for a_k, y_k in zip(a, y)]) / len(a)


def binary_cross_entropy(prediction: Prediction, target: Target) -> Value:
    """L = -sum_k [y_k log a_k + (1 - y_k) log(1 - a_k)], for probabilities a_k in [0, 1] and
    targets y_k in [0, 1] (seed 004's cost).   dL/da_k = (a_k - y_k) / (a_k (1 - a_k)).

    With a sigmoid output, dL/dz = a - y: the sigmoid's slope cancels. Where the network
    outputs logits rather than probabilities, `binary_cross_entropy_with_logits` is the
    numerically stable form. A term whose coefficient is 0 is left out, so a = 0 with y = 0
    (or a = 1 with y = 1) gives L = 0 and the one-sided slope 1 (or -1), never nan; a = 0 with
    y > 0 (or a = 1 with y < 1) makes L infinite, which is a ValueError."""
    a, y = _pair(prediction, target, "binary_cross_entropy")
    terms = []
    for a_k, y_k in zip(a, y):
        _check_probability(a_k.data, "prediction")
        _check_probability(y_k, "target")
        if y_k > 0:  # a term with coefficient 0 is left out, so a = 0 or 1 can be exact
            terms.append(y_k * _log(a_k, a_k, y_k))
        if y_k < 1:
            terms.append((1 - y_k) * _log(1 - a_k, a_k, y_k))
    return -total(terms)


def binary_cross_entropy_with_logits(prediction: Prediction, target: Target) -> Value:
    """binary_cross_entropy(sigmoid(z), y), computed from the logits z without overflow:
    L = sum_k [softplus(z_k) - y_k z_k].   dL/dz_k = sigmoid(z_k) - y_k."""
    z, y = _pair(prediction, target, "binary_cross_entropy_with_logits")
    for y_k in y:
        _check_probability(y_k, "target")
    return total([z_k.softplus() - y_k * z_k for z_k, y_k in zip(z, y)])


def cross_entropy(prediction: Prediction, target: int) -> Value:
    """Softmax cross-entropy over K logits z with the class index t as target:
    L = log sum_k e^(z_k) - z_t.   dL/dz_k = softmax(z)_k - [k = t].

    Computed as m + log sum_k e^(z_k - m) with m = max_k z_k (log-sum-exp), so large logits do
    not overflow; m is a constant, which changes no gradient because softmax ignores shifts."""
    logits = prediction if isinstance(prediction, (list, tuple)) else [prediction]
    z = [_as_value(z_k, "cross_entropy's prediction") for z_k in logits]
    if len(z) < 2:
        raise ValueError(f"cross_entropy needs at least 2 logits (one per class), got {len(z)}")
    target = integer(target, "cross_entropy's target (a class index)", least=0, most=len(z) - 1)
    m = max(z_k.data for z_k in z)
    if any(z_k.data != z_k.data for z_k in z):
        m = math.nan  # max() would drop a nan it meets after a number: the loss must be nan
    return m + total([(z_k - m).exp() for z_k in z]).log() - z[target]


def hinge(prediction: Prediction, target: Target) -> Value:
    """Max-margin loss for a score s and a label y in {-1, +1}: L = max(0, 1 - y s).
    dL/ds = -y where y s < 1, else 0. (micrograd's demo uses it.)"""
    s, y = _pair(prediction, target, "hinge")
    for y_k in y:
        if y_k not in (-1.0, 1.0):
            raise ValueError(f"hinge needs labels -1 or +1, got {y_k!r}")
    return total([(1 - y_k * s_k).relu() for s_k, y_k in zip(s, y)])


LOSSES: dict[str, Loss] = {
    "squared_error": squared_error,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def get(loss: Loss | str) -> Loss:
    """A loss function from itself or its name ("squared_error", "cross_entropy", ...)."""
    if callable(loss):
        return loss
    if isinstance(loss, str):
        if loss in LOSSES:
            return LOSSES[loss]
        raise ValueError(f"unknown loss {loss!r}; expected one of {list(LOSSES)} or a function")
    raise TypeError(f"loss must be a function or one of {list(LOSSES)}, got {type(loss).__name__}")


def _pair(prediction: Prediction, target: Target, name: str) -> tuple[list[Value], list[float]]:
    """Prediction and target as equally long lists of Values and floats."""
    a = list(prediction) if isinstance(prediction, (list, tuple)) else [prediction]
    y = list(target) if isinstance(target, (list, tuple)) else [target]
    if len(a) != len(y):
        raise ValueError(f"{name}: the prediction has {len(a)} outputs but the target has {len(y)}")
    if not a:
        raise ValueError(f"{name}: the prediction is empty; expected at least one output")
    values = [_as_value(a_k, f"{name}'s prediction") for a_k in a]
    return values, [number(y_k, f"{name}'s target") for y_k in y]


def _as_value(x: object, what: str) -> Value:
    """x if it is a Value, else a Value of the number x (inf and nan too: they propagate)."""
    if isinstance(x, Value):
        return x
    data = real(x)
    if data is None:
        raise TypeError(f"{what} must be Values or numbers, got {type(x).__name__}")
    return Value(data)


def _check_probability(p, what):
    if not 0.0 <= p <= 1.0:  # also rejects nan
        raise ValueError(
            f"binary_cross_entropy: the {what} must be a probability in [0, 1], got {p!r}"
        )


def _log(p, a, y):
    """log(p) for a cross-entropy term of prediction a and target y; a clear error where the
    loss is infinite (p = 0)."""
    if p.data <= 0.0:
        raise ValueError(
            f"binary_cross_entropy is infinite for a prediction of {a.data!r} and a target of "
            f"{y!r}; use binary_cross_entropy_with_logits on the logits instead"
        )
    return p.log()

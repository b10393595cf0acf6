"""autograd: a scalar reverse-mode automatic differentiation engine.

A `Value` holds one number and records the operation and operands that produced it;
`backward()` applies the chain rule through that graph in reverse topological order.
"""

from .check import GradcheckError, central_difference, gradcheck
from .derivatives import grad
from .replay import crosscheck_graph
from .value import (
    Constant,
    Value,
    as_value,
    linear,
    no_grad,
    topological_order,
    total,
    weighted_sum,
)

__all__ = [
    "Constant",
    "GradcheckError",
    "Value",
    "as_value",
    "central_difference",
    "crosscheck_graph",
    "grad",
    "gradcheck",
    "linear",
    "no_grad",
    "topological_order",
    "total",
    "weighted_sum",
]

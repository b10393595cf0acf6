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
    enable_grad,
    is_grad_enabled,
    linear,
    no_grad,
    topological_order,
    total,
    weighted_sum,
)

_LAZY = {  # pictures load graphviz: imported on first use, so `import autograd` stays light
    "draw": "graph",
    "draw_steps": "graph",
    "backward_steps": "steps",
    "save_frames": "steps",
    "step_through": "steps",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


__all__ = [
    "Constant",
    "GradcheckError",
    "Value",
    "as_value",
    "backward_steps",
    "central_difference",
    "crosscheck_graph",
    "draw",
    "draw_steps",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "save_frames",
    "step_through",
    "topological_order",
    "total",
    "weighted_sum",
]

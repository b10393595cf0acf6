"""autograd: a scalar reverse-mode automatic differentiation engine.

A `Value` holds one number and records the operation and operands that produced it;
`backward()` applies the chain rule through that graph in reverse topological order.
The modules, each importing only those below it:

    value        the engine: Value, backward(), the graph walk      (checks: argument checks)
    ops          the op registry: one record per operation, define_op for new ones; weighted_sum
    grad_mode    no_grad, enable_grad
    derivatives  grad(), with create_graph=True for gradients of gradients
    check        gradcheck: backprop against finite differences
    replay       crosscheck_graph: every node against PyTorch float64
    expression   typed expressions -> engine operations (never eval)
    notation     how nodes, numbers and formulas are written
    steps        the backward pass one node at a time (a view: no .grad is written)
    dot          the Graphviz kit: Drawing, colours, escaping
    graph        draw(root): the picture of a graph
    frames       draw_steps, step_through, save_frames: a pass as a series of pictures
    files        writing and reading the user's files safely
    cli          the `graph` command (python -m autograd graph ...)
    engine       which build of value.py runs: compiled (Cython) or pure Python; ENGINE says

The pictures (dot, writer, graph, frames, files) and graphviz load on first use of draw,
draw_steps, save_frames or step_through, not on `import autograd`: without them it loads less
than half the modules, and leaves far fewer objects for the garbage collector's full passes.
"""

# First, before any module that uses it: load autograd.value, compiled or pure Python (engine.py)
from .engine import ENGINE, ENGINE_REASON

# isort: split
import importlib
from typing import TYPE_CHECKING, Any

from .check import GradcheckError, central_difference, gradcheck
from .derivatives import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .ops import OPS, Op, cos, define_op, sin, total, weighted_sum
from .replay import crosscheck_graph
from .steps import backward_steps
from .value import (
    HOOKS,
    Constant,
    Parameter,
    Value,
    as_value,
    linear,
    topological_order,
)

if TYPE_CHECKING:  # for type checkers; at run time, __getattr__ loads them on first use
    from .frames import draw_steps, save_frames, step_through
    from .graph import draw

# what loads on first use: a function's name -> its module; a module's name -> itself
_ON_FIRST_USE = {m: m for m in ("dot", "writer", "graph", "frames", "files")}
_ON_FIRST_USE.update(draw="graph", draw_steps="frames", save_frames="frames", step_through="frames")


def __getattr__(name: str) -> Any:
    """The pictures' functions and modules (see the docstring's end), imported when first used."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    module = importlib.import_module(f".{_ON_FIRST_USE[name]}", __name__)
    found = module if name == _ON_FIRST_USE[name] else getattr(module, name)
    globals()[name] = found  # from now on, an attribute like any other
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})


def _draw(*args: Any, **kwargs: Any) -> Any:
    """Step.draw() before anything has imported autograd.graph (which lends its draw then)."""
    return __getattr__("draw")(*args, **kwargs)


HOOKS.setdefault("draw", _draw)

__all__ = [
    "ENGINE",
    "ENGINE_REASON",
    "OPS",
    "Constant",
    "GradcheckError",
    "Op",
    "Parameter",
    "Value",
    "as_value",
    "backward_steps",
    "central_difference",
    "cos",
    "crosscheck_graph",
    "define_op",
    "draw",
    "draw_steps",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "save_frames",
    "sin",
    "step_through",
    "topological_order",
    "total",
    "weighted_sum",
]

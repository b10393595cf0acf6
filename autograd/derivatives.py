"""Gradients as return values, and gradients of gradients.

`Value.backward()` stores numbers in `.grad`. `grad(output, inputs)` returns them instead,
and with `create_graph=True` it returns Values built from the engine's own operations, so a
gradient can itself be differentiated (second derivatives, Hessian-vector products).

For that, every operation's local derivative must be available as a Value, not only as the
number its forward rule records: the op registry holds it as each op's `second` rule
(autograd.ops), and tests/test_ops.py checks, op by op, that the two give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, overload

from .ops import OPS
from .value import Constant, Number, Value, topological_order


def local_derivatives(node: Value) -> Sequence[Value]:
    """d(node)/d(input) for each input of `node`, as differentiable Values (its op's second
    rule in the registry). NotImplementedError for an op that has none."""
    op = OPS.get(node.op)
    if op is None or op.second is None:
        raise NotImplementedError(
            f"grad(..., create_graph=True) needs the op {node.op!r} to have a second-order rule "
            "(define_op(..., second=...)); it has none"
        )
    return op.second(node)


@overload
def grad(
    output: Value, inputs: Iterable[Value], create_graph: Literal[False] = False
) -> tuple[float, ...]: ...
@overload
def grad(
    output: Value, inputs: Iterable[Value], create_graph: Literal[True]
) -> tuple[Value, ...]: ...
@overload
def grad(
    output: Value, inputs: Iterable[Value], create_graph: bool
) -> tuple[float, ...] | tuple[Value, ...]: ...
def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> tuple[Number, ...]:
    """d(output)/d(input) for each of `inputs`, as a tuple; no `.grad` field is touched.

    With create_graph=False the gradients are floats. With create_graph=True they are
    Values computed by the engine's own operations, so they can be differentiated again:
    `dx, = grad(x**3, [x], create_graph=True); d2x, = grad(dx, [x])` gives 6x.
    An input that `output` does not depend on gets gradient 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        raise TypeError("inputs must be a list of Values; wrap a single one: grad(y, [x])")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"inputs must be Values, got {type(x).__name__}")
    grads: dict[Value, Number] = {output: Constant(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None or not node.inputs:
            continue
        local: Sequence[Number] = local_derivatives(node) if create_graph else node.local_grads
        for x, dnode_dx in zip(node.inputs, local):
            term = dnode_dx * g
            grads[x] = grads[x] + term if x in grads else term
    zero = Constant(0.0) if create_graph else 0.0
    return tuple(grads.get(x, zero) for x in inputs)

"""Gradients as return values, and gradients of gradients.

`Value.backward()` stores numbers in `.grad`. `grad(output, inputs)` returns them instead,
and with `create_graph=True` it returns Values built from the engine's own operations, so a
gradient can itself be differentiated (second derivatives, Hessian-vector products).

For that, every operation's local derivative must be available as a Value, not only as the
number `value.py` records in the forward pass. `DERIVATIVES` below holds each rule again,
written with Value arithmetic; `tests/test_derivatives.py` checks, op by op, that the two
versions give the same numbers, so they cannot drift apart.
"""

from .value import Constant, Value, topological_order


def _constant_rule(out):
    """Piecewise-constant derivatives (relu, abs, leaky_relu): the recorded number, whose own
    derivative is 0 wherever it is defined."""
    return tuple(Constant(d) for d in out.local_grads)


def _pow_rule(out):
    x, w = out.inputs
    dx = w * x ** (w - 1) if x.data != 0 else Constant(out.local_grads[0])
    dw = out * x.log() if x.data > 0 else Constant(out.local_grads[1])
    return dx, dw


def _linear_rule(out):
    n = (len(out.inputs) - 1) // 2  # inputs are (w_1..w_n, x_1..x_n, b)
    w, x = out.inputs[:n], out.inputs[n : 2 * n]
    return (*x, *w, Constant(1.0))


# op -> function(out) giving d(out)/d(input) for each of out.inputs, as Values.
DERIVATIVES = {
    "+": lambda out: (Constant(1.0), Constant(1.0)),
    "-": lambda out: (Constant(1.0), Constant(-1.0)),
    "*": lambda out: (out.inputs[1], out.inputs[0]),
    "/": lambda out: (1.0 / out.inputs[1], -out / out.inputs[1]),
    "**": _pow_rule,
    "neg": lambda out: (Constant(-1.0),),
    "abs": _constant_rule,
    "exp": lambda out: (out,),
    "log": lambda out: (1.0 / out.inputs[0],),
    "sqrt": lambda out: (0.5 / out,) if out.data else _constant_rule(out),
    "tanh": lambda out: (1.0 - out * out,),
    "sigmoid": lambda out: (out * (1.0 - out),),
    "relu": _constant_rule,
    "leaky_relu": _constant_rule,
    "softplus": lambda out: (out.inputs[0].sigmoid(),),
    "linear": _linear_rule,
    "sum": lambda out: tuple(Constant(1.0) for _ in out.inputs),
}


def local_derivatives(out):
    """d(out)/d(input) for each input of `out`, as differentiable Values."""
    if out.op.startswith("**") and out.op != "**":  # x ** n with a number n: op '**n'
        x, n = out.inputs[0], _exponent(out.op)
        if x.data == 0 and n < 1:
            return _constant_rule(out)
        return (n * x ** (n - 1),)
    rule = DERIVATIVES.get(out.op)
    if rule is None:
        raise NotImplementedError(f"no differentiable derivative rule for op {out.op!r}")
    return rule(out)


def grad(output, inputs, create_graph=False):
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
    grads = {output: Constant(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None or not node.inputs:
            continue
        local = local_derivatives(node) if create_graph else node.local_grads
        for x, dnode_dx in zip(node.inputs, local):
            term = dnode_dx * g
            grads[x] = grads[x] + term if x in grads else term
    zero = Constant(0.0) if create_graph else 0.0
    return tuple(grads.get(x, zero) for x in inputs)


def _exponent(op):
    """The number n of an op string '**n' ('**2' -> 2, '**0.5' -> 0.5); the string is exact."""
    text = op[2:]
    return int(text) if text.lstrip("-").isdigit() else float(text)

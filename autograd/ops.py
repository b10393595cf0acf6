"""The op registry: one record per operation, read by every interpreter of a graph.

A node's `op` is a key of OPS and its `params` are that op's parameters (the n of x ** n, the
slope of leaky_relu), as data. The record says everything the rest of chainrule needs:

    name     what node.op holds                     arity   how many inputs (None: any number)
    apply    the forward rule: inputs -> a Value    second  the local derivatives as Values
    torch    the same op in PyTorch (the replay)    parse   its name in a typed expression
    symbol   how a picture writes its node          written how a formula writes it

The engine's own ops (+, *, tanh, ...) have their forward rule and local derivatives side by
side in autograd/value.py, as methods of Value; their records point at those methods.

Adding an op: write its record here with `define_op` (as sin and cos are, at the bottom), and
its tests in tests/test_ops.py. Nothing else: backward() needs only the local derivatives the
forward rule returns, grad(..., create_graph=True) reads `second`, crosscheck_graph `torch`, the
expression parser (and so `chainrule graph`) `parse`, pictures and step texts `symbol` and
`written`. The same function serves users for ops of their own:

    cube = define_op("cube", lambda x: (x**3, (3 * x**2,)),
                     second=lambda node: (3 * node.inputs[0] ** 2,),
                     torch=lambda torch, xs, params: xs[0] ** 3)
    y = cube(Value(2.0))            # Value(data=8.0): a node with op "cube"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import Any, TypeAlias

from .value import Constant, Number, Value, as_value, linear, record

# The rules an op's record holds (see Op): its local derivatives as Values, its PyTorch form
# (torch, the input tensors, node.params) -> a tensor, and a formula (node, operand names) -> str.
SecondRule: TypeAlias = Callable[[Value], Sequence[Value]]
TorchRule: TypeAlias = Callable[[Any, Sequence[Any], tuple[Any, ...]], Any]
Written: TypeAlias = Callable[[Value, Sequence[str]], str]


@dataclass(frozen=True)
class Op:
    """One operation of the registry (see the module docstring). Call it to apply it."""

    name: str
    arity: int | None  # None: any number of inputs
    apply: Callable[..., Value]  # (*inputs, *params) -> the Value
    second: SecondRule | None  # (node) -> d(node)/d(input) per input, as differentiable Values
    torch: TorchRule | None  # (torch, input tensors, params) -> the tensor
    symbol: str  # a picture's operation node: '×', 'tanh', '^{n}' ({name}: a parameter)
    written: str | Written  # a formula: '{0} × {1}', 'tanh({0})', or (node, operands) -> str
    params: tuple[str, ...] = ()  # the parameters' names, in the order of node.params
    infix: bool = False  # a binary operator, written between its operands
    commutative: bool = True  # where False, a picture names the operands: 'x − y'
    parse: str | None = None  # its name in a typed expression ('tanh', '+'), if it has one

    @property
    def delimits_operands(self) -> bool:
        """Whether the formula writes each operand between delimiters ('tanh({0})', '|{0}|'),
        so that a compound operand needs no parentheses of its own."""
        written = self.written
        return callable(written) or ("{0}" in written and any(f"{c}{{0}}" in written for c in "(|"))

    def __call__(self, *inputs: Number, **params: Any) -> Value:
        return self.apply(*inputs, *params.values())

    def symbol_of(self, node: Value) -> str:
        """This op's symbol for `node`, its parameters filled in ('^2' for x ** 2)."""
        return self.symbol.format(**dict(zip(self.params, node.params)))

    def formula(self, node: Value, operands: Sequence[str]) -> str:
        """How `node` was made, its inputs named `operands`: 'x × w', 'tanh(z)'."""
        if callable(self.written):
            return self.written(node, operands)
        return self.written.format(*operands, **dict(zip(self.params, node.params)))


OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add `op` to OPS (a ValueError if its name is taken); returns it."""
    if not isinstance(op, Op):
        raise TypeError(f"register() takes an Op, got {type(op).__name__}")
    if op.name in OPS:
        raise ValueError(f"an op named {op.name!r} is already registered")
    OPS[op.name] = op
    return op


def define_op(
    name: str,
    forward: Callable[..., tuple[float, Sequence[float]]],
    *,
    second: SecondRule | None = None,
    torch: TorchRule | None = None,
    symbol: str | None = None,
    parse: str | None = None,
    params: Iterable[str] = (),
    arity: int = 1,
) -> Op:
    """A new scalar operation, registered, that every part of chainrule handles; call the
    returned Op to apply it: op(x) (or op(x, y) for arity 2, op(x, slope=0.1) with params).

    - forward(*input_data, *param_values) -> (out, local_grads): the value, and d(out)/d(input)
      for each input, as numbers. backward() needs nothing more.
    - second(node) -> d(node)/d(input) for each input as Values built with Value operations
      from node.inputs, node itself and node.params: what grad(..., create_graph=True)
      differentiates again. Without it, create_graph=True raises NotImplementedError.
    - torch(torch, input_tensors, params) -> tensor: the op in PyTorch, for crosscheck_graph.
    - symbol: how pictures write it (default: the name); parse: a name the expression parser
      (and `chainrule graph`) reads it by, e.g. "sin" (default: none).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"an op's name must be an identifier such as 'sin', got {name!r}")
    if not callable(forward):
        raise TypeError(f"forward must be a function of the inputs' data, got {forward!r}")
    params = tuple(params)

    def apply(*args: Any) -> Value:
        if len(args) != arity + len(params):
            raise TypeError(
                f"{name} takes {arity} input{'s' if arity != 1 else ''}"
                + (f" and the parameters {', '.join(params)}" if params else "")
                + f", got {len(args)} arguments"
            )
        inputs = tuple(as_value(x) for x in args[:arity])
        values = tuple(args[arity:])
        out, local_grads = _checked(name, forward(*(x.data for x in inputs), *values), arity)
        return record(out, inputs, local_grads, name, values)

    apply.__name__ = name
    apply.__doc__ = forward.__doc__
    operands = ", ".join(f"{{{i}}}" for i in range(arity))
    return register(
        Op(
            name,
            arity,
            apply,
            second,
            torch,
            symbol or name,
            f"{name}({operands})",
            params,
            parse=parse,
        )
    )


def _checked(name, result, arity):
    """forward's (out, local_grads), checked and as floats."""
    try:
        out, local_grads = result
        local_grads = tuple(float(d) for d in local_grads)
        out = float(out)
    except (TypeError, ValueError):
        raise TypeError(
            f"the forward rule of {name} must return (value, local derivatives), got {result!r}"
        ) from None
    if len(local_grads) != arity:
        raise TypeError(
            f"the forward rule of {name} returned {len(local_grads)} local derivatives for "
            f"{arity} inputs"
        )
    return out, local_grads


# ---- second-order rules: each local derivative again, as Values that can be differentiated ----


def _constant(node):
    """Piecewise-constant derivatives (relu, abs, leaky_relu, and x ** n where it is flat or
    vertical at 0): the recorded number, whose own derivative is 0 wherever it is defined."""
    return tuple(Constant(d) for d in node.local_grads)


def _power_by_number(node):
    x, (n,) = node.inputs[0], node.params
    if x.data == 0 and n < 1:
        return _constant(node)
    return (n * x ** (n - 1),)


def _power_by_value(node):
    x, w = node.inputs
    dx = w * x ** (w - 1) if x.data != 0 else Constant(node.local_grads[0])
    dw = node * x.log() if x.data > 0 else Constant(node.local_grads[1])
    return dx, dw


def _linear_second(node):
    n = (len(node.inputs) - 1) // 2  # inputs are (w_1..w_n, x_1..x_n, b)
    w, x = node.inputs[:n], node.inputs[n : 2 * n]
    return (*x, *w, Constant(1.0))


# ---- PyTorch replays (torch is imported by the caller, only when a replay runs) ----

# torch's softplus returns x itself above `threshold`; from 40 on log(1 + e^-x) is below half an
# ulp of x, so the replay agrees with the engine's exact formula to the last digit.
SOFTPLUS_THRESHOLD = 40.0


def _linear_torch(torch, xs, params):
    n = (len(xs) - 1) // 2  # inputs (w_1..w_n, x_1..x_n, b): z = sum_i w_i x_i + b
    if n == 0:
        return xs[-1] + 0.0  # z = b, as a node of its own
    return torch.dot(torch.stack(xs[:n]), torch.stack(xs[n : 2 * n])) + xs[-1]


def _sum_written(node, operands):
    return " + ".join(operands) if len(operands) <= 4 else f"Σ of {len(operands)} terms"


def _binary(name, apply, torch, symbol, second, commutative=True):
    return Op(
        name,
        2,
        apply,
        second,
        torch,
        symbol,
        "{0} " + symbol + " {1}",
        infix=True,
        commutative=commutative,
        parse=name,
    )


def _unary(name, apply, torch, second, symbol=None, written=None, parse=True):
    return Op(
        name,
        1,
        apply,
        second,
        torch,
        symbol or name,
        written or f"{name}({{0}})",
        parse=name if parse else None,
    )


for _op in (
    _binary(
        "+",
        Value.__add__,
        lambda t, xs, p: xs[0] + xs[1],
        "+",
        lambda node: (Constant(1.0), Constant(1.0)),
    ),
    _binary(
        "-",
        Value.__sub__,
        lambda t, xs, p: xs[0] - xs[1],
        "−",
        lambda node: (Constant(1.0), Constant(-1.0)),
        commutative=False,
    ),
    _binary(
        "*",
        Value.__mul__,
        lambda t, xs, p: xs[0] * xs[1],
        "×",
        lambda node: (node.inputs[1], node.inputs[0]),
    ),
    _binary(
        "/",
        Value.__truediv__,
        lambda t, xs, p: xs[0] / xs[1],
        "÷",
        lambda node: (1.0 / node.inputs[1], -node / node.inputs[1]),
        commutative=False,
    ),
    _binary(
        "**",
        Value.__pow__,
        lambda t, xs, p: xs[0] ** xs[1],
        "^",
        _power_by_value,
        commutative=False,
    ),
    Op(
        "**n",
        1,
        Value.__pow__,
        _power_by_number,
        lambda t, xs, p: xs[0] ** p[0],
        "^{n}",
        "{0}^{n}",
        params=("n",),
    ),
    _unary(
        "neg",
        Value.__neg__,
        lambda t, xs, p: -xs[0],
        lambda node: (Constant(-1.0),),
        symbol="−x",
        written="−{0}",
        parse=False,
    ),
    _unary(
        "abs",
        Value.__abs__,
        lambda t, xs, p: t.abs(xs[0]),
        _constant,
        symbol="|x|",
        written="|{0}|",
    ),
    _unary("exp", Value.exp, lambda t, xs, p: t.exp(xs[0]), lambda node: (node,)),
    _unary("log", Value.log, lambda t, xs, p: t.log(xs[0]), lambda node: (1.0 / node.inputs[0],)),
    _unary(
        "sqrt",
        Value.sqrt,
        lambda t, xs, p: t.sqrt(xs[0]),
        lambda node: (0.5 / node,) if node.data else _constant(node),
        symbol="√",
        written="√{0}",
    ),
    _unary("tanh", Value.tanh, lambda t, xs, p: t.tanh(xs[0]), lambda node: (1.0 - node * node,)),
    _unary(
        "sigmoid",
        Value.sigmoid,
        lambda t, xs, p: t.sigmoid(xs[0]),
        lambda node: (node * (1.0 - node),),
    ),
    _unary("relu", Value.relu, lambda t, xs, p: t.relu(xs[0]), _constant),
    Op(
        "leaky_relu",
        1,
        Value.leaky_relu,
        _constant,
        lambda t, xs, p: t.nn.functional.leaky_relu(xs[0], p[0]),
        "leaky_relu",
        "leaky_relu({0})",
        params=("slope",),
        parse="leaky_relu",
    ),
    _unary(
        "softplus",
        Value.softplus,
        lambda t, xs, p: t.nn.functional.softplus(xs[0], beta=1.0, threshold=SOFTPLUS_THRESHOLD),
        lambda node: (node.inputs[0].sigmoid(),),
    ),
    Op(
        "linear",
        None,
        lambda *xs: weighted_sum(xs[: len(xs) // 2], xs[len(xs) // 2 : -1], xs[-1]),
        _linear_second,
        _linear_torch,
        "Σ w·x + b",
        "Σ w·x + b",
    ),
    Op(
        "sum",
        None,
        lambda *xs: total(xs),
        lambda node: tuple(Constant(1.0) for _ in node.inputs),
        lambda t, xs, p: t.stack(xs).sum(),
        "Σ",
        _sum_written,
    ),
):
    register(_op)


# ---- ops defined entirely here, as a user would define one ----


_data = attrgetter("data")


def total(terms: Iterable[Number]) -> Value:
    """terms[0] + terms[1] + ... as ONE node (op 'sum'): d(sum)/d(term) = 1 for every term."""
    nodes: list[Any] = list(terms)
    if not all(map(isinstance, nodes, repeat(Value))):  # (one C-level pass)
        nodes = [as_value(t) for t in nodes]  # numbers become Constants; else a TypeError
    if not nodes:
        return Constant(0.0)
    try:
        data = math.fsum(map(_data, nodes))  # exact: the sum does not depend on the order
    except OverflowError:
        data = math.inf  # record() raises the policy's OverflowError (all terms are finite)
    except ValueError:  # inf - inf
        data = math.nan
    return record(data, tuple(nodes), (1.0,) * len(nodes), "sum")


def weighted_sum(w: Sequence[Number], x: Sequence[Number], b: Number = 0.0) -> Value:
    """z = sum_i w_i x_i + b as ONE node (op 'linear'), with the seeds' local derivatives:
    dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1. Its inputs are (w_1..w_n, x_1..x_n, b): one row of
    autograd.linear."""
    return linear([w], x, [b])[0]


def _sin(x):
    """sin(x); d sin(x)/dx = cos(x). (inf gives nan, as IEEE and PyTorch say.)"""
    if math.isinf(x):
        return math.nan, (math.nan,)
    return math.sin(x), (math.cos(x),)


def _cos(x):
    """cos(x); d cos(x)/dx = -sin(x). (inf gives nan, as IEEE and PyTorch say.)"""
    if math.isinf(x):
        return math.nan, (math.nan,)
    return math.cos(x), (-math.sin(x),)


sin: Op = define_op(
    "sin",
    _sin,
    second=lambda node: (cos(node.inputs[0]),),
    torch=lambda t, xs, p: t.sin(xs[0]),
    parse="sin",
)
cos: Op = define_op(
    "cos",
    _cos,
    second=lambda node: (-sin(node.inputs[0]),),
    torch=lambda t, xs, p: t.cos(xs[0]),
    parse="cos",
)

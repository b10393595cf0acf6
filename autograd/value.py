"""The whole engine: a Value holds one number and remembers how it was made.

Every operation returns a new Value whose `inputs` are its operands and whose `local_grads`
are the numbers d(out)/d(input), computed in the forward pass right next to the forward rule.
`backward()` walks the graph once, in reverse topological order, and applies the chain rule on
every edge:

    input.grad += local_grad * out.grad

One policy for numbers in every op: nan propagates (as in PyTorch, relu too), and so does an
inf operand; a finite op whose result is too large for a float is an OverflowError (checks.py);
local derivatives and gradients may be infinite (sqrt'(0)); outside an op's domain (log of a
negative number, division by zero) an op raises, never guesses. Recording is per thread and per
context (autograd.grad_mode). Every op is also a record of the op registry (autograd.ops), which
tells the other interpreters (second derivatives, the PyTorch replay, the expression parser,
pictures) what it is; an op's parameters (the n of x ** n, leaky_relu's slope) are data on it.
Two builds of this file give the same bits (autograd/engine.py picks one): plain Python, and C by
Cython where there is a compiler, whose `cython.` decorators make Value an untracked C struct.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from itertools import repeat
from operator import mul
from typing import TYPE_CHECKING, Any, TypeAlias, Union

from .checks import as_exponent, check_overflow, number, real

if TYPE_CHECKING:  # type checkers read the stand-in: Cython's own `cython` module has no types
    from . import cython_stub as cython
else:
    try:
        import cython  # Cython's pure-Python mode (see the end of the docstring)
    except ImportError:  # Cython is needed only to build the compiled engine, not to run this
        from . import cython_stub as cython
    if cython.compiled:  # from CPython's C API (declared in autograd/_cpython.pxd)
        from cython.cimports.autograd import _cpython as capi

COMPILED: bool = cython.compiled  # True in the compiled build (autograd.ENGINE says it too)
_COMPENSATED_SUM = sys.version_info >= (3, 12)  # sum() of floats is compensated from 3.12 on
_walks = cython.declare(cython.ulonglong, 0)  # walks so far (each holds the GIL to its end)
HOOKS: dict[str, Callable[..., Any]] = {}  # lent by modules above: backward_steps, draw
_new = object.__new__  # a Value without __init__ (a compiled class needs its own __new__)
Number: TypeAlias = Union["Value", float]  # an operand: a Value or a real number (int too)
Nodes: TypeAlias = tuple["Value", ...]  # a node's inputs
Floats: TypeAlias = tuple[float, ...]  # its local derivatives, its op's parameters


@cython.freelist(1000)  # compiled: up to 1000 freed Values are kept for the next ones
@cython.no_gc  # compiled: the cyclic garbage collector leaves Values alone (no cycles to find)
@cython.cclass  # compiled: Value is an extension type, its fields a C struct
class Value:
    """A number in a computation graph: its data, its gradient, and how it was made."""

    if not TYPE_CHECKING and cython.compiled:  # a C struct of the same fields, and a mark
        data, label = cython.declare(object, visibility="public")
        inputs, local_grads = cython.declare(tuple, visibility="public")
        _how = cython.declare(object)  # .op and .params (properties, below)
        mark = cython.declare(cython.ulonglong)
        _grad_is_none = cython.declare(cython.bint)  # .grad is None ("none yet") if this is set,
        _grad = cython.declare(cython.double)  # else this C double (0.0 in a new Value)
    else:  # (as plain Python, _grad holds .grad itself: a float, or None)
        __slots__ = ("data", "_grad", "inputs", "local_grads", "_how", "label")  # 6: 80 bytes
        _grad: float | None
    __array_ufunc__ = None  # NumPy scalars hand `np.float64(2) * x` over to our operators

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        as_float = real(data)
        if as_float is None:
            raise TypeError(f"Value needs a real number (int or float), got {type(data).__name__}")
        self.data: float = as_float
        self._grad = 0.0  # .grad (a property, below): d(root)/d(self), set by root.backward()
        if cython.compiled:  # (and its None flag)
            self._grad_is_none = False
        self.inputs: Nodes = ()  # the operands, in order: x * x has inputs (x, x)
        self.local_grads: Floats = ()  # d(self)/d(input) for each input, same order
        self._how: str | tuple[Any, ...] = ""  # its op, or (op, *params) for an op with params
        self.label: str = label

    @property
    def op(self) -> str:
        """The operation that made this Value (a key of autograd.ops.OPS); '' for a leaf."""
        return self._how if isinstance(self._how, str) else self._how[0]

    @op.setter
    def op(self, op: str) -> None:
        self._how = (op, *self.params) if self.params else op

    @property
    def params(self) -> Floats:
        """The op's parameters (record's params): (n,) for x ** n, (slope,) for leaky_relu."""
        return () if isinstance(self._how, str) else self._how[1:]

    @property
    def grad(self) -> float | None:
        """d(root)/d(self), set by root.backward(); None: none yet. It can be set to None or a
        real number (kept as a float); anything else is a TypeError and leaves it as it was."""
        if cython.compiled:
            return None if self._grad_is_none else self._grad
        return self._grad

    @grad.setter
    def grad(self, grad: float | None) -> None:
        if grad is not None and type(grad) is not float:
            grad = number(grad, "grad", finite=False)
        if cython.compiled:  # (a C double, and its None flag)
            self._grad_is_none = grad is None
            grad = 0.0 if grad is None else grad
        self._grad = grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- the number itself, as PyTorch users reach for it ----

    def item(self) -> float:
        """The number this Value holds (its data), as tensor.item() gives it."""
        return self.data

    def __float__(self) -> float:
        return self.data

    # Ordering compares the numbers (a bool), so max(values) and sorted(values) work. == stays
    # identity (no __eq__): a Value is a node, a key of dicts and sets; compare x.data == y.data.
    def __lt__(self, other: Number) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Number) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Number) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Number) -> bool:
        return self.data >= _data_of(other)

    # ---- arithmetic: each op is its forward rule followed by its local derivatives ----

    @cython.locals(y="Value")
    def __add__(self, other: Number) -> Value:
        x, y = self, other if isinstance(other, Value) else as_value(other)
        return record(x.data + y.data, (x, y), (1.0, 1.0), "+")

    @cython.locals(y="Value")
    def __sub__(self, other: Number) -> Value:
        x, y = self, other if isinstance(other, Value) else as_value(other)
        return record(x.data - y.data, (x, y), (1.0, -1.0), "-")

    @cython.locals(y="Value")
    def __mul__(self, other: Number) -> Value:
        x, y = self, other if isinstance(other, Value) else as_value(other)
        return record(x.data * y.data, (x, y), (y.data, x.data), "*")

    @cython.locals(y="Value")
    def __truediv__(self, other: Number) -> Value:
        x, y = self, other if isinstance(other, Value) else as_value(other)
        if y.data == 0.0:
            raise ZeroDivisionError(f"division by zero in {x.data!r} / {y.data!r}")
        out = x.data / y.data
        return record(out, (x, y), (1.0 / y.data, -out / y.data), "/")

    def __pow__(self, exponent: Number) -> Value:
        """x ** n with a number n (op '**n'), or x ** w with a Value w (op '**').

        d(x^w)/dw = x^w ln(x) is undefined for x < 0: it is recorded as nan (as in PyTorch);
        for x = 0 it is recorded as 0 (PyTorch's convention).
        """
        if isinstance(exponent, Value):
            out, dx = _power(self.data, exponent.data)
            x = self.data
            dw = out * math.log(x) if x > 0 else (0.0 if x == 0 else math.nan)
            return record(out, (self, exponent), (dx, dw), "**")
        # int and float first: the ABC checks in as_exponent cost more than the whole op
        n = exponent if type(exponent) in (int, float) else as_exponent(exponent)
        out, dx = _power(self.data, n)
        return record(out, (self,), (dx,), "**n", (n,))

    def __neg__(self) -> Value:
        return record(-self.data, (self,), (-1.0,), "neg")

    def __abs__(self) -> Value:
        x = self.data
        return record(abs(x), (self,), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,), "abs")

    # reflected operators: `2 * x` records inputs (2, x), in the order they were written. They
    # call the op itself, not `*` again: a subclass's Value on the right would come back here.
    def __radd__(self, other: Number) -> Value:
        return as_value(other).__add__(self)

    def __rsub__(self, other: Number) -> Value:
        return as_value(other).__sub__(self)

    def __rmul__(self, other: Number) -> Value:
        return as_value(other).__mul__(self)

    def __rtruediv__(self, other: Number) -> Value:
        return as_value(other).__truediv__(self)

    def __rpow__(self, base: Number) -> Value:
        return as_value(base).__pow__(self)

    # ---- functions ----

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data!r}) is too large for a float (overflow)") from None
        return record(out, (self,), (out,), "exp")  # d e^x/dx = e^x

    def log(self) -> Value:
        x = self.data
        if x <= 0:  # (nan passes: it propagates, as every op lets it)
            raise ValueError(f"log needs a positive input, got {x!r}")
        return record(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> Value:
        x = self.data
        if x < 0:
            raise ValueError(f"sqrt needs a non-negative input, got {x!r}")
        out = math.sqrt(x)
        return record(out, (self,), (0.5 / out if out else math.inf,), "sqrt")

    def tanh(self) -> Value:
        a = math.tanh(self.data)
        return record(a, (self,), (1.0 - a * a,), "tanh")  # tanh'(z) = 1 - a^2

    def sigmoid(self) -> Value:
        a = _sigmoid(self.data)
        return record(a, (self,), (a * (1.0 - a),), "sigmoid")  # sigma'(z) = a (1 - a)

    def relu(self) -> Value:
        z = self.data
        if z <= 0:
            return record(0.0, (self,), (0.0,), "relu")  # relu'(0) = 0, as in PyTorch
        return record(z, (self,), (1.0,), "relu")  # z > 0, or nan: nan stays nan (PyTorch too)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        z, slope = self.data, real(slope)  # type: ignore[assignment]  # (None: refused below)
        if slope is None:
            raise TypeError("leaky_relu's slope must be a real number")
        if z > 0:
            return record(z, (self,), (1.0,), "leaky_relu", (slope,))
        return record(slope * z, (self,), (slope,), "leaky_relu", (slope,))

    def softplus(self) -> Value:
        z = self.data  # log(1 + e^z), written so that it cannot overflow
        out = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
        return record(out, (self,), (_sigmoid(z),), "softplus")  # softplus'(z) = sigmoid(z)

    # ---- the backward pass ----

    def backward(self) -> None:
        """Set x.grad += d(self)/dx for every leaf x self depends on: leaf gradients accumulate
        (zero them between steps; None is none yet), every other node's is d(self)/d(node) of this
        pass. A node of gradient 0 passes nothing on unless a local derivative is inf or nan."""
        if cython.compiled:  # the same pass on the C doubles behind .grad: the same bits
            return _backward_compiled(self)
        order: list[Value] = _walk(self, False)  # (the nodes with inputs, and self)
        for node in order if self.inputs else ():  # (all of order; none if self is a leaf)
            node._grad = 0.0  # every node's gradient starts at 0 in this pass
        self._grad = (0.0 if self._grad is None else self._grad) + 1.0
        for node in reversed(order):
            grad: float = node._grad  # type: ignore[assignment]  # (a node's, so not None)
            local_grads = node.local_grads
            if grad == 0.0 and _finite_sum(local_grads):
                continue  # every dL/dx would grow by 0 * finite = 0 (dead relus, met margins)
            i = 0  # an index, not zip(): 2.4x faster on one- and two-input nodes (measured)
            try:  # (free unless it raises)
                for x in node.inputs:  # the chain rule: dL/dx += dnode/dx * dL/dnode
                    x._grad = x._grad + local_grads[i] * grad  # type: ignore[operator]  # (None: below)
                    i += 1
            except TypeError:  # x.grad is None, "no gradient yet" (zero_grad(set_to_none=True))
                for x, dnode_dx in zip(node.inputs[i:], local_grads[i:]):
                    x._grad = (0.0 if x._grad is None else x._grad) + dnode_dx * grad

    def __reduce__(self) -> tuple[Any, ...]:
        """How pickle and copy take a Value apart: the same in both builds (either loads it)."""
        fields = (self.data, self.grad, self.inputs, self.local_grads, self.op, self.params)
        return _rebuilt, (type(self), *fields, self.label)

    def backward_steps(self) -> Any:
        """autograd.backward_steps(self): this backward pass one node per step (via HOOKS)."""
        return HOOKS["backward_steps"](self)


@cython.cclass
class Constant(Value):
    """A plain number written into an expression (the 2 in `2 * x`): a leaf that nobody trains."""

    __slots__ = ()


@cython.cclass
class Parameter(Value):
    """A Value that training changes, a weight or a bias (pictures give it its own colour)."""

    __slots__ = ()


Value.__hash__ = object.__hash__  # type: ignore[method-assign]  # identity (compiled: needed)


@cython.cfunc
@cython.locals(root=Value, order=list, node=Value, x=Value, local_grads=tuple)
@cython.locals(i=cython.Py_ssize_t, grad=cython.double, dnode_dx=cython.double)
def _backward_compiled(root):
    """backward() compiled, on the C doubles behind .grad (None: 0.0), zeroed by its walk."""
    order = _walk(root, False, _Marks(zero_grads=True))
    root._grad, root._grad_is_none = root._grad + 1.0, False
    for node in reversed(order):
        grad, local_grads = node._grad, node.local_grads
        if grad == 0.0 and _finite_sum(local_grads):
            continue
        i = 0
        for x in node.inputs:
            dnode_dx = local_grads[i]
            x._grad, x._grad_is_none = x._grad + dnode_dx * grad, False
            i += 1


@cython.locals(node=Value)
def _rebuilt(cls: type[Value], *fields: Any) -> Value:
    """The Value that Value.__reduce__ took apart (unpickling calls this)."""
    node = cls.__new__(cls)
    node.data, node.grad, node.inputs, node.local_grads, op, params, node.label = fields
    node._how = (op, *params) if params else op
    return node


@cython.ccall
@cython.locals(out=Value, as_double=cython.double)
def record(data: float, inputs: Nodes, local_grads: Floats, op: str, params: Floats = ()) -> Value:
    """The Value an op returns: `data`, its `inputs`, the local derivatives d(data)/d(input) in
    the same order, the op's name (a key of autograd.ops.OPS) and parameters. In `no_grad()` a
    leaf that remembers nothing. Every op ends here, so here the overflow policy is held."""
    as_double = data  # (compiled: a C double, so that the check below makes no float object)
    if as_double * 0.0 != 0.0:  # 0.0 for every finite number; nan for inf and nan
        check_overflow(data, [x.data for x in inputs], op)
    if _switched and not GRAD_MODE.get()[0]:  # some no_grad() is open somewhere: is it ours?
        inputs, local_grads, op, params = (), (), "", ()  # yes: a leaf, remembering nothing
    if cython.compiled:
        out = Value.__new__(Value)  # (its C struct starts at grad 0.0)
        if capi.PyGC_IsEnabled():  # untracked: they hold untracked objects (a paused GC skips)
            capi.untrack(inputs)
            capi.untrack(local_grads)
    else:
        out = _new(Value)
        out._grad = 0.0
    out.data, out.label = data, ""
    out.inputs, out.local_grads = inputs, local_grads
    out._how = (op, *params) if params else op  # (one field, one tuple: a smaller node)
    return out


@cython.ccall
@cython.returns(Value)
@cython.locals(constant=Constant)
def as_value(x: Number) -> Value:
    """x itself if it is a Value, else a Constant holding the number x."""
    if isinstance(x, Value):
        return x
    data = real(x)
    if data is None:
        raise TypeError(f"expected a Value or a real number, got {type(x).__name__}")
    if cython.compiled:
        constant = Constant.__new__(Constant)  # (its C struct starts at grad 0.0)
    else:
        constant = _new(Constant)
        constant._grad = 0.0
    constant.data, constant.label = data, ""
    constant.inputs, constant.local_grads, constant._how = (), (), ""
    return constant


@cython.locals(v=Value)
def linear(W: Sequence[Sequence[Number]], x: Sequence[Number], b: Sequence[Number]) -> list[Value]:
    """z_j = sum_i W[j][i] x_i + b[j] for every row j of W: the seeds' z = W a + b, as one
    'linear' node per row (weighted_sum makes one). The rows share x: its data is read once."""
    if len(W) != len(b):
        raise ValueError(
            f"linear needs one bias per row of W, got {len(W)} rows and {len(b)} biases"
        )
    xs = _values(x)
    xd = [v.data for v in xs]
    zs: list[Value] = []
    w: Any  # a row of W: Values (the fast path), or numbers too
    b_j: Any
    for w, b_j in zip(W, b):
        if len(w) != len(xs):
            raise ValueError(
                f"each row of W needs as many weights as inputs, got {len(w)} and {len(xs)}"
            )
        try:  # fast path: w is a row of Values (a layer's weights)
            wd = [v.data for v in w]
            z = _dot(wd, xd, b_j.data) if COMPILED else sum(map(mul, wd, xd), b_j.data)
            if type(z) is not float:
                raise TypeError
        except (AttributeError, TypeError):  # numbers become Constants; anything else: TypeError
            w, b_j = _values(w), as_value(b_j)
            wd = [v.data for v in w]
            z = _dot(wd, xd, b_j.data) if COMPILED else sum(map(mul, wd, xd), b_j.data)
        if cython.compiled and type(w) is list and type(xs) is list:  # (C: no list in between)
            zs.append(record(z, capi.joined(w, xs, b_j), capi.joined(xd, wd, 1.0), "linear"))
        else:
            zs.append(record(z, (*w, *xs, b_j), (*xd, *wd, 1.0), "linear"))
    return zs


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
@cython.locals(wd=list, xd=list, z=cython.double, c=cython.double, p=cython.double, t=cython.double)
def _dot(wd, xd, start):
    """sum(map(mul, wd, xd), start), compiled: a C loop adding floats as sum() does (same bits)."""
    n = len(wd)
    if type(start) is not float or len(xd) != n:
        return sum(map(mul, wd, xd), start)
    for i in range(n):
        if type(wd[i]) is not float or type(xd[i]) is not float:
            return sum(map(mul, wd, xd), start)
    z, c = start, 0.0
    for i in range(n):  # and Neumaier's compensation c, which sum() adds from Python 3.12 on
        p = cython.cast(cython.double, wd[i]) * cython.cast(cython.double, xd[i])
        t = z + p
        c += (z - t) + p if abs(z) >= abs(p) else (p - t) + z
        z = t
    return z + c if _COMPENSATED_SUM and c != 0.0 and math.isfinite(c) else z


@cython.cfunc
@cython.locals(xs=tuple, s=cython.double, i=cython.Py_ssize_t)
def _finite_sum(xs):
    """math.isfinite(sum(xs)), compiled: a C loop (far from overflow, rounding cannot matter)."""
    if not COMPILED:
        return math.isfinite(sum(xs))
    s = 0.0
    for i in range(len(xs)):
        if type(xs[i]) is not float:
            return math.isfinite(sum(xs))
        s += cython.cast(cython.double, xs[i])
    return -1e300 < s < 1e300 or math.isfinite(sum(xs))


def _values(xs: Sequence[Number]) -> Sequence[Value]:
    """xs as a sequence of Values (numbers become Constants), checked in one C-level pass."""
    if all(map(isinstance, xs, repeat(Value))):
        return xs  # type: ignore[return-value]  # (every one is a Value)
    return [as_value(v) for v in xs]


def topological_order(root: Value, leaves: bool = True) -> list[Value]:
    """Every node root depends on (at any depth), each after its inputs, root last: depth-first,
    first operand first, so only the graph decides. leaves=False leaves out nodes without inputs."""
    return _walk(root, leaves)


@cython.cfunc
@cython.locals(order=list, stack=list, visited="_Marks", node=Value, x=Value, leaves=cython.bint)
@cython.locals(inputs=tuple)
def _walk(root, leaves, visited=None, order=None):
    """topological_order(root, leaves), with a stack (None: inputs done); compiled, by recursion
    (_visit) down to 100 nodes, and the stack below."""
    if order is None:  # (else the compiled recursion's continuation, below 100 nodes)
        order, visited = [], visited or (_Marks() if COMPILED else set())
        if COMPILED:
            _visit(root, leaves, visited, order, 100)  # (C stack: 32 KiB threads)
            return order
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # (below a marker: a node)
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            inputs = node.inputs
            if len(inputs) > 2 and visited.issuperset(inputs):
                continue  # one C-speed check: a linear node's inputs are often all visited
            for x in reversed(inputs):  # reversed: the first operand is visited first
                if leaves or x.inputs:
                    stack.append(x)  # (if it has been visited, it is skipped when popped)
                else:
                    visited.add(x)  # a leaf left out of the order: seen, never pushed
    return order


@cython.cfunc
@cython.locals(node=Value, x=Value, inputs=tuple, leaves=cython.bint)
@cython.locals(visited="_Marks", order=list, budget=cython.int)
def _visit(node, leaves, visited, order, budget):
    """The compiled recursion, `budget` calls deep: node after inputs (marks may zero: _Marks)."""
    visited.add(node)
    inputs = node.inputs
    if len(inputs) <= 2 or not visited.issuperset(inputs):  # (C speed for a linear node)
        for x in inputs:
            if not (leaves or x.inputs):
                visited.add(x)  # a leaf left out of the order: seen, for issuperset
            elif x not in visited:
                if budget:
                    _visit(x, leaves, visited, order, budget - 1)
                else:
                    _walk(x, leaves, visited, order)
    order.append(node)


@cython.final
@cython.cclass
class _Marks:
    """The compiled walk's visited set: a node keeps the number (64 bits) of the last walk. In
    backward's walk (zero_grads), marking a node with inputs sets its gradient to 0."""

    if cython.compiled:
        walk = cython.declare(cython.ulonglong)
        zero_grads = cython.declare(cython.bint)

    def __init__(self, zero_grads=False):
        global _walks
        _walks += 1
        self.walk, self.zero_grads = _walks, zero_grads

    @cython.locals(node=Value)
    def __contains__(self, node):
        return node.mark == self.walk

    @cython.ccall
    @cython.locals(node=Value)
    def add(self, node):
        node.mark = self.walk
        if self.zero_grads and node.inputs:  # backward's walk: the node's gradient starts at 0
            node._grad, node._grad_is_none = 0.0, False

    @cython.ccall
    @cython.locals(nodes=tuple, node=Value)
    def issuperset(self, nodes):
        for node in nodes:
            if node.mark != self.walk:
                return False
        return True


# The grad mode, per thread and context: autograd.grad_mode's blocks set GRAD_MODE (enabled, the
# mode outside) and count the blocks open in all threads here; while none is, ops ask nothing.
GRAD_MODE: ContextVar[tuple[bool, Any]] = ContextVar("autograd_grad_mode", default=(True, None))
_switched = cython.declare(cython.int, 0)


def count_grad_mode_blocks(change: int) -> None:
    """Add `change` (+1, -1) to the count of grad-mode blocks open (autograd.grad_mode's)."""
    global _switched
    _switched += change


def _data_of(other):
    """The number to compare a Value with: another Value's data, or a real number."""
    if isinstance(other, Value):
        return other.data
    number = real(other)
    if number is None:
        raise TypeError(f"a Value compares with a Value or a number, not {type(other).__name__}")
    return number


@cython.cfunc
def _power(x, n):
    """x ** n and d(x^n)/dx = n x^(n-1); clear errors where x ** n is no real float (the
    derivative may be infinite: a vertical tangent, or beyond the float range)."""
    if x < 0 and not float(n).is_integer() and n == n:
        raise ValueError(f"** with a negative base ({x!r}) needs an integer exponent, got {n!r}")
    if x == 0 and n < 0:
        raise ZeroDivisionError(f"0.0 cannot be raised to a negative power ({n!r})")
    try:
        out = x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} is too large for a float (overflow)") from None
    if x == 0 and n < 1:  # x^n is flat at 0 for n = 0 and vertical for 0 < n < 1
        return out, 0.0 if n == 0 else math.inf
    try:
        return out, n * x ** (n - 1)
    except OverflowError:  # |n x^(n-1)| beyond the float range (x tiny, n < 1): +-inf
        negative = (n < 0) != (x < 0 and float(n - 1) % 2 == 1)
        return out, -math.inf if negative else math.inf


@cython.cfunc
def _sigmoid(z):
    """1 / (1 + e^-z), without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)

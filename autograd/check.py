"""Check backprop against the slow, obvious alternative: finite differences.

Seed 000 describes it: nudge one weight, run the forward pass again, and divide the change
in the loss by the nudge. That costs one (here two) extra forward passes per input, where
backprop needs one backward pass for all of them; but it needs no chain rule, so it is an
independent witness of the gradients `backward()` computes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .checks import real
from .derivatives import grad
from .grad_mode import enable_grad
from .notation import Report
from .value import Number, Value

# a gradcheck row: label, value, analytic, numeric, abs error, 'ok' or 'FAIL'
Row = tuple[str, float, float, float, float, str]


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when backprop and finite differences disagree."""


def central_difference(
    f: Callable[[list[Value]], Number], xs: Iterable[float], i: int, eps: float = 1e-6
) -> float:
    """(f(x + eps e_i) - f(x - eps e_i)) / (2 eps): the slope of f along input i.

    `f` takes a list of Values and returns a Value (or a number); `xs` is a list of numbers.
    The error of this estimate shrinks like eps^2, against eps for the one-sided difference.
    f runs with recording on (as in PyTorch's gradcheck), so it may itself differentiate, e.g.
    with grad(..., create_graph=True).
    """
    xs = [float(x) for x in xs]
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    with enable_grad():
        return (_evaluate(f, up) - _evaluate(f, down)) / (2 * eps)


def gradcheck(
    f: Callable[[list[Value]], Value],
    inputs: Iterable[Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckResult:
    """Compare the gradients backprop gives for f at `inputs` with central finite differences.

    `f` takes a list of Values and returns a Value; `inputs` is a list of numbers or Values
    (only their data is used). f always runs with recording on, even inside no_grad(), so a
    function that itself calls grad(..., create_graph=True) is checked too (second
    derivatives). When, for every input, |analytic - numeric| <= atol + rtol * |numeric|, it
    returns a GradcheckResult: true (as PyTorch's gradcheck returns True), and in Jupyter, or
    printed, the table of every input's value, analytic and numeric gradient, and error;
    otherwise it raises GradcheckError, whose message is that table.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of a list of Values, got {type(f).__name__}")
    labels, xs = [], []
    for i, x in enumerate(inputs):
        labels.append(x.label if isinstance(x, Value) and x.label else f"x[{i}]")
        xs.append(x.data if isinstance(x, Value) else _number(x, f"input {i}"))
    if not xs:
        raise ValueError("gradcheck needs at least one input")
    leaves = [Value(x) for x in xs]
    with enable_grad():
        out = f(leaves)
        if not isinstance(out, Value):
            raise TypeError(f"f must return a Value, got {type(out).__name__}")
        analytic = grad(out, leaves)
    numeric = [central_difference(f, xs, i, eps) for i in range(len(xs))]
    rows, failed = [], 0
    for label, x, a, n in zip(labels, xs, analytic, numeric):
        error = abs(a - n)
        ok = error <= atol + rtol * abs(n)  # False for nan, so nan never passes
        failed += not ok
        rows.append((label, x, a, n, error, "ok" if ok else "FAIL"))
    settings = f"eps={eps}, atol={atol}, rtol={rtol}"
    if failed:
        header = f"gradcheck failed for {failed} of {len(rows)} inputs ({settings}):"
        raise GradcheckError(header + "\n" + _table(rows))
    return GradcheckResult(rows, settings)


class GradcheckResult(Report):
    """What a passing gradcheck returns: true, and the table of every input (`rows`: label,
    value, analytic, numeric, abs error, 'ok'), which Jupyter shows."""

    ok = True

    def __init__(self, rows: list[Row], settings: str) -> None:
        self.rows, self.settings = rows, settings

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<GradcheckResult: {len(self.rows)} inputs ok>"

    def __str__(self) -> str:
        head = f"gradcheck passed for all {len(self.rows)} inputs ({self.settings}):"
        return head + "\n" + _table(self.rows)


def _evaluate(f, xs):
    out = f([Value(x) for x in xs])
    return out.data if isinstance(out, Value) else _number(out, "f's result")


def _number(x, what):
    number = real(x)
    if number is None:
        raise TypeError(f"{what} must be a real number or a Value, got {type(x).__name__}")
    return number


def _table(rows):
    head = ("input", "value", "analytic", "numeric", "abs error", "")
    cells = [head] + [(r[0], *(f"{v:.6g}" for v in r[1:5]), r[5]) for r in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)

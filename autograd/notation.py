"""How nodes, numbers, operations and formulas are written: one home for the notation that
pictures, step texts and nn's labels share.

- Numbers: `fmt(x, digits)`, short and readable ('2', '0.0001235', '1.235e5').
- Labels: `printable(text)`, a user's label as a picture may show it; `names(order)`, what every
  node of a graph is called: its label, its number if a constant, what it computes where that
  is short ('x × w', 'tanh(z)'), else #1, #2, ... in the order of the graph walk.
- nn's labels, written by nn and read by pictures: `label(symbol, *indices)` writes them in the
  seeds' notation, w[l][j][i] (the weight from unit i of layer l - 1 to unit j of layer l),
  b[l][j], z[l][j], a[l][j] (layer l from 1, unit j from 0) and x[i] (input i); `unit_of(text)`
  reads (l, j) back.
- Reports: `Report`, the base of results that are tables, so that Jupyter shows the table.
- Operations: `op_text(v)` (an operation's node in a picture: '×', '−', 'tanh', '^2': always
  its symbol) and `formula(v, names)` (how v was made: 'x × w', 'tanh(z)'), both from the op
  registry (autograd.ops).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .ops import OPS
from .value import Constant, Value

MAX_LABEL = 40  # characters of a label shown in a picture or a step text; longer ones end in '…'
MAX_FORMULA_NAME = 16  # an unlabelled node is named by its formula up to this length, else #k
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNIT = re.compile(r"(?:w\[(\d+)\]\[(\d+)\]\[\d+\]|[bza]\[(\d+)\]\[(\d+)\])")


def fmt(x: float, digits: int = 4) -> str:
    """x with `digits` significant digits, short: 2.0 -> '2', 0.000123 -> '0.000123',
    123456.0 -> '1.235e5'."""
    if x == 0:
        return "0"  # also for -0.0
    if not math.isfinite(x):
        return str(x)
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def printable(text: str, limit: float = MAX_LABEL) -> str:
    """A user's text as a picture or a step text shows it: control characters written as
    escapes (a newline as \\n, ESC as \\x1b), and at most `limit` characters, the rest replaced
    by '…'. This keeps what is shown readable and its size bounded whatever a label holds
    (escaping for Graphviz is autograd.dot's job)."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    if len(text) <= limit:  # always, for limit=math.inf (no limit)
        return text
    return text[: limit - 1] + "…"  # type: ignore[index]  # a finite limit is an int


class Names(dict[Value, str]):
    """{node: name}, knowing which names are infix formulas ('x + y'): `compound`, the nodes
    whose names need parentheses inside another formula."""

    def __init__(self) -> None:
        super().__init__()
        self.compound: set[Value] = set()


def names(order: Iterable[Value], digits: int = 4) -> Names:
    """{v: name} for every node of a graph, given in topological order: its label (see
    `printable`), its number if it is a constant, the formula of what it computes where that is
    short ('x × w', 'tanh(z)', '(x + y)^2', at most MAX_FORMULA_NAME characters), else #1, #2,
    ... numbered in the order of the walk. The same graph always gets the same names."""
    result, count = Names(), 0
    compound = result.compound
    for v in order:
        if v.label:
            result[v] = printable(v.label)
        elif isinstance(v, Constant):
            result[v] = fmt(v.data, digits)
        else:
            text = formula(v, result, compound) if v.inputs else ""
            if text and len(text) <= MAX_FORMULA_NAME:
                result[v] = text
                op = OPS.get(v.op)
                if op is not None and op.infix:  # 'x + y' needs parentheses inside 'z × (x + y)'
                    compound.add(v)
            else:
                count += 1
                result[v] = f"#{count}"
    return result


def label(symbol: str, *indices: int) -> str:
    """An nn label in the seeds' notation: label('w', 1, 3, 0) is 'w[1][3][0]', label('b', 2,
    0) is 'b[2][0]', label('x', 1) is 'x[1]', label('z') is 'z'."""
    return symbol + "".join(f"[{i}]" for i in indices)


def unit_of(text: str) -> tuple[int, int] | None:
    """(l, j) for a label of unit j of layer l: w[l][j][i], b[l][j], z[l][j] or a[l][j]; else
    None."""
    match = _UNIT.fullmatch(text)
    if not match:
        return None
    l, j = match.group(1, 2) if match.group(1) else match.group(3, 4)
    return int(l), int(j)


def op_text(v: Value) -> str:
    """The text of v's operation node in a picture: its symbol, the same way for every op
    ('×', '−', '÷', 'tanh', '^2', 'Σ'). Which operand is which, where the order matters, the
    value's name says ('x − y'), and the edges come in operand order."""
    op = OPS.get(v.op)
    return printable(v.op) if op is None else op.symbol_of(v)


def formula(v: Value, names: Mapping[Value, str], compound: Collection[Value] | None = None) -> str:
    """How v was made, in words, in the names of `names` (each input to its name): 'x × w',
    'tanh(z)', 'x^2', 'Σ w·x + b'. Inputs in `compound` (named by an infix formula; by default
    names.compound, where names() made them) get parentheses where the op writes its operands
    bare: 'z × (x + y)', '(x + y)^2'."""
    compound = getattr(names, "compound", ()) if compound is None else compound
    op = OPS.get(v.op)
    operands = [names[x] for x in v.inputs]
    if op is None:
        return f"{printable(v.op)}({', '.join(operands)})"
    if compound and not op.delimits_operands:
        operands = [f"({n})" if x in compound else n for x, n in zip(v.inputs, operands)]
    return op.formula(v, operands)


class Report:
    """A result that is a table of text (str(report)): Jupyter and IPython show the table
    itself, not a one-line repr, when a cell's value is one (gradcheck's, crosscheck_graph's,
    nn.crosscheck's)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"

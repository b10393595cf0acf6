"""How nodes, numbers, operations and formulas are written: one home for the notation that
pictures, step texts and nn's labels share.

- Numbers: `fmt(x, digits)`, short and readable ('2', '0.0001235', '1.235e5').
- Labels: `printable(text)`, a user's label as a picture may show it; `node_name(v, index)`, what
  a node is called (its label, its number if a constant, else #i).
- nn's labels, written by nn and read by pictures: `label(symbol, *indices)` writes them in the
  seeds' notation, w[l][j][i] (the weight from unit i of layer l - 1 to unit j of layer l),
  b[l][j], z[l][j], a[l][j] (layer l from 1, unit j from 0) and x[i] (input i); `unit_of(text)`
  reads (l, j) back.
- Operations: `op_text(v, names)` (an operation's node in a picture: '×', 'x − y', '^2') and
  `formula(v, names)` (how a step text says v was made: 'x × w', 'tanh(z)'), both from the op
  registry (autograd.ops).
"""

import math
import re

from .ops import OPS
from .value import Constant

MAX_LABEL = 40  # characters of a label shown in a picture or a step text; longer ones end in '…'
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNIT = re.compile(r"(?:w\[(\d+)\]\[(\d+)\]\[\d+\]|[bza]\[(\d+)\]\[(\d+)\])")


def fmt(x, digits=4):
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


def printable(text, limit=MAX_LABEL):
    """A user's text as a picture or a step text shows it: control characters written as
    escapes (a newline as \\n, ESC as \\x1b), and at most `limit` characters, the rest replaced
    by '…'. This keeps what is shown readable and its size bounded whatever a label holds
    (escaping for Graphviz is autograd.dot's job)."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def node_name(v, index, digits=4):
    """How pictures and step texts call v: its label (see `printable`), its number (a
    constant), or #i, with i its position in `index` (the topological order of the root's
    graph)."""
    if v.label:
        return printable(v.label)
    if isinstance(v, Constant):
        return fmt(v.data, digits)
    return f"#{index[v]}"


def label(symbol, *indices):
    """An nn label in the seeds' notation: label('w', 1, 3, 0) is 'w[1][3][0]', label('b', 2,
    0) is 'b[2][0]', label('x', 1) is 'x[1]', label('z') is 'z'."""
    return symbol + "".join(f"[{i}]" for i in indices)


def unit_of(text):
    """(l, j) for a label of unit j of layer l: w[l][j][i], b[l][j], z[l][j] or a[l][j]; else
    None."""
    match = _UNIT.fullmatch(text)
    if not match:
        return None
    l, j = match.group(1, 2) if match.group(1) else match.group(3, 4)
    return int(l), int(j)


def op_text(v, names):
    """The text of v's operation node in a picture: the operator between its operands' names
    where the order matters ('x − y', 'b ÷ a'), else its symbol ('×', '+', 'tanh', '^2').
    `names` maps each input to its name."""
    op = OPS.get(v.op)
    if op is None:
        return printable(v.op)
    if op.infix and not op.commutative and len(v.inputs) == 2:
        return f"{names[v.inputs[0]]} {op.symbol_of(v)} {names[v.inputs[1]]}"
    return op.symbol_of(v)


def formula(v, names):
    """How v was made, in words, in the names of `names` (each input to its name): 'x × w',
    'tanh(z)', 'x^2', 'Σ w·x + b'."""
    op = OPS.get(v.op)
    operands = [names[x] for x in v.inputs]
    if op is None:
        return f"{printable(v.op)}({', '.join(operands)})"
    return op.formula(v, operands)

"""Pictures of computation graphs: `draw(root)` returns a graphviz Digraph.

Every Value is a box showing its label, data and grad; every operation is a small oval
between its operands and its result, so the picture reads x -> (×) -> z, as in micrograd's
trace_graph. The graph is walked by `topological_order`, the same walk `backward()` uses,
and nodes are named by their position in it, so the same graph always gives the same DOT text.

A returned Digraph shows itself inline in Jupyter; `.render("graph", format="png")` writes a
file. Both need the Graphviz program `dot`; without it they raise `GraphvizNotFound`, which
says how to install it. `draw_steps(steps)` draws a backward pass step by step, every picture
with the same layout, for a slider or an animation.
"""

import functools
import html
import math
import os
import re

import graphviz

from .value import Constant, Value, topological_order

# The default limit, measured on a 2-core machine with Graphviz 2.43 (time for `dot` to SVG,
# what Jupyter shows): chains, wide sums and MLP graphs of ~500 nodes take 0.1-0.3 s and
# ~1,000 nodes 0.4-0.8 s, but densely cross-linked random graphs take 4 s at ~510 nodes, 15 s
# at ~700 and 450 s at ~1,500. PNG adds rasterising the canvas: 1-5 s below 200 nodes,
# 5-15 s for 400-500 nodes (tens of megapixels), whatever the shape.
MAX_NODES = 500
# A series of step pictures draws every node once per step. For draw_steps (what step_through
# shows, one SVG at a time) the cost is the DOT text and one `dot` run that measures every label
# variant; PNG frames and their GIF (save_frames) cost far more: measured on a 2-core machine,
# about 20 ms and 2 MB per node drawn (13 frames of a 47-node MLP graph: 14 s, 1.4 GB).
MAX_STEP_NODES = 20_000  # draw_steps / step_through: steps x nodes per picture
MAX_FRAME_NODES = 300  # save_frames: steps x nodes per picture (about 6 s)

ROLE_COLOURS = {  # node fill by role
    "parameter": "#ffe9a8",
    "input": "#d5ecc9",
    "constant": "#ececec",
    "output": "#e3d3f3",
    "intermediate": "#ffffff",
}
ROLE_NAMES = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "output": "output (root)",
    "intermediate": "intermediate",
}
POSITIVE, NEGATIVE = (67, 147, 195), (214, 96, 77)  # grad > 0 blue, grad < 0 red (RdBu)
HIGHLIGHT = "#ff7f00"  # the step's node and edges, and `highlight=` nodes
ACTIVE_TEXT = "#b35900"  # the chain-rule terms written on a step's edges
PENDING = "#9a9a9a"  # legend swatch: a grad still collecting contributions
PENDING_TEXT = "#3c3c3c"  # ... and its text, in italics (readable on every shade)
HELD_TEXT = "#6a3d9a"  # a leaf's stored .grad from earlier backward() calls
EDGE = "#606060"
FONT = "Helvetica"

OP_TEXT = {
    "+": "+",
    "-": "−",
    "*": "×",
    "/": "÷",
    "**": "^",
    "neg": "−x",
    "abs": "|x|",
    "sqrt": "√",
    "sum": "Σ",
    "linear": "Σ w·x + b",
}
NON_COMMUTATIVE = {"-", "/", "**"}  # their op node names the operands: "x − y"

SAVE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif")  # Drawing.write
MAX_LABEL = 40  # characters of a label shown in a picture; longer ones end in '…'
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# nn's labels: w[l][j][i], b[l][j], z[l][j], a[l][j] (layer l from 1, unit j from 0)
_NN_LABEL = re.compile(r"(?:w\[(\d+)\]\[(\d+)\]\[\d+\]|[bza]\[(\d+)\]\[(\d+)\])")
_RANKDIRS = ("LR", "TB", "RL", "BT")
_COLLAPSE = (None, "neuron", "layer")
_TABLE = 'BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"'
_EDGE_LABEL = 'BORDER="0" CELLSPACING="0" CELLPADDING="1"'
_TITLE = 'BORDER="0" CELLSPACING="0" CELLPADDING="2"'

INSTALL_GRAPHVIZ = (
    "Drawing needs the Graphviz program `dot`, which was not found on PATH. "
    "`pip install graphviz` installs only the Python wrapper; install Graphviz itself: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, Windows `winget install graphviz` (then add its bin folder "
    "to PATH), conda `conda install -c conda-forge graphviz`. Then restart Python or the "
    "Jupyter kernel. The DOT text is available without it: `.source`."
)


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """The Graphviz program `dot` is not installed (or not on PATH); the message says how to
    install it. A subclass of graphviz.ExecutableNotFound, so existing handlers still work."""

    def __init__(self, message=INSTALL_GRAPHVIZ):
        RuntimeError.__init__(self, message)


def _explains_missing_dot(method):
    """graphviz.Digraph's `method`, raising GraphvizNotFound (with install instructions) where
    the Graphviz program it runs is missing."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFound() from e

    return wrapper


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph whose rendering (render, pipe, view, and the inline display in
    Jupyter, which calls pipe) raises GraphvizNotFound, with install instructions, when the
    Graphviz program `dot` is missing."""

    pipe = _explains_missing_dot(graphviz.Digraph.pipe)
    render = _explains_missing_dot(graphviz.Digraph.render)

    def write(self, path, format=None):
        """Render the picture with `dot` and write it to `path`, in the format its suffix names
        (.png, .svg, .pdf, .jpg, .gif) unless `format` is given. Unlike render(), nothing else
        is written or deleted (no .gv file beside it), and the write is atomic and never
        replaces anything but a regular file (see autograd.files). Returns the path."""
        from .files import check_target, write_file

        format = format or os.path.splitext(os.fspath(path))[1][1:].lower()
        if format not in SAVE_FORMATS:
            raise ValueError(
                f"cannot save a picture as {os.fspath(path)!r}: expected a file name ending in "
                f"{', '.join('.' + f for f in SAVE_FORMATS)} (or format=)"
            )
        check_target(path, "the picture")  # before dot's work
        return write_file(path, self.pipe(format="jpg" if format == "jpeg" else format))

    view = _explains_missing_dot(graphviz.Digraph.view)
    unflatten = _explains_missing_dot(graphviz.Digraph.unflatten)  # the program `unflatten`


def draw(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = False,
    highlight=(),
    max_nodes: int | None = MAX_NODES,
    collapse: str | None = None,
    step=None,
    digits: int = 4,
    legend: bool = True,
) -> Drawing:
    """A picture of everything `root` was computed from, as a graphviz Digraph.

    Args:
        rankdir: "LR" (left to right, inputs on the left), "TB", "RL" or "BT".
        show_grad: show each Value's gradient d(root)/d(value), shaded by its sign (blue > 0,
            red < 0) and size. The picture computes it with backward()'s own chain rule and
            arithmetic (so it equals what a fresh root.backward() gives, bit for bit) and
            changes no `.grad`. A leaf whose stored `.grad` holds something else (left by
            earlier backward() calls: leaves accumulate) shows that amount as a separate note.
        show_local_grads: label every edge x -> (op) with the local derivative d(out)/dx,
            the factor the chain rule multiplies along that edge.
        highlight: Values (or one Value) to outline.
        max_nodes: refuse (ValueError) to draw more nodes than this (Values, operations and
            collapsed boxes), because `dot` slows down sharply; None for no limit.
        collapse: None, "neuron" or "layer": draw each neuron or layer of an nn model (nodes
            labelled w[l][j][i], b[l][j], z[l][j], a[l][j]) as one box.
        step: a step from `root.backward_steps()`: draw the gradients as they were right after
            that step, its node and edges highlighted, `local × upstream = contribution` on
            each of its edges, and the sum each multiply-used node has received so far.
        digits: significant digits of the numbers shown.
        legend: explain the colours below the picture.
    """
    picture = _Picture(
        root, rankdir, show_grad, show_local_grads, highlight, max_nodes, collapse, step, digits
    )
    return picture.drawing(legend)


def draw_steps(
    steps,
    rankdir: str = "LR",
    show_local_grads: bool = False,
    highlight=(),
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    legend: bool = True,
    max_total_nodes: int | None = MAX_STEP_NODES,
) -> list:
    """One picture per step of a backward pass (`list(root.backward_steps())`), all with the
    same layout, size and gradient colour scale, so that moving from one to the next shows
    only what the step changed. (Each node and edge label gets the largest size it takes in
    any step, measured with one run of `dot`.)

    max_nodes limits each picture, max_total_nodes all of them together (steps x nodes): both
    are checked before any drawing, with a ValueError that says how to proceed; None: no limit.
    """
    from .steps import Step

    steps = list(steps)
    if not steps:
        raise ValueError("draw_steps() needs at least one step (a root without inputs has none)")
    for s in steps:
        if not isinstance(s, Step) or s._run is not steps[0]._run:
            raise ValueError("draw_steps() needs steps of one backward pass (backward_steps())")
    check_step_work(steps[0]._run, len(steps), max_total_nodes, "draw_steps")
    root = steps[0].root
    scale = _grad_scale(steps[0]._run.grads(), root)  # the colour scale of the finished pass
    pictures = [
        _Picture(
            root,
            rankdir,
            True,
            show_local_grads,
            highlight,
            max_nodes,
            None,
            s,
            digits,
            scale=scale,
        )
        for s in steps
    ]
    variants = {}  # element -> every label it takes in some picture
    for picture in pictures:
        for key, label in picture.sized_labels():
            variants.setdefault(key, set()).add(label)
    size = _measure({label for labels in variants.values() for label in labels})
    fixed = {
        key: (max(size[label][0] for label in labels), max(size[label][1] for label in labels))
        for key, labels in variants.items()
    }
    return [picture.drawing(legend, fixed) for picture in pictures]


def check_step_work(run, n_steps, limit, caller):
    """ValueError, before any drawing, where n_steps pictures of run's graph would draw more
    than `limit` nodes in all (None: no limit)."""
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"max_total_nodes must be a positive int or None, got {limit!r}")
    per_picture = len(run.order) + len(run.interior)  # Values and operations
    total = n_steps * per_picture
    if total <= limit:
        return
    raise ValueError(
        f"{caller}() would draw {n_steps:,} pictures of {per_picture:,} nodes each, "
        f"{total:,} nodes in all, more than max_total_nodes={limit:,} (frames cost about 20 ms "
        f"and 2 MB per node drawn). To proceed: step through a smaller graph (a sub-expression, "
        f"e.g. one neuron's z), use step_through() in Jupyter (it renders one step at a time), "
        f"or pass max_total_nodes={total} if you accept the wait"
    )


def node_name(v, index, digits=4):
    """How pictures and step texts call v: its label, its number (a constant), or #i, with i
    its position in `index` (the topological order of the root's graph). A label is shown as
    `printable` makes it: control characters escaped, at most MAX_LABEL characters."""
    if v.label:
        return printable(v.label)
    if isinstance(v, Constant):
        return fmt(v.data, digits)
    return f"#{index[v]}"


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


def role(v, root):
    """'output', 'constant', 'intermediate', 'parameter' or 'input': what colour v is drawn in."""
    if v is root:
        return "output"
    if isinstance(v, Constant):
        return "constant"
    if v.inputs:
        return "intermediate"
    # nn.Parameter says so with a class attribute (autograd does not import nn)
    if getattr(type(v), "is_parameter", False):
        return "parameter"
    return "input"


def nn_unit(v):
    """(l, j) for a Value labelled like an nn model's w[l][j][i], b[l][j], z[l][j], a[l][j]."""
    match = _NN_LABEL.fullmatch(v.label)
    if not match:
        return None
    l, j = match.group(1, 2) if match.group(1) else match.group(3, 4)
    return int(l), int(j)


def grad_colour(g, scale):
    """A fill colour for a gradient: white at 0, towards blue (> 0) or red (< 0) as |g| grows
    to `scale`. The square root makes small gradients visible next to large ones."""
    if not g or not math.isfinite(g) or not scale:
        return "#ffffff"
    t = min(1.0, math.sqrt(abs(g) / scale))
    rgb = POSITIVE if g > 0 else NEGATIVE
    return "#{:02x}{:02x}{:02x}".format(*(round(255 + (c - 255) * t) for c in rgb))


def legend_table(entries, columns=4):
    """A legend: `entries` (colour, text) as an HTML grid, four to a row. (One plain grid,
    because Graphviz stretches nested tables and spanning cells apart.)"""
    columns = max(1, min(columns, len(entries)))
    rows = []
    for start in range(0, len(entries), columns):
        cells = "".join(
            f'{_swatch(colour)}<TD ALIGN="LEFT">{text}</TD>'
            for colour, text in entries[start : start + columns]
        )
        rows.append(f"<TR>{cells}</TR>")
    return f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _swatch(colour):
    """A small square of colour for a legend."""
    return f'<TD BGCOLOR="{colour}" BORDER="1" WIDTH="12" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'


def printable(text, limit=None):
    """A user's text as a picture may show it: control characters written as escapes (a newline
    as \\n, ESC as \\x1b), and at most `limit` characters (MAX_LABEL by default), the rest
    replaced by '…'. Escaping for DOT is separate (see `_e`): this keeps pictures readable and
    their size bounded whatever a label holds."""
    limit = MAX_LABEL if limit is None else limit
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def html_label(text):
    """Plain text as a Graphviz HTML-like label: every character shows as itself (no markup, no
    DOT escape sequences, no attribute can be injected), lines split at '\\n' (a backslash and
    an n, as in DOT). Every label chainrule gives Graphviz is either this or a table built with
    `_e`."""
    return f"<{_lines(text)}>"


def _e(text):
    """Text escaped for an HTML-like label: &, < and > as entities, and every backslash
    doubled, because dot still expands escapes such as \\N (the node's name) in HTML-like
    labels, and reads a doubled backslash as one."""
    return html.escape(text, quote=False).replace("\\", "\\\\")


def _lines(text):
    """Plain label text (lines separated by DOT's \\n) as HTML-like label text; control
    characters written out (see `printable`), which Graphviz and SVG cannot carry."""
    return "<BR/>".join(_e(printable(line, math.inf)) for line in text.split("\\n"))


def _grad_scale(grads, root):
    """The |grad| that gets the darkest shade: the largest, leaving out the root's (which is
    1 after backward() and would make every other gradient pale)."""
    others = [abs(g) for v, g in grads.items() if v is not root and math.isfinite(g)]
    if not others and math.isfinite(grads.get(root, 0.0)):
        others = [abs(grads.get(root, 0.0))]
    return max(others, default=0.0)


def _measure(labels):
    """{label: (width, height) in points} for HTML labels (a node's table, or an edge label's),
    from one run of `dot -Tplain` on a graph of unconnected nodes."""
    labels = sorted(labels)
    dot = Drawing(graph_attr={"fontname": FONT}, node_attr={"shape": "none", "margin": "0"})
    for i, label in enumerate(labels):
        text, fontsize = label
        dot.node(f"m{i}", label=text, fontname=FONT, fontsize=fontsize)
    size = {}
    for line in dot.pipe(format="plain", encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "node":  # node name x y width height (inches)
            i = int(parts[1][1:])
            size[labels[i]] = (math.ceil(float(parts[4]) * 72), math.ceil(float(parts[5]) * 72))
    return size


class _Picture:
    """What one picture shows, decided up front; then its DOT statements."""

    def __init__(
        self,
        root,
        rankdir,
        show_grad,
        show_local_grads,
        highlight,
        max_nodes,
        collapse,
        step,
        digits,
        scale=None,
    ):
        if not isinstance(root, Value):
            raise TypeError(f"draw() needs a Value to draw, got {type(root).__name__}")
        if rankdir not in _RANKDIRS:
            raise ValueError(f"rankdir must be one of {list(_RANKDIRS)}, got {rankdir!r}")
        if collapse not in _COLLAPSE:
            raise ValueError(f"collapse must be None, 'neuron' or 'layer', got {collapse!r}")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
            raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
        if max_nodes is not None and (
            isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
        ):
            raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
        self.root, self.rankdir, self.digits = root, rankdir, digits
        self.show_local_grads = show_local_grads
        self.order = topological_order(root)  # the walk backward() uses
        self.index = {v: i for i, v in enumerate(self.order)}
        self.unit = {v: nn_unit(v) for v in self.order if v.label}
        self.network = any(self.unit.values())
        self.highlight = self._check_highlight(highlight)
        self.collapse = collapse
        self.group = self._groups()
        self._check_size(max_nodes)

        # gradients: this root's pass (as backward() computes it, without storing it), or as
        # they were right after `step`; leaves' stored .grad only where it differs (held)
        self.step = step
        self.show_grad = show_grad or step is not None
        self.grads, self.received, self.pending, self.held = {}, {}, set(), {}
        if step is not None:
            self._apply_step(step)
        elif self.show_grad:
            from .steps import Pass

            run = Pass(root, digits)
            self.grads, self.held = run.grads(), run.held
        self.scale = _grad_scale(self.grads, root) if scale is None else scale
        self.names = {v: self.name(v) for v in self.order}
        self.roles = {v: role(v, root) for v in self.order}
        self.uses = {}  # how many edges leave each Value (x * x: two)
        for v in self.order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1
        self.fixed = {}  # element -> (width, height) in points, for draw_steps()
        self.td = ""  # attributes of a value's cells (see value_label)

    # ---- checks ----

    def _check_highlight(self, highlight):
        if isinstance(highlight, Value):
            highlight = (highlight,)
        try:
            highlight = list(highlight)
        except TypeError:
            raise TypeError(
                f"highlight must be a Value or a list of Values, got {type(highlight).__name__}"
            ) from None
        for v in highlight:
            if not isinstance(v, Value):
                raise TypeError(f"highlight must contain Values, got a {type(v).__name__}")
            if v not in self.index:
                raise ValueError(
                    f"cannot highlight {v!r}: the root was not computed from it, "
                    "so it is not in the picture"
                )
        return set(highlight)

    def _groups(self):
        """Each collapsed Value's box: ('neuron', l, j) or ('layer', l)."""
        if self.collapse is None:
            return {}
        return {
            v: ("neuron", *unit) if self.collapse == "neuron" else ("layer", unit[0])
            for v, unit in self.unit.items()
            if unit is not None
        }

    def node_count(self):
        """How many nodes the picture has: Values, operations and collapsed boxes."""
        drawn = [v for v in self.order if v not in self.group]
        return len(drawn) + sum(1 for v in drawn if v.inputs) + len(set(self.group.values()))

    def _check_size(self, max_nodes):
        count = self.node_count()
        if max_nodes is None or count <= max_nodes:
            return
        ops = sum(1 for v in self.order if v.inputs)
        advice = [
            "pass a larger max_nodes= (dot may then take many seconds, or minutes for "
            "thousands of nodes)",
            "draw a sub-expression instead (any Value inside the graph, e.g. one neuron's z)",
        ]
        if self.network and self.collapse != "layer":
            advice.insert(1, 'collapse="neuron" or collapse="layer" to draw each as one box')
        if self.network:
            advice.append("or draw the network itself with nn.draw(model)")
        raise ValueError(
            f"this graph would be drawn with {count:,} nodes ({len(self.order):,} Values and "
            f"{ops:,} operations), more than max_nodes={max_nodes:,}. To draw it: "
            + "; ".join(advice)
            + "."
        )

    def _apply_step(self, step):
        from .steps import Step

        if not isinstance(step, Step):
            raise TypeError(f"step must come from backward_steps(), got {type(step).__name__}")
        if self.collapse is not None:
            raise ValueError(
                "step= shows single nodes and edges, so it cannot be combined with collapse="
            )
        if step.root is not self.root:
            raise ValueError(
                "this step belongs to the backward pass of another root: "
                "draw(step.root, step=step), or step.draw()"
            )
        self.grads, self.received, self.pending = step.state()
        self.held = step.held

    # ---- text ----

    def name(self, v):
        return node_name(v, self.index, self.digits)

    def f(self, x):
        return fmt(x, self.digits)

    def op_text(self, v):
        if v.op in NON_COMMUTATIVE and len(v.inputs) == 2:
            x, y = (self.names[u] for u in v.inputs)
            return f"{x} {OP_TEXT[v.op]} {y}"
        return OP_TEXT.get(v.op, v.op)

    def title(self):
        step = self.step
        g = self.f(step.grad)
        return (
            f"step {step.index + 1} of {step.total}: {self.names[step.node]} = "
            f"{step.formula()}; its grad {g} is final, and each input gets local × {g}"
        )

    # ---- labels ----

    def cell(self, key, attrs, content):
        """A <TD>; in draw_steps() pictures with the largest size it takes in any step, so that
        the layout is the same in every step."""
        if key in self.fixed:
            w, h = self.fixed[key]
            attrs += f' WIDTH="{w}" HEIGHT="{h}"'
        return f"<TD {attrs}>{content}</TD>"

    def value_label(self, v):
        """An HTML table: [label or #i] over [data | grad], on the role's colour."""
        if self.outlined(v):
            border = f'BORDER="3" COLOR="{HIGHLIGHT}"'
        elif self.fixed:  # the same size highlighted or not
            border = 'BORDER="3" COLOR="transparent"'
        else:
            border = 'BORDER="0"'
        # a table's COLOR also colours its cells' borders: keep those black
        self.td = "" if border == 'BORDER="0"' else ' COLOR="black"'
        attrs = f'{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"'
        fill = f' BGCOLOR="{ROLE_COLOURS[self.roles[v]]}"'
        if v.label:
            head = f"<B>{_e(self.names[v])}</B>"
        else:
            head = f'<FONT POINT-SIZE="10" COLOR="#707070">{_e(self.names[v])}</FONT>'
        columns = 2 if self.show_grad else 1
        cells = f"<TD{fill}{self.td}>data {_e(self.f(v.data))}</TD>"
        if self.show_grad:
            cells += self.grad_cell(v)
        head = f'<TR><TD COLSPAN="{columns}"{fill}{self.td}>{head}</TD></TR>'
        return f"<<TABLE {attrs}>{head}<TR>{cells}</TR></TABLE>>"

    def grad_cell(self, v):
        g = self.grads[v]
        text = f"grad {_e(self.f(g))}"
        if self.step is not None and self.uses.get(v, 0) > 1:  # the sum says what is to come
            text += f'<BR/><FONT POINT-SIZE="10">= {_e(self.sum_text(v))}</FONT>'
        elif v in self.pending:
            text += " …"
        if v in self.pending:
            text = f'<I><FONT COLOR="{PENDING_TEXT}">{text}</FONT></I>'
        if v in self.held:  # never merged into this pass's sum: a term of its own
            held = f".grad holds {self.f(self.held[v])}"
            text += f'<BR/><FONT POINT-SIZE="9" COLOR="{HELD_TEXT}"><I>{_e(held)}</I></FONT>'
        attrs = f'BGCOLOR="{grad_colour(g, self.scale)}"{self.td}'
        return self.cell(("grad", self.index[v]), attrs, text)

    def sum_text(self, v):
        """'t1 + t2 − t3 …': the contributions v has received so far in this pass (… while more
        will come). Whatever v.grad held before the pass is not one of them (see `held`)."""
        terms = self.received[v]
        if not terms:
            return "…"
        text = self.f(terms[0])
        for t in terms[1:4]:
            text += f" − {self.f(-t)}" if t < 0 else f" + {self.f(t)}"
        if len(terms) > 4:
            text += f" … ({len(terms)} terms)"
        elif v in self.pending:
            text += " …"
        return text

    def edge_label(self, key, text, table=False):
        """An edge's label: plain text, or in draw_steps() pictures (and to measure it) a
        one-cell table, empty where the edge has nothing to say, so the layout never moves."""
        if not (table or key in self.fixed):
            return html_label(text) if text else ""
        return f"<<TABLE {_EDGE_LABEL}><TR>{self.cell(key, '', _lines(text))}</TR></TABLE>>"

    def title_label(self, table=False):
        """The step's text above its picture: plain, or a one-cell table as edge_label()."""
        text = _e(self.title())
        if not (table or ("title",) in self.fixed):
            return f"<{text}>"
        cell = self.cell(("title",), 'ALIGN="LEFT"', text)
        return f"<<TABLE {_TITLE}><TR>{cell}</TR></TABLE>>"

    def outlined(self, v):
        return v in self.highlight or (self.step is not None and v is self.step.node)

    def sized_labels(self):
        """(element, (label, fontsize)) for each cell that draw_steps() gives a fixed size: a
        Value's grad, an edge's label and the title, each as a table of that one cell."""
        for v in self.order:
            if not isinstance(v, Constant):
                label = f"<<TABLE {_TABLE}><TR>{self.grad_cell(v)}</TR></TABLE>>"
                yield ("grad", self.index[v]), (label, "12")
            for k, text in enumerate(self.edge_texts(v)):
                yield ("edge", self.index[v], k), (self.edge_label(None, text, True), "10")
        if self.step is not None:
            yield ("title",), (self.title_label(True), "13")

    def edge_texts(self, v):
        """The label of each edge x -> op(v): the chain-rule term on the step's edges, the
        local derivative with show_local_grads, else nothing."""
        if self.step is not None and v is self.step.node:
            return [
                f"{self.f(c.local_grad)} × {self.f(c.upstream_grad)}\\n= {self.f(c.contribution)}"
                for c in self.step.contributions
            ]
        if self.show_local_grads:
            return [self.f(local) for local in v.local_grads]
        return [""] * len(v.inputs)

    # ---- DOT ----

    def id(self, v):
        return f"v{self.index[v]}"

    def drawing(self, legend, fixed=None):
        self.fixed = fixed or {}
        dot = Drawing(
            graph_attr={
                "rankdir": self.rankdir,
                "fontname": FONT,
                "nodesep": "0.25",
                "ranksep": "0.35",
                "ordering": "in",  # each op's operands in input order
            },
            node_attr={"fontname": FONT, "fontsize": "12"},
            edge_attr={"fontname": FONT, "fontsize": "10", "color": EDGE, "arrowsize": "0.6"},
        )
        if self.network:
            # crossing minimisation cannot help between fully connected layers, and leaving
            # it out keeps neurons (and each neuron's weights) in index order, and is faster
            dot.graph_attr["mclimit"] = "0.01"
        if self.step is None:
            self.add_nodes(dot)
        else:  # the step's text as a title: the label of a borderless cluster around it all
            with dot.subgraph(name="cluster_step") as frame:
                frame.attr(
                    label=self.title_label(),
                    labelloc="t",
                    labeljust="l",
                    pencolor="transparent",
                    fontsize="13",
                )
                self.add_nodes(frame)
        for tail, head, attrs in self.edges():
            dot.edge(tail, head, **attrs)
        if legend:
            dot.attr(label=self.legend(), labelloc="b", labeljust="c", fontsize="11")
        return dot

    def add_nodes(self, dot):
        """Every node statement; an nn neuron's nodes inside its neuron and layer clusters."""
        clusters = {}  # l -> j -> statements
        loose = []
        for v in self.order:
            if v in self.group:
                continue
            statements = self.node_statements(v)
            unit = self.unit.get(v)
            if unit is None:
                loose.extend(statements)
            else:
                clusters.setdefault(unit[0], {}).setdefault(unit[1], []).extend(statements)
        for key in dict.fromkeys(self.group[v] for v in self.order if v in self.group):
            loose.append(self.box_statement(key))
        for l in sorted(clusters):
            with dot.subgraph(name=f"cluster_layer{l}") as layer:
                layer.attr(
                    label=f"layer {l}", style="rounded", pencolor="#b0b0b0", fontcolor="#505050"
                )
                # (dot places clusters declared later further left in TB: reversed, neuron 0 is
                # on the left; in LR, neuron 0 comes out on top as declared)
                for j in sorted(clusters[l], reverse=self.rankdir != "LR"):
                    with layer.subgraph(name=f"cluster_layer{l}_neuron{j}") as neuron:
                        neuron.attr(label=f"neuron {j}", style="rounded,dashed", pencolor="#c8c8c8")
                        for name, attrs in clusters[l][j]:
                            neuron.node(name, **attrs)
        for name, attrs in loose:
            dot.node(name, **attrs)

    def node_statements(self, v):
        """(name, attributes) of v's node, and of its operation's node if it has one."""
        name = self.id(v)
        if isinstance(v, Constant):  # small, and without a grad: nothing trains a constant
            text = f"{self.names[v]} = {self.f(v.data)}" if v.label else self.f(v.data)
            attrs = {
                "label": html_label(text),
                "shape": "box",
                "style": "filled,rounded",
                "fillcolor": ROLE_COLOURS["constant"],
                "fontsize": "10",
                "height": "0.25",
                "margin": "0.05,0.02",
            }
            if self.outlined(v):
                attrs.update(color=HIGHLIGHT, penwidth="3")
            return [(name, attrs)]
        statements = [(name, {"label": self.value_label(v), "shape": "none", "margin": "0"})]
        if v.inputs:
            attrs = {
                "label": html_label(self.op_text(v)),
                "shape": "ellipse",
                "style": "filled",
                "fillcolor": "#f2f2f2",
                "fontsize": "11",
                "height": "0.3",
                "margin": "0.04,0.02",
            }
            if self.step is not None and v is self.step.node:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            statements.append((name + "_op", attrs))
        return statements

    def box_statement(self, key):
        """One box for a collapsed neuron ('neuron', l, j) or layer ('layer', l)."""
        members = [v for v in self.order if self.group.get(v) == key]
        params = sum(1 for v in members if self.roles[v] == "parameter")
        colour = ROLE_COLOURS["output" if self.root in members else "intermediate"]
        acts = [v for v in members if v.label.startswith("a")]
        activation = _e(acts[0].op) if acts else "linear"
        if key[0] == "neuron":
            _, l, j = key
            rows = [f"<B>neuron [{l}][{j}]</B> · {activation}"]
            for v in [v for v in members if v.label.startswith("z")] + acts:
                text = f"{_e(self.names[v])} = {_e(self.f(v.data))}"
                if self.show_grad:
                    g = self.grads[v]
                    grad = f'<TD BGCOLOR="{grad_colour(g, self.scale)}">grad {_e(self.f(g))}</TD>'
                    rows.append((text, grad))
                else:
                    rows.append(text)
        else:
            _, l = key
            n = len({self.unit[v][1] for v in members})
            rows = [f"<B>layer {l}</B>", f"{n} neuron{'s' if n > 1 else ''} · {activation}"]
        rows.append(f"{params} parameter{'s' if params != 1 else ''}")
        columns = 2 if any(isinstance(r, tuple) for r in rows) else 1
        body = "".join(
            f"<TR><TD>{r[0]}</TD>{r[1]}</TR>"
            if isinstance(r, tuple)
            else f'<TR><TD COLSPAN="{columns}">{r}</TD></TR>'
            for r in rows
        )
        label = f'<<TABLE {_TABLE} BGCOLOR="{colour}">{body}</TABLE>>'
        return "_".join(map(str, key)), {"label": label, "shape": "none", "margin": "0"}

    def edges(self):
        """(tail, head, attributes) of every edge: x -> op(v) and op(v) -> v."""
        seen = set()
        for v in self.order:
            if not v.inputs:
                continue
            if v in self.group:
                head = "_".join(map(str, self.group[v]))
            else:
                head = self.id(v) + "_op"
                attrs = {}
                if self.step is not None and v is self.step.node:
                    attrs = {"color": HIGHLIGHT, "penwidth": "2.5", "dir": "back"}
                yield head, self.id(v), attrs
            yield from self.input_edges(v, head, seen)

    def input_edges(self, v, head, seen):
        """The edges x -> op(v), one per input (x * x: two), in input order: `ordering=in`
        draws them in that order, the first operand on top (LR) or on the left (TB)."""
        active = self.step is not None and v is self.step.node
        edges = []
        for k, (x, text) in enumerate(zip(v.inputs, self.edge_texts(v))):
            tail = "_".join(map(str, self.group[x])) if x in self.group else self.id(x)
            if tail == head:
                continue  # inside one collapsed box
            if x in self.group or v in self.group:
                if (tail, head) not in seen:  # one edge between boxes is enough
                    seen.add((tail, head))
                    edges.append((tail, head, {}))
                continue
            attrs = {}
            label = self.edge_label(("edge", self.index[v], k), text)
            if label:
                attrs["label"] = label
            if active:
                attrs.update(color=HIGHLIGHT, penwidth="2.5", dir="back", fontcolor=ACTIVE_TEXT)
            edges.append((tail, head, attrs))
        # In an nn cluster laid out left to right, dot (with mclimit ~0, see drawing()) stacks
        # a node's inputs in reverse declaration order: reversed, w_1..w_n, b run top to bottom
        if self.rankdir == "LR" and self.network and self.unit.get(v) and v not in self.group:
            edges.reverse()
        return edges

    def legend(self):
        """The legend: a swatch for each role in the picture, and the gradient shading."""
        roles = set(self.roles.values())
        entries = [(ROLE_COLOURS[r], ROLE_NAMES[r]) for r in ROLE_COLOURS if r in roles]
        if self.show_grad:
            entries.append((grad_colour(-1.0, 1.0), "grad &lt; 0"))
            entries.append((grad_colour(1.0, 1.0), "grad &gt; 0"))
            entries.append(
                (grad_colour(0.3, 1.0), f"darker: larger |grad| (max {self.f(self.scale)})")
            )
        if self.highlight:
            entries.append((HIGHLIGHT, "highlighted"))
        if self.step is not None:
            entries.append((HIGHLIGHT, "this step: local × upstream = contribution"))
            entries.append((PENDING, "<I>grad …</I> still collecting"))
        if self.held:
            entries.append(
                (HELD_TEXT, "<I>.grad holds …</I>: left by earlier backward() calls, not this pass")
            )
        return legend_table(entries)

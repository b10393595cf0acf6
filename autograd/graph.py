"""Pictures of computation graphs: `draw(root)` returns a graphviz Digraph.

Every Value is a box showing its label, data and gradient; every operation is a small oval
between its operands and its result, so the picture reads x -> (×) -> z, as in micrograd's
trace_graph. The graph is walked by `topological_order`, the same walk `backward()` uses, and
nodes are named by their position in it, so the same graph always gives the same DOT text.

The gradients shown are root's: the picture computes them with backward()'s own chain rule
(autograd.steps.Pass), so they equal what a fresh backward() gives, and changes no `.grad`.

A returned Digraph shows itself inline in Jupyter; `.write("graph.png")` writes a file. Both
need the Graphviz program `dot`; without it they raise GraphvizNotFound, which says how to
install it. Step series (draw_steps, save_frames, step_through) are in autograd.frames.
"""

import math

from .checks import choice, integer, limit
from .dot import (
    ACTIVE_TEXT,
    EDGE,
    FONT,
    HELD_TEXT,
    HIGHLIGHT,
    PENDING,
    PENDING_TEXT,
    ROLE_COLOURS,
    Drawing,
    check_rankdir,
    escape,
    grad_colour,
    html_label,
    legend_table,
    lines,
)
from .notation import fmt, formula, node_name, op_text, unit_of
from .steps import Pass, Step
from .value import HOOKS, Constant, Parameter, Value, topological_order

# The default limit, measured on a 2-core machine with Graphviz 2.43 (time for `dot` to SVG,
# what Jupyter shows): chains, wide sums and MLP graphs of ~500 nodes take 0.1-0.3 s and
# ~1,000 nodes 0.4-0.8 s, but densely cross-linked random graphs take 4 s at ~510 nodes, 15 s
# at ~700 and 450 s at ~1,500. PNG adds rasterising the canvas: 1-5 s below 200 nodes,
# 5-15 s for 400-500 nodes (tens of megapixels), whatever the shape.
MAX_NODES = 500

ROLE_NAMES = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "output": "output (root)",
    "intermediate": "intermediate",
}
_COLLAPSES = ("neuron", "layer")  # collapse=, besides None
_TABLE = 'BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"'
_EDGE_LABEL = 'BORDER="0" CELLSPACING="0" CELLPADDING="1"'
_TITLE = 'BORDER="0" CELLSPACING="0" CELLPADDING="2"'


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
        step: a step from `backward_steps(root)`: draw the gradients as they were right after
            that step, its node and edges highlighted, `local × upstream = contribution` on
            each of its edges, and the sum each multiply-used node has received so far.
        digits: significant digits of the numbers shown.
        legend: explain the colours below the picture.
    """
    picture = Picture(
        root,
        rankdir=rankdir,
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        highlight=highlight,
        max_nodes=max_nodes,
        collapse=collapse,
        step=step,
        digits=digits,
    )
    return picture.drawing(legend)


HOOKS["draw"] = draw  # Step.draw(), an alias of it


def role(v, root):
    """'output', 'constant', 'intermediate', 'parameter' or 'input': what colour v is drawn in."""
    if v is root:
        return "output"
    if isinstance(v, Constant):
        return "constant"
    if v.inputs:
        return "intermediate"
    return "parameter" if isinstance(v, Parameter) else "input"


def grad_scale(grads, root):
    """The |grad| that gets the darkest shade: the largest, leaving out the root's (which is
    1 and would make every other gradient pale)."""
    others = [abs(g) for v, g in grads.items() if v is not root and math.isfinite(g)]
    if not others and math.isfinite(grads.get(root, 0.0)):
        others = [abs(grads.get(root, 0.0))]
    return max(others, default=0.0)


class Picture:
    """What one picture of root's graph shows, decided up front: its nodes (and collapsed
    boxes), their names and roles, and the gradients of this pass (or of one step of it).
    `drawing()` writes it as DOT; autograd.frames makes one per step of a pass."""

    def __init__(
        self,
        root,
        *,
        rankdir="LR",
        show_grad=True,
        show_local_grads=False,
        highlight=(),
        max_nodes=MAX_NODES,
        collapse=None,
        step=None,
        digits=4,
        scale=None,
    ):
        """The arguments are draw()'s; `scale` fixes the gradient colour scale (draw_steps
        gives every step the one of the finished pass)."""
        if not isinstance(root, Value):
            raise TypeError(f"draw() needs a Value to draw, got {type(root).__name__}")
        self.root, self.rankdir = root, check_rankdir(rankdir)
        self.collapse = None if collapse is None else choice(collapse, _COLLAPSES, "collapse")
        self.digits = integer(digits, "digits", least=1, most=17)
        self.show_local_grads = show_local_grads
        self.order = topological_order(root)  # the walk backward() uses
        self.index = {v: i for i, v in enumerate(self.order)}
        self.unit = {v: unit_of(v.label) for v in self.order if v.label}
        self.network = any(self.unit.values())
        self.highlight = self._checked_highlight(highlight)
        self.group = self._groups()
        self._check_size(limit(max_nodes, "max_nodes"))

        # gradients: this root's pass (as backward() computes it, without storing it), or as
        # they were right after `step`; leaves' stored .grad only where it differs (held)
        self.step = step
        self.show_grad = show_grad or step is not None
        self.grads, self.received, self.pending, self.held = {}, {}, set(), {}
        if step is not None:
            self._check_step(step)
            self.grads, self.received, self.pending = step.state()
            self.held = step.held
        elif self.show_grad:
            run = Pass(root)
            self.grads, self.held = run.grads(), run.held
        self.scale = grad_scale(self.grads, root) if scale is None else scale
        self.names = {v: node_name(v, self.index, self.digits) for v in self.order}
        self.roles = {v: role(v, root) for v in self.order}
        self.uses = {}  # how many edges leave each Value (x * x: two)
        for v in self.order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1

    def _checked_highlight(self, highlight):
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
        raise ValueError(
            f"this graph would be drawn with {count:,} nodes ({len(self.order):,} Values and "
            f"{ops:,} operations), more than max_nodes={max_nodes:,}. To draw it: "
            + "; ".join(advice)
            + "."
        )

    def _check_step(self, step):
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

    def f(self, x):
        """x as this picture writes numbers."""
        return fmt(x, self.digits)

    def title(self):
        """The step's text above its picture."""
        step, g = self.step, self.f(self.step.grad)
        return (
            f"step {step.index + 1} of {step.total}: {self.names[step.node]} = "
            f"{formula(step.node, self.names)}; its grad {g} is final, and each input gets "
            f"local × {g}"
        )

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

    def outlined(self, v):
        """Whether v's box is outlined: highlighted, or the step's node."""
        return v in self.highlight or (self.step is not None and v is self.step.node)

    def labels_to_measure(self):
        """(element, (label, fontsize)) for each cell that a series of step pictures gives one
        fixed size: a Value's grad, an edge's label and the title, each as a one-cell table."""
        return _Writer(self, sizes={}).sized_labels()

    def drawing(self, legend=True, sizes=None):
        """The picture as a Drawing. `sizes` (element -> (width, height) in points, from
        autograd.frames) fixes the size of cells, so that every step has one layout."""
        return _Writer(self, sizes or {}).drawing(legend)


class _Writer:
    """The DOT statements of one Picture; `sizes` are the fixed cell sizes of a step series."""

    def __init__(self, picture, sizes):
        self.p, self.sizes = picture, sizes

    def id(self, v):
        return f"v{self.p.index[v]}"

    # ---- labels ----

    def cell(self, key, attrs, content):
        """A <TD>, with the fixed size it has in a step series."""
        if key in self.sizes:
            w, h = self.sizes[key]
            attrs += f' WIDTH="{w}" HEIGHT="{h}"'
        return f"<TD {attrs}>{content}</TD>"

    def value_label(self, v):
        """An HTML table: [label or #i] over [data | grad], on the role's colour."""
        p = self.p
        if p.outlined(v):
            border = f'BORDER="3" COLOR="{HIGHLIGHT}"'
        elif self.sizes:  # the same size highlighted or not
            border = 'BORDER="3" COLOR="transparent"'
        else:
            border = 'BORDER="0"'
        # a table's COLOR also colours its cells' borders: keep those black
        td = "" if border == 'BORDER="0"' else ' COLOR="black"'
        attrs = f'{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"'
        fill = f' BGCOLOR="{ROLE_COLOURS[p.roles[v]]}"'
        if v.label:
            head = f"<B>{escape(p.names[v])}</B>"
        else:
            head = f'<FONT POINT-SIZE="10" COLOR="#707070">{escape(p.names[v])}</FONT>'
        columns = 2 if p.show_grad else 1
        cells = f"<TD{fill}{td}>data {escape(p.f(v.data))}</TD>"
        if p.show_grad:
            cells += self.grad_cell(v, td)
        head = f'<TR><TD COLSPAN="{columns}"{fill}{td}>{head}</TD></TR>'
        return f"<<TABLE {attrs}>{head}<TR>{cells}</TR></TABLE>>"

    def grad_cell(self, v, td=""):
        """v's grad: this pass's (so far), the sum it is made of in a step, what .grad holds."""
        p = self.p
        g = p.grads[v]
        text = f"grad {escape(p.f(g))}"
        if p.step is not None and p.uses.get(v, 0) > 1:  # the sum says what is to come
            text += f'<BR/><FONT POINT-SIZE="10">= {escape(p.sum_text(v))}</FONT>'
        elif v in p.pending:
            text += " …"
        if v in p.pending:
            text = f'<I><FONT COLOR="{PENDING_TEXT}">{text}</FONT></I>'
        if v in p.held:  # never merged into this pass's sum: a term of its own
            held = f".grad holds {p.f(p.held[v])}"
            text += f'<BR/><FONT POINT-SIZE="9" COLOR="{HELD_TEXT}"><I>{escape(held)}</I></FONT>'
        attrs = f'BGCOLOR="{grad_colour(g, p.scale)}"{td}'
        return self.cell(("grad", p.index[v]), attrs, text)

    def edge_label(self, key, text, table=False):
        """An edge's label: plain text, or in a step series (and to measure it) a one-cell
        table, empty where the edge has nothing to say, so the layout never moves."""
        if not (table or key in self.sizes):
            return html_label(text) if text else ""
        return f"<<TABLE {_EDGE_LABEL}><TR>{self.cell(key, '', lines(text))}</TR></TABLE>>"

    def title_label(self, table=False):
        """The step's text above its picture: plain, or a one-cell table as edge_label()."""
        text = escape(self.p.title())
        if not (table or ("title",) in self.sizes):
            return f"<{text}>"
        cell = self.cell(("title",), 'ALIGN="LEFT"', text)
        return f"<<TABLE {_TITLE}><TR>{cell}</TR></TABLE>>"

    def sized_labels(self):
        """See Picture.labels_to_measure."""
        p = self.p
        for v in p.order:
            if not isinstance(v, Constant):
                label = f"<<TABLE {_TABLE}><TR>{self.grad_cell(v)}</TR></TABLE>>"
                yield ("grad", p.index[v]), (label, "12")
            for k, text in enumerate(p.edge_texts(v)):
                yield ("edge", p.index[v], k), (self.edge_label(None, text, True), "10")
        if p.step is not None:
            yield ("title",), (self.title_label(True), "13")

    # ---- DOT ----

    def drawing(self, legend):
        p = self.p
        dot = Drawing(
            graph_attr={
                "rankdir": p.rankdir,
                "fontname": FONT,
                "nodesep": "0.25",
                "ranksep": "0.35",
                "ordering": "in",  # each op's operands in input order
            },
            node_attr={"fontname": FONT, "fontsize": "12"},
            edge_attr={"fontname": FONT, "fontsize": "10", "color": EDGE, "arrowsize": "0.6"},
        )
        if p.network:
            # crossing minimisation cannot help between fully connected layers, and leaving
            # it out keeps neurons (and each neuron's weights) in index order, and is faster
            dot.graph_attr["mclimit"] = "0.01"
        if p.step is None:
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
        p = self.p
        clusters = {}  # l -> j -> statements
        loose = []
        for v in p.order:
            if v in p.group:
                continue
            statements = self.node_statements(v)
            unit = p.unit.get(v)
            if unit is None:
                loose.extend(statements)
            else:
                clusters.setdefault(unit[0], {}).setdefault(unit[1], []).extend(statements)
        for key in dict.fromkeys(p.group[v] for v in p.order if v in p.group):
            loose.append(self.box_statement(key))
        for l in sorted(clusters):
            with dot.subgraph(name=f"cluster_layer{l}") as layer:
                layer.attr(
                    label=f"layer {l}", style="rounded", pencolor="#b0b0b0", fontcolor="#505050"
                )
                # (dot places clusters declared later further left in TB: reversed, neuron 0 is
                # on the left; in LR, neuron 0 comes out on top as declared)
                for j in sorted(clusters[l], reverse=p.rankdir != "LR"):
                    with layer.subgraph(name=f"cluster_layer{l}_neuron{j}") as neuron:
                        neuron.attr(label=f"neuron {j}", style="rounded,dashed", pencolor="#c8c8c8")
                        for name, attrs in clusters[l][j]:
                            neuron.node(name, **attrs)
        for name, attrs in loose:
            dot.node(name, **attrs)

    def node_statements(self, v):
        """(name, attributes) of v's node, and of its operation's node if it has one."""
        p = self.p
        name = self.id(v)
        if isinstance(v, Constant):  # small, and without a grad: nothing trains a constant
            text = f"{p.names[v]} = {p.f(v.data)}" if v.label else p.f(v.data)
            attrs = {
                "label": html_label(text),
                "shape": "box",
                "style": "filled,rounded",
                "fillcolor": ROLE_COLOURS["constant"],
                "fontsize": "10",
                "height": "0.25",
                "margin": "0.05,0.02",
            }
            if p.outlined(v):
                attrs.update(color=HIGHLIGHT, penwidth="3")
            return [(name, attrs)]
        statements = [(name, {"label": self.value_label(v), "shape": "none", "margin": "0"})]
        if v.inputs:
            attrs = {
                "label": html_label(op_text(v, p.names)),
                "shape": "ellipse",
                "style": "filled",
                "fillcolor": "#f2f2f2",
                "fontsize": "11",
                "height": "0.3",
                "margin": "0.04,0.02",
            }
            if p.step is not None and v is p.step.node:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            statements.append((name + "_op", attrs))
        return statements

    def box_statement(self, key):
        """One box for a collapsed neuron ('neuron', l, j) or layer ('layer', l)."""
        p = self.p
        members = [v for v in p.order if p.group.get(v) == key]
        params = sum(1 for v in members if p.roles[v] == "parameter")
        colour = ROLE_COLOURS["output" if p.root in members else "intermediate"]
        acts = [v for v in members if v.label.startswith("a")]
        activation = escape(acts[0].op) if acts else "linear"
        if key[0] == "neuron":
            _, l, j = key
            rows = [f"<B>neuron [{l}][{j}]</B> · {activation}"]
            for v in [v for v in members if v.label.startswith("z")] + acts:
                text = f"{escape(p.names[v])} = {escape(p.f(v.data))}"
                if p.show_grad:
                    g = p.grads[v]
                    grad = f'<TD BGCOLOR="{grad_colour(g, p.scale)}">grad {escape(p.f(g))}</TD>'
                    rows.append((text, grad))
                else:
                    rows.append(text)
        else:
            _, l = key
            n = len({p.unit[v][1] for v in members})
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
        p = self.p
        seen = set()
        for v in p.order:
            if not v.inputs:
                continue
            if v in p.group:
                head = "_".join(map(str, p.group[v]))
            else:
                head = self.id(v) + "_op"
                attrs = {}
                if p.step is not None and v is p.step.node:
                    attrs = {"color": HIGHLIGHT, "penwidth": "2.5", "dir": "back"}
                yield head, self.id(v), attrs
            yield from self.input_edges(v, head, seen)

    def input_edges(self, v, head, seen):
        """The edges x -> op(v), one per input (x * x: two), in input order: `ordering=in`
        draws them in that order, the first operand on top (LR) or on the left (TB)."""
        p = self.p
        active = p.step is not None and v is p.step.node
        edges = []
        for k, (x, text) in enumerate(zip(v.inputs, p.edge_texts(v))):
            tail = "_".join(map(str, p.group[x])) if x in p.group else self.id(x)
            if tail == head:
                continue  # inside one collapsed box
            if x in p.group or v in p.group:
                if (tail, head) not in seen:  # one edge between boxes is enough
                    seen.add((tail, head))
                    edges.append((tail, head, {}))
                continue
            attrs = {}
            label = self.edge_label(("edge", p.index[v], k), text)
            if label:
                attrs["label"] = label
            if active:
                attrs.update(color=HIGHLIGHT, penwidth="2.5", dir="back", fontcolor=ACTIVE_TEXT)
            edges.append((tail, head, attrs))
        # In an nn cluster laid out left to right, dot (with mclimit ~0, see drawing()) stacks
        # a node's inputs in reverse declaration order: reversed, w_1..w_n, b run top to bottom
        if p.rankdir == "LR" and p.network and p.unit.get(v) and v not in p.group:
            edges.reverse()
        return edges

    def legend(self):
        """The legend: a swatch for each role in the picture, and the gradient shading."""
        p = self.p
        roles = set(p.roles.values())
        entries = [(ROLE_COLOURS[r], ROLE_NAMES[r]) for r in ROLE_COLOURS if r in roles]
        if p.show_grad:
            entries.append((grad_colour(-1.0, 1.0), "grad &lt; 0"))
            entries.append((grad_colour(1.0, 1.0), "grad &gt; 0"))
            entries.append((grad_colour(0.3, 1.0), f"darker: larger |grad| (max {p.f(p.scale)})"))
        if p.highlight:
            entries.append((HIGHLIGHT, "highlighted"))
        if p.step is not None:
            entries.append((HIGHLIGHT, "this step: local × upstream = contribution"))
            entries.append((PENDING, "<I>grad …</I> still collecting"))
        if p.held:
            entries.append(
                (HELD_TEXT, "<I>.grad holds …</I>: left by earlier backward() calls, not this pass")
            )
        return legend_table(entries)

"""The DOT text of one picture of a computation graph (autograd.graph decides what a picture
shows, as a Picture; this writes it): value boxes, operation nodes, nn's layer and neuron
clusters, collapsed boxes, edges with their labels, the legend. In a step series every cell
takes the fixed size autograd.frames measured, so that every step has one layout.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias

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
    escape,
    grad_colour,
    html_label,
    legend_table,
    lines,
)
from .notation import Names, op_text
from .value import Constant, Value

if TYPE_CHECKING:
    import graphviz

    from .steps import Step

# a cell of a picture that a step series sizes: ("grad", node), ("edge", node, input), ("title",)
CellKey: TypeAlias = tuple[str | int, ...]
Sizes: TypeAlias = Mapping[CellKey, tuple[int, int]]  # (width, height) in points
Attributes: TypeAlias = dict[str, str]  # a DOT statement's attributes


class PictureData(Protocol):
    """What DotWriter reads of a picture: autograd.graph.Picture (which imports this module)."""

    root: Value
    order: list[Value]
    index: dict[Value, int]
    names: Names
    roles: dict[Value, str]
    unit: dict[Value, tuple[int, int] | None]
    group: dict[Value, tuple[str | int, ...]]
    network: bool
    rankdir: str
    max_width: int | None
    highlight: set[Value]
    step: Step | None
    show_grad: bool
    grads: dict[Value, float]
    uses: dict[Value, int]
    pending: set[Value]
    held: dict[Value, float]
    scale: float

    def f(self, x: float) -> str: ...
    def title(self) -> str: ...
    def edge_texts(self, v: Value) -> list[str]: ...
    def sum_text(self, v: Value) -> str: ...
    def outlined(self, v: Value) -> bool: ...


ROLE_NAMES = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "output": "output (root)",
    "intermediate": "intermediate",
}
MANY_INPUTS = 3  # an op with more inputs gets longer edges, so that their labels stand apart
_TABLE = 'BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"'
_EDGE_LABEL = 'BORDER="0" CELLSPACING="0" CELLPADDING="1"'
_TITLE = 'BORDER="0" CELLSPACING="0" CELLPADDING="2"'


class DotWriter:
    """The DOT statements of one Picture; `sizes` are the fixed cell sizes of a step series."""

    def __init__(self, picture: PictureData, sizes: Sizes) -> None:
        self.p, self.sizes = picture, sizes

    def id(self, v: Value) -> str:
        return f"v{self.p.index[v]}"

    # ---- labels ----

    def cell(self, key: CellKey | None, attrs: str, content: str) -> str:
        """A <TD>, with the fixed size it has in a step series."""
        if key in self.sizes:
            w, h = self.sizes[key]  # type: ignore[index]  # (a key found there is not None)
            attrs += f' WIDTH="{w}" HEIGHT="{h}"'
        return f"<TD {attrs}>{content}</TD>"

    def value_label(self, v: Value) -> str:
        """An HTML table on the role's colour: its name, its data, its grad; stacked in a
        left-to-right picture or a step, data beside grad in another top-to-bottom one."""
        p = self.p
        if p.outlined(v):
            border = f'BORDER="3" COLOR="{HIGHLIGHT}"'
        elif self.sizes:  # the same size highlighted or not
            border = 'BORDER="3" COLOR="transparent"'
        else:
            border = 'BORDER="0"'
        # a table's COLOR also colours its cells' borders: keep those black
        td = "" if border == 'BORDER="0"' else ' COLOR="black"'
        attrs = f'{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"'
        fill = f' BGCOLOR="{ROLE_COLOURS[p.roles[v]]}"'
        if v.label:
            head = f"<B>{escape(p.names[v])}</B>"
        else:  # named by its formula or a number: lighter than a label the user chose
            head = f'<FONT COLOR="#505050">{escape(p.names[v])}</FONT>'
        data = f"<TD{fill}{td}>data {escape(p.f(v.data))}</TD>"
        grad = self.grad_cell(v, td) if p.show_grad else ""
        if p.rankdir in ("LR", "RL") or p.step is not None:  # stacked: narrow boxes (a
            # step's grad cell holds its sum, and takes its widest size in every step)
            rows = [f"<TD{fill}{td}>{head}</TD>", data] + ([grad] if grad else [])
        else:  # data and grad side by side: ranks one above the other stay low
            span = ' COLSPAN="2"' if grad else ""
            rows = [f"<TD{span}{fill}{td}>{head}</TD>", data + grad]
        return f"<<TABLE {attrs}>{''.join(f'<TR>{row}</TR>' for row in rows)}</TABLE>>"

    def grad_cell(self, v: Value, td: str = "") -> str:
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

    def edge_label(self, key: CellKey | None, text: str, table: bool = False) -> str:
        """An edge's label: plain text, or in a step series (and to measure it) a one-cell
        table, empty where the edge has nothing to say, so the layout never moves."""
        if not (table or key in self.sizes):
            return html_label(text) if text else ""
        return f"<<TABLE {_EDGE_LABEL}><TR>{self.cell(key, '', lines(text))}</TR></TABLE>>"

    def title_label(self, table: bool = False) -> str:
        """The step's text above its picture: plain, or a one-cell table as edge_label()."""
        text = lines(self.p.title()).replace("<BR/>", '<BR ALIGN="LEFT"/>') + '<BR ALIGN="LEFT"/>'
        if not (table or ("title",) in self.sizes):
            return f"<{text}>"
        cell = self.cell(("title",), 'ALIGN="LEFT"', text)
        return f"<<TABLE {_TITLE}><TR>{cell}</TR></TABLE>>"

    def sized_labels(self) -> Iterator[tuple[CellKey, tuple[str, str]]]:
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

    def drawing(self, legend: bool) -> Drawing:
        p = self.p
        dot = Drawing(
            graph_attr={
                "rankdir": p.rankdir,
                "fontname": FONT,
                "nodesep": "0.15",
                "ranksep": "0.25",
                "ordering": "in",  # each op's operands in input order
            },
            node_attr={"fontname": FONT, "fontsize": "12"},
            edge_attr={"fontname": FONT, "fontsize": "10", "color": EDGE, "arrowsize": "0.6"},
        )
        if p.max_width is not None:  # scaled down to fit, never up (a huge height: no limit)
            dot.graph_attr["size"] = f"{p.max_width / 96:.3f},1000"
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

    def add_nodes(self, dot: graphviz.Digraph) -> None:
        """Every node statement; an nn neuron's nodes inside its neuron and layer clusters."""
        p = self.p
        clusters: dict[int, dict[int, list[tuple[str, Attributes]]]] = {}  # l -> j -> statements
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

    def node_statements(self, v: Value) -> list[tuple[str, Attributes]]:
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
                "label": html_label(op_text(v)),
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

    def box_statement(self, key: tuple[str | int, ...]) -> tuple[str, Attributes]:
        """One box for a collapsed neuron ('neuron', l, j) or layer ('layer', l)."""
        p = self.p
        members = [v for v in p.order if p.group.get(v) == key]
        params = sum(1 for v in members if p.roles[v] == "parameter")
        colour = ROLE_COLOURS["output" if p.root in members else "intermediate"]
        acts = [v for v in members if v.label.startswith("a")]
        activation = escape(acts[0].op) if acts else "linear"
        if key[0] == "neuron":
            _, l, j = key
            rows: list[str | tuple[str, str]] = [f"<B>neuron [{l}][{j}]</B> · {activation}"]
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
            n = len({p.unit[v][1] for v in members})  # type: ignore[index]  # (members have units)
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

    def edges(self) -> Iterator[tuple[str, str, Attributes]]:
        """(tail, head, attributes) of every edge: x -> op(v) and op(v) -> v."""
        p = self.p
        seen: set[tuple[str, str]] = set()
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

    def input_edges(
        self, v: Value, head: str, seen: set[tuple[str, str]]
    ) -> list[tuple[str, str, Attributes]]:
        """The edges x -> op(v), one per input (x * x: two), in input order: `ordering=in`
        draws them in that order, the first operand on top (LR) or on the left (TB)."""
        p = self.p
        active = p.step is not None and v is p.step.node
        edges: list[tuple[str, str, Attributes]] = []
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
                if len(v.inputs) > MANY_INPUTS:  # longer edges: labels apart, not piled at op
                    attrs["minlen"] = "2"
            if active:
                attrs.update(color=HIGHLIGHT, penwidth="2.5", dir="back", fontcolor=ACTIVE_TEXT)
            edges.append((tail, head, attrs))
        # In an nn cluster laid out left to right, dot (with mclimit ~0, see drawing()) stacks
        # a node's inputs in reverse declaration order: reversed, w_1..w_n, b run top to bottom
        if p.rankdir == "LR" and p.network and p.unit.get(v) and v not in p.group:
            edges.reverse()
        return edges

    def legend(self) -> str:
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
        return legend_table(entries, columns=3)

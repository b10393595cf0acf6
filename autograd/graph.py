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

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Iterator, Mapping

from .checks import choice, integer, limit
from .dot import (
    Drawing,
    check_rankdir,
)
from .notation import fmt, formula, names, unit_of
from .steps import Pass, Step
from .value import HOOKS, Constant, Parameter, Value, topological_order
from .writer import CellKey, DotWriter, Sizes

# The default limit, measured on a 2-core machine with Graphviz 2.43 (time for `dot` to SVG,
# what Jupyter shows): chains, wide sums and MLP graphs of ~500 nodes take 0.1-0.3 s and
# ~1,000 nodes 0.4-0.8 s, but densely cross-linked random graphs take 4 s at ~510 nodes, 15 s
# at ~700 and 450 s at ~1,500. PNG adds rasterising the canvas: 1-5 s below 200 nodes,
# 5-15 s for 400-500 nodes (tens of megapixels), whatever the shape.
MAX_NODES = 500
MAX_WIDTH = 1000  # pixels: the default largest width of a picture, about a notebook cell's
TITLE_WIDTH = 72  # characters of a step picture's title per line

_COLLAPSES = ("neuron", "layer")  # collapse=, besides None


def draw(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = False,
    highlight: Value | Iterable[Value] = (),
    max_nodes: int | None = MAX_NODES,
    collapse: str | None = None,
    step: Step | None = None,
    digits: int = 4,
    legend: bool = True,
    max_width: int | None = MAX_WIDTH,
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
        max_width: the widest the picture is shown or written, in pixels (CSS pixels for SVG,
            pixels of a PNG at Graphviz's 96 dpi): a wider layout is scaled down to fit a
            notebook cell (a README column takes about 880). None: its natural size. For a
            graph much wider than this, rankdir="TB" often reads better than shrinking.
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
        max_width=max_width,
    )
    return picture.drawing(legend)


HOOKS["draw"] = draw  # Step.draw(), an alias of it


def role(v: Value, root: Value) -> str:
    """'output', 'constant', 'intermediate', 'parameter' or 'input': what colour v is drawn in."""
    if v is root:
        return "output"
    if isinstance(v, Constant):
        return "constant"
    if v.inputs:
        return "intermediate"
    return "parameter" if isinstance(v, Parameter) else "input"


def grad_scale(grads: Mapping[Value, float], root: Value) -> float:
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
        root: Value,
        *,
        rankdir: str = "LR",
        show_grad: bool = True,
        show_local_grads: bool = False,
        highlight: Value | Iterable[Value] = (),
        max_nodes: int | None = MAX_NODES,
        collapse: str | None = None,
        step: Step | None = None,
        digits: int = 4,
        scale: float | None = None,
        max_width: int | None = MAX_WIDTH,
    ) -> None:
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
        self.max_width = limit(max_width, "max_width")

        # gradients: this root's pass (as backward() computes it, without storing it), or as
        # they were right after `step`; leaves' stored .grad only where it differs (held)
        self.step = step
        self.show_grad = show_grad or step is not None
        self.grads: dict[Value, float] = {}
        self.received: dict[Value, list[float]] = {}
        self.pending: set[Value] = set()
        self.held: dict[Value, float] = {}
        if step is not None:
            self._check_step(step)
            self.grads, self.received, self.pending = step.state()
            self.held = step.held
        elif self.show_grad:
            run = Pass(root)
            self.grads, self.held = run.grads(), run.held
        self.scale = grad_scale(self.grads, root) if scale is None else scale
        self.names = names(self.order, self.digits)
        self.roles = {v: role(v, root) for v in self.order}
        self.uses: dict[Value, int] = {}  # how many edges leave each Value (x * x: two)
        for v in self.order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1

    def _checked_highlight(self, highlight: Value | Iterable[Value]) -> set[Value]:
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

    def _groups(self) -> dict[Value, tuple[str | int, ...]]:
        """Each collapsed Value's box: ('neuron', l, j) or ('layer', l)."""
        if self.collapse is None:
            return {}
        return {
            v: ("neuron", *unit) if self.collapse == "neuron" else ("layer", unit[0])
            for v, unit in self.unit.items()
            if unit is not None
        }

    def node_count(self) -> int:
        """How many nodes the picture has: Values, operations and collapsed boxes."""
        drawn = [v for v in self.order if v not in self.group]
        return len(drawn) + sum(1 for v in drawn if v.inputs) + len(set(self.group.values()))

    def _check_size(self, max_nodes: int | None) -> None:
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

    def _check_step(self, step: Step) -> None:
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

    def f(self, x: float) -> str:
        """x as this picture writes numbers."""
        return fmt(x, self.digits)

    def title(self) -> str:
        """The step's text above its picture, in lines of at most TITLE_WIDTH characters
        (separated by DOT's \\n): for a picture of a step only."""
        step: Step = self.step  # type: ignore[assignment]  # (not None: a step's picture)
        g = self.f(step.grad)
        name, made = self.names[step.node], formula(step.node, self.names)
        what = name if name == made else f"{name} = {made}"
        text = (
            f"step {step.index + 1} of {step.total}: {what}; its grad {g} is final, and each "
            f"input gets local × {g}"
        )
        return "\\n".join(textwrap.wrap(text, TITLE_WIDTH, break_long_words=False))

    def edge_texts(self, v: Value) -> list[str]:
        """The label of each edge x -> op(v): the chain-rule term on the step's edges, the
        local derivative with show_local_grads, else nothing. An edge from a constant has
        none: nothing trains a constant, so what reaches it says nothing."""
        if self.step is not None and v is self.step.node:
            texts = [
                f"{self.f(c.local_grad)} × {self.f(c.upstream_grad)}\\n= {self.f(c.contribution)}"
                for c in self.step.contributions
            ]
        elif self.show_local_grads:
            texts = [self.f(local) for local in v.local_grads]
        else:
            return [""] * len(v.inputs)
        return ["" if isinstance(x, Constant) else t for x, t in zip(v.inputs, texts)]

    def sum_text(self, v: Value) -> str:
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

    def outlined(self, v: Value) -> bool:
        """Whether v's box is outlined: highlighted, or the step's node."""
        return v in self.highlight or (self.step is not None and v is self.step.node)

    def labels_to_measure(self) -> Iterator[tuple[CellKey, tuple[str, str]]]:
        """(element, (label, fontsize)) for each cell that a series of step pictures gives one
        fixed size: a Value's grad, an edge's label and the title, each as a one-cell table."""
        return DotWriter(self, sizes={}).sized_labels()

    def drawing(self, legend: bool = True, sizes: Sizes | None = None) -> Drawing:
        """The picture as a Drawing. `sizes` (element -> (width, height) in points, from
        autograd.frames) fixes the size of cells, so that every step has one layout."""
        return DotWriter(self, sizes or {}).drawing(legend)

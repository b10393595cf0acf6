"""The network diagram of the seed documents: units in columns, one edge per weight.

    nn.draw(MLP(2, [16, 16, 1]))                  # edges coloured and sized by the weights
    nn.draw(model, show_grad=True)                # ... by dL/dw after loss.backward()

Inputs are x_i, hidden units a^l_j (layer l from 1, unit j from 0, as in the seeds), output
units a^L_j, or z^L_j for a linear output. An edge from unit i to unit j of layer l is the
weight w^l_ji (model.layers[l - 1].neurons[j].w[i]): blue if positive, red if negative, wider
and darker as |w| grows. A unit's fill shows its bias b^l_j the same way. It reads the
parameters only: no forward pass is needed. For the computation graph of one example, with
every node and operation, use autograd.draw(loss).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from autograd.checks import integer, limit
from autograd.dot import (
    FONT,
    NEGATIVE,
    POSITIVE,
    ROLE_COLOURS,
    Drawing,
    check_rankdir,
    grad_colour,
    html_label,
    legend_table,
    tooltip,
)
from autograd.graph import MAX_WIDTH
from autograd.notation import fmt

if TYPE_CHECKING:
    from collections.abc import Callable

    from autograd.value import Value

    from .modules import MLP, Layer

# Measured (2 cores, Graphviz 2.43): MLP(8, [64, 64, 4]), 4,864 weights, takes 1.2 s to SVG and
# 3.7 s to PNG; MLP(16, [96, 96, 10]), 11,712 weights, 12 s and 22 s.
MAX_WEIGHTS = 5000
AUTO_LABELS = 24  # label each edge with its number when the network has at most this many


def draw(
    model: MLP,
    show_grad: bool = False,
    rankdir: str = "LR",
    weight_labels: bool | None = None,
    digits: int = 3,
    legend: bool = True,
    max_weights: int | None = MAX_WEIGHTS,
    max_width: int | None = MAX_WIDTH,
) -> Drawing:
    """The diagram of an nn.MLP: input, hidden and output units in columns, one edge per
    weight, coloured (blue > 0, red < 0) and sized by the weight, or by its gradient with
    show_grad=True; each unit filled by its bias (or the bias's gradient).

    Args:
        rankdir: "LR" (inputs on the left) or "TB" (inputs on top).
        weight_labels: write each weight (or gradient) on its edge; None: only when the
            network has at most 24 weights.
        digits: significant digits of the numbers written on edges and in tooltips.
        max_weights: refuse (ValueError) to draw more edges than this; None for no limit.
        max_width: the widest the diagram is shown, in pixels (as autograd.draw's); None: its
            natural size.
    """
    layers = _layers(model)
    check_rankdir(rankdir, ("LR", "TB"))
    integer(digits, "digits", least=1, most=17)
    if weight_labels not in (None, True, False):
        raise ValueError(f"weight_labels must be True, False or None, got {weight_labels!r}")
    max_weights = limit(max_weights, "max_weights")
    max_width = limit(max_width, "max_width")
    n_weights = sum(len(n.w) for layer in layers for n in layer.neurons)
    if max_weights is not None and n_weights > max_weights:
        raise ValueError(
            f"this network has {n_weights:,} weights, one edge each, more than "
            f"max_weights={max_weights:,}: pass a larger max_weights= (dot then takes many "
            "seconds), or draw a smaller network"
        )
    if weight_labels is None:
        weight_labels = n_weights <= AUTO_LABELS

    def number(p: Value) -> float | None:  # what an edge or fill shows: p, or its gradient
        return p.grad if show_grad else p.data  # (a grad of None: none yet, drawn as 0)

    weights = [number(w) for layer in layers for n in layer.neurons for w in n.w]
    biases = [number(n.b) for layer in layers for n in layer.neurons]
    w_scale = max((abs(w) for w in weights if w is not None and math.isfinite(w)), default=0.0)
    b_scale = max((abs(b) for b in biases if b is not None and math.isfinite(b)), default=0.0)

    dot = Drawing(
        graph_attr={
            "rankdir": rankdir,
            "splines": "line",
            "nodesep": "0.8" if weight_labels else "0.12",
            "ranksep": "2.4" if weight_labels else "1.8",
            "fontname": FONT,
            "pad": "0.2",
            "mclimit": "0.01",  # keep units in index order: crossings are unavoidable anyway
            **({} if max_width is None else {"size": f"{max_width / 96:.3f},1000"}),
        },
        node_attr={
            "shape": "circle",
            "fixedsize": "true",
            "width": "0.5",
            "fontname": FONT,
            "fontsize": "12",
            "style": "filled",
        },
        edge_attr={"arrowhead": "none", "fontname": FONT, "fontsize": "10", "labelangle": "0"},
    )
    sizes = [model.nin] + [len(layer.neurons) for layer in layers]
    last = len(layers)
    for l, size in enumerate(sizes):
        if l == 0:
            header = "input"
        else:  # two short lines: the output's header floats among the edges that reach it
            activation = layers[l - 1].activation
            header = f"{'output' if l == last else f'layer {l}'}\\n{activation}"
        with dot.subgraph(name=f"cluster_{l}") as column:
            column.attr(
                label=html_label(header), pencolor="transparent", fontsize="12", fontcolor="#404040"
            )
            for j in range(size):  # with mclimit ~0, dot keeps this order: unit 0 on top
                column.node(f"u{l}_{j}", **_unit(l, j, layers, last, number, b_scale, digits))
    for l, layer in enumerate(layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                value = number(w)
                attrs = {
                    "color": _edge_colour(value, w_scale),
                    "penwidth": f"{_edge_width(value, w_scale):.2f}",
                    "tooltip": tooltip(
                        f"{w.label or 'w'} = {fmt(w.data, digits)}, grad {_text(w.grad, digits)}"
                    ),
                }
                if weight_labels:  # on the edge (white behind), nearer its head than the
                    # midpoint, where edges cross
                    attrs.update(headlabel=_on_edge(_text(value, digits)), labeldistance="7")
                dot.edge(f"u{l - 1}_{i}", f"u{l}_{j}", **attrs)
    if legend:
        what = "dL/dw" if show_grad else "w"
        entries = [
            (_edge_colour(1.0, 1.0), f"{what} &gt; 0"),
            (_edge_colour(-1.0, 1.0), f"{what} &lt; 0"),
            ("#9a9a9a", f"edge width: |{what}| (max {fmt(w_scale, digits)})"),
            (
                grad_colour(0.5, 1.0),
                f"unit fill: {'dL/db' if show_grad else 'bias b'}, same colours",
            ),
        ]
        if show_grad and not w_scale and not b_scale:
            entries.append(("#ffffff", "every gradient is 0: run loss.backward() first"))
        dot.attr(label=legend_table(entries, columns=2), labelloc="b", fontsize="11")
    return dot


def _layers(model: MLP) -> list[Layer]:
    """model.layers, after checking that model looks like an nn.MLP."""
    layers = getattr(model, "layers", None)
    if not isinstance(getattr(model, "nin", None), int) or not layers:
        raise TypeError(
            f"nn.draw() draws an MLP (nn.MLP: .nin and .layers), got {type(model).__name__}; "
            "for a computation graph use autograd.draw(value)"
        )
    for layer in layers:
        if not getattr(layer, "neurons", None):
            raise TypeError(f"each layer of the model needs .neurons, got {layer!r}")
    return layers


def _unit(
    l: int,
    j: int,
    layers: list[Layer],
    last: int,
    number: Callable[[Value], float | None],
    b_scale: float,
    digits: int,
) -> dict[str, Any]:
    """Node attributes of unit j of layer l (0: the inputs)."""
    if l == 0:
        return {
            "label": f"<x<SUB>{j}</SUB>>",
            "fillcolor": ROLE_COLOURS["input"],
            "tooltip": tooltip(f"input x[{j}]"),
        }
    neuron = layers[l - 1].neurons[j]
    letter = "z" if l == last and layers[l - 1].activation == "linear" else "a"
    b = neuron.b
    return {
        "label": f"<{letter}<SUP>{l}</SUP><SUB>{j}</SUB>>",
        "fillcolor": grad_colour(number(b), b_scale),
        "tooltip": tooltip(
            f"{letter}[{l}][{j}]: bias {b.label or 'b'} = {fmt(b.data, digits)}, "
            f"grad {_text(b.grad, digits)}"
        ),
        "peripheries": "2" if l == last else "1",
    }


def _text(x: float | None, digits: int) -> str:
    """A number as fmt writes it; a gradient of None (none yet: zero_grad(set_to_none=True))
    as None."""
    return "None" if x is None else fmt(x, digits)


def _on_edge(text: str) -> str:
    """A label with a white background, to sit on its edge's line."""
    return f'<<TABLE BORDER="0" CELLPADDING="1" BGCOLOR="white"><TR><TD>{text}</TD></TR></TABLE>>'


def _edge_colour(w: float | None, scale: float) -> str:
    """Blue for w > 0, red for w < 0, more opaque as |w| approaches `scale`."""
    if not w or not math.isfinite(w) or not scale:
        return "#9a9a9a40"
    t = min(1.0, abs(w) / scale)
    rgb = POSITIVE if w > 0 else NEGATIVE
    return "#{:02x}{:02x}{:02x}{:02x}".format(*rgb, round(255 * (0.25 + 0.75 * t)))


def _edge_width(w: float | None, scale: float) -> float:
    """0.4 for w = 0 up to 4 for |w| = scale."""
    if not w or not math.isfinite(w) or not scale:
        return 0.4
    return 0.4 + 3.6 * min(1.0, abs(w) / scale)

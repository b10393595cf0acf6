"""Pictures of training with matplotlib: the loss and accuracy per epoch, and the decision
boundary of a model with two inputs.

Each function returns a matplotlib Figure and, given a `path`, also saves it there as a PNG.
The figures are made without pyplot, so nothing accumulates in pyplot's list of open figures
and any backend works, headless ones included; a Jupyter notebook shows a returned Figure as a
PNG image (once: pyplot does not show it a second time).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matplotlib import figure as _figure_module
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap

from autograd import no_grad
from autograd.checks import integer, number
from autograd.files import StrPath, check_target, write_file

from .train import Model, argmax

if TYPE_CHECKING:
    from .train import History

_DPI = 100
# decision_boundary evaluates the model at resolution^2 points: measured ~0.2 us per parameter
# per point (MLP(2, [16, 16, 1]), 2 cores), so this bound is about 5 s of evaluation.
MAX_GRID_WORK = 25_000_000  # resolution^2 x parameters
# two classes: blue for class 0 (or -1), red for class 1 (or +1); more classes: tab10
_CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]


def history(history: History, path: StrPath | None = None, title: str | None = None) -> Figure:
    """The loss per epoch and, when the history has one, the accuracy per epoch, side by side.
    `history` is what nn.fit returned (anything with `.loss` and `.accuracy` lists)."""
    if not hasattr(history, "loss"):
        raise TypeError(
            f"history must be what nn.fit returns (with .loss and .accuracy), "
            f"got {type(history).__name__}"
        )
    loss = _series(history.loss, "history.loss")
    accuracy = getattr(history, "accuracy", None)
    if accuracy is not None:
        accuracy = _series(accuracy, "history.accuracy")
        if len(accuracy) != len(loss):
            raise ValueError(
                f"history has {len(loss)} losses but {len(accuracy)} accuracies; "
                "expected one of each per epoch"
            )
    panels = 1 if accuracy is None else 2
    fig = _figure(figsize=(5.0 * panels, 3.6))
    epochs = list(range(1, len(loss) + 1))
    ax = fig.add_subplot(1, panels, 1)
    ax.plot(epochs, loss, color="#1f77b4", marker="o" if len(loss) == 1 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    if len(loss) > 1 and min(loss) > 0 and max(loss) / min(loss) > 100:
        ax.set_yscale("log")  # a loss falling over decades reads better on a log scale
    ax.grid(True, alpha=0.3)
    if accuracy is not None:
        ax = fig.add_subplot(1, panels, 2)
        ax.plot(epochs, accuracy, color="#2ca02c", marker="o" if len(loss) == 1 else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title(f"accuracy (last: {accuracy[-1]:.1%})")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


@no_grad()
def decision_boundary(
    model: Model,
    X: Sequence[Sequence[float]],
    Y: Sequence[float | Sequence[float]],
    path: StrPath | None = None,
    resolution: int = 60,
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """The model's output over the plane of its two inputs, with the data (X, Y) on top.

    One output: the output is shaded, and the boundary where it crosses `threshold` is drawn
    as a black line (threshold None: 0.5 for a sigmoid output, else 0, the boundaries of
    binary cross-entropy and of hinge or logits). Several outputs: each point of the plane takes
    the colour of its largest output's class (cross_entropy's argmax). The model is evaluated
    on a resolution x resolution grid covering the data with a margin, without recording a
    graph. Points are coloured by their label Y[n]."""
    if getattr(model, "nin", 2) != 2:
        nin = model.nin  # type: ignore[attr-defined]  # (getattr found it)
        raise ValueError(f"a decision boundary needs a model with 2 inputs, got {nin}")
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} examples but Y has {len(Y)}; expected one y per x")
    if not len(X):
        raise ValueError("the data set is empty; expected at least one example")
    points = [_pair(x, f"X[{n}]") for n, x in enumerate(X)]
    labels = [_label(y, f"Y[{n}]") for n, y in enumerate(Y)]
    classes = sorted(set(labels))
    if len(classes) > len(_CLASS_COLOURS):
        raise ValueError(
            f"Y has {len(classes)} different labels; a decision boundary needs class labels "
            f"(at most {len(_CLASS_COLOURS)} classes)"
        )
    resolution = integer(resolution, "resolution", least=2)
    n_params = len(model.parameters()) if hasattr(model, "parameters") else 1
    if resolution * resolution * n_params > MAX_GRID_WORK:
        most = max(2, int((MAX_GRID_WORK / n_params) ** 0.5))
        raise ValueError(
            f"resolution={resolution} means {resolution * resolution:,} evaluations of a model "
            f"with {n_params:,} parameters, more than this picture allows (about 5 s of work): "
            f"use resolution={most} or less"
        )
    if threshold is not None:
        threshold = number(threshold, "threshold (or None)")
    xs0, xs1 = _axis([p[0] for p in points], resolution), _axis([p[1] for p in points], resolution)
    # grid[row][column]: v is the height; each a Value, or a list of them (several outputs)
    grid: list[list[Any]] = [[model([u, v]) for u in xs0] for v in xs1]
    several = isinstance(grid[0][0], (list, tuple))
    fig = _figure(figsize=(6.0, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    if several:
        field = [[argmax([a.data for a in out]) for out in row] for row in grid]
        k = len(grid[0][0])
        colours = ListedColormap([_CLASS_COLOURS[c % len(_CLASS_COLOURS)] for c in range(k)])
        ax.contourf(
            xs0, xs1, field, levels=[c - 0.5 for c in range(k + 1)], cmap=colours, alpha=0.3
        )
        colour_of = {c: _CLASS_COLOURS[int(c) % len(_CLASS_COLOURS)] for c in classes}
    else:
        if threshold is None:
            threshold = 0.5 if getattr(model, "output_activation", None) == "sigmoid" else 0.0
        field = [[out.data for out in row] for row in grid]
        low = min(min(row) for row in field)
        high = max(max(row) for row in field)
        span = max(threshold - low, high - threshold, 1e-12)  # a colour scale centred on it
        shade = ax.contourf(
            xs0,
            xs1,
            field,
            levels=20,
            cmap="RdBu_r",
            vmin=threshold - span,
            vmax=threshold + span,
            alpha=0.6,
        )
        fig.colorbar(shade, ax=ax, label="model output")
        if low < threshold < high:
            ax.contour(xs0, xs1, field, levels=[threshold], colors="black", linewidths=1.5)
        colour_of = dict(zip(classes, _CLASS_COLOURS))  # the lower label blue, the higher red
    signed = any(isinstance(c, int) and c < 0 for c in classes)  # -1 and +1: show both signs
    for c in classes:
        mine = [p for p, y in zip(points, labels) if y == c]
        ax.scatter(
            [p[0] for p in mine],
            [p[1] for p in mine],
            color=colour_of[c],
            edgecolors="black",
            linewidths=0.6,
            s=60 if len(points) <= 20 else 28,  # a handful of points (XOR) drawn larger
            label=f"y = {c:+g}" if signed else f"y = {c:g}",
            zorder=3,
        )
    ax.set_xlim(xs0[0], xs0[-1])
    ax.set_ylim(xs1[0], xs1[-1])
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(title or "decision boundary")
    ax.legend(loc="best", framealpha=0.8)
    return _finish(fig, path)


class Figure(_figure_module.Figure):
    """A matplotlib Figure that Jupyter shows as a PNG when a cell returns it, without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=_DPI)
        return buffer.getvalue()


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # a canvas of its own: savefig works without pyplot
    return fig


def _finish(fig: Figure, path: StrPath | None) -> Figure:
    """The figure, written to `path` as a PNG first when one is given (atomically: an existing
    file is replaced whole or not at all, and nothing but a regular file is ever replaced)."""
    if path is not None:
        check_target(path, "the plot")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI)
        write_file(path, buffer.getvalue(), "the plot")
    return fig


def _series(values, name):
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a list of numbers, got {type(values).__name__}")
    if not len(values):
        raise ValueError(f"{name} is empty; there is nothing to plot")
    # finite=False: a nan or inf someone recorded is shown as matplotlib shows it, as a gap
    return [number(v, f"{name}[{e}]", finite=False) for e, v in enumerate(values)]


def _pair(x, name):
    """A data point, checked: two finite numbers."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != 2:
        raise ValueError(f"{name} must be a pair of numbers (x[0], x[1]), got {x!r}")
    return [number(x[0], f"{name}[0]"), number(x[1], f"{name}[1]")]


def _label(y, name):
    if isinstance(y, (list, tuple)) and len(y) == 1:
        y = y[0]
    if isinstance(y, bool) or not isinstance(y, (int, float)) and not hasattr(y, "__index__"):
        raise TypeError(f"{name} must be a class label (a number), got {type(y).__name__}")
    return int(y) if float(y).is_integer() else float(y)


def _axis(values, resolution):
    """`resolution` evenly spaced numbers covering values with a 10% margin on each side."""
    low, high = min(values), max(values)
    margin = 0.1 * (high - low) if high > low else 1.0
    low, high = low - margin, high + margin
    return [low + (high - low) * i / (resolution - 1) for i in range(resolution)]

"""The pictures: what each figure contains (axes, lines, points, the boundary), that the files are
real PNGs of the expected size, that Jupyter shows a returned figure once, and the errors."""

import struct
import types

import nbclient
import nbformat
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import QuadContourSet
from matplotlib.figure import Figure

import autograd
from nn import plot
from nn.datasets import moons, spirals
from nn.modules import MLP
from nn.train import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """(width, height) from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# ---- the history ----


def test_history_plots_loss_and_accuracy_per_epoch(tmp_path):
    history = History([0.9, 0.5, 0.4, 0.35], [0.5, 0.75, 0.75, 1.0])
    path = tmp_path / "history.png"
    fig = plot.history(history, path=path, title="xor")
    assert isinstance(fig, Figure)
    loss_ax, accuracy_ax = fig.axes
    (loss_line,) = loss_ax.get_lines()
    (accuracy_line,) = accuracy_ax.get_lines()
    assert list(loss_line.get_xdata()) == [1, 2, 3, 4]
    assert list(loss_line.get_ydata()) == history.loss
    assert list(accuracy_line.get_ydata()) == history.accuracy
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("epoch", "loss")
    assert accuracy_ax.get_ylabel() == "accuracy" and "100.0%" in accuracy_ax.get_title()
    assert loss_ax.get_yscale() == "linear" and fig.get_suptitle() == "xor"
    assert png_size(path.read_bytes()) == (1000, 360)  # 10 x 3.6 inches at 100 dpi


def test_history_without_accuracy_has_one_panel():
    fig = plot.history(History([3.0, 2.0, 1.0], None))
    assert len(fig.axes) == 1 and list(fig.axes[0].get_lines()[0].get_ydata()) == [3, 2, 1]


def test_a_loss_falling_over_decades_gets_a_log_scale():
    fig = plot.history(History([10.0, 1.0, 0.01], None))
    assert fig.axes[0].get_yscale() == "log"
    fig = plot.history(History([10.0, 1.0, 0.0], None))  # a zero loss cannot go on a log scale
    assert fig.axes[0].get_yscale() == "linear"


def test_a_single_epoch_is_drawn_as_a_marker():
    fig = plot.history(History([0.5], [1.0]))
    assert all(ax.get_lines()[0].get_marker() == "o" for ax in fig.axes)


@pytest.mark.parametrize(
    "history, error, message",
    [
        (History([], None), ValueError, "history.loss is empty; there is nothing to plot"),
        (History([1.0, 0.5], [0.5]), ValueError, "history has 2 losses but 1 accuracies"),
        ([1.0, 0.5], TypeError, r"history must be what nn.fit returns \(with .loss and .accura"),
        (History(None, None), TypeError, "history.loss must be a list of numbers, got NoneType"),
        (History([1.0, "a"], None), TypeError, r"history.loss\[1\] must be a number, got str"),
        (History([1.0], [True]), TypeError, r"history.accuracy\[0\] must be a number, got bool"),
    ],
)
def test_bad_histories_are_clear_errors(history, error, message):
    with pytest.raises(error, match=message):
        plot.history(history)


# ---- the decision boundary ----


def parts(ax):
    contours = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    return contours, points


def test_decision_boundary_shades_the_output_draws_the_boundary_and_every_point(tmp_path):
    X, Y = moons(30, seed=0, signed=True)
    path = tmp_path / "boundary.png"
    fig = plot.decision_boundary(MLP(2, [8, 1], seed=0), X, Y, path=path, resolution=12)
    ax, colorbar = fig.axes
    assert colorbar.get_label() == "<colorbar>"
    contours, points = parts(ax)
    shade, boundary = contours
    assert list(boundary.levels) == [0.0]  # a linear output: the boundary is output = 0
    assert [len(p.get_offsets()) for p in points] == [Y.count(-1), Y.count(1)]
    drawn = sorted(tuple(xy) for p in points for xy in p.get_offsets())
    assert drawn == sorted(map(tuple, X))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["y = -1", "y = +1"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x[0]", "x[1]")
    x_low, x_high = ax.get_xlim()
    assert x_low < min(x[0] for x in X) and x_high > max(x[0] for x in X)
    assert png_size(path.read_bytes()) == (600, 500)


def test_a_sigmoid_output_has_its_boundary_at_one_half():
    X, Y = moons(20, seed=0)
    model = MLP(2, [8, 1], output_activation="sigmoid", seed=0)
    boundary = parts(plot.decision_boundary(model, X, Y, resolution=15).axes[0])[0][1]
    assert list(boundary.levels) == [0.5]
    fig = plot.decision_boundary(model, X, Y, resolution=15, threshold=0.45)
    assert list(parts(fig.axes[0])[0][1].levels) == [0.45]


def test_several_outputs_colour_the_plane_by_the_largest_one():
    X, Y = spirals(30, classes=3, seed=0)
    fig = plot.decision_boundary(MLP(2, [8, 3], seed=0), X, Y, resolution=10)
    (ax,) = fig.axes  # no colorbar: the colours are classes
    contours, points = parts(ax)
    (regions,) = contours
    assert list(regions.levels) == [-0.5, 0.5, 1.5, 2.5]
    assert [len(p.get_offsets()) for p in points] == [10, 10, 10]


def test_the_grid_is_evaluated_without_recording_a_graph():
    calls = []
    model = MLP(2, [4, 1], seed=0)

    class Spy:
        nin = 2

        def __call__(self, x):
            calls.append(autograd.is_grad_enabled())
            return model(x)

    X, Y = moons(10, seed=0)
    plot.decision_boundary(Spy(), X, Y, resolution=7)
    assert len(calls) == 49 and not any(calls)
    assert autograd.is_grad_enabled()


def test_no_pyplot_figures_are_left_open():
    pyplot = pytest.importorskip("matplotlib.pyplot")
    before = pyplot.get_fignums()
    X, Y = moons(10, seed=0)
    plot.decision_boundary(MLP(2, [2, 1], seed=0), X, Y, resolution=5)
    plot.history(History([1.0, 0.5], None))
    assert pyplot.get_fignums() == before


@pytest.mark.parametrize(
    "model, X, Y, kwargs, error, message",
    [
        (MLP(3, [1], seed=0), [[0, 0, 0]], [0], {}, ValueError, "needs a model with 2 inputs"),
        (MLP(2, [1], seed=0), [[0, 0]], [0, 1], {}, ValueError, "X has 1 examples but Y has 2"),
        (MLP(2, [1], seed=0), [], [], {}, ValueError, "the data set is empty"),
        (MLP(2, [1], seed=0), [[0, 0, 1]], [0], {}, ValueError, r"X\[0\] must be a pair"),
        (
            MLP(2, [1], seed=0),
            [[0, float("nan")]],
            [0],
            {},
            ValueError,
            r"X\[0\]\[1\] must be a fin",
        ),
        (MLP(2, [1], seed=0), [[0, 0]], ["a"], {}, TypeError, r"Y\[0\] must be a class label"),
        (
            MLP(2, [1], seed=0),
            [[0, 0]],
            [0],
            {"resolution": 1},
            ValueError,
            "resolution must be an",
        ),
        (MLP(2, [1], seed=0), [[0, 0]], [0], {"resolution": 2.5}, TypeError, "resolution must be"),
        (MLP(2, [1], seed=0), [[0, "a"]], [0], {}, TypeError, r"X\[0\]\[1\] must be a number, got"),
        (
            MLP(2, [1], seed=0),
            [[0, 0]],
            [0],
            {"threshold": "0"},
            TypeError,
            "threshold .*must be a",
        ),
        (
            MLP(2, [1], seed=0),
            [[0, 0]],
            [0],
            {"threshold": float("inf")},
            ValueError,
            "thresh.*fin",
        ),
        (
            MLP(2, [1], seed=0),
            [[i, 0] for i in range(9)],
            list(range(9)),
            {},
            ValueError,
            "Y has 9 different labels",
        ),  # fmt: skip
    ],
)
def test_bad_arguments_are_clear_errors(model, X, Y, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot.decision_boundary(model, X, Y, **kwargs)


# ---- in a notebook ----


def test_a_figure_shows_itself_as_a_png():
    data = plot.history(History([1.0, 0.5], [0.5, 1.0]))._repr_png_()
    assert png_size(data) == (1000, 360)


def test_a_real_jupyter_kernel_shows_a_returned_figure_once():
    cells = [
        "from nn import plot\nfrom nn.train import History\nh = History([1.0, 0.5], None)",
        "plot.history(h)",  # returned: one image
        "fig = plot.history(h)",  # assigned: nothing shown
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    shown, assigned = notebook.cells[1].outputs, notebook.cells[2].outputs
    assert [o.output_type for o in shown] == ["execute_result"]
    assert "image/png" in shown[0].data and assigned == []


def test_nn_plot_is_reachable_as_an_attribute_and_loads_lazily():
    import subprocess
    import sys

    code = "import sys, nn; a = 'matplotlib' in sys.modules; nn.plot.history; print(a)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_huge_resolution_is_refused_up_front(monkeypatch):
    model = MLP(2, [16, 16, 1], seed=0)
    X, Y = moons(20, seed=0)

    def evaluated(self, x):
        raise AssertionError("the model was evaluated before the work was checked")

    monkeypatch.setattr(MLP, "__call__", evaluated)
    with pytest.raises(ValueError, match=r"resolution=\d+ or less"):
        plot.decision_boundary(model, X, Y, resolution=10_000)


def test_a_plot_never_replaces_a_fifo(tmp_path):
    import os

    os.mkfifo(tmp_path / "loss.png")
    history = types.SimpleNamespace(loss=[1.0, 0.5], accuracy=None)
    with pytest.raises(ValueError, match="FIFO"):
        plot.history(history, path=tmp_path / "loss.png")
    assert (tmp_path / "loss.png").is_fifo()

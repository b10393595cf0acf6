"""autograd.replay.crosscheck_graph: any recorded graph replayed in PyTorch float64, every node's
value, local derivatives and gradient compared, and the first wrong number named."""

import math
import sys

import pytest
from hypothesis import given, settings
from optable import BINARY, NARY, UNARY, recipes, replay

from autograd import Value, grad, topological_order, total, weighted_sum
from autograd.ops import OPS
from autograd.replay import GraphReport, crosscheck_graph
from autograd.value import record
from nn import losses
from nn.modules import ACTIVATIONS, MLP


@settings(max_examples=60)
@given(recipes())
def test_random_graphs_agree_node_by_node(torch, recipe):
    leaves, steps = recipe
    root = replay(steps, [Value(x) for x in leaves], 0)
    report = crosscheck_graph(root)
    assert report.ok, str(report)
    assert report.n_nodes == len(topological_order(root))


POINTS = {"log": 1.7, "sqrt": 2.3, "**0.5": 1.3, "**-1": -1.9, "abs": -0.7}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_every_unary_op_replays(torch, name):
    x = Value(POINTS.get(name, -0.8), label="x")
    out = UNARY[name][0](x)
    report = crosscheck_graph(out * out)  # out is used twice: a gradient that accumulates
    assert report.ok, str(report)


@pytest.mark.parametrize("name", sorted(BINARY) + sorted(NARY))
def test_every_binary_and_nary_op_replays(torch, name):
    a, b, c = Value(1.3, "a"), Value(-0.6, "b"), Value(0.4, "c")
    out = BINARY[name][0](a, c) if name in BINARY else NARY[name][0](a, b, c)
    report = crosscheck_graph(out.tanh())
    assert report.ok, str(report)


def test_every_op_of_the_engine_is_known():
    engine_ops = set(UNARY) - {"2**x", "**2", "**3", "**-1", "**0.5"} | set(BINARY) | set(NARY)
    assert engine_ops | {"**n"} == {name for name, op in OPS.items() if op.torch is not None}


@pytest.mark.parametrize("x", [0.0, 3.0])
@pytest.mark.parametrize("op", ["**0", "**0.5", "**2", "**1.5"])
def test_number_exponents_including_at_zero(torch, op, x):
    n = float(op[2:]) if "." in op else int(op[2:])
    report = crosscheck_graph(Value(x) ** n)
    assert report.ok, str(report)


def test_leaky_relu_with_another_slope(torch):
    assert crosscheck_graph(Value(-2.0).leaky_relu(0.2) * 3.0).ok
    assert crosscheck_graph(Value(0.0).leaky_relu(0.3) * 3.0).ok  # at 0 the slope is the grad


def test_softplus_far_beyond_torchs_default_threshold(torch):
    report = crosscheck_graph(Value(30.0).softplus() - 30.0)
    assert report.ok, str(report)


def test_nan_from_a_negative_base_agrees_with_torch(torch):
    base, exponent = Value(-2.0, "base"), Value(2.0, "w")
    out = base**exponent  # d/dw = x^w ln(x) is nan for x < 0, in both
    report = crosscheck_graph(out)
    assert report.ok, str(report)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "binary_cross_entropy"])
def test_mlp_graphs_agree(torch, activation, loss):
    output = "sigmoid" if loss == "binary_cross_entropy" else "linear"
    model = MLP(3, [4, 2], activation, output, seed=3)
    out = model([0.5, -1.0, 2.0])
    target = 1 if loss == "cross_entropy" else [1.0, 0.0]
    report = crosscheck_graph(losses.LOSSES[loss](out, target))
    assert report.ok, str(report)
    assert report.max_abs_error <= 1e-10


def test_a_batch_cost_agrees(torch):
    model = MLP(2, [3, 1], "tanh", "sigmoid", seed=1)
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1.0, 1.0, 0.0]
    cost = total([losses.binary_cross_entropy(model(x), y) for x, y in zip(xs, ys)]) / 3
    assert crosscheck_graph(cost).ok


def test_a_graph_of_gradients_agrees(torch):
    """create_graph=True records the derivative rules as a graph; it replays like any other."""
    x, w = Value(0.7, "x"), Value(-1.3, "w")
    y = (x * w).tanh() + x.exp() / w
    (dy_dx,) = grad(y, [x], create_graph=True)
    report = crosscheck_graph(dy_dx)
    assert report.ok, str(report)


def test_a_lone_leaf_agrees(torch):
    report = crosscheck_graph(Value(2.5))
    assert report.ok and report.n_nodes == 1


def test_a_wrong_local_derivative_is_caught_and_the_node_named(torch):
    x, w = Value(0.3, "x"), Value(-1.2, "w")
    xw = x * w
    h = record(math.tanh(xw.data), (xw,), (0.5,), "tanh")  # tanh' is 1 - tanh^2, not 0.5
    h.label = "h"
    out = (h + x).exp()
    report = crosscheck_graph(out)
    assert not report.ok
    first = report.first_mismatch
    assert (first.label, first.op, first.quantity) == ("h", "tanh", "local_grads[0]")
    assert first.engine == 0.5 and first.torch == pytest.approx(1 - math.tanh(xw.data) ** 2)
    assert first.index == topological_order(out).index(h)
    text = str(report)
    assert "MISMATCH" in text and "first: node 3 h, op 'tanh': local_grads[0] is 0.5" in text
    # the wrong derivative spreads to the gradients of everything before h, and only there
    wrong_grads = {m.node for m in report.mismatches if m.quantity == "grad"}
    assert wrong_grads == {x, w, xw}


def test_a_wrong_value_is_caught_at_the_node_that_made_it(torch):
    x = Value(0.5, "x")
    bad = record(math.exp(x.data) + 1e-6, (x,), (math.exp(x.data),), "exp")
    bad.label = "bad"
    report = crosscheck_graph((bad * 2.0).sigmoid())
    first = report.first_mismatch
    assert (first.label, first.op, first.quantity) == ("bad", "exp", "value")


def test_a_wrong_backward_pass_is_caught(torch, monkeypatch):
    """With correct local derivatives but a backward() that overwrites instead of accumulating,
    only gradients disagree; the first is the first wrong one backward() computed."""

    def overwriting_backward(self):
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            for x, local in zip(node.inputs, node.local_grads):
                x.grad = local * node.grad  # bug: = where += belongs

    monkeypatch.setattr(Value, "backward", overwriting_backward)
    x = Value(1.5, "x")
    y = x * x + x  # x feeds three edges
    y.label = "y"
    report = crosscheck_graph(y.tanh())
    assert not report.ok
    assert {m.quantity for m in report.mismatches} == {"grad"}
    assert report.first_mismatch.node is x


def test_the_callers_gradients_are_left_as_they_were(torch):
    x, w = Value(0.3, "x"), Value(-1.2, "w")
    z = weighted_sum([w], [x], 0.5)
    out = z.sigmoid()
    for i, node in enumerate(topological_order(out)):
        node.grad = 10.0 + i
    before = [node.grad for node in topological_order(out)]
    crosscheck_graph(out)
    assert [node.grad for node in topological_order(out)] == before


def test_the_leaf_gradient_is_this_pass_not_an_accumulated_one(torch):
    x = Value(2.0)
    out = x * 3.0
    x.grad = 100.0  # left over from earlier passes: not d(out)/dx
    assert crosscheck_graph(out).ok


def test_an_unknown_op_is_a_clear_error(torch):
    x = Value(1.0, "x")
    odd = record(math.sin(x.data), (x,), (math.cos(x.data),), "mystery")
    odd.label = "s"
    with pytest.raises(ValueError, match=r"cannot replay the op 'mystery' of node 1 \(s\)"):
        crosscheck_graph(odd * 2.0)


def test_inputs_that_do_not_fit_the_op_are_a_clear_error(torch):
    x = Value(1.0)
    wrong = record(2.0, (x, x), (1.0,), "tanh")
    with pytest.raises(ValueError, match="op 'tanh' with 2 inputs and 1 local derivatives"):
        crosscheck_graph(wrong)


def test_a_power_without_its_exponent_is_a_clear_error(torch):
    x = Value(2.0)
    wrong = record(4.0, (x,), (4.0,), "**n")  # the exponent is the op's parameter: missing
    with pytest.raises(ValueError, match=r"op '\*\*n' with the parameters \(\)"):
        crosscheck_graph(wrong)


def test_a_linear_node_without_weights_is_its_bias(torch):
    assert crosscheck_graph(weighted_sum([], [], Value(1.5)).exp()).ok


def test_tolerance_must_be_positive(torch):
    with pytest.raises(ValueError, match="tol must be a positive number"):
        crosscheck_graph(Value(1.0), tol=-1)


def test_report_reads(torch):
    report = crosscheck_graph((Value(1.0, "x") * 2.0).tanh())
    assert isinstance(report, GraphReport)
    assert str(report).startswith("crosscheck_graph: 4 nodes replayed in PyTorch float64")
    assert str(report).endswith("OK: every node agrees.")
    assert report.first_mismatch is None and "ok=True" in repr(report)


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ImportError, match=r"make test. installs it, or .\.venv/bin/pip install -e '\.\[torch\]'"
    ):
        crosscheck_graph(Value(1.0) * 2.0)

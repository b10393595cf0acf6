"""The op registry (autograd.ops): every interpreter knows every op, sin and cos work
everywhere, and users can define ops of their own that every interpreter handles."""

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from optable import BINARY, NARY, UNARY

from autograd import OPS, Op, Value, cos, define_op, draw, grad, sin
from autograd.derivatives import local_derivatives
from autograd.expression import evaluate, functions, operators
from autograd.notation import formula, op_text


def built(name):
    """A node made by each of the tests' op table entries (tests/optable.py)."""
    if name in UNARY:
        return UNARY[name][0](Value(0.7))
    if name in BINARY:
        return BINARY[name][0](Value(0.7), Value(1.3))
    return NARY[name][0](Value(0.7), Value(1.3), Value(-0.4))


CASES = sorted(UNARY) + sorted(BINARY) + sorted(NARY)


@pytest.fixture
def scratch_ops():
    """Names registered by a test are removed afterwards, so tests stay independent."""
    before = set(OPS)
    yield
    for name in set(OPS) - before:
        del OPS[name]


# ---- the registry against every interpreter ----


def test_the_tests_op_table_covers_the_registry_exactly():
    """Adding an op to the registry without tests (or tests for an op the registry lacks)
    fails here: tests/optable.py must build a node of every registered op."""
    assert {built(name).op for name in CASES} == set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_is_known_to_every_interpreter(name, torch):
    op = OPS[name]
    assert isinstance(op, Op) and op.name == name
    node = next(built(case) for case in CASES if built(case).op == name)
    # forward: apply gives the same node again
    again = op.apply(*node.inputs, *node.params)
    assert (again.op, again.params, again.data) == (node.op, node.params, node.data)
    # second-order rule (create_graph=True): the same numbers the forward rule recorded
    second = local_derivatives(node)
    assert len(second) == len(node.inputs)
    for value, recorded in zip(second, node.local_grads):
        assert value.data == pytest.approx(recorded, rel=1e-12, abs=1e-15)
    # the PyTorch replay: the same value
    tensors = [torch.tensor(x.data, dtype=torch.float64) for x in node.inputs]
    assert op.torch(torch, tensors, node.params).item() == pytest.approx(node.data, rel=1e-12)
    # pictures and step texts
    names = {x: f"v{i}" for i, x in enumerate(node.inputs)}
    assert op_text(node) and formula(node, names)
    # the expression parser reaches every op that has a name to be typed by
    if op.parse and not op.infix:
        assert evaluate(f"{op.parse}(x)", {"x": 0.7}).op == name
    if op.parse and op.infix:
        assert evaluate(f"x {op.parse} y", {"x": 0.7, "y": 1.3}).op == name


def test_the_parser_and_the_cli_help_read_the_registry():
    assert set(functions()) == {op.parse for op in OPS.values() if op.parse and not op.infix}
    assert set(operators()) == {"+", "-", "*", "/", "**"}
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "graph", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for name in functions():
        assert name in result.stdout


def test_op_parameters_are_data_on_the_node():
    x = Value(2.0)
    assert ((x**3).op, (x**3).params) == ("**n", (3,))
    assert (x.leaky_relu(0.2).op, x.leaky_relu(0.2).params) == ("leaky_relu", (0.2,))
    assert op_text(x**3) == "^3" and formula(x**3, {x: "x"}) == "x^3"
    assert (x + 1).params == () and x.params == ()


# ---- sin and cos, added as a record of the registry ----


@given(st.floats(-20, 20))
def test_sin_and_cos_values_and_derivatives(t):
    x = Value(t)
    s, c = sin(x), cos(x)
    assert (s.data, c.data) == (math.sin(t), math.cos(t))
    assert (s.local_grads, c.local_grads) == ((math.cos(t),), (-math.sin(t),))


def test_sin_and_cos_second_and_third_derivatives():
    x = Value(0.8)
    (d1,) = grad(sin(x), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3) == pytest.approx((math.cos(0.8), -math.sin(0.8), -math.cos(0.8)))
    (e1,) = grad(cos(x) * x, [x], create_graph=True)  # d/dx x cos x = cos x - x sin x
    (e2,) = grad(e1, [x])  # -2 sin x - x cos x
    assert e2 == pytest.approx(-2 * math.sin(0.8) - 0.8 * math.cos(0.8))


def test_sin_and_cos_replay_in_torch_and_draw(torch):
    from autograd import crosscheck_graph

    x = Value(0.3, label="x")
    y = sin(x * 2) * cos(x)
    assert crosscheck_graph(y).ok
    source = draw(y).source
    assert "label=<sin>" in source and "label=<cos>" in source


def test_sin_and_cos_in_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "nn", "graph", "sin(x) * cos(x)", "--set", "x=0.5"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"d/dx = {math.cos(1.0):.6g}" in result.stdout  # d/dx sin x cos x = cos 2x


def test_inf_in_sin_is_nan_as_in_ieee():
    assert math.isnan(sin(Value(math.inf)).data) and math.isnan(cos(Value(-math.inf)).data)


# ---- ops of the user's own ----


def test_a_user_defined_op_works_in_every_interpreter(scratch_ops, torch):
    from autograd import crosscheck_graph

    cube = define_op(
        "cube",
        lambda x: (x**3, (3 * x**2,)),
        second=lambda node: (3 * node.inputs[0] ** 2,),
        torch=lambda t, xs, params: xs[0] ** 3,
        symbol="³",
        parse="cube",
    )
    x = Value(1.5, label="x")
    y = cube(x)
    assert (y.data, y.op, y.local_grads) == (3.375, "cube", (6.75,))
    y.backward()
    assert x.grad == 6.75
    (d1,) = grad(cube(x), [x], create_graph=True)
    assert grad(d1, [x]) == (9.0,)  # 6x
    assert crosscheck_graph(cube(x) * x).ok
    assert evaluate("cube(x) + 1", {"x": 2.0}).data == 9.0
    assert "label=<³>" in draw(y).source
    assert list(x.backward_steps()) == [] and formula(y, {x: "x"}) == "cube(x)"


def test_a_user_defined_op_with_a_parameter_and_two_inputs(scratch_ops):
    scaled = define_op(
        "scaled_product",
        lambda a, b, k: (k * a * b, (k * b, k * a)),
        params=("k",),
        arity=2,
    )
    a, b = Value(2.0), Value(3.0)
    y = scaled(a, b, 0.5)
    assert (y.data, y.params, y.local_grads) == (3.0, (0.5,), (1.5, 1.0))
    assert scaled(a, b, k=0.5).data == 3.0
    with pytest.raises(NotImplementedError, match="'scaled_product' to have a second-order rule"):
        grad(y, [a], create_graph=True)


def test_define_op_explains_its_mistakes(scratch_ops):
    with pytest.raises(ValueError, match="identifier"):
        define_op("my op", lambda x: (x, (1.0,)))
    with pytest.raises(ValueError, match="already registered"):
        define_op("tanh", lambda x: (x, (1.0,)))
    with pytest.raises(TypeError, match="forward must be a function"):
        define_op("nothing", 3)
    bad = define_op("bad", lambda x: x)  # returns no local derivatives
    with pytest.raises(TypeError, match=r"must return \(value, local derivatives\)"):
        bad(Value(1.0))
    short = define_op("short", lambda x, y: (x, (1.0,)), arity=2)
    with pytest.raises(TypeError, match="returned 1 local derivatives for 2 inputs"):
        short(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match="short takes 2 inputs, got 1 arguments"):
        short(Value(1.0))

"""grad(): gradients as return values, and gradients of gradients (create_graph=True)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from optable import BINARY, UNARY

from autograd import Value, grad, total, weighted_sum
from autograd.derivatives import local_derivatives
from autograd.ops import OPS
from autograd.value import record


def test_grad_returns_the_same_numbers_as_backward_and_leaves_grad_alone():
    x, w = Value(0.3), Value(-1.2)
    y = (x * w).tanh() + x**2
    dx, dw = grad(y, [x, w])
    assert x.grad == 0.0 and w.grad == 0.0 and y.grad == 0.0
    y.backward()
    assert (dx, dw) == (x.grad, w.grad)
    assert isinstance(dx, float)


def test_grad_of_an_unrelated_input_is_zero():
    x, u = Value(1.0), Value(5.0)
    assert grad(x * 3, [x, u]) == (3.0, 0.0)
    (du,) = grad(x * 3, [u], create_graph=True)
    assert isinstance(du, Value) and du.data == 0.0


def test_grad_with_respect_to_an_intermediate_node():
    x = Value(2.0)
    h = x * 3
    y = h * h
    assert grad(y, [h, x]) == (12.0, 36.0)


def test_second_derivative_of_a_cube_is_6x():
    x = Value(1.5)
    (dx,) = grad(x**3, [x], create_graph=True)
    assert isinstance(dx, Value) and dx.data == pytest.approx(3 * 1.5**2, rel=1e-15)
    (d2x,) = grad(dx, [x])
    assert d2x == pytest.approx(6 * 1.5, rel=1e-15)
    (d2x,) = grad(dx, [x], create_graph=True)
    (d3x,) = grad(d2x, [x])
    assert d3x == pytest.approx(6.0, rel=1e-15)


def test_every_op_has_a_differentiable_rule():
    ops = {"+", "-", "*", "/", "**", "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid"}
    ops |= {"relu", "leaky_relu", "softplus", "linear", "sum", "**n", "sin", "cos"}
    assert ops == {name for name, op in OPS.items() if op.second is not None}


def _rule_matches_recorded(out):
    """The Value-valued rule gives the same numbers the forward pass recorded."""
    values = [d.data for d in local_derivatives(out)]
    assert len(values) == len(out.local_grads)
    for got, recorded in zip(values, out.local_grads):
        assert math.isclose(got, recorded, rel_tol=1e-12, abs_tol=1e-300) or (
            math.isnan(got) and math.isnan(recorded)
        )


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_rule_agrees_with_the_recorded_local_derivative(name):
    f, _, domain = UNARY[name]
    given(domain)(lambda x: _rule_matches_recorded(f(Value(x))))()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_rule_agrees_with_the_recorded_local_derivatives(name):
    f, _, dom_x, dom_y = BINARY[name]
    given(dom_x, dom_y)(lambda x, y: _rule_matches_recorded(f(Value(x), Value(y))))()


@given(st.lists(st.floats(-5, 5), min_size=5, max_size=5))
def test_nary_rules_agree_with_the_recorded_local_derivatives(xs):
    a, b, c, d, e = (Value(x) for x in xs)
    _rule_matches_recorded(weighted_sum([a, b], [c, a], d))
    _rule_matches_recorded(total([a, b, e, a]))


@pytest.mark.parametrize(
    "point", [lambda: Value(0.0).relu(), lambda: abs(Value(0.0)), lambda: Value(0.0) ** 0.5]
)
def test_rules_agree_at_kinks_and_singular_points(point):
    _rule_matches_recorded(point())


def test_rules_agree_for_pow_with_negative_and_zero_base():
    _rule_matches_recorded(Value(-2.0) ** Value(3.0))
    _rule_matches_recorded(Value(0.0) ** Value(2.0))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_second_derivative_matches_central_difference_of_the_first(name):
    f, _, domain = UNARY[name]

    def first(t):
        v = Value(t)
        return grad(f(v), [v])[0]

    @given(domain)
    def check(x):
        v = Value(x)
        (dv,) = grad(f(v), [v], create_graph=True)
        (d2,) = grad(dv, [v])
        h = 1e-5
        numeric = (first(x + h) - first(x - h)) / (2 * h)
        assert math.isclose(d2, numeric, rel_tol=1e-4, abs_tol=1e-5), (x, d2, numeric)

    check()


def test_unknown_op_has_no_second_derivative():
    x = Value(0.5)
    y = record(math.sin(x.data), (x,), (math.cos(x.data),), "mystery")
    assert grad(y, [x]) == (math.cos(0.5),)  # first order only needs the recorded number
    with pytest.raises(NotImplementedError, match="op 'mystery' to have a second-order rule"):
        grad(y, [x], create_graph=True)


def test_grad_rejects_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value, got float"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match="wrap a single one"):
        grad(x * 2, x)
    with pytest.raises(TypeError, match="inputs must be Values, got float"):
        grad(x * 2, [1.0])


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def tiny_net(x, y):
    h = (0.5 * x - 1.5 * y + 0.1).tanh()
    return (h * x).sigmoid() + (y * h).exp() / (1 + x * x)


@pytest.mark.parametrize("f", [rosenbrock, tiny_net])
@pytest.mark.parametrize("point", [(0.3, -0.7), (1.2, 0.4)])
def test_hessian_vector_product_matches_torch(torch, f, point):
    v = (0.6, -1.1)
    xs = [Value(p) for p in point]
    gs = grad(f(*xs), xs, create_graph=True)
    gv = gs[0] * v[0] + gs[1] * v[1]
    hvp = grad(gv, xs)

    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    tg = torch.autograd.grad(f(*ts), ts, create_graph=True)
    tgv = tg[0] * v[0] + tg[1] * v[1]
    thvp = torch.autograd.grad(tgv, ts)
    assert hvp == pytest.approx([t.item() for t in thvp], rel=1e-12, abs=1e-12)


def test_a_constant_gradient_has_zero_derivative():
    x = Value(2.0)
    (dx,) = grad(x * 5, [x], create_graph=True)
    assert dx.data == 5.0 and grad(dx, [x]) == (0.0,)

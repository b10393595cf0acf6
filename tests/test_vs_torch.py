"""The engine against PyTorch in float64: whole expressions, random graphs, and the
conventions at kinks. Runs wherever torch is installed, and always in CI."""

import math

import pytest
from hypothesis import given, settings
from optable import recipes, replay

from autograd import Value, central_difference


def tensors(torch, xs):
    return [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]


def expr(x, w):
    """The issue's example, written once for Values and tensors alike."""
    return (x * w + 1).tanh() ** 2 / x - x.exp() + x.log() + x.sigmoid() + x.relu() - abs(w) + 2**x


def test_expression_matches_torch(torch):
    x, w = Value(2.0), Value(-3.0)
    y = expr(x, w)
    y.backward()
    tx, tw = tensors(torch, [2.0, -3.0])
    ty = expr(tx, tw)
    ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=1e-14)
    assert (x.grad, w.grad) == pytest.approx((tx.grad.item(), tw.grad.item()), rel=1e-13)


@settings(max_examples=150)
@given(recipes())
def test_random_graphs_match_torch(torch, recipe):
    leaves, steps = recipe
    values = [Value(x) for x in leaves]
    root = replay(steps, values, 0)
    root.backward()
    ts = tensors(torch, leaves)
    troot = replay(steps, ts, 1)
    troot.backward()
    assert root.data == pytest.approx(troot.item(), rel=1e-11, abs=1e-12)
    for v, t in zip(values, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-11)


@settings(max_examples=150)
@given(recipes())
def test_random_graphs_match_central_differences(recipe):
    leaves, steps = recipe
    values = [Value(x) for x in leaves]
    root = replay(steps, values, 0)
    root.backward()
    for i, v in enumerate(values):
        numeric = central_difference(lambda vs: replay(steps, vs, 0), leaves, i)
        assert math.isclose(v.grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (i, v.grad, numeric)


@pytest.mark.parametrize(
    "name, f",
    [
        ("relu", lambda x: x.relu()),
        ("abs", abs),
        ("sqrt", lambda x: x.sqrt()),
        ("**0.5", lambda x: x**0.5),
        ("**0", lambda x: x**0),
    ],
)
def test_derivative_at_zero_follows_torch(torch, name, f):
    x = Value(0.0)
    f(x).backward()
    (t,) = tensors(torch, [0.0])
    f(t).backward()
    assert x.grad == t.grad.item()


def test_leaky_relu_at_zero_follows_torch(torch):
    x = Value(0.0)
    x.leaky_relu(0.01).backward()
    (t,) = tensors(torch, [0.0])
    torch.nn.functional.leaky_relu(t, 0.01).backward()
    assert x.grad == t.grad.item()


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_exponent_gradient_conventions_follow_torch(torch, base):
    x, w = Value(base), Value(3.0)
    (x**w).backward()
    tx, tw = tensors(torch, [base, 3.0])
    (tx**tw).backward()
    assert x.grad == tx.grad.item()
    if math.isnan(tw.grad.item()):
        assert math.isnan(w.grad)
    else:
        assert w.grad == tw.grad.item()

"""Each loss against the formula and the derivative its docstring gives, against PyTorch float64,
at the edges of its domain, and each error a user can meet."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import losses
from nn.losses import (
    binary_cross_entropy,
    cross_entropy,
    hinge,
    mse,
    squared_error,
)

# loss -> (L(a, y), dL/da_k(a, y, k)) as the docstrings write them, in plain floats
FORMULAS = {
    "squared_error": (
        lambda a, y: 0.5 * sum((a_k - y_k) ** 2 for a_k, y_k in zip(a, y)),
        lambda a, y, k: a[k] - y[k],
    ),
    "mse": (
        lambda a, y: sum((a_k - y_k) ** 2 for a_k, y_k in zip(a, y)) / len(a),
        lambda a, y, k: 2 * (a[k] - y[k]) / len(a),
    ),
    "binary_cross_entropy": (
        lambda a, y: (
            -sum(y_k * math.log(a_k) + (1 - y_k) * math.log(1 - a_k) for a_k, y_k in zip(a, y))
        ),
        lambda a, y, k: (a[k] - y[k]) / (a[k] * (1 - a[k])),
    ),
    "binary_cross_entropy_with_logits": (
        lambda z, y: sum(math.log1p(math.exp(z_k)) - y_k * z_k for z_k, y_k in zip(z, y)),
        lambda z, y, k: 1 / (1 + math.exp(-z[k])) - y[k],
    ),
    "hinge": (
        lambda s, y: sum(max(0.0, 1 - y_k * s_k) for s_k, y_k in zip(s, y)),
        lambda s, y, k: -y[k] if y[k] * s[k] < 1 else 0.0,
    ),
}

PREDICTIONS = {  # where each loss is defined and smooth (hinge: away from its kink y s = 1)
    "squared_error": st.floats(-5, 5),
    "mse": st.floats(-5, 5),
    "binary_cross_entropy": st.floats(0.01, 0.99),
    "binary_cross_entropy_with_logits": st.floats(-10, 10),
    "hinge": st.floats(-3, 0.99) | st.floats(1.01, 3),
}
TARGETS = {
    "squared_error": st.floats(-5, 5),
    "mse": st.floats(-5, 5),
    "binary_cross_entropy": st.floats(0, 1),
    "binary_cross_entropy_with_logits": st.floats(0, 1),
    "hinge": st.sampled_from([-1.0, 1.0]),
}


@st.composite
def examples(draw, name):
    """(name, prediction list, target list), 1 to 3 outputs."""
    k = draw(st.integers(1, 3))
    a = draw(st.lists(PREDICTIONS[name], min_size=k, max_size=k))
    y = draw(st.lists(TARGETS[name], min_size=k, max_size=k))
    return a, y


def run(name, a, y):
    values = [Value(a_k) for a_k in a]
    loss = getattr(losses, name)(values, y)
    loss.backward()
    return loss, [v.grad for v in values]


@pytest.mark.parametrize("name", list(FORMULAS))
@settings(max_examples=40)
@given(data=st.data())
def test_value_and_gradient_follow_the_docstring(name, data):
    a, y = data.draw(examples(name))
    loss, grads = run(name, a, y)
    formula, derivative = FORMULAS[name]
    assert loss.data == pytest.approx(formula(a, y), rel=1e-12, abs=1e-12)
    for k in range(len(a)):
        assert grads[k] == pytest.approx(derivative(a, y, k), rel=1e-9, abs=1e-12)


def softmax(z):
    m = max(z)
    e = [math.exp(z_k - m) for z_k in z]
    return [e_k / sum(e) for e_k in e]


@settings(max_examples=40)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=5), st.data())
def test_cross_entropy_follows_its_docstring(z, data):
    t = data.draw(st.integers(0, len(z) - 1))
    loss, grads = run("cross_entropy", z, t)
    m = max(z)
    assert loss.data == pytest.approx(m + math.log(sum(math.exp(z_k - m) for z_k in z)) - z[t])
    p = softmax(z)
    for k in range(len(z)):
        assert grads[k] == pytest.approx(p[k] - (k == t), rel=1e-9, abs=1e-12)


def test_a_single_value_and_a_number_work_as_one_output():
    a = Value(0.3)
    assert squared_error(a, 1.0).data == squared_error([a], [1.0]).data == 0.5 * 0.7**2
    assert mse(0.3, 1).data == pytest.approx(0.49)  # numbers are accepted as predictions


# ---- against PyTorch float64 ----


def torch_reference(torch, name, a, y):
    F = torch.nn.functional
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    if name == "cross_entropy":
        loss = F.cross_entropy(ta.unsqueeze(0), torch.tensor([y]))
    else:
        ty = torch.tensor(y, dtype=torch.float64)
        loss = {
            "squared_error": lambda: 0.5 * F.mse_loss(ta, ty, reduction="sum"),
            "mse": lambda: F.mse_loss(ta, ty, reduction="mean"),
            "binary_cross_entropy": lambda: F.binary_cross_entropy(ta, ty, reduction="sum"),
            "binary_cross_entropy_with_logits": lambda: F.binary_cross_entropy_with_logits(
                ta, ty, reduction="sum"
            ),
            "hinge": lambda: F.relu(1 - ty * ta).sum(),  # torch has no binary max-margin loss
        }[name]()
    loss.backward()
    return loss.item(), ta.grad.tolist()


CASES = [
    ("squared_error", [0.3, -1.2, 2.5], [1.0, 0.0, 2.0]),
    ("mse", [0.3, -1.2, 2.5], [1.0, 0.0, 2.0]),
    ("binary_cross_entropy", [0.2, 0.9, 0.5], [0.0, 1.0, 0.3]),
    ("binary_cross_entropy_with_logits", [-3.0, 0.5, 12.0], [0.0, 1.0, 0.25]),
    ("binary_cross_entropy_with_logits", [-800.0, 800.0], [1.0, 0.0]),  # no overflow
    ("cross_entropy", [0.5, -1.0, 2.0, 0.0], 2),
    ("cross_entropy", [1000.0, 999.0, -1000.0], 1),  # e^1000 overflows a float: log-sum-exp
    ("cross_entropy", [-1000.0, -1001.0], 0),
    ("hinge", [0.3, -2.0, 1.5], [1.0, 1.0, -1.0]),
]


@pytest.mark.parametrize("name, a, y", CASES)
def test_loss_and_gradient_match_torch(torch, name, a, y):
    loss, grads = run(name, a, y)
    expected, expected_grads = torch_reference(torch, name, a, y)
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(expected, rel=1e-13, abs=1e-13)
    assert grads == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)


def test_cross_entropy_with_huge_logits_does_not_overflow():
    z = [Value(1000.0), Value(999.0), Value(-1000.0)]
    loss = cross_entropy(z, 1)
    loss.backward()
    assert loss.data == pytest.approx(1 + math.log1p(math.exp(-1)), rel=1e-15)
    p = softmax([1000.0, 999.0, -1000.0])
    assert [v.grad for v in z] == pytest.approx([p[0], p[1] - 1, p[2]], rel=1e-14)


# ---- binary cross-entropy at exactly 0 and 1 ----


@pytest.mark.parametrize("a, y, slope", [(0.0, 0.0, 1.0), (1.0, 1.0, -1.0)])
def test_bce_of_a_right_prediction_of_exactly_0_or_1_is_zero(a, y, slope):
    """L = -log(1 - a) near a = 0 (y = 0), -log(a) near a = 1 (y = 1): L = 0 there and its
    slope, 1/(1 - a) or -1/a, is +-1: the terms with coefficient 0 are left out, no nan."""
    value = Value(a)
    loss = binary_cross_entropy(value, y)
    loss.backward()
    assert loss.data == 0.0 and value.grad == slope


@pytest.mark.parametrize("a, y", [(0.0, 1.0), (1.0, 0.0), (0.0, 0.5), (1.0, 0.5)])
def test_bce_of_a_certain_wrong_prediction_is_a_clear_error(a, y):
    with pytest.raises(ValueError, match="binary_cross_entropy is infinite.*with_logits"):
        binary_cross_entropy(Value(a), y)


def test_bce_of_a_saturated_sigmoid_gives_zero_gradient_not_nan():
    z = Value(40.0)
    a = z.sigmoid()  # exactly 1.0 in floating point
    assert a.data == 1.0
    binary_cross_entropy(a, 1.0).backward()
    assert z.grad == 0.0  # dL/dz = a - y = 0


# ---- errors ----


@pytest.mark.parametrize("a", [-0.1, 1.1, math.nan, math.inf])
def test_bce_prediction_outside_0_1_is_a_value_error(a):
    with pytest.raises(ValueError, match=r"the prediction must be a probability in \[0, 1\]"):
        binary_cross_entropy(Value(a), 1.0)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("y", [-0.5, 1.5, 2])
def test_bce_target_outside_0_1_is_a_value_error(name, y):
    with pytest.raises(ValueError, match=r"the target must be a probability in \[0, 1\]"):
        getattr(losses, name)(Value(0.5), y)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_mismatched_lengths_are_a_value_error(name):
    with pytest.raises(ValueError, match=f"{name}: the prediction has 2 outputs but the target"):
        getattr(losses, name)([Value(0.5), Value(0.5)], [1.0])
    with pytest.raises(ValueError, match="the prediction has 1 outputs but the target has 3"):
        getattr(losses, name)(Value(0.5), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("name", list(FORMULAS))
def test_bad_targets_and_predictions_are_clear_errors(name):
    loss = getattr(losses, name)
    with pytest.raises(TypeError, match=f"{name}'s target must be a number, got str"):
        loss(Value(0.5), "1")
    with pytest.raises(ValueError, match=f"{name}'s target must be a finite number, got nan"):
        loss(Value(0.5), math.nan)
    with pytest.raises(TypeError, match=f"{name}'s prediction must be Values or numbers"):
        loss(["0.5"], [1.0])
    with pytest.raises(ValueError, match=f"{name}: the prediction is empty"):
        loss([], [])


@pytest.mark.parametrize("y", [0, 0.5, 2, -2])
def test_hinge_labels_must_be_plus_or_minus_one(y):
    with pytest.raises(ValueError, match=f"hinge needs labels -1 or \\+1, got {float(y)!r}"):
        hinge(Value(0.3), y)


@pytest.mark.parametrize("t", [-1, 3, 10])
def test_cross_entropy_class_index_out_of_range_is_a_value_error(t):
    with pytest.raises(
        ValueError, match=rf"target \(a class index\) must be an int from 0 to 2, got {t}"
    ):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], t)


@pytest.mark.parametrize("t", [1.0, True, "1", [1]])
def test_cross_entropy_class_index_of_another_type_is_a_type_error(t):
    with pytest.raises(
        TypeError, match=r"target \(a class index\) must be an int from 0 to 2, got"
    ):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], t)


def test_cross_entropy_accepts_numpy_class_indices():
    np = pytest.importorskip("numpy")
    z = [Value(0.0), Value(1.0)]
    assert cross_entropy(z, np.int64(1)).data == cross_entropy(z, 1).data


def test_cross_entropy_needs_two_logits():
    with pytest.raises(ValueError, match="at least 2 logits"):
        cross_entropy(Value(1.0), 0)
    with pytest.raises(TypeError, match="cross_entropy's prediction must be Values or numbers"):
        cross_entropy([Value(1.0), "x"], 0)


def test_get_finds_each_loss_by_name_and_passes_functions_through():
    for name, function in losses.LOSSES.items():
        assert losses.get(name) is function is getattr(losses, name)

    def custom(prediction, target):
        return (prediction - target) ** 4

    assert losses.get(custom) is custom


def test_get_rejects_unknown_names_and_other_things():
    with pytest.raises(ValueError, match="unknown loss 'mae'; expected one of"):
        losses.get("mae")
    with pytest.raises(TypeError, match="loss must be a function or one of .*, got int"):
        losses.get(3)

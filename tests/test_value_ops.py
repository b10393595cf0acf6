"""Each operation: its forward rule against `math`, its local derivative against a central
difference, its behaviour at kinks, and the clear error it raises outside its domain."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from optable import BINARY, UNARY

from autograd import Constant, Value, linear, total, weighted_sum
from autograd.value import record


def slope(f, x, h=1e-6):
    """Central difference of a float function."""
    return (f(x + h) - f(x - h)) / (2 * h)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)


# Independent forward references, written with `math` only.
FORWARD = {
    "neg": lambda x: -x,
    "abs": abs,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
    "softplus": lambda x: math.log1p(math.exp(x)),
    "**2": lambda x: x * x,
    "**3": lambda x: x * x * x,
    "**-1": lambda x: 1 / x,
    "**0.5": math.sqrt,
    "2**x": lambda x: math.pow(2, x),
    "sin": math.sin,
    "cos": math.cos,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_matches_math(name):
    f, _, domain = UNARY[name]

    @given(domain)
    def check(x):
        assert math.isclose(f(Value(x)).data, FORWARD[name](x), rel_tol=1e-12, abs_tol=1e-300)

    check()


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_local_derivative_matches_central_difference(name):
    f, _, domain = UNARY[name]

    @given(domain)
    def check(x):
        v = Value(x)
        f(v).backward()
        assert close(v.grad, slope(lambda t: f(Value(t)).data, x)), (x, v.grad)

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_local_derivatives_match_central_differences(name):
    f, _, dom_x, dom_y = BINARY[name]

    @given(dom_x, dom_y)
    def check(x, y):
        a, b = Value(x), Value(y)
        f(a, b).backward()
        assert close(a.grad, slope(lambda t: f(Value(t), Value(y)).data, x))
        assert close(b.grad, slope(lambda t: f(Value(x), Value(t)).data, y))

    check()


def same_as_python(engine, python):
    """The engine's result is Python's, or an OverflowError where Python's float is inf (the
    overflow policy: finite operands, a result too large for a float)."""
    expected = python()
    if math.isinf(expected):
        with pytest.raises(OverflowError, match="too large for a float"):
            engine()
    else:
        assert engine().data == expected


@given(st.floats(-10, 10), st.floats(-10, 10))
def test_binary_forward_matches_python(x, y):
    same_as_python(lambda: Value(x) + y, lambda: x + y)
    same_as_python(lambda: Value(x) - y, lambda: x - y)
    same_as_python(lambda: Value(x) * y, lambda: x * y)
    same_as_python(lambda: y - Value(x), lambda: y - x)
    if y != 0:
        same_as_python(lambda: Value(x) / y, lambda: x / y)
    if x != 0:
        same_as_python(lambda: y / Value(x), lambda: y / x)


def test_the_check_catches_a_wrong_local_derivative():
    """The finite-difference comparison used above must be able to fail."""

    def bad_sin(v):  # sin with the derivative of cos: a deliberate bug
        return record(math.sin(v.data), (v,), (-math.sin(v.data),), "bad_sin")

    v = Value(0.7)
    bad_sin(v).backward()
    assert not close(v.grad, slope(math.sin, 0.7))


def test_ops_record_op_inputs_and_local_grads():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = x * w
    assert (y.op, y.inputs, y.local_grads, y.label) == ("*", (x, w), (-3.0, 2.0), "")
    assert (x.op, x.inputs, x.local_grads) == ("", (), ())
    sq = x * x
    assert sq.inputs == (x, x)


def test_a_node_made_by_hand_as_a_lesson_writes_it_backpropagates_and_keeps_its_op():
    """A lesson's own op, micrograd-style: a Value whose inputs, local_grads and op are set
    by hand. backward() uses it, and .op reads back what was set; .params is record()'s."""
    x = Value(2.0)
    cube = Value(x.data**3)
    cube.inputs, cube.local_grads, cube.op = (x,), (3 * x.data**2,), "cube"
    (cube * 2).backward()
    assert x.grad == 24.0 and (cube.op, cube.params) == ("cube", ())
    square = x**2
    square.op = "square"  # a new name keeps the parameters
    assert (square.op, square.params) == ("square", (2,))
    with pytest.raises(AttributeError):
        square.params = (3,)


def test_numbers_become_constants_in_operand_order():
    x = Value(3.0)
    y = 2 * x
    assert isinstance(y.inputs[0], Constant) and y.inputs[0].data == 2.0 and y.inputs[1] is x
    z = x - 1
    assert z.inputs[0] is x and isinstance(z.inputs[1], Constant)
    assert (2**x).op == "**" and isinstance((2**x).inputs[0], Constant)


def test_number_exponent_is_the_ops_parameter():
    """The exponent is data on the node (op '**n', params (n,)), never text to parse back."""
    x = Value(3.0)
    assert ((x**2).op, (x**2).params) == ("**n", (2,)) and (x**2).inputs == (x,)
    assert (x**0.5).params == (0.5,) and type((x**0.5).params[0]) is float
    assert (x**-1).params == (-1,)
    assert (x ** np.int64(2)).params == (2,) and type((x ** np.int64(2)).params[0]) is int
    assert (x.leaky_relu(0.2).op, x.leaky_relu(0.2).params) == ("leaky_relu", (0.2,))


def test_the_issue_example_runs_and_fills_both_gradients():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    y = (x * w + 1).tanh() ** 2 / x - x.exp() + x.log() + x.sigmoid() + x.relu() - abs(w) + 2**x
    y.backward()
    assert isinstance(x.grad, float) and isinstance(w.grad, float)
    t = math.tanh(-5.0)
    expected_y = t * t / 2 - math.exp(2) + math.log(2) + 1 / (1 + math.exp(-2)) + 2 - 3 + 4
    assert math.isclose(y.data, expected_y, rel_tol=1e-14)
    dw = 2 * t * (1 - t * t) * 2 / 2 + 1  # d/dw [tanh(xw + 1)^2 / x - abs(w)] at w < 0
    assert math.isclose(w.grad, dw, rel_tol=1e-12)


# ---- kinks: PyTorch's conventions ----


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    abs(x).backward()
    assert x.grad == 0.0


def test_leaky_relu_derivative_at_zero_is_the_slope():
    x = Value(0.0)
    x.leaky_relu(0.2).backward()
    assert x.grad == 0.2


def test_sqrt_derivative_at_zero_is_infinite():
    for f in (lambda v: v.sqrt(), lambda v: v**0.5):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == math.inf


def test_power_zero_exponent_has_zero_derivative_at_zero():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_exponent_gradient_is_nan_for_a_negative_base():
    """d(x^w)/dw = x^w ln x has no real value for x < 0: recorded as nan, as PyTorch does."""
    x, w = Value(-2.0), Value(3.0)
    y = x**w
    y.backward()
    assert y.data == -8.0 and x.grad == 12.0 and math.isnan(w.grad)


def test_exponent_gradient_is_zero_for_a_zero_base():
    x, w = Value(0.0), Value(2.0)
    (x**w).backward()
    assert w.grad == 0.0 and x.grad == 0.0


def test_sigmoid_and_softplus_do_not_overflow():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0


# ---- errors: the right type, and a message naming the op and the value ----


@pytest.mark.parametrize("x", [-1.0, 0.0])
def test_log_of_non_positive_raises_value_error(x):
    with pytest.raises(ValueError, match=r"log needs a positive input, got " + str(x)):
        Value(x).log()


def test_sqrt_of_negative_raises_value_error():
    with pytest.raises(ValueError, match=r"sqrt needs a non-negative input, got -4.0"):
        Value(-4.0).sqrt()


@pytest.mark.parametrize("den", [Value(0.0), 0, 0.0])
def test_division_by_zero_raises_zero_division_error(den):
    with pytest.raises(ZeroDivisionError, match="division by zero in 1.0 / 0.0"):
        Value(1.0) / den


def test_number_divided_by_zero_value_raises():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1 / Value(0.0)


def test_exp_overflow_names_the_op():
    with pytest.raises(OverflowError, match=r"exp\(1000.0\) is too large"):
        Value(1000).exp()


def test_power_overflow_names_the_op():
    with pytest.raises(OverflowError, match=r"\*\*"):
        Value(10.0) ** 400
    with pytest.raises(OverflowError, match=r"\*\*"):
        10 ** Value(400.0)


@pytest.mark.parametrize("exponent", [0.5, Value(0.5)])
def test_negative_base_with_fractional_exponent_raises(exponent):
    with pytest.raises(ValueError, match=r"negative base \(-8.0\) needs an integer exponent"):
        Value(-8.0) ** exponent


def test_negative_base_with_integer_exponent_is_fine():
    assert (Value(-2.0) ** 3).data == -8.0
    assert (Value(-2.0) ** 3.0).data == -8.0


@pytest.mark.parametrize("exponent", [-1, Value(-1.0)])
def test_zero_to_a_negative_power_raises(exponent):
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** exponent


@pytest.mark.parametrize("bad", ["2", None, 1 + 2j, [1.0], np.array([1.0, 2.0]), True])
def test_value_rejects_non_real_data_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize("good", [3, 2.5, np.float64(1.5), np.float32(0.5), np.int64(7)])
def test_value_stores_real_numbers_as_python_floats(good):
    v = Value(good)
    assert type(v.data) is float and v.data == float(good)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1j])
def test_arithmetic_with_a_non_number_raises_type_error(bad):
    x = Value(1.0)
    for op in (lambda: x + bad, lambda: bad * x, lambda: x - bad, lambda: x / bad):
        with pytest.raises(TypeError, match="expected a Value or a real number"):
            op()
    with pytest.raises(TypeError, match="exponent must be a Value or a real number"):
        x**bad


def test_numpy_scalars_combine_with_values_on_either_side():
    x = Value(2.0)
    for y in (np.float64(3.0) * x, x * np.float64(3.0), np.int64(3) * x):
        assert isinstance(y, Value) and y.data == 6.0


def test_numpy_array_with_value_raises_type_error():
    with pytest.raises(TypeError):
        np.array([1.0, 2.0]) + Value(1.0)


def test_value_is_hashable_by_identity_and_has_no_equality_overload():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and len({a, b}) == 2
    assert hash(a) != hash(b) or a is not b


def test_repr_shows_data_grad_and_label():
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


# ---- n-ary nodes ----


def test_weighted_sum_is_one_node_with_the_seeds_local_derivatives():
    w = [Value(0.5), Value(-2.0)]
    x = [Value(3.0), Value(4.0)]
    b = Value(0.25)
    z = weighted_sum(w, x, b)
    assert z.op == "linear" and z.inputs == (*w, *x, b)
    assert z.local_grads == (3.0, 4.0, 0.5, -2.0, 1.0)  # dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1
    assert z.data == 0.5 * 3 - 2 * 4 + 0.25


def test_weighted_sum_accepts_numbers_and_checks_lengths():
    z = weighted_sum([Value(2.0)], [3], 1)
    assert z.data == 7.0
    with pytest.raises(ValueError, match="as many weights as inputs, got 2 and 1"):
        weighted_sum([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(TypeError, match="got str"):
        weighted_sum([Value(1.0)], ["x"])


def test_total_is_one_node_with_unit_local_derivatives():
    xs = [Value(1.0), Value(2.0), 3]
    s = total(xs)
    assert s.op == "sum" and s.data == 6.0 and s.local_grads == (1.0, 1.0, 1.0)
    assert total([]).data == 0.0


def test_leaky_relu_slope_must_be_a_number():
    with pytest.raises(TypeError, match="slope must be a real number"):
        Value(1.0).leaky_relu("0.1")


def test_relu_of_a_negative_is_plain_zero():
    assert repr(Value(-3.0).relu().data) == "0.0"


def test_linear_makes_one_node_per_row_sharing_the_inputs():
    W = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
    x = [Value(3.0), Value(4.0)]
    b = [Value(0.5), Value(-0.5)]
    z = linear(W, x, b)
    assert [v.data for v in z] == [11.5, -1.5]
    assert z[1].inputs == (*W[1], *x, b[1]) and z[1].local_grads == (3.0, 4.0, -1.0, 0.5, 1.0)


def test_linear_accepts_numbers_anywhere():
    z = linear([[1, 2.0]], [3, Value(4.0)], [0])
    assert z[0].data == 11.0 and isinstance(z[0].inputs[0], Constant)


@pytest.mark.parametrize("bad", ["w", None, np.array([1.0])])
def test_linear_rejects_non_numbers_in_the_weights(bad):
    with pytest.raises(TypeError, match="expected a Value or a real number"):
        linear([[Value(1.0), bad]], [1.0, 2.0], [0.0])


def test_linear_checks_shapes():
    with pytest.raises(ValueError, match="one bias per row of W, got 1 rows and 2 biases"):
        linear([[1.0]], [1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="as many weights as inputs, got 1 and 2"):
        linear([[1.0]], [1.0, 2.0], [0.0])


# ---- nan propagates; overflow has one policy ----

NAN = float("nan")


@pytest.mark.parametrize(
    "op, local",
    [
        (lambda v: v.relu(), 1.0),  # PyTorch's relu'(nan) = 1, its abs'(nan) = 0
        (lambda v: v.leaky_relu(), 0.01),
        (lambda v: abs(v), 0.0),
        (lambda v: v.sqrt(), NAN),
        (lambda v: v.log(), NAN),
        (lambda v: v.tanh(), NAN),
        (lambda v: v.sigmoid(), NAN),
        (lambda v: v.softplus(), NAN),
        (lambda v: v.exp(), NAN),
        (lambda v: v**2, NAN),
    ],
)
def test_nan_propagates_through_every_op(op, local):
    out = op(Value(NAN))
    assert math.isnan(out.data)
    assert out.local_grads[0] == local or (math.isnan(local) and math.isnan(out.local_grads[0]))


def test_nan_reaches_the_hinge_loss_and_cross_entropy():
    from nn import losses

    assert math.isnan(losses.hinge(Value(NAN), 1.0).data)  # was a perfect 0.0
    assert math.isnan(losses.cross_entropy([Value(1.0), Value(NAN)], 0).data)
    assert math.isnan(losses.cross_entropy([Value(NAN), Value(1.0)], 1).data)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x * x,
        lambda x: x * 1e108 + x * 1e108,
        lambda x: x * 1e108 - (-x) * 1e108,
        lambda x: x / 1e-200,
        lambda x: x**2,
        lambda x: x.exp(),
        lambda x: total([x * 1e108, x * 1e108]),
        lambda x: weighted_sum([x], [x], 0.0),
        lambda x: linear([[x, x]], [x * 1e108, x * 1e108], [0.0])[0],
        lambda x: weighted_sum([x, -x], [x, x]),  # inf + -inf: nan, from finite operands
        lambda x: weighted_sum([x, -1e200], [1e200, x], x),  # (numbers: the other path)
    ],
)
def test_overflow_is_one_policy_an_overflow_error(make):
    """x * x returned inf where x ** 2 raised: every op now raises for finite operands."""
    with pytest.raises(OverflowError, match="too large for a float"):
        make(Value(1e200))


def test_infinite_operands_propagate_as_ieee_says():
    inf = float("inf")
    assert (Value(inf) * 2).data == inf
    assert math.isnan((Value(inf) - inf).data)
    assert math.isnan(total([inf, -inf]).data)
    assert Value(inf).exp().data == inf


def test_a_huge_int_is_an_overflow_error_with_a_short_message():
    with pytest.raises(OverflowError, match="too large for a float") as error:
        Value(10**5000)
    assert len(str(error.value)) < 120

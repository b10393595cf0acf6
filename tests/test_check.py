"""gradcheck: backprop against central finite differences, and a readable failure."""

import math

import pytest

from autograd import GradcheckError, Value, central_difference, gradcheck
from autograd.value import record


def f(v):
    x, w = v
    return (x * w + 1).tanh() ** 2 / x - x.exp() + x.log() + 2**x


def test_gradcheck_passes_for_a_correct_function():
    result = gradcheck(f, [2.0, -3.0])
    assert result and result.ok is True and len(result.rows) == 2


def test_gradcheck_accepts_values_and_reads_only_their_data():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    assert gradcheck(f, [x, w])
    assert x.grad == 0.0 and w.grad == 0.0


def bad_sin(v):
    """sin whose recorded derivative is wrong (sin instead of cos)."""
    return record(math.sin(v.data), (v,), (math.sin(v.data),), "bad_sin")


def test_gradcheck_catches_a_wrong_derivative_with_a_table():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: bad_sin(v[0]) * v[1], [Value(0.7, label="t"), 2.0])
    message = str(info.value)
    assert message.startswith("gradcheck failed for 1 of 2 inputs")
    lines = message.splitlines()
    assert lines[1].split() == ["input", "value", "analytic", "numeric", "abs", "error"]
    t_row = lines[2].split()
    assert t_row[0] == "t" and t_row[-1] == "FAIL"
    assert float(t_row[2]) == pytest.approx(2 * math.sin(0.7), rel=1e-5)  # the wrong analytic
    assert float(t_row[3]) == pytest.approx(2 * math.cos(0.7), rel=1e-5)  # the true slope
    assert lines[3].split()[0] == "x[1]" and lines[3].split()[-1] == "ok"


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_nan_gradient_never_passes():
    def nan_grad(v):
        return record(v[0].data, (v[0],), (math.nan,), "nan_op")

    with pytest.raises(GradcheckError):
        gradcheck(nan_grad, [1.0])


def test_tolerances_are_used():
    # d/dx x^2 at 1 is 2; the numeric slope is 2 up to ~1e-10: a crazy atol passes anything
    assert gradcheck(lambda v: bad_sin(v[0]), [0.7], atol=10.0)


def test_central_difference_is_second_order_accurate():
    estimate = central_difference(lambda v: v[0].exp(), [1.0], 0, eps=1e-4)
    assert abs(estimate - math.e) < 1e-7  # error ~ eps^2 e / 6 ~ 5e-9


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(TypeError, match="f must be a function"):
        gradcheck(3, [1.0])
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda v: v, [])
    with pytest.raises(TypeError, match="input 0 must be a real number or a Value, got str"):
        gradcheck(lambda v: v[0], ["a"])
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda v: 1.0, [1.0])


def test_gradcheck_checks_second_derivatives():
    """f itself differentiates with create_graph=True: central differences used to run it with
    recording off, so the numeric side was 0 (analytic 9)."""
    from autograd import grad, no_grad

    def first_derivative(v):
        return grad(v[0] ** 3, [v[0]], create_graph=True)[0]  # 3 x^2

    assert gradcheck(first_derivative, [1.5])  # d/dx 3x^2 = 6x = 9
    assert central_difference(first_derivative, [1.5], 0) == pytest.approx(9.0, rel=1e-6)
    with no_grad():  # recording is on for f even inside no_grad(), as in PyTorch
        assert gradcheck(first_derivative, [1.5])


def test_a_passing_gradcheck_shows_its_table_in_jupyter():
    result = gradcheck(lambda v: v[0] * v[1], [Value(1.5, label="a"), 2.0])
    assert bool(result) and result.ok is True
    text = str(result).splitlines()
    assert text[0].startswith("gradcheck passed for all 2 inputs")
    assert text[2].startswith("a ") and text[3].startswith("x[1]") and text[2].endswith("ok")

    class Printer:  # what IPython's pretty printer hands _repr_pretty_
        def text(self, t):
            self.shown = t

    printer = Printer()
    result._repr_pretty_(printer, False)
    assert printer.shown == str(result)
    assert result._repr_html_().startswith("<pre>gradcheck passed")

"""The data sets: deterministic with a seed, the documented shapes and labels, balanced classes,
the geometry each docstring describes, and clear errors for bad arguments."""

import math
import random

import pytest

from nn.datasets import circles, moons, sine, spirals, xor

CLASSIFICATION = {
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
}


def test_xor_is_seed_004s_table():
    X, Y = xor()
    assert X == [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    assert Y == [int(x0) ^ int(x1) for x0, x1 in X] == [0, 1, 1, 0]
    assert xor(signed=True) == (X, [-1, 1, 1, -1])


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_same_seed_same_data_and_another_seed_other_data(name):
    make = CLASSIFICATION[name]
    assert make(50, seed=3) == make(50, seed=3)
    assert make(50, seed=3) != make(50, seed=4)
    assert make(50, seed=random.Random(3)) == make(50, seed=3)
    assert make(50, seed=None) != make(50, seed=None)  # fresh randomness


def test_sine_is_deterministic_too():
    assert sine(20, seed=1) == sine(20, seed=1) != sine(20, seed=2)


def test_the_global_random_state_is_untouched():
    random.seed(99)
    before = random.getstate()
    for make in CLASSIFICATION.values():
        make(30, seed=0)
        make(30, seed=None)
    sine(30, seed=0)
    assert random.getstate() == before


@pytest.mark.parametrize("name", list(CLASSIFICATION))
@pytest.mark.parametrize("n", [2, 7, 100])
def test_shapes_and_balanced_labels(name, n):
    X, Y = CLASSIFICATION[name](n, seed=0)
    assert len(X) == len(Y) == n
    assert all(isinstance(x, list) and len(x) == 2 for x in X)
    assert all(type(x_i) is float and math.isfinite(x_i) for x in X for x_i in x)
    assert all(type(y) is int for y in Y)
    assert sorted(set(Y)) == [0, 1]
    assert abs(Y.count(0) - Y.count(1)) <= n % 2


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_signed_labels_are_minus_one_and_plus_one_for_the_same_points(name):
    X, Y = CLASSIFICATION[name](40, seed=5)
    X_signed, Y_signed = CLASSIFICATION[name](40, seed=5, signed=True)
    assert X_signed == X
    assert Y_signed == [2 * y - 1 for y in Y] and set(Y_signed) == {-1, 1}


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_the_classes_are_shuffled_not_in_blocks(name):
    _, Y = CLASSIFICATION[name](100, seed=0)
    assert 0 in Y[:20] and 1 in Y[:20]
    assert sum(Y[i] != Y[i + 1] for i in range(99)) > 20  # blocks would change label once


def test_noise_free_moons_lie_on_their_two_arcs():
    X, Y = moons(40, noise=0.0, seed=0)
    for (x0, x1), y in zip(X, Y):
        if y == 0:  # (cos t, sin t): the upper unit half circle
            assert math.hypot(x0, x1) == pytest.approx(1.0) and x1 >= -1e-12
        else:  # (1 - cos t, 1/2 - sin t): centred on (1, 1/2), the lower half
            assert math.hypot(x0 - 1.0, x1 - 0.5) == pytest.approx(1.0) and x1 <= 0.5 + 1e-12


def test_noise_free_circles_have_radius_one_and_factor():
    X, Y = circles(40, noise=0.0, factor=0.3, seed=0)
    for (x0, x1), y in zip(X, Y):
        assert math.hypot(x0, x1) == pytest.approx(1.0 if y == 0 else 0.3)


def test_noise_free_spirals_follow_their_arms():
    n, k, turns = 60, 3, 1.5
    X, Y = spirals(n, classes=k, turns=turns, noise=0.0, seed=0)
    for (x0, x1), y in zip(X, Y):
        r = math.hypot(x0, x1)
        assert 0 < r <= 1 + 1e-12
        angle = 2 * math.pi * (y / k + turns * r)  # the docstring's formula
        assert (x0, x1) == pytest.approx((r * math.cos(angle), r * math.sin(angle)), abs=1e-12)


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_noise_has_the_requested_standard_deviation(name):
    """The same seed draws the same random numbers whatever the noise, so point n of the noisy
    set is point n of the noise-free set plus its noise. Over 2 x 2000 offsets the sample
    standard deviation has a relative standard error of 1/sqrt(2 * 4000) = 1.1%; 10% is ~9."""
    clean, Y_clean = CLASSIFICATION[name](2000, noise=0.0, seed=0)
    noisy, Y_noisy = CLASSIFICATION[name](2000, noise=0.2, seed=0)
    assert Y_noisy == Y_clean
    offsets = [n_i - c_i for c, n in zip(clean, noisy) for c_i, n_i in zip(c, n)]
    assert abs(sum(offsets) / len(offsets)) < 0.02  # standard error 0.003
    assert math.sqrt(sum(d * d for d in offsets) / len(offsets)) == pytest.approx(0.2, rel=0.1)


def test_multiclass_spirals_label_every_class():
    X, Y = spirals(100, classes=4, seed=0)
    assert sorted(set(Y)) == [0, 1, 2, 3]
    assert sorted(Y.count(c) for c in range(4)) == [25, 25, 25, 25]
    _, Y = spirals(10, classes=3, seed=0)
    assert sorted(Y.count(c) for c in range(3)) == [3, 3, 4]


def test_sine_is_a_noisy_sine_in_order():
    X, Y = sine(50, noise=0.0, seed=0)
    assert len(X) == len(Y) == 50 and all(len(x) == 1 for x in X)
    assert X[0] == [-math.pi] and X[-1][0] == pytest.approx(math.pi)
    assert [x[0] for x in X] == sorted(x[0] for x in X)
    assert Y == [math.sin(x[0]) for x in X]
    X, Y = sine(5, noise=0.0, low=0.0, high=1.0)
    assert [x[0] for x in X] == [0.0, 0.25, 0.5, 0.75, 1.0]
    _, noisy = sine(400, noise=0.3, seed=0)
    residuals = [y - math.sin(x[0]) for x, y in zip(sine(400, noise=0.0)[0], noisy)]
    assert sum(r * r for r in residuals) / 400 == pytest.approx(0.09, rel=0.25)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: moons(1),
            ValueError,
            r"n \(the number of examples\) must be an int of at least 2, got 1",
        ),
        (lambda: moons(0), ValueError, "must be an int of at least 2, got 0"),
        (
            lambda: moons(10.0),
            TypeError,
            r"n \(the number of examples\) must be an int of at least 2, got f",
        ),
        (lambda: moons(True), TypeError, "must be an int of at least 2, got bool"),
        (lambda: moons(10, noise=-0.1), ValueError, r"noise \(a standard deviation\) must be"),
        (
            lambda: moons(10, noise=math.nan),
            ValueError,
            r"noise \(a standard deviation\) must be a finite non-negative number, got nan",
        ),
        (
            lambda: moons(10, noise=math.inf),
            ValueError,
            r"noise \(a standard deviation\) must be a finite non-negative number, got inf",
        ),
        (
            lambda: moons(10, noise="0.1"),
            TypeError,
            r"noise \(a standard deviation\) must be a non-negative number, got str",
        ),
        (lambda: moons(10, seed="a"), TypeError, "seed must be an int, None or a random.Random"),
        (lambda: moons(10, signed=1), TypeError, "signed must be True or False, got 1"),
        (lambda: xor(signed="yes"), TypeError, "signed must be True or False"),
        (lambda: circles(10, factor=1.0), ValueError, r"factor \(the inner radius\) must be"),
        (lambda: circles(10, factor=0), ValueError, "must be between 0 and 1, got 0.0"),
        (lambda: circles(10, factor=None), TypeError, "factor must be a number, got NoneType"),
        (
            lambda: spirals(10, classes=1),
            ValueError,
            r"classes \(at most n, the number of examples\) must be an int from 2 to 10, got 1",
        ),
        (lambda: spirals(3, classes=4), ValueError, "must be an int from 2 to 3, got 4"),
        (
            lambda: spirals(10, classes=2.0),
            TypeError,
            r"classes \(at most n.*\) must be an int from 2 to 10, got float",
        ),
        (lambda: spirals(9, classes=3, signed=True), ValueError, "signed=True labels two"),
        (lambda: spirals(10, turns=0), ValueError, "turns must be a positive number"),
        (
            lambda: sine(0),
            ValueError,
            r"n \(the number of examples\) must be a positive int, got 0",
        ),
        (lambda: sine(10, low=1.0, high=1.0), ValueError, "low must be less than high"),
        (lambda: sine(10, high=math.inf), ValueError, "high must be a finite number, got inf"),
        (lambda: sine(10, noise=-1), ValueError, "noise"),
    ],
)
def test_bad_arguments_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()

"""Small data sets for training and pictures, deterministic with a seed, in plain Python.

Every function returns a pair `(X, Y)` of lists: X[n] is the n-th example's input, a list of
floats (what `model(X[n])` takes), and Y[n] its target.

- Classification sets (`xor`, `moons`, `circles`, `spirals`): Y[n] is an int class label,
  0 or 1 by default (what `binary_cross_entropy` and `cross_entropy` take), or -1 or +1 with
  `signed=True` (what `hinge` takes). `spirals` can have more than two classes, labelled
  0 .. classes - 1. The classes are as balanced as n allows (their sizes differ by at most one)
  and the examples come in a shuffled order, so any slice of the data mixes the classes.
- Regression (`sine`): X[n] = [x_n] and Y[n] = sin(x_n) + noise, a float.

The same arguments and seed always give the same numbers: randomness comes from a private
`random.Random(seed)`, never from the global `random` module. `seed` may also be a
random.Random, or None for fresh randomness. The noise is drawn the same way whatever its size,
so with one seed, `noise=0.0` gives the noise-free points of the noisy set, in the same order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeAlias

from autograd.checks import Seed, flag, integer, number, rng

if TYPE_CHECKING:
    import random

# (X, Y): X[n] the n-th example's inputs, Y[n] its class label
Classes: TypeAlias = tuple[list[list[float]], list[int]]


def xor(signed: bool = False) -> Classes:
    """The four XOR points of seed 004, in its order: X = [[0, 0], [1, 0], [0, 1], [1, 1]],
    Y = [0, 1, 1, 0] (or [-1, 1, 1, -1] with `signed=True`)."""
    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    Y = [0, 1, 1, 0]
    return X, _labels(Y, flag(signed, "signed"))


def moons(n: int = 100, noise: float = 0.1, seed: Seed = 0, signed: bool = False) -> Classes:
    """Two interleaving half circles (as scikit-learn's make_moons): class 0 on the upper arc
    (cos t, sin t), class 1 on the lower one (1 - cos t, 1/2 - sin t), t evenly spaced in
    [0, pi], plus Gaussian noise of standard deviation `noise` on each coordinate."""
    n, noise, signed = _count(n, 2), _noise(noise), flag(signed, "signed")
    draw = rng(seed)
    n0 = n // 2
    points = []
    for label, size in ((0, n0), (1, n - n0)):
        for t in _spaced(0.0, math.pi, size, endpoint=True):
            if label == 0:
                x0, x1 = math.cos(t), math.sin(t)
            else:
                x0, x1 = 1.0 - math.cos(t), 0.5 - math.sin(t)
            points.append(([x0 + draw.gauss(0.0, noise), x1 + draw.gauss(0.0, noise)], label))
    return _shuffled(points, draw, signed)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0, signed: bool = False
) -> Classes:
    """Two concentric circles (as scikit-learn's make_circles): class 0 on the circle of
    radius 1, class 1 on the circle of radius `factor` (0 < factor < 1), the angles evenly
    spaced, plus Gaussian noise of standard deviation `noise` on each coordinate."""
    n, noise, signed = _count(n, 2), _noise(noise), flag(signed, "signed")
    factor = number(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (the inner radius) must be between 0 and 1, got {factor!r}")
    draw = rng(seed)
    n0 = n // 2
    points = []
    for label, size, radius in ((0, n0, 1.0), (1, n - n0, factor)):
        for t in _spaced(0.0, 2.0 * math.pi, size, endpoint=False):
            x0, x1 = radius * math.cos(t), radius * math.sin(t)
            points.append(([x0 + draw.gauss(0.0, noise), x1 + draw.gauss(0.0, noise)], label))
    return _shuffled(points, draw, signed)


def spirals(
    n: int = 100,
    classes: int = 2,
    turns: float = 1.0,
    noise: float = 0.05,
    seed: Seed = 0,
    signed: bool = False,
) -> Classes:
    """`classes` interleaved spiral arms from the origin outwards: arm k's points have radius
    r evenly spaced in (0, 1] and angle 2 pi (k / classes + turns r), plus Gaussian noise of
    standard deviation `noise` on each coordinate. Labels 0 .. classes - 1 (`signed=True`, for
    two classes only: -1 and +1)."""
    n, noise, signed = _count(n, 2), _noise(noise), flag(signed, "signed")
    classes = integer(classes, "classes (at most n, the number of examples)", least=2, most=n)
    if signed and classes != 2:
        raise ValueError(f"signed=True labels two classes -1 and +1, but classes is {classes}")
    turns = number(turns, "turns", positive=True)
    draw = rng(seed)
    points = []
    for label in range(classes):
        size = n // classes + (1 if label < n % classes else 0)
        for i in range(size):
            r = (i + 1) / size
            t = 2.0 * math.pi * (label / classes + turns * r)
            x0, x1 = r * math.cos(t), r * math.sin(t)
            points.append(([x0 + draw.gauss(0.0, noise), x1 + draw.gauss(0.0, noise)], label))
    return _shuffled(points, draw, signed)


def sine(
    n: int = 50, noise: float = 0.1, low: float = -math.pi, high: float = math.pi, seed: Seed = 0
) -> tuple[list[list[float]], list[float]]:
    """A 1-D regression set: x evenly spaced in [low, high], y = sin(x) + Gaussian noise of
    standard deviation `noise`. X[n] = [x_n] (a one-input example), Y[n] = y_n (a float);
    kept in increasing order of x, so that a plot of Y against X is a curve."""
    n, noise = _count(n, 1), _noise(noise)
    low, high = number(low, "low"), number(high, "high")
    if not low < high:
        raise ValueError(f"low must be less than high, got low={low!r} and high={high!r}")
    draw = rng(seed)
    xs = _spaced(low, high, n, endpoint=True)
    return [[x] for x in xs], [math.sin(x) + draw.gauss(0.0, noise) for x in xs]


def _spaced(start: float, stop: float, size: int, endpoint: bool) -> list[float]:
    """`size` evenly spaced numbers from start to stop (numpy.linspace)."""
    if size == 1:
        return [start]
    step = (stop - start) / (size - 1 if endpoint else size)
    return [start + i * step for i in range(size)]


def _shuffled(points: list[tuple[list[float], int]], draw: random.Random, signed: bool) -> Classes:
    """(X, Y) from (x, label) pairs, in a shuffled order drawn from `draw` (a random.Random)."""
    draw.shuffle(points)
    return [x for x, _ in points], _labels([label for _, label in points], signed)


def _labels(Y: list[int], signed: bool) -> list[int]:
    """0/1 labels as they are, or as -1/+1."""
    return [2 * y - 1 for y in Y] if signed else Y


def _count(n, least):
    """n, the number of examples, checked to be an int of at least `least`."""
    return integer(n, "n (the number of examples)", least=least)


def _noise(noise):
    """noise, a standard deviation, checked to be a finite number >= 0."""
    return number(noise, "noise (a standard deviation)", non_negative=True)

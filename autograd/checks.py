"""The argument checks every module shares, one name each, so that the same mistake gets the
same answer everywhere: a TypeError for the wrong kind of thing, a ValueError for the wrong
value, each naming what was wrong and what was expected.

A bool is never taken for a number (True is more likely a mistake than a 1), and every count is
an int, never a float, however whole. check_overflow is the engine's overflow policy, which
autograd.value applies to every op's result.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Collection
from typing import TypeAlias

Seed: TypeAlias = int | random.Random | None  # what rng() takes


def real(x: object) -> float | None:
    """x as a Python float if it is a real number (int, float, NumPy scalar, Fraction), else
    None; OverflowError for an int beyond the largest float. The engine's own check (fast for a
    float): callers decide what None means."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        try:
            return float(x)
        except OverflowError:  # an int (or Fraction) beyond 1.8e308: the overflow policy
            # x is an int or a Fraction, so int(x) works (typeshed's numbers.Real lacks __int__)
            digits = int(x).bit_length() * 0.30103  # type: ignore[arg-type]
            raise OverflowError(
                f"{type(x).__name__} of about {digits:.0f} digits is too "
                "large for a float (overflow; the largest float is about 1.8e308)"
            ) from None
    return None


def number(
    x: object, what: str, *, finite: bool = True, positive: bool = False, non_negative: bool = False
) -> float:
    """x as a float, checked: a TypeError unless it is a real number, a ValueError unless it is
    finite (finite=True), > 0 (positive=True) or >= 0 (non_negative=True)."""
    kind = "positive " if positive else "non-negative " if non_negative else ""
    try:
        value = real(x)
    except OverflowError:
        raise ValueError(f"{what} must be a finite {kind}number, got an int too large") from None
    if value is None:
        raise TypeError(f"{what} must be a {kind}number, got {type(x).__name__} {_short(x)}")
    if (finite or positive or non_negative) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite {kind}number, got {value!r}")
    if (positive and not value > 0) or (non_negative and not value >= 0):
        raise ValueError(f"{what} must be a {kind}number, got {value!r}")
    return value


def integer(n: object, what: str, *, least: int | None = None, most: int | None = None) -> int:
    """n as an int, checked: a TypeError unless it is an integer (a NumPy integer will do; a
    bool or a float will not), a ValueError outside least..most."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be {_range(least, most)}, got {type(n).__name__} {n!r}")
    n = int(n)
    if (least is not None and n < least) or (most is not None and n > most):
        raise ValueError(f"{what} must be {_range(least, most)}, got {n!r}")
    return n


def limit(n: object, what: str) -> int | None:
    """A size limit: a positive int, or None for no limit."""
    return None if n is None else integer(n, f"{what} (or None for no limit)", least=1)


def choice(name: object, options: Collection[str], what: str) -> str:
    """name, checked to be one of `options` (a str key of a dict, or an item of a tuple)."""
    if not isinstance(name, str) or name not in options:
        raise ValueError(f"unknown {what} {_short(name)}; expected one of {list(options)}")
    return name


def flag(x: object, what: str) -> bool:
    """x, checked to be True or False."""
    if not isinstance(x, bool):
        raise TypeError(f"{what} must be True or False, got {_short(x)}")
    return x


def rng(seed: Seed) -> random.Random:
    """A private random.Random: `seed` itself if it is one, else one made from an int seed
    (None: seeded from the system). The global `random` module is never used."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return random.Random(int(seed))
    raise TypeError(f"seed must be an int, None or a random.Random, got {type(seed).__name__}")


def _range(least, most):
    if least == 1 and most is None:
        return "a positive int"
    if least is not None and most is not None:
        return f"an int from {least} to {most}"
    if least is not None:
        return f"an int of at least {least}"
    return "an int" if most is None else f"an int of at most {most}"


def _short(x):
    """repr(x), cut short: a value may come from a file, and be huge."""
    text = repr(x) if not isinstance(x, int) or x.bit_length() < 1000 else "a huge int"
    return text if len(text) <= 60 else text[:57] + "..."


def check_overflow(result: float, operands: list[float], op: str) -> None:
    """The engine's overflow policy for an op's result that is not finite: OverflowError if all
    its operands are finite and the result is too large for a float (as the math module raises),
    and for a linear node's nan from finite operands (two products overflowed to +-inf); inf and
    nan given as operands propagate as IEEE arithmetic says (nan in, nan out), so return."""
    if (result != result and op != "linear") or not all(map(math.isfinite, operands)):
        return
    if len(operands) == 2 and op in ("+", "-", "*", "/"):
        what = f"{operands[0]!r} {op} {operands[1]!r}"
    else:
        shown = ", ".join(map(repr, operands[:6])) + (", ..." if len(operands) > 6 else "")
        what = f"{op} of {shown}"
    raise OverflowError(f"{what} is too large for a float (overflow)")


def as_exponent(n: object) -> int | float:
    """A number exponent of x ** n (a NumPy scalar, a Fraction) as an int or a float; TypeError
    for a bool or anything that is not a real number."""
    if isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"exponent must be a Value or a real number, got {type(n).__name__}")
    return int(n) if isinstance(n, numbers.Integral) else float(n)

"""x ** n for the engine (autograd.value): the number, its derivative n x^(n-1), and a clear
error wherever x ** n is not a real float. Kept apart from value.py because its edge cases
(0 ** -1, (-8) ** (1/3), a derivative beyond the float range) are number facts, not graph facts."""

from __future__ import annotations

import math
import numbers


def as_exponent(n: object) -> int | float:
    """A number exponent of x ** n (a NumPy scalar, a Fraction) as an int or a float; TypeError
    for a bool or anything that is not a real number."""
    if isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"exponent must be a Value or a real number, got {type(n).__name__}")
    return int(n) if isinstance(n, numbers.Integral) else float(n)


def power(x: float, n: float) -> tuple[float, float]:
    """x ** n and d(x^n)/dx = n x^(n-1), with a clear error where x ** n is not a real number
    or overflows. The derivative may be infinite (a vertical tangent, or beyond the float range)."""
    if x < 0 and not float(n).is_integer() and n == n:
        raise ValueError(f"** with a negative base ({x!r}) needs an integer exponent, got {n!r}")
    if x == 0 and n < 0:
        raise ZeroDivisionError(f"0.0 cannot be raised to a negative power ({n!r})")
    try:
        out = x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} is too large for a float (overflow)") from None
    if x == 0 and n < 1:  # x^n is flat at 0 for n = 0 and vertical for 0 < n < 1
        return out, 0.0 if n == 0 else math.inf
    try:
        return out, n * x ** (n - 1)
    except OverflowError:  # |n x^(n-1)| beyond the float range (x tiny, n < 1): +-inf
        negative = (n < 0) != (x < 0 and float(n - 1) % 2 == 1)
        return out, -math.inf if negative else math.inf

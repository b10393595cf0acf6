"""A stand-in for the `cython` module, for when Cython is not installed (it is needed only to
build the compiled engine): autograd/value.py imports it instead, and its decorators and
declarations then do nothing, so value.py runs as the plain Python it is. It holds only the
names value.py uses; Cython's own pure-Python module does the same when it is installed. Type
checkers read this one (Cython's has no type information), so the decorators keep the types
of what they decorate."""

import builtins
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

compiled = False  # value.py is running as Python, not compiled

# C types: in Python, only names
bint = builtins.bool
double = builtins.float
int = ulonglong = Py_ssize_t = builtins.int


def _unchanged(function_or_class: _T) -> _T:
    return function_or_class


def _directive(*args: object, **kwargs: object) -> Callable[[_T], _T]:
    return _unchanged


cclass = ccall = cfunc = final = inline = no_gc = _unchanged
boundscheck = freelist = locals = returns = wraparound = _directive


def declare(type: object = None, value: Any = None, **kwargs: object) -> Any:
    """A typed variable: in Python, just its value."""
    return value


def cast(type: object, value: _T) -> _T:
    """A C cast: in Python, the value itself."""
    return value

"""Switching the recording of the graph off and on: `no_grad()` and `enable_grad()`, as in
PyTorch. Each is a with-block or a decorator; the mode they set is per thread and per context
(autograd.value holds it), nests, and is restored exactly when the block ends, whatever happens
inside. A decorated generator function gets the mode while its body runs, each time it is
resumed, and never while it is suspended: the caller's mode stays the caller's.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any, Literal, TypeVar

from .value import GRAD_MODE, count_grad_mode_blocks

_count_lock = threading.Lock()  # (the count is shared by all threads)


def push_grad_mode(enabled: bool) -> None:
    """Enter a block where operations record the graph (enabled=True) or not; pop_grad_mode()
    leaves it. Use no_grad() or enable_grad(), which pair them for you."""
    with _count_lock:
        count_grad_mode_blocks(+1)
    GRAD_MODE.set((bool(enabled), GRAD_MODE.get()))


def is_grad_enabled() -> bool:
    """Whether operations record the graph here (False inside `no_grad()`)."""
    return GRAD_MODE.get()[0]


def pop_grad_mode() -> None:
    """Leave the innermost grad-mode block of this thread or context (see push_grad_mode)."""
    outer = GRAD_MODE.get()[1]
    GRAD_MODE.set(outer if outer is not None else (True, None))
    with _count_lock:
        count_grad_mode_blocks(-1)


_F = TypeVar("_F", bound=Callable[..., Any])
_Mode = TypeVar("_Mode", bound="_GradMode")


class _GradMode(ContextDecorator):
    """A with-block (or decorator) that sets the grad mode for the code inside it."""

    enabled = True

    def __enter__(self: _Mode) -> _Mode:
        push_grad_mode(self.enabled)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        pop_grad_mode()
        return False

    def __call__(self, func: _F) -> _F:
        """Decorate `func`; a generator function gets the mode only while it runs."""
        if inspect.isgeneratorfunction(func):
            return _generator_in_mode(type(self), func)
        return super().__call__(func)


def _generator_in_mode(mode, func):
    """The generator function `func`, each resumption of its body run inside mode()."""

    @functools.wraps(func)
    def generator(*args, **kwargs):
        with mode():
            gen = func(*args, **kwargs)
        try:
            with mode():
                request = gen.send(None)
            while True:
                try:
                    response = yield request
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException as error:
                    with mode():
                        request = gen.throw(error)
                else:
                    with mode():
                        request = gen.send(response)
        except StopIteration as stop:
            return stop.value

    return generator


class no_grad(_GradMode):
    """Inside `with no_grad():` (or a function decorated with `@no_grad()`, generator functions
    included) operations compute data but record no graph: results are leaves, which saves time
    and memory in evaluation. Per thread and per context, re-entrant, restored exactly on exit."""

    enabled = False


class enable_grad(_GradMode):
    """The opposite of no_grad(): operations record the graph inside it, even within a
    no_grad() block (gradcheck uses it, as PyTorch's does)."""

    enabled = True

"""Optimizers: they hold state between steps, so they are classes. Each `step()` changes every
parameter's data using its gradient; `zero_grad()` clears the gradients for the next step.

As in PyTorch: a parameter whose .grad is None ("no gradient yet", zero_grad(set_to_none=True))
is skipped by step(), and `state_dict()` / `load_state_dict()` hold everything an optimizer
keeps between steps (its settings, Adam's moments and step count, SGD's velocity), as plain
numbers (JSON will do), so a run can be stopped and resumed exactly."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from autograd import Value
from autograd.checks import integer, number


class Optimizer:
    """Keeps the list of parameters and the learning rate; subclasses define `step()`."""

    t: int  # the step count, for an optimizer that keeps one (Adam); state_dict() records it

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, Value) or not hasattr(params, "__iter__"):
            hint = " (pass model.parameters())" if hasattr(params, "parameters") else ""
            raise TypeError(f"params must be a list of Values{hint}, got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError("the optimizer got no parameters")
        seen = set()
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"parameters must be Values, got {type(p).__name__}")
            if p in seen:  # it would be stepped twice per step()
                raise ValueError(f"the parameter {p!r} appears more than once in params")
            seen.add(p)
        self.params = params
        self.lr = number(lr, "lr", positive=True)

    # the hyperparameters state_dict() records (and __repr__ shows)
    SETTINGS: tuple[str, ...] = ("lr",)
    BUFFERS: tuple[str, ...] = ()  # the per-parameter lists of numbers it keeps between steps

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's gradient to 0, or to None with set_to_none=True (PyTorch's
        default): "no gradient yet", which backward() starts from 0 and step() skips."""
        for p in self.params:
            p.grad = None if set_to_none else 0.0

    def step(self) -> None:
        """Change every parameter's data using its gradient (defined by each optimizer)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Everything this optimizer keeps between steps, as plain numbers and lists: its type,
        its settings, its step count and per-parameter buffers. A copy."""
        state: dict[str, Any] = {"type": type(self).__name__, "parameters": len(self.params)}
        state.update({name: _plain(getattr(self, name)) for name in self.SETTINGS})
        state.update({name: list(getattr(self, name)) for name in self.BUFFERS})
        if hasattr(self, "t"):
            state["t"] = self.t
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set this optimizer's settings and buffers from `state` (as state_dict() returns it,
        for an optimizer of the same type over as many parameters). Everything is checked
        before anything changes: a ValueError names what does not fit."""
        if not isinstance(state, dict):
            raise TypeError(f"a state dict must be a dict, got {type(state).__name__}")
        expected = {"type", "parameters", *self.SETTINGS, *self.BUFFERS}
        expected |= {"t"} if hasattr(self, "t") else set()
        if set(state) != expected:
            raise ValueError(
                f"the state dict has the keys {sorted(state)}, expected {sorted(expected)}"
            )
        if state["type"] != type(self).__name__:
            raise ValueError(f"this is a state of {state['type']!r}, not of {type(self).__name__}")
        if state["parameters"] != len(self.params):
            raise ValueError(
                f"the state is for {state['parameters']!r} parameters; this optimizer has "
                f"{len(self.params)}"
            )
        settings: dict[str, Any] = {
            name: tuple(state[name]) if isinstance(state[name], list) else state[name]
            for name in self.SETTINGS
        }
        # the constructor's checks of every setting
        checked = type(self)([Value(0.0) for _ in self.params], **settings)
        buffers: dict[str, list[float]] = {}
        for name in self.BUFFERS:
            values = state[name]
            if not isinstance(values, (list, tuple)) or len(values) != len(self.params):
                raise ValueError(f"{name} must be a list of {len(self.params)} numbers")
            buffers[name] = [number(x, f"{name}[{i}]") for i, x in enumerate(values)]
        if "t" in state:
            t = integer(state["t"], "t", least=0)
        for name in self.SETTINGS:
            setattr(self, name, getattr(checked, name))
        for name, values in buffers.items():
            setattr(self, name, values)
        if "t" in state:
            self.t = t

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.SETTINGS)
        steps = f", step {self.t}" if hasattr(self, "t") else ""
        n = len(self.params)
        return f"{type(self).__name__}({n} parameter{'s' if n != 1 else ''}, {settings}{steps})"


class SGD(Optimizer):
    """Gradient descent: w <- w - lr * dL/dw (seed 001's update), with optional momentum
    (v <- momentum v + g; w <- w - lr v) and L2 weight decay (g = dL/dw + weight_decay w)."""

    SETTINGS = ("lr", "momentum", "weight_decay")
    BUFFERS = ("velocity",)

    def __init__(
        self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.momentum = number(momentum, "momentum", non_negative=True)
        self.weight_decay = number(weight_decay, "weight_decay", non_negative=True)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
        lr, mu, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad + decay * p.data
            if mu:
                g = self.velocity[i] = mu * self.velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter steps scaled by running averages of the
    gradient (m) and its square (v), with bias correction for the first steps."""

    SETTINGS = ("lr", "betas", "eps", "weight_decay")
    BUFFERS = ("m", "v")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] | list[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (list, tuple)) or len(betas) != 2:
            raise TypeError(
                f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}"
            )
        beta1, beta2 = betas
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not number(beta, name, non_negative=True) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
        self.betas = (float(beta1), float(beta2))
        self.eps = number(eps, "eps", positive=True)
        self.weight_decay = number(weight_decay, "weight_decay", non_negative=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.t += 1
        beta1, beta2 = self.betas
        correction1, correction2 = 1 - beta1**self.t, 1 - beta2**self.t
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            m_hat, v_hat = self.m[i] / correction1, self.v[i] / correction2
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


def _plain(x):
    """A setting as plain JSON-able data: a tuple as a list."""
    return list(x) if isinstance(x, tuple) else x

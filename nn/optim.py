"""Optimizers: they hold state between steps, so they are classes. Each `step()` changes every
parameter's data using its gradient; `zero_grad()` clears the gradients for the next step."""

import math

from autograd import Value
from autograd.checks import number


class Optimizer:
    """Keeps the list of parameters and the learning rate; subclasses define `step()`."""

    def __init__(self, params, lr):
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

    def zero_grad(self):
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self):
        """Change every parameter's data using its gradient (defined by each optimizer)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent: w <- w - lr * dL/dw (seed 001's update), with optional momentum
    (v <- momentum v + g; w <- w - lr v) and L2 weight decay (g = dL/dw + weight_decay w)."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = number(momentum, "momentum", non_negative=True)
        self.weight_decay = number(weight_decay, "weight_decay", non_negative=True)
        self.velocity = [0.0] * len(self.params)

    def step(self):
        """Move every parameter one step against its gradient."""
        lr, mu, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data
            if mu:
                g = self.velocity[i] = mu * self.velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter steps scaled by running averages of the
    gradient (m) and its square (v), with bias correction for the first steps."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
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

    def step(self):
        """One Adam update of every parameter."""
        self.t += 1
        beta1, beta2 = self.betas
        correction1, correction2 = 1 - beta1**self.t, 1 - beta2**self.t
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            m_hat, v_hat = self.m[i] / correction1, self.v[i] / correction2
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)

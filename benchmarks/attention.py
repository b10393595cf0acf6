"""The op-by-op workload: a small transformer block written the way users write code
against a micrograd-style API, every scalar a Value and every operation one Python operator or
method call: RMS-norm with ** -0.5, causal self-attention (dot products, softmax via exp and
division), an MLP with relu, residual connections, a squared-error loss, backward, SGD.

The same code runs on any engine whose Value has +, -, *, /, ** (a number), exp() and relu(),
and whose nodes have .data and .grad: `Step(Value, inputs)` is one engine's training run.
"""

import math

from common import ATTENTION_LR, ATTENTION_STEPS


def rmsnorm(x):
    """x / sqrt(mean(x^2) + eps), as x * (mean + eps) ** -0.5."""
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def matvec(W, x):
    """W x, one dot product per row, each a sum of products."""
    return [sum(w_i * x_i for w_i, x_i in zip(row, x)) for row in W]


def softmax(logits):
    exps = [s.exp() for s in logits]
    total = sum(exps)
    return [e / total for e in exps]


def block(p, xs):
    """One pre-norm transformer block over the tokens xs (lists of Values), causal attention."""
    normed = [rmsnorm(x) for x in xs]
    qs = [matvec(p["Wq"], x) for x in normed]
    ks = [matvec(p["Wk"], x) for x in normed]
    vs = [matvec(p["Wv"], x) for x in normed]
    scale = 1.0 / math.sqrt(len(xs[0]))
    outs = []
    for t, x in enumerate(xs):
        scores = [sum(q * k for q, k in zip(qs[t], ks[s])) * scale for s in range(t + 1)]
        weights = softmax(scores)
        attended = [sum(weights[s] * vs[s][j] for s in range(t + 1)) for j in range(len(x))]
        h = [a + b for a, b in zip(x, matvec(p["Wo"], attended))]
        hidden = [z.relu() for z in matvec(p["W1"], rmsnorm(h))]
        outs.append([a + b for a, b in zip(h, matvec(p["W2"], hidden))])
    return outs


class Step:
    """Training steps of the block on one engine: `Value` is the engine's class, `inputs` what
    common.attention_inputs() gives (plain floats)."""

    def __init__(self, Value, inputs):
        self.Value = Value
        self.initial, self.X, self.Y = inputs
        self.names = sorted(self.initial)
        self.params = {}
        self.reset()

    def reset(self):
        """Back to the initial weights: every timed run is the same first few steps."""
        self.params = {
            name: [[self.Value(w) for w in row] for row in self.initial[name]]
            for name in self.names
        }

    def parameters(self):
        return [w for name in self.names for row in self.params[name] for w in row]

    def loss(self):
        xs = [[self.Value(x) for x in row] for row in self.X]
        ys = block(self.params, xs)
        squares = [(y - target) ** 2 for y_t, t_t in zip(ys, self.Y) for y, target in zip(y_t, t_t)]
        return sum(squares) / len(squares)

    def step(self):
        loss = self.loss()
        params = self.parameters()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= ATTENTION_LR * p.grad
        return loss.data

    def __call__(self):
        """ATTENTION_STEPS training steps; the losses."""
        return [self.step() for _ in range(ATTENTION_STEPS)]

    def gradients(self):
        return [p.grad for p in self.parameters()]

    def graph_size(self, topological_order=None):
        """(op nodes, all nodes) of one step's graph, when the engine has a graph walk."""
        if topological_order is None:
            return None
        order = topological_order(self.loss())
        return sum(1 for v in order if v.inputs), len(order)

"""The workloads written with this repository's engine, as a user writes them with its API."""

import math

from common import ALPHA, LR, flat_parameters, pairwise_sum
from engine_ours_ops import AttentionStep  # noqa: F401 (the op-by-op workload, run alone by bench.py)

from autograd import Value, topological_order, total
from nn import MLP, SGD
from nn.losses import hinge

try:  # the library's own training step (it manages the collector inside the call)
    from nn.train import train_step
except ImportError:
    train_step = None


def _model(W, b):
    """MLP(2, [16, 16, 1]) with relu hidden units and a linear output, holding W and b."""
    sizes = [len(W[0][0])] + [len(W_l) for W_l in W]
    model = MLP(sizes[0], sizes[1:], activation="relu", output_activation="linear")
    for layer, W_l, b_l in zip(model.layers, W, b):
        for neuron, w_j, b_j in zip(layer.neurons, W_l, b_l):
            for p, w in zip(neuron.w, w_j):
                p.data = w
            neuron.b.data = b_j
    return model


class TrainingStep:
    """One step of micrograd's demo: hinge loss + L2, forward, backward, SGD."""

    def __init__(self, W, b, X, y):
        self.model = _model(W, b)
        self.params = self.model.parameters()
        self.initial = flat_parameters(W, b)
        self.optimizer = SGD(self.params, lr=LR)
        self.X, self.y = X, y

    def reset(self):
        """Back to the initial weights: every timed step is the same first step."""
        for p, value in zip(self.params, self.initial):
            p.data = value

    def loss(self):
        """L = mean_k max(0, 1 - y_k s_k) + alpha sum_p p^2."""
        scores = [self.model(x) for x in self.X]
        data_loss = total([hinge(s, y) for s, y in zip(scores, self.y)]) / len(self.X)
        return data_loss + ALPHA * total([p * p for p in self.params])

    def __call__(self):
        loss = self.loss()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.data

    def gradients(self):
        return [p.grad for p in self.params]

    def graph_size(self):
        """(op nodes, all nodes including leaves) of one step's graph."""
        order = topological_order(self.loss())
        return sum(1 for v in order if v.inputs), len(order)


class LibraryTrainingStep(TrainingStep):
    """The same step through the library's nn.train.train_step, which pauses the cyclic garbage
    collector for the step. The L2 term becomes SGD's weight decay, 2 alpha p = d(alpha p^2)/dp,
    as its users write it, so train_step's loss and p.grad are the data loss's alone."""

    def __init__(self, W, b, X, y):
        if train_step is None:
            raise ImportError("nn.train.train_step does not exist in this checkout")
        super().__init__(W, b, X, y)
        self.optimizer = SGD(self.params, lr=LR, weight_decay=2 * ALPHA)

    def __call__(self):
        return train_step(self.model, self.X, self.y, hinge, self.optimizer).loss

    def check(self):
        """One step, returning the full loss; gradients() then includes the L2 term."""
        before = [p.data for p in self.params]
        data_loss = self()
        self.decay = [2 * ALPHA * w for w in before]
        return data_loss + ALPHA * math.fsum(w * w for w in before)

    def gradients(self):
        return [p.grad + d for p, d in zip(self.params, self.decay)]

    def graph_size(self):
        scores = [self.model(x) for x in self.X]
        loss = total([hinge(s, y) for s, y in zip(scores, self.y)]) / len(self.X)
        order = topological_order(loss)
        return sum(1 for v in order if v.inputs), len(order)


def wide_build(xs, w):
    """~200,000 elementary ops on 40,000 leaves and one shared leaf w."""
    w = Value(w)
    leaves = [Value(x) for x in xs]
    cells = []
    for x in leaves:
        q = x * w + x
        cells.append(q.relu() ** 2)
    return pairwise_sum(cells), leaves, w


def wide_backward(graph):
    graph[0].backward()
    return None


def wide_result(graph, gradients):
    root, leaves, w = graph
    return root.data, w.grad, [x.grad for x in leaves]


def chain_build(n):
    """y = x * w * w * ... * w: n multiplications deep."""
    x, w = Value(1.0), Value(1.0)
    y = x
    for _ in range(n):
        y = y * w
    return y, x, w


def chain_backward(chain):
    chain[0].backward()


def chain_result(chain):
    y, x, w = chain
    return y.data, x.grad, w.grad

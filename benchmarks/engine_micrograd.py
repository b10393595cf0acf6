"""The workloads with micrograd 0.1.0 (PyPI), on its demo's code path.

The step is micrograd's demo notebook (`demo.ipynb`: `loss()` then `zero_grad`, `backward`, SGD),
with two changes that can only make micrograd faster: the data are Python floats rather than
NumPy scalars, and the demo's accuracy computation is left out (no other engine does it).
"""

from common import ALPHA, LR, flat_parameters, pairwise_sum
from micrograd.engine import Value
from micrograd.nn import MLP


def _model(W, b):
    sizes = [len(W[0][0])] + [len(W_l) for W_l in W]
    model = MLP(sizes[0], sizes[1:])  # relu hidden layers, linear output layer
    for layer, W_l, b_l in zip(model.layers, W, b):
        for neuron, w_j, b_j in zip(layer.neurons, W_l, b_l):
            for p, w in zip(neuron.w, w_j):
                p.data = w
            neuron.b.data = b_j
    return model


def _walk(root):
    """Every node of a micrograd graph, iteratively (micrograd's own sort is recursive)."""
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


class TrainingStep:
    """One step of micrograd's demo: hinge loss + L2, forward, backward, SGD."""

    def __init__(self, W, b, X, y):
        self.model = _model(W, b)
        self.initial = flat_parameters(W, b)
        self.X, self.y = X, y

    def reset(self):
        """Back to the initial weights: every timed step is the same first step."""
        for p, value in zip(self.model.parameters(), self.initial):
            p.data = value

    def loss(self):
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.model.parameters())
        return data_loss + reg_loss

    def __call__(self):
        total_loss = self.loss()
        self.model.zero_grad()
        total_loss.backward()
        for p in self.model.parameters():
            p.data -= LR * p.grad
        return total_loss.data

    def gradients(self):
        return [p.grad for p in self.model.parameters()]

    def graph_size(self):
        """(op nodes, all nodes including leaves) of one step's graph."""
        nodes = _walk(self.loss())
        return sum(1 for v in nodes if v._prev), len(nodes)


def wide_build(xs, w):
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

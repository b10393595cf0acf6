"""The workloads in NumPy, vectorized over the batch: the reference users move to.

The backward pass is the seeds' matrix form, written by hand: delta = dL/dz,
dW = delta^T A (rows of A are the examples' layer inputs), delta_prev = (delta W) * relu'(z).
"""

import numpy as np
from common import ALPHA, LR


class TrainingStep:
    """One step of micrograd's demo: hinge loss + L2, forward, backward, SGD."""

    def __init__(self, W, b, X, y):
        self.initial = (W, b)
        self.reset()
        self.X = np.array(X, dtype=np.float64)
        self.y = np.array(y, dtype=np.float64)
        self.dW = self.db = None

    def reset(self):
        """Back to the initial weights: every timed step is the same first step."""
        W, b = self.initial
        self.W = [np.array(W_l, dtype=np.float64) for W_l in W]
        self.b = [np.array(b_l, dtype=np.float64) for b_l in b]

    def __call__(self):
        W, b, X, y = self.W, self.b, self.X, self.y
        n, L = len(X), len(W)
        activations = [X]  # activations[l]: the input of layer l, one row per example
        a = X
        for l in range(L):
            z = a @ W[l].T + b[l]
            a = np.maximum(z, 0.0) if l < L - 1 else z
            activations.append(a)
        margins = 1.0 - y * a[:, 0]
        squares = sum(float((W_l * W_l).sum() + (b_l * b_l).sum()) for W_l, b_l in zip(W, b))
        loss = float(np.maximum(margins, 0.0).sum()) / n + ALPHA * squares

        delta = np.where(margins > 0.0, -y / n, 0.0)[:, None]  # dL/dz at the output, n x 1
        dW, db = [None] * L, [None] * L
        for l in reversed(range(L)):
            A = activations[l]
            dW[l] = delta.T @ A + 2.0 * ALPHA * W[l]
            db[l] = delta.sum(axis=0) + 2.0 * ALPHA * b[l]
            if l > 0:
                delta = (delta @ W[l]) * (A > 0.0)  # relu'(z) = 1 where a = relu(z) > 0
        for l in range(L):
            W[l] -= LR * dW[l]
            b[l] -= LR * db[l]
        self.dW, self.db = dW, db
        return loss

    def gradients(self):
        flat = []
        for dW_l, db_l in zip(self.dW, self.db):
            for g_j, d in zip(dW_l.tolist(), db_l.tolist()):
                flat.extend(g_j)
                flat.append(d)
        return flat


def wide_build(xs, w):
    x = np.array(xs, dtype=np.float64)
    r = np.maximum(x * w + x, 0.0)
    return float((r * r).sum()), x, w, r


def wide_backward(graph):
    root, x, w, r = graph
    return 2.0 * r * (w + 1.0), float(2.0 * (r * x).sum())


def wide_result(graph, gradients):
    dxs, dw = gradients
    return graph[0], dw, dxs.tolist()

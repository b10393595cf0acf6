"""The workloads with plain Python floats: no graph objects, gradients derived by hand.

The floor for pure Python, written as fast as we honestly could: explicit loops over examples
and layers, dot products as `sum(map(mul, ...))` (the fastest dot product in pure Python 3.11),
and the weight gradients accumulated over the whole batch at once, dW[j][i] = sum_k delta_kj a_ki,
instead of one example at a time.
"""

from operator import mul

from common import ALPHA, LR, pairwise_sum


class TrainingStep:
    """One step of micrograd's demo: hinge loss + L2, forward, backward, SGD."""

    def __init__(self, W, b, X, y):
        self.initial = (W, b)
        self.reset()
        self.X, self.y = X, y
        self.dW = self.db = None

    def reset(self):
        """Back to the initial weights: every timed step is the same first step."""
        W, b = self.initial
        self.W = [[list(w_j) for w_j in W_l] for W_l in W]
        self.b = [list(b_l) for b_l in b]

    def __call__(self):
        W, b, X, y = self.W, self.b, self.X, self.y
        n, L = len(X), len(W)

        # forward, one example at a time, keeping each layer's input a^(l-1) for the backward pass
        layer_inputs = [[] for _ in range(L)]  # layer_inputs[l][k]: the input of layer l, example k
        scores = []
        for x in X:
            a = x
            for l in range(L):
                layer_inputs[l].append(a)
                z = [sum(map(mul, w_j, a), b_j) for w_j, b_j in zip(W[l], b[l])]
                a = [z_j if z_j > 0.0 else 0.0 for z_j in z] if l < L - 1 else z
            scores.append(a[0])

        # hinge loss L = 1/n sum_k max(0, 1 - y_k s_k) + alpha sum p^2, and delta = dL/ds
        data_loss, deltas = 0.0, []
        for s, y_k in zip(scores, y):
            margin = 1.0 - y_k * s
            if margin > 0.0:
                data_loss += margin
                deltas.append([-y_k / n])
            else:
                deltas.append([0.0])
        squares = 0.0
        for W_l, b_l in zip(W, b):
            squares += sum(map(mul, b_l, b_l))
            for w_j in W_l:
                squares += sum(map(mul, w_j, w_j))
        loss = data_loss / n + ALPHA * squares

        # backward over the whole batch: dW = delta^T A, db = sum_k delta_k,
        # delta_prev = (W^T delta) * relu'(z)
        dW, db = [None] * L, [None] * L
        for l in reversed(range(L)):
            A = layer_inputs[l]
            delta_columns, A_columns = list(zip(*deltas)), list(zip(*A))
            dW[l] = [
                [sum(map(mul, d_j, a_i)) + 2.0 * ALPHA * w for a_i, w in zip(A_columns, w_j)]
                for d_j, w_j in zip(delta_columns, W[l])
            ]
            db[l] = [sum(d_j) + 2.0 * ALPHA * b_j for d_j, b_j in zip(delta_columns, b[l])]
            if l > 0:
                W_columns = list(zip(*W[l]))  # relu'(z) = 1 where a = relu(z) > 0
                deltas = [
                    [sum(map(mul, w_i, d)) if a_i > 0.0 else 0.0 for w_i, a_i in zip(W_columns, a)]
                    for d, a in zip(deltas, A)
                ]

        # SGD
        for l in range(L):
            W[l] = [[w - LR * g for w, g in zip(w_j, g_j)] for w_j, g_j in zip(W[l], dW[l])]
            b[l] = [b_j - LR * g for b_j, g in zip(b[l], db[l])]
        self.dW, self.db = dW, db
        return loss

    def gradients(self):
        return [
            g
            for dW_l, db_l in zip(self.dW, self.db)
            for g_j, d in zip(dW_l, db_l)
            for g in (*g_j, d)
        ]


def wide_build(xs, w):
    """The same values as the graph: q = x w + x, r = relu(q), s = r^2, summed pairwise."""
    qs = [x * w + x for x in xs]
    rs = [q if q > 0.0 else 0.0 for q in qs]
    return pairwise_sum([r * r for r in rs]), xs, w, rs


def wide_backward(graph):
    """dL/ds = 1 through the sum; dL/dx = 2 r (w + 1), dL/dw = sum_i 2 r_i x_i."""
    root, xs, w, rs = graph
    w1 = w + 1.0
    dxs = [2.0 * r * w1 for r in rs]
    dw = 2.0 * sum(map(mul, rs, xs))
    return dxs, dw


def wide_result(graph, gradients):
    dxs, dw = gradients
    return graph[0], dw, dxs

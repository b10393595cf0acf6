"""The benchmark's inputs, made the same way in every worker process (seeded, stdlib only).

Every engine module (`engine_*.py`) receives these plain lists and floats and implements the
same three workloads on them, so the parent process can check that all engines compute the same
numbers before it times anything.
"""

import math
import random

SIZES = [2, 16, 16, 1]  # micrograd's demo: MLP(2, [16, 16, 1]), relu hidden, linear output
N_POINTS = 64
ALPHA = 1e-4  # L2 regularisation strength in micrograd's demo: loss += alpha * sum(p^2)
LR = 0.05  # a fixed learning rate: every engine takes the same steps


def moons(n=N_POINTS, noise=0.1, seed=0):
    """Two interleaving half-circles (sklearn's make_moons, written out): X as lists of two
    floats and labels y in {-1.0, +1.0}, as in micrograd's demo."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            point, label = [math.cos(t), math.sin(t)], -1.0
        else:
            point, label = [1.0 - math.cos(t), 0.5 - math.sin(t)], 1.0
        X.append([point[0] + rng.gauss(0.0, noise), point[1] + rng.gauss(0.0, noise)])
        y.append(label)
    return X, y


def mlp_weights(sizes=SIZES, seed=1):
    """W[l][j][i] ~ U(-1, 1) and b[l][j] = 0 (micrograd's initialisation), for layers l = 0..L-1."""
    rng = random.Random(seed)
    W = [
        [[rng.uniform(-1.0, 1.0) for _ in range(n_in)] for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    b = [[0.0] * n_out for n_out in sizes[1:]]
    return W, b


def flat_parameters(W, b):
    """Parameters in micrograd's (and nn's) order: layer by layer, neuron by neuron, w then b."""
    return [p for W_l, b_l in zip(W, b) for w_j, b_j in zip(W_l, b_l) for p in (*w_j, b_j)]


WIDE_CELLS = 40_000  # 5 op nodes per cell (4 in the cell, 1 in the sum tree): ~200,000 nodes
WIDE_W = 0.75  # the shared leaf


def wide_inputs(n=WIDE_CELLS, seed=2):
    """The leaves x_i of the wide graph."""
    rng = random.Random(seed)
    return [rng.uniform(-1.0, 1.0) for _ in range(n)]


def wide_node_count(n=WIDE_CELLS):
    """Op nodes in the wide graph: per cell x*w, +x, relu, **2 (4n), then n - 1 pairwise adds."""
    return 4 * n + n - 1


def pairwise_sum(terms):
    """Sum a list level by level, (t0 + t1) + (t2 + t3) + ...: any number type, and the graph
    stays log2(n) deep, so micrograd's recursive topological sort can handle it."""
    while len(terms) > 1:
        paired = [a + b for a, b in zip(terms[::2], terms[1::2])]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


ATTENTION_TOKENS, ATTENTION_DIM, ATTENTION_HIDDEN = 6, 16, 32  # the op-by-op workload's sizes
ATTENTION_STEPS = 3  # training steps per timed run: "trained a few steps"
ATTENTION_LR = 0.05


def attention_inputs(seed=3):
    """The op-by-op workload's weights (U(-1, 1) / sqrt(fan-in)), token vectors and targets."""
    rng = random.Random(seed)
    T, D, H = ATTENTION_TOKENS, ATTENTION_DIM, ATTENTION_HIDDEN

    def matrix(rows, cols):
        return [
            [rng.uniform(-1.0, 1.0) / math.sqrt(cols) for _ in range(cols)] for _ in range(rows)
        ]

    weights = {name: matrix(D, D) for name in ("Wq", "Wk", "Wv", "Wo")}
    weights["W1"], weights["W2"] = matrix(H, D), matrix(D, H)
    X = [[rng.gauss(0.0, 1.0) for _ in range(D)] for _ in range(T)]
    Y = [[rng.gauss(0.0, 1.0) for _ in range(D)] for _ in range(T)]
    return weights, X, Y

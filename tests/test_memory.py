"""Memory and speed properties of the engine, as facts rather than timings: graphs are
freed by reference counting alone, a node costs the bytes its design says and no more, the
library leaves the garbage collector as the user set it, and the backward pass's shortcuts
change no number."""

import gc
import math
import sys
import tracemalloc
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import given, settings
from optable import recipes, replay

from autograd import Value, topological_order, total
from nn import MLP, SGD
from nn.losses import hinge
from nn.train import train_step


@contextmanager
def collector_paused():
    """Run the block with the cyclic collector off (so only reference counting frees memory),
    then put it back as it was."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def engine_garbage():
    """The Values that the cyclic collector would have to free: those in reference cycles."""
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collector finds in gc.garbage, to look at it
    try:
        gc.collect()
        return [obj for obj in gc.garbage if isinstance(obj, Value)]
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
        gc.collect()  # now free what was found


def moons_batch(n=16):
    X = [[math.cos(k), math.sin(k) - 0.5 * (k % 2)] for k in range(n)]
    Y = [1.0 if k % 2 else -1.0 for k in range(n)]
    return X, Y


def user_step(model, X, Y, optimizer):
    """A training step as a user writes it: hinge loss + L2, zero_grad, backward, step."""
    params = model.parameters()
    scores = [model(x) for x in X]
    loss = total([hinge(s, y) for s, y in zip(scores, Y)]) / len(X)
    loss = loss + 1e-4 * total([p * p for p in params])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data


# ---- no reference cycles ----


def test_a_training_step_leaves_nothing_for_the_collector():
    model = MLP(2, [8, 8, 1], activation="relu", seed=0)
    X, Y = moons_batch()
    optimizer = SGD(model.parameters(), lr=0.05)
    with collector_paused():
        user_step(model, X, Y, optimizer)
        assert engine_garbage() == []


def test_train_step_leaves_nothing_for_the_collector():
    model = MLP(2, [8, 8, 1], activation="relu", seed=0)
    X, Y = moons_batch()
    optimizer = SGD(model.parameters(), lr=0.05)
    with collector_paused():
        train_step(model, X, Y, hinge, optimizer)
        assert engine_garbage() == []


@settings(max_examples=20)
@given(recipes())
def test_no_graph_of_any_op_leaves_anything_for_the_collector(recipe):
    leaves, steps = recipe
    with collector_paused():
        root = replay(steps, [Value(x) for x in leaves], 0)
        root.backward()
        topological_order(root)
        del root
        assert engine_garbage() == []


# ---- freed the moment the last reference goes ----


def blocks_after(build):
    """How many more memory blocks are allocated after build() ran and its result was
    dropped, and how many its result held while it was alive."""
    before = sys.getallocatedblocks()
    graph = build()
    alive = sys.getallocatedblocks() - before
    del graph
    return sys.getallocatedblocks() - before, alive


def wide_graph(n):
    """n // 5 cells x * w + x, relu, ** 2 on a shared leaf w, summed: about n nodes."""
    w = Value(0.5)
    cells = [((Value(k / n - 0.5) * w + 1.0).relu() ** 2) for k in range(n // 5)]
    root = total(cells)
    root.backward()
    return root


def deep_chain(n):
    y = Value(1.0)
    w = Value(1.0)
    for _ in range(n):
        y = y * w
    y.backward()
    return y


@pytest.mark.parametrize("build", [wide_graph, deep_chain], ids=["wide", "deep"])
def test_a_200000_node_graph_is_freed_when_the_last_reference_goes(build):
    with collector_paused():
        left, alive = blocks_after(lambda: build(200_000))
    assert alive > 200_000  # the graph really was built and held
    # what stays is Python's own free lists (e.g. up to 2,000 spare tuples of each small size)
    assert left < alive / 100, f"{left} of {alive} memory blocks were not freed"


# ---- bytes per node: what the design says, no more ----


def traced_bytes_per_node(build, n):
    with collector_paused():
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            graph = build(n)
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        del graph
    return (after - before) / n


def mul_chain(n):
    y, w = Value(1.0), Value(1.0)
    for _ in range(n):
        y = y * w
    return y


def add_chain(n):
    y, x = Value(1.0), Value(0.5)
    for _ in range(n):
        y = y + x
    return y


def test_a_product_node_costs_a_value_two_pairs_and_a_float():
    """x * w keeps: the Value, its inputs (x, w), its local grads (w, x) and its data."""
    design = sys.getsizeof(Value(1.0)) + 2 * sys.getsizeof((1.0, 2.0)) + sys.getsizeof(1.0)
    assert traced_bytes_per_node(mul_chain, 50_000) <= design + 1


def test_a_sum_node_shares_its_constant_local_grads():
    """x + y keeps: the Value, its inputs and its data; (1.0, 1.0) is one shared constant."""
    design = sys.getsizeof(Value(1.0)) + sys.getsizeof((1.0, 2.0)) + sys.getsizeof(1.0)
    assert traced_bytes_per_node(add_chain, 50_000) <= design + 1


def test_a_value_takes_at_most_80_bytes_in_either_build():
    """Compiled, a C struct of 72 bytes. As plain Python, six slots and the collector's header:
    80 bytes, one memory block smaller than seven slots' 88 (op and params share a slot)."""
    for node in (Value(1.0), Value(1.0) * Value(2.0), Value(2.0) ** 3):
        assert sys.getsizeof(node) <= 80


# ---- the collector stays as the user set it ----


@pytest.mark.parametrize("enabled", [True, False])
def test_the_library_leaves_the_collector_as_the_user_set_it(enabled):
    model = MLP(2, [4, 1], activation="relu", seed=0)
    X, Y = moons_batch(4)
    optimizer = SGD(model.parameters(), lr=0.05)
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    (gc.enable if enabled else gc.disable)()
    try:
        user_step(model, X, Y, optimizer)
        train_step(model, X, Y, hinge, optimizer)
        assert gc.isenabled() is enabled and gc.get_threshold() == thresholds
    finally:
        (gc.enable if was_enabled else gc.disable)()


# ---- the backward pass's shortcuts change no number ----


def reference_backward(root):
    """The chain rule on every edge, without any shortcut."""
    order = topological_order(root)
    for node in order:
        if node.inputs:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        for x, dnode_dx in zip(node.inputs, node.local_grads):
            x.grad += dnode_dx * node.grad


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=200)
@given(recipes())
def test_skipping_zero_gradients_changes_no_number(recipe):
    leaves, steps = recipe
    xs = [Value(x) for x in leaves]
    # relu of a negative number, and a product with 0, give exact zero gradients upstream
    root = replay(steps, xs, 0) * 1.0 + (xs[0] - 10.0).relu() + 0.0 * xs[-1].tanh()
    root.backward()
    order = topological_order(root)
    fast = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    reference_backward(root)
    assert all(map(same, fast, [node.grad for node in order]))


def test_a_zero_gradient_still_passes_on_nan_from_an_infinite_local_derivative():
    x = Value(0.0)
    y = x.sqrt() * 0.0  # d sqrt(x)/dx = inf at 0, and dy/dsqrt = 0: 0 * inf = nan (PyTorch too)
    y.backward()
    assert math.isnan(x.grad)


@settings(max_examples=200)
@given(recipes())
def test_order_without_leaves_is_the_full_order_with_leaves_removed(recipe):
    leaves, steps = recipe
    root = replay(steps, [Value(x) for x in leaves], 0)
    expected = [node for node in topological_order(root) if node.inputs] or [root]
    assert topological_order(root, leaves=False) == expected


def test_an_nary_node_whose_inputs_were_all_seen_keeps_the_order():
    """A linear node met after all of its inputs (a layer's second row) is not walked again."""
    w, x, b = [Value(0.5), Value(-1.0)], [Value(2.0), Value(3.0)], Value(0.1)
    hidden = [(w[0] * x[0]).tanh(), (w[1] * x[1]).tanh()]
    row_1 = total([*hidden, b, w[0]])
    row_2 = total([b, *hidden, w[0]])
    root = row_1 * row_2
    order = topological_order(root)
    assert order.index(row_1) < order.index(row_2) < order.index(root)
    assert len(order) == len(set(order)) == 12  # 5 leaves, 2 products, 2 tanh, 2 sums, root
    assert topological_order(root, leaves=False) == [node for node in order if node.inputs]


@pytest.mark.parametrize(
    "exponent, params",
    [(2, (2,)), (2.0, (2.0,)), (-1, (-1,)), (Fraction(1, 2), (0.5,))],
)
def test_number_exponents_of_every_type_give_the_same_op(exponent, params):
    y = Value(4.0) ** exponent
    assert y.op == "**n" and y.params == params and type(y.params[0]) is type(params[0])


def test_a_bool_exponent_is_rejected():
    with pytest.raises(TypeError, match="exponent must be a Value or a real number, got bool"):
        Value(2.0) ** True

"""Facts about the graph and the backward pass: reuse, diamonds, depth, repeated calls, order."""

import gc
import math
import random
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from optable import recipes, replay

from autograd import Value, no_grad, topological_order, total


def test_reused_input_counts_twice():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_diamond_collects_both_paths():
    x = Value(2.0)
    a = x * 3  # da/dx = 3
    b = x.exp()  # db/dx = e^2
    (a * b).backward()  # d(ab)/dx = 3 b + a e^2
    assert math.isclose(x.grad, 3 * math.exp(2) + 6 * math.exp(2), rel_tol=1e-15)


def test_shared_subexpression_gets_every_contribution():
    x = Value(0.5)
    s = x.tanh()
    y = s * s + s  # dy/ds = 2s + 1
    y.backward()
    assert math.isclose(s.grad, 2 * s.data + 1, rel_tol=1e-15)
    assert math.isclose(x.grad, (2 * s.data + 1) * (1 - s.data**2), rel_tol=1e-15)


def test_backward_twice_doubles_leaf_grads():
    x, w = Value(1.5), Value(-0.5)
    y = ((x * w).tanh() + x) ** 2
    y.backward()
    once = (x.grad, w.grad)
    middle = y.inputs[0].grad
    y.backward()
    assert (x.grad, w.grad) == (2 * once[0], 2 * once[1])
    assert y.inputs[0].grad == middle  # intermediates hold this pass's value, not a sum


def test_intermediate_grads_are_reset_by_each_backward():
    x = Value(2.0)
    h = x * 3
    y = h * h
    y.backward()
    assert h.grad == 12.0
    z = h + 1  # a second root through the same intermediate
    z.backward()
    assert h.grad == 1.0 and x.grad == 36.0 + 3.0


def test_backward_on_a_leaf_accumulates_one():
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_root_grad_is_one():
    y = Value(2.0) * 3
    y.backward()
    y.backward()
    assert y.grad == 1.0


def test_deep_chain_needs_no_recursion():
    """backward() on a chain 1,000,000 nodes deep, at the default recursion limit."""
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    start = time.perf_counter()
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    seconds = time.perf_counter() - start
    assert x.grad == 1.0 and sys.getrecursionlimit() == limit
    print(f"1,000,000-deep chain: build + backward {seconds:.2f} s")
    del y  # freeing a deep chain must not overflow the C stack either


def test_inputs_come_before_outputs_and_each_node_appears_once():
    x = Value(1.0)
    a = x * 2
    b = a + x
    c = b * a
    order = topological_order(c)
    assert len(order) == len(set(order)) == 5  # x, the constant 2, a, b, c
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            assert position[inp] < position[node]
    assert order[-1] is c


def depth_first_order(root, leaves=True):
    """The order topological_order promises, written recursively: each node after its inputs,
    the first operand's nodes first, every node once (leaves left out with leaves=False)."""
    order, seen = [], set()

    def visit(node):
        seen.add(node)
        for x in node.inputs:
            if x not in seen and (leaves or x.inputs):
                visit(x)
        order.append(node)

    visit(root)
    return order


@settings(max_examples=200)
@given(recipes())
def test_the_walk_gives_exactly_the_depth_first_order(recipe):
    """Not just a valid order: this one, on which the bits of every accumulated gradient depend
    (both builds, and the stepper's frames, add in this order)."""
    leaves, steps = recipe
    root = replay(steps, [Value(x) for x in leaves], 0)
    for with_leaves in (True, False):
        assert topological_order(root, with_leaves) == depth_first_order(root, with_leaves)


def deep_random_graph(depth, seed):
    """A graph `depth` ops deep along its first operands, with side branches that reach back
    to earlier nodes (shared subgraphs) and leaves: deeper than the walk's recursion goes."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(5)]
    nodes = list(leaves)
    y = leaves[0]
    for _ in range(depth):  # (products by leaves only, so that the numbers stay small)
        step = rng.randrange(3)
        if step == 0:
            y = y * rng.choice(leaves)
        else:
            other = rng.choice(nodes)
            y = y + other if step == 1 else y - other
        nodes.append(y)
    return y, leaves


@pytest.mark.parametrize("depth", [99, 100, 101, 3000])
def test_a_graph_deeper_than_the_recursion_gets_the_same_depth_first_order(depth):
    """The compiled walk recurses down to 100 nodes and goes on with a stack below (pure Python:
    the stack): the order, and so every gradient's bits, is depth_first_order's at any depth."""
    root, _ = deep_random_graph(depth, seed=depth)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * depth + 1000))  # (for the recursive reference only)
    try:
        expected = {leaves: depth_first_order(root, leaves) for leaves in (True, False)}
    finally:
        sys.setrecursionlimit(limit)
    for leaves in (True, False):
        assert topological_order(root, leaves) == expected[leaves]


@pytest.mark.parametrize("stale", [None, 5.0])
@pytest.mark.parametrize("depth", [3, 97, 98, 3000])
def test_backward_starts_every_interior_gradient_at_zero_at_any_depth(depth, stale):
    """Whatever an interior node's .grad held (a number, None), backward() leaves it this pass's
    d(root)/d(node), at any depth, and adds to the leaves' gradients. (The compiled walk zeroes
    as it marks: by recursion down to 100 nodes, with a stack below. Up to depth 97 every node
    here is within the recursion; from 98 on, the lowest ones are the stack's.) A node reached
    only through a node of gradient 0 is left at 0.0."""
    x, w = Value(0.5), Value(1.0)
    h = x * 2.0  # at the bottom, reached only through the dead relu's branch
    q = h * -1.0
    dead = q.relu()  # relu'(-1) = 0: q's gradient is 0, so q passes nothing on to h
    chain = [x + dead]
    for _ in range(depth):
        chain.append(chain[-1] * w)
    root = chain[-1]
    for node in (h, q, dead, *chain):
        node.grad = stale
    x.grad, w.grad = 2.0, 3.0  # leaves: their gradients accumulate
    root.backward()
    assert [node.grad for node in chain] == [1.0] * (depth + 1)  # (w is 1: every one is 1)
    assert (dead.grad, q.grad, h.grad) == (1.0, 0.0, 0.0)
    assert (x.grad, w.grad) == (3.0, 3.0 + 0.5 * depth)


def test_backward_runs_in_a_thread_with_the_smallest_stack_python_allows():
    """The compiled walk's recursion uses the C stack: it stops at 100 nodes, so a 32 KiB
    thread stack (threading's minimum) walks any depth. A subprocess, in case it crashes."""
    code = (
        "import threading\n"
        "from autograd import Value\n"
        "y, x = Value(0.5), Value(0.9)\n"
        "for _ in range(5000):\n"
        "    y = (y * x).tanh()\n"
        "threading.stack_size(32 * 1024)\n"
        "t = threading.Thread(target=y.backward)\n"
        "t.start(); t.join()\n"
        "print(x.grad > 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr


def test_backward_called_from_deep_in_a_stack_gives_the_same_gradients():
    """Near Python's recursion limit: the walk needs no Python recursion, and every gradient is
    the same, bit for bit."""
    root, leaves = deep_random_graph(300, seed=7)
    root.backward()
    expected = [x.grad for x in leaves]
    for x in leaves:
        x.grad = 0.0

    def call_at_depth(frames_left):
        if frames_left > 40:
            return call_at_depth(frames_left - 1)
        root.backward()

    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    call_at_depth(sys.getrecursionlimit() - depth)
    assert [x.grad for x in leaves] == expected


@settings(max_examples=200)
@given(recipes())
def test_topological_order_on_random_graphs(recipe):
    leaves, steps = recipe
    root = replay(steps, [Value(x) for x in leaves], 0)
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is root
    for node in order:
        for inp in node.inputs:
            assert position[inp] < position[node]
    # every node reachable from the root is in the order
    reachable, stack = {root}, [root]
    while stack:
        for inp in stack.pop().inputs:
            if inp not in reachable:
                reachable.add(inp)
                stack.append(inp)
    assert reachable == set(order)


def test_order_is_deterministic():
    def build():
        x, y = Value(1.0, label="x"), Value(2.0, label="y")
        return ((x * y + x).tanh() * (y - x)) ** 2

    def labels(root):
        return [(n.op, n.data) for n in topological_order(root)]

    assert labels(build()) == labels(build())


def test_first_operand_is_visited_first():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    order = topological_order(a + b)
    assert order.index(a) < order.index(b)


def test_no_grad_records_nothing_and_restores():
    x = Value(2.0)
    with no_grad():
        y = (x * 3).tanh() + x
        assert y.inputs == () and y.op == "" and y.local_grads == ()
        with no_grad():
            pass
        z = x * 2
        assert z.inputs == ()
    w = x * 2
    assert w.inputs[0] is x


def test_no_grad_restores_after_an_exception():
    x = Value(2.0)
    with pytest.raises(ValueError):
        with no_grad():
            Value(-1.0).log()
    assert (x * 2).inputs != ()


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(Value(3.0)).inputs == ()
    assert (Value(3.0) * 2).inputs != ()


def test_graph_has_no_reference_cycles():
    """A graph is freed by reference counting alone: the cyclic collector finds nothing."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        xs = [Value(float(i)) for i in range(50)]
        loss = total([(x * 0.5 + 1).tanh() ** 2 for x in xs]) / 3
        loss.backward()
        del loss, xs
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


# ---- no_grad: per thread, per context, re-entrant, generators ----


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    """It used to be a process-wide switch: a predict() in one thread stopped another's graph."""
    import threading

    inside, recorded = threading.Event(), []
    release = threading.Event()

    def evaluator():
        with no_grad():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=evaluator)
    thread.start()
    inside.wait(5)
    try:
        x = Value(2.0)
        recorded.append((x * 3).inputs)  # this thread never entered no_grad
    finally:
        release.set()
        thread.join()
    assert recorded[0] != ()


def test_interleaved_exits_in_two_threads_leave_recording_on():
    """Thread A enters, B enters, A exits, B exits: with one global switch B restored 'off'."""
    import threading

    from autograd import is_grad_enabled

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    states = {}

    def a():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()
        states["a"] = is_grad_enabled()

    def b():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)
        states["b"] = is_grad_enabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert states == {"a": True, "b": True}
    assert is_grad_enabled() and (Value(1.0) * 2).inputs != ()


def test_no_grad_is_reentrant_and_enable_grad_restores_exactly():
    from autograd import enable_grad, is_grad_enabled

    block = no_grad()
    with block:
        with block:  # the same object, nested
            assert not is_grad_enabled()
            with enable_grad():
                assert is_grad_enabled() and (Value(1.0) * 2).inputs != ()
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_a_decorated_generator_records_nothing_and_leaves_its_caller_recording():
    """The generator's body runs after the decorated call returned: it used to record."""
    from autograd import is_grad_enabled

    x = Value(2.0)

    @no_grad()
    def doubled(values):
        for v in values:
            yield v * 2, is_grad_enabled()

    outputs = doubled([x, x])
    first, mode = next(outputs)
    assert first.inputs == () and mode is False
    assert is_grad_enabled() and (x * 2).inputs != ()  # suspended: the caller records
    second, mode = next(outputs)
    assert second.inputs == () and mode is False
    assert list(outputs) == []


def test_no_grad_in_asyncio_tasks_is_per_task():
    import asyncio

    from autograd import is_grad_enabled

    async def main():
        seen = {}

        async def quiet():
            with no_grad():
                await asyncio.sleep(0.01)
                seen["quiet"] = is_grad_enabled()

        async def loud():
            await asyncio.sleep(0.005)  # while quiet() is inside its block
            seen["loud"] = is_grad_enabled()

        await asyncio.gather(quiet(), loud())
        return seen

    assert asyncio.run(main()) == {"quiet": False, "loud": True}


# ---- habits from PyTorch ----


def test_float_item_and_ordering_compare_numbers_while_equality_stays_identity():
    a, b = Value(1.5), Value(-2.0)
    assert float(a) == 1.5 and a.item() == 1.5 and isinstance(a.item(), float)
    assert max([a, b]) is a and min([a, b]) is b and sorted([a, b]) == [b, a]
    assert (b < a) is True and (a <= 1.5) is True and (a > 2) is False and (2 >= a) is True
    assert a != Value(1.5) and {a: "node"}[a] == "node"  # a node: equal only to itself
    with pytest.raises(TypeError, match="compares with a Value or a number, not str"):
        a < "b"  # noqa: B015


def test_a_grad_of_none_means_no_gradient_yet():
    """p.grad = None (PyTorch's default after zero_grad) crashed backward() later."""
    x, y = Value(2.0), Value(3.0)
    x.grad = None
    (x * y + x).backward()
    assert (x.grad, y.grad) == (4.0, 2.0)
    x.grad = None
    x.backward()  # a leaf root
    assert x.grad == 1.0
    z = Value(1.0)
    z.grad = None
    w = z * 2
    w.grad = None  # an interior node: reset by the pass anyway
    w.backward()
    assert z.grad == 2.0

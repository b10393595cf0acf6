"""One table of the engine's operations, shared by the tests: how to apply each op to a Value,
the same op in PyTorch, and the domain where it is smooth (so finite differences are valid)."""

from hypothesis import strategies as st

from autograd import Value, cos, sin, total, weighted_sum

# name -> (apply to Value, apply to torch tensor, domain of the input where the op is smooth)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, st.floats(-10, 10)),
    "abs": (abs, abs, st.floats(0.01, 10) | st.floats(-10, -0.01)),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), st.floats(-10, 10)),
    "log": (lambda x: x.log(), lambda x: x.log(), st.floats(0.05, 10)),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), st.floats(0.05, 10)),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), st.floats(-5, 5)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), st.floats(-10, 10)),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), st.floats(0.01, 10) | st.floats(-10, -0.01)),
    "leaky_relu": (
        lambda x: x.leaky_relu(),
        lambda x: _F().leaky_relu(x, 0.01),
        st.floats(0.01, 10) | st.floats(-10, -0.01),
    ),
    "softplus": (lambda x: x.softplus(), lambda x: _F().softplus(x), st.floats(-10, 10)),
    "**2": (lambda x: x**2, lambda x: x**2, st.floats(-10, 10)),
    "**3": (lambda x: x**3, lambda x: x**3, st.floats(-5, 5)),
    "**-1": (lambda x: x**-1, lambda x: x**-1, st.floats(0.1, 10) | st.floats(-10, -0.1)),
    "**0.5": (lambda x: x**0.5, lambda x: x**0.5, st.floats(0.05, 10)),
    "2**x": (lambda x: 2**x, lambda x: 2**x, st.floats(-10, 10)),
    "sin": (sin, lambda x: x.sin(), st.floats(-10, 10)),
    "cos": (cos, lambda x: x.cos(), st.floats(-10, 10)),
}

# name -> (apply to Values, apply to tensors, domain of the first input, domain of the second)
BINARY = {
    "+": (lambda x, y: x + y, lambda x, y: x + y, st.floats(-10, 10), st.floats(-10, 10)),
    "-": (lambda x, y: x - y, lambda x, y: x - y, st.floats(-10, 10), st.floats(-10, 10)),
    "*": (lambda x, y: x * y, lambda x, y: x * y, st.floats(-10, 10), st.floats(-10, 10)),
    "/": (
        lambda x, y: x / y,
        lambda x, y: x / y,
        st.floats(-10, 10),
        st.floats(0.1, 10) | st.floats(-10, -0.1),
    ),
    "**": (lambda x, y: x**y, lambda x, y: x**y, st.floats(0.05, 5), st.floats(-3, 3)),
}


def _F():
    import torch.nn.functional as F

    return F


def smooth_at(name, x):
    """Whether unary op `name` is smooth (and not too steep) at the number x: used when a
    random graph decides which op it may apply to an intermediate value."""
    if name in ("abs", "relu", "leaky_relu"):
        return abs(x) > 1e-3
    if name in ("log", "sqrt", "**0.5"):
        return x > 0.05
    if name == "**-1":
        return abs(x) > 0.1
    if name in ("exp", "2**x"):
        return x < 5
    if name == "**3":
        return abs(x) < 20
    if name == "**2":
        return abs(x) < 100
    return True


def binary_ok(name, x, y):
    """The same question for binary ops."""
    if name == "/":
        return abs(y) > 0.1
    if name == "**":
        return 0.05 < x < 20 and abs(y) < 3
    return True


# n-ary ops, applied to three operands a, b, c (often the same node twice: shared inputs)
NARY = {
    "linear": (
        lambda a, b, c: weighted_sum([a, b], [b, c], c),
        lambda a, b, c: a * b + b * c + c,
    ),
    "sum": (lambda a, b, c: total([a, b, c]), lambda a, b, c: a + b + c),
}


@st.composite
def recipes(draw, max_leaves=4, max_steps=12):
    """A random expression graph, as a replayable recipe: (leaf numbers, steps). Each step is
    (op name, operand indices) into the list of nodes so far, so nodes get reused (diamonds,
    x * x) and some leaves may stay unused. An op is only applied where it is smooth."""
    leaves = draw(st.lists(st.floats(-3, 3), min_size=1, max_size=max_leaves))
    nodes = [Value(x) for x in leaves]
    steps = []
    names = st.sampled_from(sorted(UNARY) + sorted(BINARY) + sorted(NARY))
    index = st.integers(0, 10**6)
    for _ in range(draw(st.integers(1, max_steps))):
        name = draw(names)
        if name in UNARY:
            args = (draw(index) % len(nodes),)
            ok = smooth_at(name, nodes[args[0]].data)
        elif name in BINARY:
            args = (draw(index) % len(nodes), draw(index) % len(nodes))
            ok = binary_ok(name, nodes[args[0]].data, nodes[args[1]].data)
        else:
            args = tuple(draw(index) % len(nodes) for _ in range(3))
            ok = True
        if not ok:
            continue
        out = apply(name, [nodes[i] for i in args], 0)
        if abs(out.data) > 1e3:
            continue
        nodes.append(out)
        steps.append((name, args))
    return leaves, steps


def apply(name, operands, which):
    """Apply op `name` to operands with the Value version (which=0) or the torch one (1)."""
    table = UNARY if name in UNARY else BINARY if name in BINARY else NARY
    return table[name][which](*operands)


def replay(steps, leaves, which):
    """Run a recipe on the given leaf objects (Values or tensors); returns the last node."""
    nodes = list(leaves)
    for name, args in steps:
        nodes.append(apply(name, [nodes[i] for i in args], which))
    return nodes[-1]

"""Replay a recorded graph in PyTorch float64 and compare it with the engine, node by node.

    report = crosscheck_graph(loss)
    report.ok, report.max_abs_error, report.first_mismatch; print(report)

Any graph the engine recorded, not only an MLP's: every node is recomputed in PyTorch from its
op and inputs, in topological order, and three things are compared for every node, leaves and
intermediates alike:

- value: the node's data against the torch replay of the whole graph;
- local derivatives: each number in node.local_grads against torch's derivative of the same op
  at the same input data (so a wrong rule is pinned to the node that has it);
- gradient: d(root)/d(node) after backward() on both sides.

The first mismatch is the first wrong number the engine computed: values and local derivatives
in topological order (the forward pass), then gradients in reverse topological order (the order
backward() computes them; a wrong gradient spreads from there to everything before it).

A quantity agrees when |engine - torch| <= tol (1 + |torch|); equal infinities and two nans agree.
torch is imported only when this runs (see INSTALL_TORCH).
"""

from __future__ import annotations

import math
from typing import Any

from .checks import number
from .notation import Report
from .ops import OPS
from .value import Value, topological_order

# How to get PyTorch, for every message that needs it (chainrule is installed from a clone; it
# is not published as a package): the `torch` extra, the CPU build that `make test` installs.
INSTALL_TORCH = (
    "PyTorch is an optional dependency: from the repository, `make test` installs it, or "
    "`.venv/bin/pip install -e '.[torch]'` (torch==2.13.0, the CPU build)"
)
TORCH_MISSING = f"crosscheck_graph needs PyTorch. {INSTALL_TORCH}"


class Mismatch:
    """One number on which the engine and torch disagree."""

    def __init__(
        self, index: int, node: Value, quantity: str, engine: float, torch: float, error: float
    ) -> None:
        self.index = index  # the node's position in topological_order(root)
        self.node = node
        self.quantity = quantity  # "value", "local_grads[i]" or "grad"
        self.engine, self.torch, self.error = engine, torch, error

    @property
    def label(self) -> str:
        return self.node.label

    @property
    def op(self) -> str:
        return self.node.op

    def __repr__(self) -> str:
        return f"<Mismatch {self}>"

    def __str__(self) -> str:
        name = self.node.label or "(no label)"
        op = f"op {self.node.op!r}" if self.node.op else "a leaf"
        return (
            f"node {self.index} {name}, {op}: {self.quantity} is {self.engine!r} in the engine, "
            f"{self.torch!r} in torch (error {self.error:.3g})"
        )


class GraphReport(Report):
    """The node-by-node comparison of a recorded graph with its PyTorch replay."""

    def __init__(
        self, order: list[Value], mismatches: list[Mismatch], max_abs_error: float, tol: float
    ) -> None:
        self.order = order
        self.n_nodes = len(order)
        self.mismatches = mismatches
        self.first_mismatch = mismatches[0] if mismatches else None
        self.ok = not mismatches
        self.max_abs_error = max_abs_error
        self.tol = tol

    def __repr__(self) -> str:
        return (
            f"<GraphReport {self.n_nodes} nodes: ok={self.ok}, "
            f"max_abs_error={self.max_abs_error:.3g}>"
        )

    def __str__(self) -> str:
        head = (
            f"crosscheck_graph: {self.n_nodes} nodes replayed in PyTorch float64; values, local "
            f"derivatives and gradients compared (tol={self.tol:g}); largest error "
            f"{self.max_abs_error:.2e}"
        )
        if self.ok:
            return head + "\nOK: every node agrees."
        lines = [head, f"MISMATCH on {len(self.mismatches)} numbers; first: {self.first_mismatch}"]
        shown = self.mismatches[:10]
        lines += [f"  {m}" for m in shown[1:]]
        if len(self.mismatches) > len(shown):
            lines.append(f"  ... and {len(self.mismatches) - len(shown)} more")
        return "\n".join(lines)


def crosscheck_graph(root: Value, tol: float = 1e-10) -> GraphReport:
    """Replay the graph that made `root` in PyTorch float64 and compare every node's value,
    local derivatives and gradient with the engine's: a GraphReport.

    It runs root.backward() to get the engine's gradients, and then puts every node's .grad
    back as it was, so it disturbs the caller's gradients less than backward() itself does."""
    try:
        import torch
    except ImportError:
        raise ImportError(TORCH_MISSING) from None
    tol = number(tol, "tol", positive=True)
    order = topological_order(root)
    for node in order:
        _check_op(node, order)

    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0  # leaves accumulate: start from 0 to read d(root)/d(leaf)
        root.backward()
        # (floats: each was set to 0.0 above, then added to by backward())
        engine_grads: list[float] = [node.grad for node in order]  # type: ignore[misc]
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad

    with torch.enable_grad():
        tensors: dict[Value, Any] = {}
        for node in order:
            if node.inputs:
                t = _apply(torch, node, [tensors[x] for x in node.inputs])
                t.retain_grad()
            else:
                t = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
            tensors[node] = t
        tensors[root].backward()
        local = [_torch_local_grads(torch, node) for node in order]

    forward: list[Mismatch] = []
    backward: list[Mismatch] = []
    largest = 0.0
    for i, node in enumerate(order):
        t = tensors[node]
        torch_grad = 0.0 if t.grad is None else t.grad.item()
        checks = [("value", node.data, t.item(), forward)]
        checks += [
            (f"local_grads[{k}]", float(d), d_torch, forward)
            for k, (d, d_torch) in enumerate(zip(node.local_grads, local[i]))
        ]
        checks.append(("grad", engine_grads[i], torch_grad, backward))
        for quantity, ours, theirs, found in checks:
            error = _error(ours, theirs)
            largest = max(largest, error)
            if error > tol * (1.0 + abs(theirs)) or math.isinf(error):
                found.append(Mismatch(i, node, quantity, ours, theirs, error))
    # the first wrong number: forward pass in topological order, then backward in reverse
    mismatches = forward + backward[::-1]
    return GraphReport(order, mismatches, largest, tol)


def _check_op(node, order):
    """A clear error for a node this replay cannot compute: an op the registry does not know or
    without a PyTorch rule, or inputs that do not fit the op."""
    if not node.inputs:
        return
    where = f"node {order.index(node)} ({node.label or 'no label'})"
    op = OPS.get(node.op)
    if op is None or op.torch is None:
        known = sorted(name for name, op in OPS.items() if op.torch is not None)
        raise ValueError(
            f"crosscheck_graph cannot replay the op {node.op!r} of {where}: it knows {known}"
        )
    n = len(node.inputs)
    if (op.arity is not None and n != op.arity) or len(node.local_grads) != n:
        raise ValueError(
            f"{where} has op {node.op!r} with {n} inputs and {len(node.local_grads)} local "
            "derivatives, which do not fit the op"
        )
    if len(node.params) != len(op.params):
        raise ValueError(f"{where} has op {node.op!r} with the parameters {node.params!r}")


def _apply(torch, node, inputs):
    """The node's op on torch tensors (one per input, in the node's input order)."""
    rule = OPS[node.op].torch  # (never None here: _check_op saw to it)
    return rule(torch, inputs, node.params)  # type: ignore[misc]


def _torch_local_grads(torch, node):
    """torch's d(node)/d(input) for each input position, at the engine's input data: the op
    applied to fresh leaves, one per position (so x * x has two)."""
    if not node.inputs:
        return ()
    leaves = [torch.tensor(x.data, dtype=torch.float64, requires_grad=True) for x in node.inputs]
    out = _apply(torch, node, leaves)
    grads = torch.autograd.grad(out, leaves, allow_unused=True)
    return tuple(0.0 if g is None else g.item() for g in grads)


def _error(ours, theirs):
    """|ours - theirs|, 0 where both are the same infinity or both nan, inf where one is nan."""
    if ours == theirs or (math.isnan(ours) and math.isnan(theirs)):
        return 0.0
    error = abs(ours - theirs)
    return math.inf if math.isnan(error) else error

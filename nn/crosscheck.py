"""Does the scalar engine agree with the matrix form? Every weight gradient, and every delta.

    report = crosscheck(model, X, Y, loss="squared_error")                  # against NumPy
    report = crosscheck(model, X, Y, loss=losses.cross_entropy, against="torch")
    report.ok, report.max_abs_error; print(report)

The scalar side is the engine as `nn` trains with it: model(x) for every example, the batch cost
C = 1/n sum_x L_x, and C.backward(). The gradient that arrives at each example's node z[l][j] is
the seeds' delta^l_j for that example, so it is compared with column k of the matrix form's
delta^l (nn.vectorized), as are z, a, dC/da^L, dC/dW^l, dC/db^l and the cost itself. With
against="torch" the reference is PyTorch float64 autograd on nn.to_torch(model), its deltas the
retained gradients of the Linear outputs.

X holds one example per ROW, as nn.fit takes it (the matrix form stores them as columns, as
seed 004; the report's matrices are in that column layout).

A quantity agrees when |engine - reference| <= tol (1 + |reference|) entry by entry: an absolute
tolerance for numbers below 1, a relative one above. The table's relative error of an entry is
|engine - reference| / max(|engine|, |reference|) (0 where both are 0).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from autograd import Value, topological_order, total
from autograd.checks import choice, number
from autograd.notation import Report, label, unit_of

from . import losses
from .convert import import_torch, to_numpy, to_torch
from .modules import MLP
from .vectorized import Array, Backprop, Layers, backprop, loss_name

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .losses import Loss


class Row(NamedTuple):
    """One compared quantity: its layer l (0 for the cost), name, shape and errors."""

    layer: int
    quantity: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    ok: bool


class CrosscheckReport(Report):
    """The comparison, quantity by quantity; `print(report)` shows it as a table."""

    def __init__(
        self,
        rows: list[Row],
        tol: float,
        against: str,
        loss: str,
        n_examples: int,
        model: MLP,
        scalar: Backprop,
        reference: Backprop,
    ) -> None:
        self.rows = rows
        self.tol = tol
        self.against = against
        self.loss = loss
        self.n_examples = n_examples
        self.model = model
        self.scalar = scalar  # the engine's pass in matrix layout (a vectorized.Backprop)
        self.reference = reference  # the NumPy or PyTorch pass (a vectorized.Backprop)
        self.failures = [row for row in rows if not row.ok]
        self.ok = not self.failures
        self.worst = max(rows, key=lambda row: row.max_abs_error)
        self.max_abs_error = self.worst.max_abs_error
        self.max_rel_error = max(row.max_rel_error for row in rows)

    def __repr__(self) -> str:
        return (
            f"<CrosscheckReport against {self.against}: ok={self.ok}, "
            f"max_abs_error={self.max_abs_error:.3g}>"
        )

    def __str__(self) -> str:
        reference = "NumPy (nn.vectorized)" if self.against == "numpy" else "PyTorch float64"
        if self.ok:
            verdict = f"OK: every quantity agrees within tol={self.tol:g}"
        else:
            names = ", ".join(_where(row) for row in self.failures)
            verdict = f"MISMATCH (tol={self.tol:g}) in {names}"
        lines = [
            f"crosscheck: scalar engine vs {reference}. {verdict}",
            f"{self.model!r}, loss {self.loss}, {self.n_examples} "
            f"example{'' if self.n_examples == 1 else 's'}; "
            f"largest error {self.max_abs_error:.2e} in {_where(self.worst)}",
            "",
            f"{'layer':>5}  {'quantity':<8}  {'shape':<10}  {'max abs error':>13}  "
            f"{'max rel error':>13}",
        ]
        for row in self.rows:
            layer = "-" if row.layer == 0 else str(row.layer)
            lines.append(
                f"{layer:>5}  {row.quantity:<8}  {str(row.shape):<10}  "
                f"{row.max_abs_error:>13.2e}  {row.max_rel_error:>13.2e}  "
                f"{'ok' if row.ok else 'FAIL'}"
            )
        return "\n".join(lines)


def crosscheck(
    model: MLP,
    X: ArrayLike,
    Y: Collection[Any],
    loss: str | Loss,
    against: str = "numpy",
    tol: float = 1e-10,
) -> CrosscheckReport:
    """Compare the engine's cost, z, a, delta and parameter gradients for the batch (X, Y)
    with the matrix form (against="numpy") or PyTorch (against="torch"): a CrosscheckReport.

    `loss` is a function from nn.losses or its name. The model's gradients are left as they
    were: crosscheck saves them, zeroes them for its own backward pass, and puts them back."""
    choice(against, ("numpy", "torch"), "reference (against=)")
    tol = number(tol, "tol", positive=True)
    name = loss_name(loss)  # also: a loss the matrix form does not know is a ValueError
    X, Y = _batch(model, X, Y, name)
    if against == "torch":
        import_torch()  # fail before any work if torch is missing
    scalar = scalar_backprop(model, X, Y, name)
    if against == "numpy":
        weights, biases = to_numpy(model)
        reference = backprop(
            weights, biases, X.T, _columns(Y, name), name, model.activation, model.output_activation
        )
    else:
        reference = torch_backprop(model, X, Y, name)
    rows = compare(scalar, reference, tol)
    return CrosscheckReport(rows, tol, against, name, len(X), model, scalar, reference)


def compare(scalar: Backprop, reference: Backprop, tol: float = 1e-10) -> list[Row]:
    """Rows of errors between two Backprops, quantity by quantity, layer by layer."""
    L = scalar.z.indices[-1]
    rows = [_row(0, "C", scalar.C, reference.C, tol)]
    for l in scalar.z.indices:
        rows.append(_row(l, "z", scalar.z[l], reference.z[l], tol))
        rows.append(_row(l, "a", scalar.a[l], reference.a[l], tol))
        if l == L:
            rows.append(_row(l, "dC/da", scalar.dC_da, reference.dC_da, tol))
        rows.append(_row(l, "delta", scalar.delta[l], reference.delta[l], tol))
        rows.append(_row(l, "dW", scalar.dW[l], reference.dW[l], tol))
        rows.append(_row(l, "db", scalar.db[l], reference.db[l], tol))
    return rows


def scalar_backprop(model: MLP, X: Array, Y: Sequence[Any], loss: str | Loss) -> Backprop:
    """The engine's pass over the batch, read into the matrix form's layout: a Backprop whose
    delta[l][j, k] is the gradient on node z[l][j] of example k.

    X: one example per row; Y: one target per example (a list of numbers, or a class index)."""
    loss_fn = losses.get(loss)
    n, L = len(X), len(model.layers)
    params = model.parameters()
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        outputs: list[Value | list[Value]] = []
        example_losses: list[Value] = []
        for x, y in zip(X, Y):
            outputs.append(model(x.tolist()))
            example_losses.append(loss_fn(outputs[-1], y))
        C = total(example_losses) / n  # the batch cost: the mean of the examples' losses
        if not C.inputs:
            raise RuntimeError(
                "crosscheck needs the engine to record the graph; it was called inside no_grad()"
            )
        C.backward()
        sizes = [model.nin] + model.nouts  # sizes[l]: the units of layer l
        z = {l: np.empty((sizes[l], n)) for l in range(1, L + 1)}
        a = {0: X.T.copy(), **{l: np.empty((sizes[l], n)) for l in range(1, L + 1)}}
        delta = {l: np.empty((sizes[l], n)) for l in range(1, L + 1)}
        dC_da = np.empty((sizes[L], n))
        for k, (out, L_x) in enumerate(zip(outputs, example_losses)):
            nodes = _labelled_nodes(L_x)
            for l in range(1, L + 1):
                for j in range(sizes[l]):
                    z_node = _node(nodes, label("z", l, j))
                    a_node = nodes.get(label("a", l, j), z_node)  # a linear unit's a is its z
                    z[l][j, k], delta[l][j, k], a[l][j, k] = z_node.data, z_node.grad, a_node.data
            for j, a_j in enumerate(out if isinstance(out, list) else [out]):
                dC_da[j, k] = a_j.grad
        dW = [np.array([[w.grad for w in row] for row in layer.W]) for layer in model.layers]
        db = [np.array([b.grad for b in layer.b]) for layer in model.layers]
        return Backprop(
            C.data,
            Layers(z.values(), 1, "z"),
            Layers(a.values(), 0, "a"),
            dC_da,
            Layers(delta.values(), 1, "delta"),
            Layers(dW, 1, "dW"),
            Layers(db, 1, "db"),
        )
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def torch_backprop(model: MLP, X: Array, Y: Sequence[Any], loss: str | Loss) -> Backprop:
    """PyTorch float64 autograd on nn.to_torch(model), read into the matrix form's layout:
    delta^l is the retained gradient of layer l's Linear output (transposed to columns)."""
    torch = import_torch()
    name = loss_name(loss)
    sequential = to_torch(model)
    with torch.enable_grad():
        h = torch.tensor(X, dtype=torch.float64)
        z, a = [], [h]  # z^1, z^2, ... and a^0, a^1, ...
        for module in sequential:
            h = module(h)
            if isinstance(module, torch.nn.Linear):
                h.retain_grad()  # its grad is delta^l
                z.append(h)
                a.append(h)  # a linear layer adds no module: a = z
            else:
                a[-1] = h
        a[-1].retain_grad()  # dC/da^L
        C = _torch_cost(torch, name, a[-1], Y)
        C.backward()
    linears = [m for m in sequential if isinstance(m, torch.nn.Linear)]

    def columns(t: Any) -> Array:
        return t.detach().numpy().T.copy()

    return Backprop(
        C.item(),
        Layers([columns(t) for t in z], 1, "z"),
        Layers([columns(t) for t in a], 0, "a"),
        columns(a[-1].grad),
        Layers([columns(t.grad) for t in z], 1, "delta"),
        Layers([m.weight.grad.numpy().copy() for m in linears], 1, "dW"),
        Layers([m.bias.grad.numpy().copy() for m in linears], 1, "db"),
    )


def _torch_cost(torch: ModuleType, name: str, a: Any, Y: Sequence[Any]) -> Any:
    """The mean over the batch of each example's loss, with torch's own loss functions where
    they compute the same per-example loss."""
    F = torch.nn.functional
    if name == "cross_entropy":
        return F.cross_entropy(a, torch.tensor(Y, dtype=torch.long))  # mean over the batch
    y = torch.tensor(np.asarray(Y, dtype=np.float64).reshape(a.shape), dtype=torch.float64)
    if name == "squared_error":
        L_x = 0.5 * ((a - y) ** 2).sum(dim=1)
    elif name == "mse":
        L_x = F.mse_loss(a, y, reduction="none").mean(dim=1)
    elif name == "binary_cross_entropy":
        L_x = F.binary_cross_entropy(a, y, reduction="none").sum(dim=1)
    elif name == "binary_cross_entropy_with_logits":
        L_x = F.binary_cross_entropy_with_logits(a, y, reduction="none").sum(dim=1)
    else:
        assert name == "hinge", name
        L_x = torch.relu(1.0 - y * a).sum(dim=1)
    return L_x.mean()


def _batch(model: MLP, X: ArrayLike, Y: Collection[Any], name: str) -> tuple[Array, list[Any]]:
    """X as an (n, nin) float array and Y as a list of targets (class indices, or lists of
    numbers), checked against the model and the loss."""
    if not isinstance(model, MLP):
        raise TypeError(f"crosscheck needs an nn.MLP, got {type(model).__name__}")
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be a rectangular array of numbers, one example per row") from None
    if X.ndim == 1 and model.nin == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(
            f"X must have one example per row, shape (n, {model.nin}), got shape {X.shape}"
        )
    if X.shape[1] != model.nin:
        hint = ""
        if X.shape[0] == model.nin:
            hint = " (examples as columns, as in seed 004? pass X.T)"
        raise ValueError(
            f"the model has {model.nin} inputs but X has rows of {X.shape[1]}{hint}; "
            "X holds one example per row"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite, got nan or inf")
    if isinstance(Y, (str, bytes)) or not hasattr(Y, "__len__"):
        raise ValueError(f"Y must hold one target per example, got {type(Y).__name__}")
    if len(Y) != len(X):
        raise ValueError(f"X has {len(X)} examples but Y has {len(Y)} targets")
    K = model.nouts[-1]
    if name == "cross_entropy":
        targets = []
        for y in Y:
            if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
                raise ValueError(f"cross_entropy's targets must be class indices, got {y!r}")
            if not 0 <= y < K:
                raise ValueError(f"cross_entropy's targets must be in 0..{K - 1}, got {y!r}")
            targets.append(int(y))
        return X, targets
    try:
        Y = np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("Y must be a rectangular array of numbers") from None
    if Y.ndim == 1 and K == 1:
        Y = Y.reshape(-1, 1)
    if Y.shape != (len(X), K):
        raise ValueError(
            f"Y must have one row of {K} targets per example (the model has {K} outputs), "
            f"shape {(len(X), K)}, got shape {Y.shape}"
        )
    return X, Y.tolist()


def _columns(Y, name):
    """Targets in the matrix form's layout: class indices (n,) or one column per example."""
    return np.array(Y) if name == "cross_entropy" else np.array(Y, dtype=np.float64).T


def _row(layer: int, quantity: str, ours: ArrayLike, reference: ArrayLike, tol: float) -> Row:
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    assert ours.shape == reference.shape, (quantity, ours.shape, reference.shape)
    with np.errstate(invalid="ignore"):
        error = np.abs(ours - reference)
        same = (ours == reference) | (np.isnan(ours) & np.isnan(reference))  # inf == inf too
        error = np.where(same, 0.0, np.where(np.isnan(error), np.inf, error))
        scale = np.maximum(np.abs(ours), np.abs(reference))
        rel = np.where(error == 0, 0.0, error / np.where(scale > 0, scale, 1.0))
    ok = bool(np.all((error <= tol * (1.0 + np.abs(reference))) & np.isfinite(error)))
    max_abs = float(error.max()) if error.size else 0.0
    max_rel = float(rel.max()) if rel.size else 0.0
    return Row(layer, quantity, ours.shape, max_abs, max_rel, ok)


def _labelled_nodes(root):
    """The graph's z and a nodes by label (one example's graph: each label once). Of the nodes
    labelled as a unit's (w, b, z, a: autograd.notation.unit_of), z and a are those computed
    from inputs; w and b are leaves."""
    return {
        node.label: node
        for node in topological_order(root)
        if node.inputs and unit_of(node.label) is not None
    }


def _node(nodes, name):
    node = nodes.get(name)
    if node is None:
        raise RuntimeError(f"crosscheck found no node labelled {name} in the model's graph")
    return node


def _where(row):
    return "the cost C" if row.layer == 0 else f"layer {row.layer} {row.quantity}"

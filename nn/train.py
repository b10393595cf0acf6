"""Training: the seeds' loop of forward pass, cost, backward pass and update, over a data set.

One step (`train_step`) takes a batch of examples (x, y): it runs the model on every x, takes
the cost L = 1/n sum_x L_x, the mean of the per-example losses (seed 000's first assumption),
sets every gradient to 0, fills them with L.backward(), and lets the optimizer move the weights.
`fit` repeats steps over epochs (full batches, or shuffled mini-batches) and records the loss
and the accuracy per epoch. `predict`, `evaluate` and `accuracy` look at a model without
recording any graph.

Accuracy is defined by the loss, because the loss says what an output means:
- hinge: the score s stands for class +1 when s > 0, else -1 (targets are -1 or +1);
- binary_cross_entropy: the probability a stands for class 1 when a > 0.5, else 0;
- binary_cross_entropy_with_logits: the logit z stands for class 1 when z > 0, else 0
  (for both binary losses a target counts as class 1 when it is > 0.5);
- cross_entropy: the class is the index of the largest logit (the first one on a tie);
- squared_error, mse and any other function: there are no classes, so accuracy is None.
With several outputs under a binary loss, an example counts as right when every output is.
"""

from __future__ import annotations

import gc
import math
import numbers
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, NamedTuple, TypeAlias

from autograd import Value, no_grad, total
from autograd.checks import Seed, integer, number, rng

from . import losses as _losses
from .losses import Loss, Prediction, Target
from .optim import SGD, Adam, Optimizer

# a model: model(x) for one example's inputs x, a Value (one output) or a list of Values
Model: TypeAlias = Callable[[Sequence[float]], Value | Sequence[Value]]
Output: TypeAlias = float | list[float]  # a model's output as plain numbers

OPTIMIZERS = {"sgd": SGD, "adam": Adam}
# fit's learning rates for an optimizer given by name. They suit this package's small networks:
# Adam's own default (1e-3, made for large networks) barely moves them in a hundred steps.
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}

# how each loss reads an output as a class: (threshold on the output, threshold on the target)
_THRESHOLDS = {
    _losses.hinge: (0.0, 0.0),
    _losses.binary_cross_entropy: (0.5, 0.5),
    _losses.binary_cross_entropy_with_logits: (0.0, 0.5),
}


class NonFiniteError(FloatingPointError):
    """Training met a loss or a gradient that is inf or nan. Raised before the optimizer's
    step, so the weights (and the optimizer's state) are those from before that step."""


class Step(NamedTuple):
    """What train_step returns: the batch's mean loss (a float) and the model's outputs
    for the batch as plain numbers, both from the forward pass, before the update."""

    loss: float
    outputs: list[Output]


class Evaluation(NamedTuple):
    """What evaluate returns: the mean loss over the data set (a float) and the
    accuracy (a fraction in [0, 1], or None for a loss without classes)."""

    loss: float
    accuracy: float | None


class History:
    """What `fit` measured, one entry per epoch: `loss` (the mean per-example loss) and
    `accuracy` (the fraction classified right, or None for a loss without classes).

    Each example is measured in the forward pass of its own step, before that step's update (as
    Keras reports). With full batches, entry e is therefore the model as it was at the start of
    epoch e; use `evaluate` for the model as it is after training."""

    def __init__(self, loss: list[float], accuracy: list[float] | None) -> None:
        self.loss = loss
        self.accuracy = accuracy

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        accuracy = "" if self.accuracy is None else f", accuracy={self.accuracy[-1]:.4g}"
        return f"History(epochs={len(self.loss)}, loss={self.loss[-1]:.4g}{accuracy})"


def fit(
    model: Model,
    X: Collection[Collection[float]],
    Y: Collection[Target],
    *,
    loss: Loss | str,
    optimizer: Optimizer | str = "adam",
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: Seed = 0,
    progress: bool = True,
) -> History:
    """Train `model` on the examples (X[n], Y[n]) and return the History, one entry per epoch.

    - loss: a function of nn.losses (or any `loss(prediction, target) -> Value`), or its name.
      Required: no loss suits both regression and classification.
    - optimizer: an optimizer holding the model's parameters (e.g. SGD(model.parameters(), 1.0)),
      or a name, "sgd" or "adam", with the learning rate `lr` (None: 0.1 for "sgd", 0.01 for
      "adam"; see DEFAULT_LR). Default "adam", which needs the least tuning.
    - epochs: passes over the data (default 100).
    - batch_size: examples per step. None (the default) or len(X) or more: one full batch per
      epoch, the seeds' gradient descent, in the data's order. Smaller: the examples are shuffled
      at the start of every epoch by a private random.Random(seed) (the global `random` is not
      touched), and cut into batches of batch_size (the last one may be smaller).
    - progress: a progress bar (tqdm) with the current loss, on stderr, when stderr is a
      terminal or inside a Jupyter kernel (plain text there: no ipywidgets needed).

    Every step is `train_step`: cost = mean of the per-example losses, zero_grad, backward,
    optimizer.step(). When the loss or a gradient becomes inf or nan, fit stops with a
    NonFiniteError naming the epoch and the step, and the model keeps the weights from before
    that step.
    """
    loss = _losses.get(loss)
    X, Y = _dataset(X, Y, getattr(model, "nin", None))
    optimizer = _optimizer(model, optimizer, lr)
    epochs = integer(epochs, "epochs", least=1)
    if batch_size is not None:
        batch_size = integer(batch_size, "batch_size", least=1)
    shuffler = rng(seed)
    n = len(X)
    size = n if batch_size is None else min(batch_size, n)
    order = list(range(n))
    thresholds = _rule(loss)
    history = History([], None if thresholds is None else [])
    steps = epochs * math.ceil(n / size)
    with _progress_bar(steps, progress) as bar:
        for epoch in range(epochs):
            if size < n:
                shuffler.shuffle(order)
            sums, correct = [], 0  # sums: each batch's total loss, mean * size
            for start in range(0, n, size):
                batch = order[start : start + size]
                xs, ys = [X[i] for i in batch], [Y[i] for i in batch]
                try:
                    step = train_step(model, xs, ys, loss, optimizer)
                except NonFiniteError as error:
                    per_epoch = math.ceil(n / size)
                    raise NonFiniteError(
                        f"training stopped at epoch {epoch + 1} of {epochs}, step "
                        f"{start // size + 1} of {per_epoch}: {error}"
                    ) from None
                sums.append(step.loss * len(batch))
                if thresholds is not None:
                    correct += sum(map(_correct, step.outputs, ys, [thresholds] * len(ys)))
                if bar is not None:
                    running = math.fsum(sums) / (start + len(batch))
                    bar.set_postfix(_postfix(epoch, running), False)
                    bar.update(1)
            # one full batch: its mean loss as it is (x * n / n need not give back x exactly)
            history.loss.append(step.loss if size == n else math.fsum(sums) / n)
            if history.accuracy is not None:  # (a list exactly where thresholds is not None)
                history.accuracy.append(correct / n)
            if bar is not None:
                bar.set_postfix(_postfix(epoch, history.loss[-1], history), False)
    return history


def train_step(
    model: Model,
    X: Collection[Sequence[float]],
    Y: Collection[Target],
    loss: Loss | str,
    optimizer: Optimizer,
) -> Step:
    """One step of gradient descent on the batch (X, Y): outputs a = model(x) for every x, the
    cost L = 1/n sum_x loss(a, y), optimizer.zero_grad(), L.backward(), optimizer.step().
    Returns a Step: the cost as a float and the outputs as plain numbers (before the update).
    A cost or a parameter gradient that is inf or nan raises NonFiniteError before
    optimizer.step(), so the weights stay as they were.

    Python's cyclic garbage collector is paused for the step and restored afterwards (if it was
    disabled, it stays disabled; an exception restores it too). A step makes tens of thousands
    of Values, and with the collector on, a pass runs every few hundred new objects and walks
    the graph built so far, looking for cycles it cannot have: the graph has no reference
    cycles, so reference counting frees all of it when the step ends, before the collector is
    switched back on. Steps are about 10% faster (MLP(2, [16, 16, 1]), 100 examples)."""
    loss = _losses.get(loss)
    if len(X) != len(Y):
        raise ValueError(f"the batch has {len(X)} inputs but {len(Y)} targets")
    if not len(X):
        raise ValueError("the batch is empty; expected at least one example")
    enabled = gc.isenabled()
    gc.disable()
    try:
        # the graph lives only inside _step: it is freed when _step returns, before gc.enable()
        return _step(model, X, Y, loss, optimizer)
    finally:
        if enabled:
            gc.enable()


def _step(model, X, Y, loss, optimizer):
    outputs = [model(x) for x in X]
    cost = total(_example_losses(outputs, Y, loss)) / len(X)  # L = 1/n sum_x L_x
    optimizer.zero_grad()
    cost.backward()
    _check_finite(cost, model, optimizer)
    optimizer.step()
    return Step(cost.data, [_numbers(a) for a in outputs])


def _check_finite(cost, model, optimizer):
    """NonFiniteError where the cost or a gradient the optimizer would use is inf or nan."""
    if not math.isfinite(cost.data):
        raise NonFiniteError(f"the loss is {cost.data!r}; the weights were left as they were")
    params = getattr(optimizer, "params", None)
    if params is None:
        params = model.parameters() if hasattr(model, "parameters") else []
    for p in params:
        if p.grad is not None and not math.isfinite(p.grad):
            name = p.label or "a parameter"
            raise NonFiniteError(
                f"the gradient of {name} is {p.grad!r}; the weights were left as they were"
            )


@no_grad()
def predict(model: Model, X: Iterable[Sequence[float]]) -> list[Output]:
    """The model's outputs for the inputs X, as plain numbers (a float per example, or a list of
    floats for a model with several outputs), computed without recording a graph."""
    return [_numbers(model(x)) for x in X]


@no_grad()
def evaluate(
    model: Model, X: Collection[Collection[float]], Y: Collection[Target], loss: Loss | str
) -> Evaluation:
    """The model's mean loss over (X, Y) and its accuracy (None for a loss without classes; see
    the module's docstring), computed without recording a graph: an Evaluation(loss, accuracy)."""
    loss = _losses.get(loss)
    X, Y = _dataset(X, Y, getattr(model, "nin", None))
    outputs = [model(x) for x in X]
    mean = math.fsum(L_x.data for L_x in _example_losses(outputs, Y, loss)) / len(X)
    return Evaluation(mean, accuracy([_numbers(a) for a in outputs], Y, loss))


def accuracy(outputs: Sequence[Prediction], Y: Sequence[Target], loss: Loss | str) -> float | None:
    """The fraction of examples whose output stands for the target's class under `loss` (see the
    module's docstring), or None when the loss has no classes (squared_error, mse, custom)."""
    thresholds = _rule(_losses.get(loss))
    if thresholds is None:
        return None
    if len(outputs) != len(Y):
        raise ValueError(f"got {len(outputs)} outputs but {len(Y)} targets")
    if not len(Y):
        raise ValueError("accuracy of no examples is undefined; expected at least one")
    outputs = [_numbers(a) for a in outputs]
    return sum(map(_correct, outputs, Y, [thresholds] * len(Y))) / len(Y)


def classify(output: Prediction, loss: Loss | str) -> int | list[int]:
    """The class a model output stands for under `loss`: +1 or -1 (hinge), 1 or 0 (the binary
    cross-entropies; a list for several outputs), the index of the largest logit
    (cross_entropy). ValueError for a loss without classes."""
    loss = _losses.get(loss)
    thresholds = _rule(loss)
    if thresholds is None:
        raise ValueError(f"{_name(loss)} has no classes: it is a regression loss or unknown")
    output = _numbers(output)
    if thresholds == "argmax":
        return argmax(output)
    negative = -1 if loss is _losses.hinge else 0
    if isinstance(output, list):
        return [1 if a > thresholds[0] else negative for a in output]
    return 1 if output > thresholds[0] else negative


def _example_losses(outputs, Y, loss):
    example_losses = [loss(a, y) for a, y in zip(outputs, Y)]
    for L_x in example_losses:
        if not isinstance(L_x, Value):
            raise TypeError(f"the loss function must return a Value, got {type(L_x).__name__}")
    return example_losses


def argmax(logits: float | list[float]) -> int:
    """The index of the largest of `logits` (a list of numbers; a lone number is index 0), the
    first one on a tie: the class cross_entropy reads from a model's outputs."""
    if not isinstance(logits, list):
        logits = [logits]
    return max(range(len(logits)), key=logits.__getitem__)


def _rule(loss):
    if loss is _losses.cross_entropy:
        return "argmax"
    return _THRESHOLDS.get(loss)


def _correct(output, target, thresholds):
    """Whether one output stands for its target's class."""
    if thresholds == "argmax":
        return argmax(output) == target
    a_threshold, y_threshold = thresholds
    if not isinstance(output, list):
        output = [output]
    if not isinstance(target, (list, tuple)):
        target = [target]
    return all((a > a_threshold) == (y > y_threshold) for a, y in zip(output, target))


def _numbers(output: Any) -> Output:
    """A model output (a Value or a list of Values) as a float or a list of floats."""
    if isinstance(output, Value):
        return output.data
    if isinstance(output, (list, tuple)):
        return [a.data if isinstance(a, Value) else a for a in output]
    return output


def _dataset(
    X: Collection[Collection[float]], Y: Collection[Any], nin: int | None
) -> tuple[list[list[float]], list[Any]]:
    """X as a list of lists of floats and Y as a list of targets (an int or float, or a list of
    them), after checking both: the same non-zero length, finite numbers, nin inputs each."""
    for name, data in (("X", X), ("Y", Y)):
        if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
            raise TypeError(f"{name} must be a list of examples, got {type(data).__name__}")
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} examples but Y has {len(Y)}; expected one y per x")
    if not len(X):
        raise ValueError("the data set is empty; expected at least one example")
    inputs = []
    for n, x in enumerate(X):
        if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
            raise TypeError(f"X[{n}] must be a list of numbers, got {type(x).__name__}")
        if nin is not None and len(x) != nin:
            raise ValueError(f"X[{n}] has {len(x)} inputs, but the model expects {nin}")
        inputs.append([number(x_i, f"X[{n}][{i}]") for i, x_i in enumerate(x)])
    targets = []
    for n, y in enumerate(Y):
        if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
            targets.append(_target(y, f"Y[{n}]"))
        else:
            targets.append([_target(y_k, f"Y[{n}][{k}]") for k, y_k in enumerate(y)])
    return inputs, targets


def _target(y, name):
    """y as a Python int if it is one (a class index must stay an int for cross_entropy), else
    as a finite float."""
    if isinstance(y, numbers.Integral) and not isinstance(y, bool):
        return int(y)
    return number(y, name)


def _optimizer(model: Model, optimizer: Optimizer | str, lr: float | None) -> Optimizer:
    """The optimizer fit uses: the one given, or a new one by name holding model.parameters()."""
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; expected one of {list(OPTIMIZERS)} "
                f"or an optimizer such as SGD(model.parameters(), lr=0.1)"
            )
        if not hasattr(model, "parameters"):
            raise TypeError(f"the model must have parameters(), got {type(model).__name__}")
        return OPTIMIZERS[optimizer](
            model.parameters(), DEFAULT_LR[optimizer] if lr is None else lr
        )
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must be a name in {list(OPTIMIZERS)} or an optimizer with step() and "
            f"zero_grad(), got {type(optimizer).__name__}"
        )
    if lr is not None:
        raise ValueError(
            "lr goes with an optimizer given by name; this optimizer already has its own "
            f"learning rate (lr={getattr(optimizer, 'lr', '?')})"
        )
    if hasattr(model, "parameters") and hasattr(optimizer, "params"):
        held = set(optimizer.params)
        if not any(p in held for p in model.parameters()):
            raise ValueError(
                "the optimizer holds none of the model's parameters; was it made for another "
                "model? Make it with the model's parameters(), e.g. SGD(model.parameters(), 0.1)"
            )
    return optimizer


def _name(loss):
    return getattr(loss, "__name__", repr(loss))


def _postfix(epoch, loss, history=None):
    postfix = {"epoch": epoch + 1, "loss": f"{loss:.4g}"}
    if history is not None and history.accuracy is not None:
        postfix["accuracy"] = f"{history.accuracy[-1]:.3f}"
    return postfix


class _progress_bar:
    """A tqdm bar of `steps` steps on stderr where one helps (see fit), else None."""

    def __init__(self, steps, progress):
        self.steps, self.show, self.bar = steps, bool(progress) and _interactive(), None

    def __enter__(self):
        if self.show:
            from tqdm.std import tqdm  # plain text: no ipywidgets, no "IProgress not found"

            self.bar = tqdm(total=self.steps, file=sys.stderr, unit="step", dynamic_ncols=True)
        return self.bar

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


def _interactive():
    """Whether someone watches stderr: a terminal, or a Jupyter kernel's output."""
    try:
        if sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False
    return _in_jupyter_kernel()


def _in_jupyter_kernel():
    ipython = sys.modules.get("IPython")  # only a kernel that imported IPython can be one
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None

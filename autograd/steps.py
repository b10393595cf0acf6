"""Backprop one node at a time: `backward_steps(root)` runs the chain rule of `root.backward()`,
in the same order and with the same arithmetic, and stops after each node to show what it did.

    for step in y.backward_steps():
        print(step)                  # step 3/7: z = x × w, grad 0.5: x.grad += -3 × 0.5 = -1.5; ...
        draw(y, step=step)           # the picture after this step, its node and edges highlighted

A stepped pass is a view, not a change: it computes the pass's gradients in its own records and
leaves every `.grad` as it was, so stepping (or drawing, or re-running a notebook cell that does
either) any number of times shows the same numbers, and they are the numbers a fresh
`backward()` gives, bit for bit. Only `backward()` changes `.grad`. A leaf whose `.grad` already
holds something from earlier backward() calls (leaves accumulate) is shown with that amount as a
separate, labelled term: never added into this pass's sum.

Pictures of the steps (draw(root, step=...), draw_steps, step_through, save_frames) are in
autograd.graph and autograd.frames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from . import value
from .notation import Names, fmt, formula, names
from .value import Constant, Value, topological_order

if TYPE_CHECKING:
    from .dot import Drawing


class Contribution(NamedTuple):
    """One edge of a step: input.grad += local_grad * upstream_grad.

    local_grad is d(node)/d(input), upstream_grad is d(root)/d(node), and contribution is their
    product, the term the chain rule adds to d(root)/d(input)."""

    input: Value
    local_grad: float
    upstream_grad: float
    contribution: float


class Step:
    """One node of the backward pass: its gradient is final, and it has just passed
    `local_grad × grad` to each of its inputs (its `contributions`)."""

    __slots__ = ("index", "total", "node", "grad", "contributions", "run")

    def __init__(
        self,
        index: int,
        total: int,
        node: Value,
        grad: float,
        contributions: tuple[Contribution, ...],
        run: Pass,
    ) -> None:
        self.index = index  # 0, 1, ..., total - 1
        self.total = total  # steps in the whole pass: one per node that has inputs
        self.node = node
        self.grad = grad  # d(root)/d(node): final at this step
        self.contributions = contributions  # one Contribution per input, in input order
        self.run = run

    @property
    def root(self) -> Value:
        """The Value whose backward pass this step belongs to."""
        return self.run.root

    @property
    def text(self) -> str:
        """The step's arithmetic in one line."""
        name, f = self.run.name, self.run.fmt
        node = self.node

        def grad_of(x: Value) -> str:  # x.grad, or (x × w).grad for a node named by a formula
            return f"({name(x)}).grad" if x in self.run.compound else f"{name(x)}.grad"

        terms = "; ".join(
            f"{grad_of(c.input)} += {f(c.local_grad)} × {f(c.upstream_grad)} = {f(c.contribution)}"
            for c in self.contributions
            if not isinstance(c.input, Constant)
        )
        made = self.formula()
        what = name(node) if name(node) == made else f"{name(node)} = {made}"
        return f"step {self.index + 1}/{self.total}: {what}, grad {f(self.grad)}" + (
            f": {terms}" if terms else ""
        )

    def formula(self) -> str:
        """How the step's node was made, in the picture's names: 'x × w', 'tanh(z)'."""
        return self.run.formula(self.node)

    def draw(self, **kwargs: Any) -> Drawing:
        """draw(step.root, step=step, **kwargs): the picture right after this step (an alias of
        autograd.draw, which autograd.graph lends through value.HOOKS)."""
        return value.HOOKS["draw"](self.root, step=self, **kwargs)

    def state(self) -> tuple[dict[Value, float], dict[Value, list[float]], set[Value]]:
        """This pass's gradients right after this step, replayed from its records:
        (grads, received, pending). grads[v] is d(root)/d(v) so far (0 for a node not reached
        yet; the root's is 1); received[v] is the list of terms v has received so far; pending
        holds the Values whose gradient is still collecting contributions. Stored `.grad`
        fields play no part (see `held`)."""
        run = self.run
        grads = dict.fromkeys(run.index, 0.0)
        grads[run.root] = 1.0
        received: dict[Value, list[float]] = {v: [] for v in run.index}
        remaining = dict(run.uses)
        for step in run.steps[: self.index + 1]:
            for c in step.contributions:
                grads[c.input] += c.contribution  # the same additions, in the same order
                received[c.input].append(c.contribution)
                remaining[c.input] -= 1
        pending = {v for v, n in remaining.items() if n > 0}
        return grads, received, pending

    @property
    def held(self) -> dict[Value, float]:
        """{leaf: its stored .grad} for every leaf whose `.grad` holds an amount from earlier
        backward() calls that is not this pass's gradient (see `Pass.held`)."""
        return self.run.held

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (
            f"<Step {self.index + 1}/{self.total}: {self.run.name(self.node)}, grad={self.grad!r}>"
        )


class Pass:
    """One backward pass of `root`, computed without touching any `.grad`: the walk of
    backward(), its steps (computed as they are asked for), and the gradients it gives.

    `grads()` is d(root)/d(v) for every v in the graph, equal bit for bit to what a fresh
    root.backward() leaves in v.grad (the same products, added in the same order, from 0)."""

    def __init__(self, root: Value, digits: int = 4) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
        self.root = root
        self.order = topological_order(root)  # the walk backward() uses (leaves kept: drawn)
        self.index = {v: i for i, v in enumerate(self.order)}
        self.interior = [v for v in reversed(self.order) if v.inputs]  # backward()'s order
        self.uses: dict[Value, int] = {}
        for v in self.order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1
        self.steps: list[Step] = []
        self._grads = dict.fromkeys(self.order, 0.0)
        self._grads[root] = 1.0
        self.digits = digits
        self._names: Names | None = None  # notation.names(order), made when first needed
        self.fmt: Callable[[float], str] = lambda x: fmt(x, digits)

    def step(self, index: int) -> Step:
        """Step `index` (from 0), computing the steps up to it where not done yet."""
        while len(self.steps) <= index:
            self._advance()
        return self.steps[index]

    def _advance(self):
        """Compute the next step (the chain rule at one node)."""
        index = len(self.steps)
        node = self.interior[index]
        grads = self._grads
        grad = grads[node]
        contributions = []
        for x, local_grad in zip(node.inputs, node.local_grads):
            term = local_grad * grad  # the product backward() adds, in the same order
            grads[x] += term
            contributions.append(Contribution(x, local_grad, grad, term))
        self.steps.append(Step(index, len(self.interior), node, grad, tuple(contributions), self))

    def finish(self) -> Pass:
        """Compute every remaining step; returns self."""
        if self.interior:
            self.step(len(self.interior) - 1)
        return self

    def grads(self) -> dict[Value, float]:
        """{v: d(root)/d(v)} for every node of the graph, after the whole pass."""
        return dict(self.finish()._grads)

    @property
    def held(self) -> dict[Value, float]:
        """{leaf: stored .grad} for the leaves whose `.grad` is not 0 and not this pass's
        gradient: what earlier backward() calls left there (leaves accumulate). Pictures show
        it as a term of its own, never added into this pass's numbers."""
        grads = self.grads()
        return {
            v: v.grad
            for v in self.order
            if not v.inputs and v.grad is not None and v.grad != 0 and v.grad != grads[v]
        }

    def _all_names(self) -> Names:
        """notation.names(order), made the first time a name is needed."""
        if self._names is None:
            self._names = names(self.order, self.digits)
        return self._names

    def name(self, v: Value) -> str:
        """v's name as pictures and step texts write it (notation.names)."""
        return self._all_names()[v]

    def formula(self, v: Value) -> str:
        """How v was made, in words: 'x × w', 'tanh(z)', 'Σ w·x + b'."""
        self.name(v)  # (a KeyError for a node outside the graph)
        return formula(v, self._all_names())

    @property
    def compound(self) -> set[Value]:
        """The nodes named by an infix formula ('x + y'): parenthesized inside other text."""
        return self._all_names().compound


def backward_steps(root: Value) -> Iterator[Step]:
    """Generator: the chain rule of root.backward(), one node per step, in the same reverse
    topological order and with the same arithmetic, so the gradients after the last step are
    exactly what a fresh backward() gives. Nothing is written to any `.grad`: stepping is a view
    (see the module docstring); call root.backward() to store the gradients."""
    run = Pass(root)
    for index in range(len(run.interior)):
        yield run.step(index)


value.HOOKS["backward_steps"] = backward_steps  # Value.backward_steps(), an alias of it

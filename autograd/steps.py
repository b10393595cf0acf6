"""Backprop one node at a time: `backward_steps(root)` runs the same chain rule as
`root.backward()`, in the same order, and stops after each node to show what it did.

    for step in y.backward_steps():
        print(step)                  # step 3/7: z = x × w, grad 0.5: x.grad += -3 × 0.5 = -1.5; ...
        draw(y, step=step)           # the picture after this step, its node and edges highlighted

`step_through(y)` shows the steps in Jupyter with a slider; `save_frames(y, "frames")` writes
them as PNG files and one animated GIF.
"""

import html
from collections import namedtuple
from pathlib import Path

from .value import Constant, Value, topological_order

Contribution = namedtuple("Contribution", "input local_grad upstream_grad contribution")
Contribution.__doc__ = """One edge of a step: input.grad += local_grad * upstream_grad.

local_grad is d(node)/d(input), upstream_grad is d(root)/d(node), and contribution is their
product, the term added to input.grad."""


class Step:
    """One node of the backward pass: its gradient is final, and it has just passed
    `local_grad × grad` to each of its inputs (its `contributions`)."""

    __slots__ = ("index", "total", "node", "grad", "contributions", "_run")

    def __init__(self, index, total, node, grad, contributions, run):
        self.index = index  # 0, 1, ..., total - 1
        self.total = total  # steps in the whole pass: one per node that has inputs
        self.node = node
        self.grad = grad  # d(root)/d(node): final at this step
        self.contributions = contributions  # one Contribution per input, in input order
        self._run = run

    @property
    def root(self):
        """The Value whose backward pass this step belongs to."""
        return self._run.root

    @property
    def text(self):
        """The step's arithmetic in one line."""
        name, f = self._run.name, self._run.fmt
        node = self.node
        terms = "; ".join(
            f"{name(c.input)}.grad += {f(c.local_grad)} × {f(c.upstream_grad)} = "
            f"{f(c.contribution)}"
            for c in self.contributions
            if not isinstance(c.input, Constant)
        )
        return (
            f"step {self.index + 1}/{self.total}: {name(node)} = {self.formula()}, "
            f"grad {f(self.grad)}" + (f": {terms}" if terms else "")
        )

    def formula(self):
        """How the step's node was made, in the picture's names: 'x × w', 'tanh(z)'."""
        return self._run.formula(self.node)

    def draw(self, **kwargs):
        """draw(root, step=self, **kwargs): the picture after this step."""
        from .graph import draw

        return draw(self.root, step=self, **kwargs)

    def state(self):
        """The gradients right after this step, replayed from the pass's records:
        (grads, received, pending). received[x] = (grad at the start, [terms so far]);
        pending holds the Values whose grad is still collecting contributions."""
        run = self._run
        grads = dict(run.start)
        received = {v: (g, []) for v, g in run.start.items()}
        remaining = dict(run.uses)
        for step in run.steps[: self.index + 1]:
            for c in step.contributions:
                grads[c.input] += c.contribution  # the same additions, in the same order
                received[c.input][1].append(c.contribution)
                remaining[c.input] -= 1
        pending = {v for v, n in remaining.items() if n > 0}
        return grads, received, pending

    def __str__(self):
        return self.text

    def __repr__(self):
        return (
            f"<Step {self.index + 1}/{self.total}: {self._run.name(self.node)}, grad={self.grad!r}>"
        )


class _Run:
    """What the steps of one pass share: the root, the order, the gradients at the start."""

    def __init__(self, root, order, digits=4):
        from .graph import fmt

        self.root = root
        self.index = {v: i for i, v in enumerate(order)}
        self.start = {v: v.grad for v in order}
        self.uses = {}
        for v in order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1
        self.steps = []
        self.digits = digits
        self.fmt = lambda x: fmt(x, digits)

    def name(self, v):
        """v's name as draw(root) shows it (graph.node_name)."""
        from .graph import node_name

        return node_name(v, self.index, self.digits)

    def formula(self, v):
        """How v was made, in words: 'x × w', 'tanh(z)', 'Σ w·x + b'."""
        from .graph import OP_TEXT

        names = [self.name(x) for x in v.inputs]
        if v.op == "linear":
            return "Σ w·x + b"
        if len(names) == 2 and v.op in ("+", "-", "*", "/", "**"):
            return f"{names[0]} {OP_TEXT[v.op]} {names[1]}"
        if v.op.startswith("**"):
            return f"{names[0]}{v.op}"
        if v.op == "sum":
            return " + ".join(names) if len(names) <= 4 else f"Σ of {len(names)} terms"
        return f"{v.op}({', '.join(names)})"


def backward_steps(root):
    """Generator: the chain rule of root.backward(), one node per step, in the same reverse
    topological order and with the same arithmetic, so the gradients after the last step are
    exactly backward()'s. Like backward(), it resets the gradients of every node that has
    inputs (when iteration starts), adds 1 to root.grad, and lets leaf gradients accumulate."""
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
    order = topological_order(root)  # the walk backward() uses (leaves kept: they are drawn)
    interior = [v for v in order if v.inputs]
    for v in interior:
        v.grad = 0.0
    root.grad += 1.0
    run = _Run(root, order)
    total = len(interior)
    for index, node in enumerate(reversed(interior)):
        grad = node.grad
        contributions = []
        for x, local_grad in zip(node.inputs, node.local_grads):
            term = local_grad * grad  # the product backward() adds, in the same order
            x.grad += term
            contributions.append(Contribution(x, local_grad, grad, term))
        step = Step(index, total, node, grad, tuple(contributions), run)
        run.steps.append(step)
        yield step


Frames = namedtuple("Frames", "pngs gif")
Frames.__doc__ = "What save_frames() wrote: the PNG files, one per step, and the GIF (or None)."


def step_through(root: Value, **draw_kwargs):
    """Step through root's backward pass in Jupyter: a slider (and a play button) moves through
    the steps, showing each step's picture and arithmetic. Runs the pass as root.backward()
    would (leaf gradients accumulate). Without ipywidgets (the `widgets` extra) it shows every
    step, text and picture, one under another. `draw_kwargs` go to draw_steps()."""
    from .graph import draw_steps

    steps = _all_steps(root, "step_through")
    pictures = draw_steps(steps, **draw_kwargs)
    try:
        from IPython.display import display
    except ImportError:
        raise ImportError(
            "step_through() shows its steps in Jupyter and needs IPython; elsewhere use "
            "save_frames(root, directory) or draw_steps(list(root.backward_steps()))"
        ) from None
    try:
        import ipywidgets as widgets
    except ImportError:
        widgets = None
    if widgets is None:  # every step, one under another
        for step, picture in zip(steps, pictures):
            print(step.text)
            display(picture)
        return None
    return _slider(widgets, steps, pictures)


def _slider(widgets, steps, pictures):
    """A Play button and slider over the steps, above the step's text and picture."""
    n = len(steps)
    play = widgets.Play(value=1, min=1, max=n, interval=1500, description="play")
    slider = widgets.IntSlider(value=1, min=1, max=n, description="step")
    widgets.jslink((play, "value"), (slider, "value"))
    text = widgets.HTML()
    picture = widgets.HTML()
    svgs = {}

    def show(change=None):
        i = slider.value - 1
        if i not in svgs:  # render each step once, when it is first shown
            svg = pictures[i].pipe(format="svg", encoding="utf-8")
            svgs[i] = svg[svg.index("<svg") :]  # without the XML prolog, to sit in HTML
        text.value = f"<pre>{html.escape(steps[i].text)}</pre>"
        picture.value = f'<div style="overflow:auto">{svgs[i]}</div>'

    slider.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([play, slider]), text, picture])


def save_frames(
    root: Value, directory, gif: str | None = "backprop.gif", seconds: float = 1.5, **draw_kwargs
) -> Frames:
    """Write root's backward pass into `directory`: one PNG per step (step_01.png, ...), all
    the same size and layout, and an animated GIF of them (gif=None: no GIF), `seconds` per
    step, pausing on the last. Runs the pass as root.backward() would (leaf gradients
    accumulate).
    `draw_kwargs` go to draw_steps()."""
    from .graph import draw_steps

    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    if gif is not None and not (isinstance(gif, str) and gif.lower().endswith(".gif")):
        raise ValueError(f"gif must be a file name ending in .gif, or None, got {gif!r}")
    directory = Path(directory)
    steps = _all_steps(root, "save_frames")
    pictures = draw_steps(steps, **draw_kwargs)
    directory.mkdir(parents=True, exist_ok=True)
    width = len(str(len(steps)))
    pngs = []
    for step, picture in zip(steps, pictures):
        path = directory / f"step_{step.index + 1:0{width}d}.png"
        path.write_bytes(picture.pipe(format="png"))
        pngs.append(path)
    if gif is None:
        return Frames(pngs, None)
    return Frames(pngs, _write_gif(pngs, directory / gif, seconds))


def _write_gif(pngs, path, seconds):
    """One animated GIF of the PNG frames, each padded (white) to the largest frame's size."""
    from PIL import Image

    frames = [Image.open(p).convert("RGB") for p in pngs]
    width = max(f.width for f in frames)
    height = max(f.height for f in frames)
    padded = []
    for frame in frames:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(frame, ((width - frame.width) // 2, (height - frame.height) // 2))
        padded.append(canvas)
    durations = [round(1000 * seconds)] * len(padded)
    durations[-1] *= 3  # rest on the finished pass before the loop starts again
    padded[0].save(path, save_all=True, append_images=padded[1:], duration=durations, loop=0)
    return path


def _all_steps(root, caller):
    if not isinstance(root, Value):
        raise TypeError(f"{caller}() needs a Value, got {type(root).__name__}")
    if not root.inputs:
        raise ValueError(
            f"{caller}(): the root has no inputs, so its backward pass has no steps "
            "(it only adds 1 to root.grad)"
        )
    return list(backward_steps(root))

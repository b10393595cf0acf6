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
product, the term the chain rule adds to d(root)/d(input)."""


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
        """This pass's gradients right after this step, replayed from its records:
        (grads, received, pending). grads[v] is d(root)/d(v) so far (0 for a node not reached
        yet; the root's is 1); received[v] is the list of terms v has received so far; pending
        holds the Values whose gradient is still collecting contributions. Stored `.grad`
        fields play no part (see `held`)."""
        run = self._run
        grads = dict.fromkeys(run.index, 0.0)
        grads[run.root] = 1.0
        received = {v: [] for v in run.index}
        remaining = dict(run.uses)
        for step in run.steps[: self.index + 1]:
            for c in step.contributions:
                grads[c.input] += c.contribution  # the same additions, in the same order
                received[c.input].append(c.contribution)
                remaining[c.input] -= 1
        pending = {v for v, n in remaining.items() if n > 0}
        return grads, received, pending

    @property
    def held(self):
        """{leaf: its stored .grad} for every leaf whose `.grad` holds an amount from earlier
        backward() calls that is not this pass's gradient (see `Pass.held`)."""
        return self._run.held

    def __str__(self):
        return self.text

    def __repr__(self):
        return (
            f"<Step {self.index + 1}/{self.total}: {self._run.name(self.node)}, grad={self.grad!r}>"
        )


class Pass:
    """One backward pass of `root`, computed without touching any `.grad`: the walk of
    backward(), its steps (computed as they are asked for), and the gradients it gives.

    `grads()` is d(root)/d(v) for every v in the graph, equal bit for bit to what a fresh
    root.backward() leaves in v.grad (the same products, added in the same order, from 0)."""

    def __init__(self, root, digits=4):
        from .graph import fmt

        if not isinstance(root, Value):
            raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
        self.root = root
        self.order = topological_order(root)  # the walk backward() uses (leaves kept: drawn)
        self.index = {v: i for i, v in enumerate(self.order)}
        self.interior = [v for v in reversed(self.order) if v.inputs]  # backward()'s order
        self.uses = {}
        for v in self.order:
            for x in v.inputs:
                self.uses[x] = self.uses.get(x, 0) + 1
        self.steps = []
        self._grads = dict.fromkeys(self.order, 0.0)
        self._grads[root] = 1.0
        self.digits = digits
        self.fmt = lambda x: fmt(x, digits)

    def step(self, index):
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

    def finish(self):
        """Compute every remaining step; returns self."""
        if self.interior:
            self.step(len(self.interior) - 1)
        return self

    def grads(self):
        """{v: d(root)/d(v)} for every node of the graph, after the whole pass."""
        return dict(self.finish()._grads)

    @property
    def held(self):
        """{leaf: stored .grad} for the leaves whose `.grad` is not 0 and not this pass's
        gradient: what earlier backward() calls left there (leaves accumulate). Pictures show
        it as a term of its own, never added into this pass's numbers."""
        grads = self.grads()
        return {
            v: v.grad
            for v in self.order
            if not v.inputs and v is not self.root and v.grad != 0 and v.grad != grads[v]
        }

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
    exactly what a fresh backward() gives. Nothing is written to any `.grad`: stepping is a view
    (see the module docstring); call root.backward() to store the gradients."""
    run = Pass(root)
    for index in range(len(run.interior)):
        yield run.step(index)


Frames = namedtuple("Frames", "pngs gif")
Frames.__doc__ = "What save_frames() wrote: the PNG files, one per step, and the GIF (or None)."


def step_through(root: Value, **draw_kwargs):
    """Step through root's backward pass in Jupyter: a slider (and a play button) moves through
    the steps, showing each step's picture and arithmetic. Changes no `.grad` (see the module
    docstring), so running the cell again shows the same pass. Without ipywidgets (the `widgets`
    extra) it shows every step, text and picture, one under another. `draw_kwargs` go to
    draw_steps()."""
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
    root: Value,
    directory,
    gif: str | None = "backprop.gif",
    seconds: float = 1.5,
    max_total_nodes: int | None = None,
    **draw_kwargs,
) -> Frames:
    """Write root's backward pass into `directory`: one PNG per step (step_01.png, ...), all
    the same size and layout, and an animated GIF of them (gif=None: no GIF), `seconds` per
    step, pausing on the last. Changes no `.grad` (see the module docstring).

    PNG frames are costly: the pass is refused up front (ValueError, saying how to proceed)
    where its pictures would draw more than max_total_nodes nodes in all (steps x nodes; None:
    graph.MAX_FRAME_NODES). Files are written atomically and only those named above: an
    existing file of another kind (a FIFO, a device) in their place is refused, not replaced.
    `draw_kwargs` go to draw_steps()."""
    from .files import check_target, write_file
    from .graph import MAX_FRAME_NODES, check_step_work, draw_steps

    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    if gif is not None and not (isinstance(gif, str) and gif.lower().endswith(".gif")):
        raise ValueError(f"gif must be a file name ending in .gif, or None, got {gif!r}")
    if gif is not None and Path(gif).name != gif:
        raise ValueError(f"gif must be a file name without a folder, got {gif!r}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"save_frames(): {directory} exists and is not a folder")
    steps = _all_steps(root, "save_frames")
    limit = MAX_FRAME_NODES if max_total_nodes is None else max_total_nodes
    check_step_work(steps[0]._run, len(steps), limit, "save_frames")
    width = len(str(len(steps)))
    pngs = [directory / f"step_{step.index + 1:0{width}d}.png" for step in steps]
    targets = pngs + ([] if gif is None else [directory / gif])
    if directory.is_dir():
        for path in targets:  # refuse a FIFO or a device in a frame's place before any work
            check_target(path, "a frame")
    pictures = draw_steps(steps, max_total_nodes=None, **draw_kwargs)
    directory.mkdir(parents=True, exist_ok=True)
    images = []
    for path, picture in zip(pngs, pictures):
        images.append(picture.pipe(format="png"))
        write_file(path, images[-1], "a frame")
    if gif is None:
        return Frames(pngs, None)
    write_file(targets[-1], _gif(images, seconds), "the GIF")
    return Frames(pngs, targets[-1])


def _gif(pngs, seconds):
    """The bytes of one animated GIF of the PNG frames (bytes), each padded (white) to the
    largest frame's size; frames are kept with a 256-colour palette (a third of RGB's memory)."""
    import io

    from PIL import Image

    sizes = [Image.open(io.BytesIO(png)).size for png in pngs]
    width, height = max(w for w, _ in sizes), max(h for _, h in sizes)
    padded = []
    for png, (w, h) in zip(pngs, sizes):
        canvas = Image.new("RGB", (width, height), "white")
        frame = Image.open(io.BytesIO(png)).convert("RGB")
        canvas.paste(frame, ((width - w) // 2, (height - h) // 2))
        padded.append(canvas.quantize(colors=256, method=Image.Quantize.MEDIANCUT))
    durations = [round(1000 * seconds)] * len(padded)
    durations[-1] *= 3  # rest on the finished pass before the loop starts again
    buffer = io.BytesIO()
    padded[0].save(
        buffer, format="GIF", save_all=True, append_images=padded[1:], duration=durations, loop=0
    )
    return buffer.getvalue()


def _all_steps(root, caller):
    if not isinstance(root, Value):
        raise TypeError(f"{caller}() needs a Value, got {type(root).__name__}")
    if not root.inputs:
        raise ValueError(
            f"{caller}(): the root has no inputs, so its backward pass has no steps "
            "(backward() would only add 1 to root.grad)"
        )
    return list(backward_steps(root))

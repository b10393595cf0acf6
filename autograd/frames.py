"""A backward pass as a series of pictures, one per step, all with one layout, so that moving
from one to the next shows only what the step changed:

    draw_steps(backward_steps(y))      # a list of Drawings
    step_through(y)                    # in Jupyter: a slider over them, one step rendered at a time
    save_frames(y, "frames")           # PNG files and one animated GIF

Every series is bounded before any drawing: it draws every node once per step, so a long
chain's frames grow quadratically; see MAX_STEP_NODES and MAX_FRAME_NODES.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .checks import limit, number
from .dot import Drawing, measure
from .files import StrPath, check_target, write_file
from .graph import MAX_NODES, MAX_WIDTH, Picture, grad_scale
from .steps import Pass, Step, backward_steps
from .value import Value
from .writer import CellKey

if TYPE_CHECKING:
    from ipywidgets import VBox

# A series of step pictures draws every node once per step. For draw_steps (what step_through
# shows, one SVG at a time) the cost is the DOT text and one `dot` run that measures every label
# variant; PNG frames and their GIF (save_frames) cost far more: measured on a 2-core machine,
# about 20 ms and 2 MB per node drawn (13 frames of a 47-node MLP graph: 14 s, 1.4 GB).
MAX_STEP_NODES = 20_000  # draw_steps / step_through: steps x nodes per picture
MAX_FRAME_NODES = 300  # save_frames: steps x nodes per picture (about 6 s)


def draw_steps(
    steps: Iterable[Step],
    rankdir: str = "LR",
    show_local_grads: bool = False,
    highlight: Value | Iterable[Value] = (),
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    legend: bool = True,
    max_total_nodes: int | None = MAX_STEP_NODES,
    max_width: int | None = MAX_WIDTH,
) -> list[Drawing]:
    """One picture per step of a backward pass (`list(backward_steps(root))`), all with the
    same layout, size and gradient colour scale, so that moving from one to the next shows
    only what the step changed. (Each node and edge label gets the largest size it takes in
    any step, measured with one run of `dot`.)

    max_nodes limits each picture, max_total_nodes all of them together (steps x nodes): both
    are checked before any drawing, with a ValueError that says how to proceed; None: no limit.
    max_width is draw()'s: the widest a picture is shown, in pixels (None: its natural size).
    """
    steps = list(steps)
    if not steps:
        raise ValueError("draw_steps() needs at least one step (a root without inputs has none)")
    mixed = "draw_steps() needs steps of one backward pass (backward_steps())"
    if not isinstance(steps[0], Step):
        raise ValueError(mixed)
    run = steps[0].run
    for s in steps:
        if not isinstance(s, Step) or s.run is not run:
            raise ValueError(mixed)
    check_step_work(run, len(steps), max_total_nodes, "draw_steps")
    root = run.root
    scale = grad_scale(run.grads(), root)  # the colour scale of the finished pass
    pictures = [
        Picture(
            root,
            rankdir=rankdir,
            show_local_grads=show_local_grads,
            highlight=highlight,
            max_nodes=max_nodes,
            step=s,
            digits=digits,
            scale=scale,
            max_width=max_width,
        )
        for s in steps
    ]
    variants: dict[CellKey, set[tuple[str, str]]] = {}  # element -> every label it takes
    for picture in pictures:
        for key, label in picture.labels_to_measure():
            variants.setdefault(key, set()).add(label)
    size = measure({label for labels in variants.values() for label in labels})
    sizes = {
        key: (max(size[label][0] for label in labels), max(size[label][1] for label in labels))
        for key, labels in variants.items()
    }
    return [picture.drawing(legend, sizes) for picture in pictures]


def check_step_work(run: Pass, n_steps: int, max_total_nodes: int | None, caller: str) -> None:
    """ValueError, before any drawing, where n_steps pictures of run's graph would draw more
    than `max_total_nodes` nodes in all (None: no limit)."""
    max_total_nodes = limit(max_total_nodes, "max_total_nodes")
    if max_total_nodes is None:
        return
    per_picture = len(run.order) + len(run.interior)  # Values and operations
    total = n_steps * per_picture
    if total <= max_total_nodes:
        return
    raise ValueError(
        f"{caller}() would draw {n_steps:,} pictures of {per_picture:,} nodes each, "
        f"{total:,} nodes in all, more than max_total_nodes={max_total_nodes:,} (frames cost "
        "about 20 ms and 2 MB per node drawn). To proceed: step through a smaller graph (a "
        "sub-expression, e.g. one neuron's z), use step_through() in Jupyter (it renders one "
        f"step at a time), or pass max_total_nodes={total} if you accept the wait"
    )


class Frames(NamedTuple):
    """What save_frames() wrote: the PNG files, one per step, and the GIF (or None)."""

    pngs: list[Path]
    gif: Path | None


def step_through(root: Value, **draw_kwargs: Any) -> VBox | None:
    """Step through root's backward pass in Jupyter: a slider (and a play button) moves through
    the steps, showing each step's picture and arithmetic. Changes no `.grad` (see the module
    docstring), so running the cell again shows the same pass. Without ipywidgets (the `widgets`
    extra) it shows every step, text and picture, one under another. `draw_kwargs` go to
    draw_steps()."""
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
    directory: StrPath,
    gif: str | None = "backprop.gif",
    seconds: float = 1.5,
    max_total_nodes: int | None = None,
    **draw_kwargs: Any,
) -> Frames:
    """Write root's backward pass into `directory`: one PNG per step (step_01.png, ...), all
    the same size and layout, and an animated GIF of them (gif=None: no GIF), `seconds` per
    step, pausing on the last. Changes no `.grad` (see the module docstring).

    PNG frames are costly: the pass is refused up front (ValueError, saying how to proceed)
    where its pictures would draw more than max_total_nodes nodes in all (steps x nodes; None:
    graph.MAX_FRAME_NODES). Files are written atomically and only those named above: an
    existing file of another kind (a FIFO, a device) in their place is refused, not replaced.
    `draw_kwargs` go to draw_steps()."""
    number(seconds, "seconds", positive=True)
    if gif is not None and not (isinstance(gif, str) and gif.lower().endswith(".gif")):
        raise ValueError(f"gif must be a file name ending in .gif, or None, got {gif!r}")
    if gif is not None and Path(gif).name != gif:
        raise ValueError(f"gif must be a file name without a folder, got {gif!r}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"save_frames(): {directory} exists and is not a folder")
    steps = _all_steps(root, "save_frames")
    most = MAX_FRAME_NODES if max_total_nodes is None else max_total_nodes
    check_step_work(steps[0].run, len(steps), most, "save_frames")
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

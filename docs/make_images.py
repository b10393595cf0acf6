"""Regenerate the README's pictures in docs/images/:  python docs/make_images.py

- neuron_graph.png: the picture `make demo` writes as out/neuron.png (one neuron of the trained
  demo model, every edge labelled with its local derivative), taken from a run of the demo
  itself, byte for byte (tests/test_readme_images.py checks it).
- backprop_step.png: the same graph at the backward pass's step through z = w . x + b, as
  step_through() shows it (draw_steps).
- network.png: the network diagram of MLP(2, [16, 16, 1]) coloured by dL/dw (nn.draw).

Seeded, so the pictures only change when the drawing code does. Needs Graphviz's `dot`.
"""

import io
import tempfile
from pathlib import Path

from PIL import Image

from autograd import draw_steps
from nn.cli import main as chainrule
from nn.draw import draw as draw_network
from nn.losses import mse
from nn.modules import MLP

IMAGES = Path(__file__).resolve().parent / "images"


def neuron_loss():
    """L = (a - 1)^2 for one tanh neuron a = tanh(w . x + b) on the input x = (2, -1)."""
    neuron = MLP(2, [1], output_activation="tanh", seed=7)
    neuron.layers[0].neurons[0].b.data = 0.5
    a = neuron([2.0, -1.0])
    L = (a - 1.0) ** 2
    L.label = "L"
    return L


def save(picture, name):
    """The picture as a PNG of at most 256 colours (flat graphics: no visible loss, and a
    third of the size of dot's own PNG for the network's half-transparent edges)."""
    image = Image.open(io.BytesIO(picture.pipe(format="png"))).convert("RGB")
    path = IMAGES / name
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    written = []

    with tempfile.TemporaryDirectory() as out:
        assert chainrule(["demo", "--quiet", "--out", out]) == 0
        path = IMAGES / "neuron_graph.png"
        path.write_bytes((Path(out) / "neuron.png").read_bytes())  # the demo's own picture
        written.append(path)

    L = neuron_loss()
    steps = list(L.backward_steps())
    frames = draw_steps(steps)
    last = next(i for i, s in enumerate(steps) if s.node.op == "linear")  # z = w . x + b
    written.append(save(frames[last], "backprop_step.png"))

    model = MLP(2, [16, 16, 1], seed=0)
    xs = [[0.5, -1.0], [-1.5, 0.25], [1.0, 1.0]]
    loss = sum(mse([model(x)], [y]) for x, y in zip(xs, [1.0, -1.0, 0.5])) / len(xs)
    loss.backward()
    written.append(save(draw_network(model, show_grad=True), "network.png"))

    for path in written:
        print(f"{path.relative_to(IMAGES.parent.parent)}: {path.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main()

"""Every gradient a picture or a step shows equals what a fresh backward() gives.

A picture of a graph, a step of the stepper, a frame: each is a claim about d(root)/d(node). The
tests below build the same graph twice, run backward() once on a fresh copy (the reference),
and read the numbers the other copy's pictures actually show, rendered by the real `dot` to SVG,
whatever state its `.grad` fields were left in (several backward() calls, training, stepping).
"""

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from optable import recipes, replay

import nn
from autograd import Value, topological_order
from autograd.frames import draw_steps
from autograd.graph import draw
from autograd.notation import fmt

SVG = "{http://www.w3.org/2000/svg}"


def shown(picture):
    """{node index in topological order: the texts of its box}, from the rendered SVG."""
    root = ET.fromstring(picture.pipe(format="svg"))
    result = {}
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "node" and title.text.startswith("v") and "_" not in title.text:
            result[int(title.text[1:])] = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
    return result


def shown_grad(texts):
    """The number after 'grad ' in a box's texts (None for a constant: it has no grad)."""
    for text in texts:
        if text.startswith("grad "):
            return text.split()[1]
    return None


def reference(build):
    """d(root)/d(node) for every node of a fresh copy of the graph, in topological order."""
    root = build()
    root.backward()
    return [v.grad for v in topological_order(root)]


@settings(max_examples=25)
@given(recipes(max_steps=8), st.integers(0, 2))
def test_draw_shows_the_gradients_of_a_fresh_backward(recipe, earlier_passes):
    leaves, steps = recipe

    def build():
        return replay(steps, [Value(x, label=f"x{i}") for i, x in enumerate(leaves)], 0)

    root = build()
    for _ in range(earlier_passes):  # leaves accumulate: their .grad is now a sum of passes
        root.backward()
    expected = reference(build)
    order = topological_order(root)
    boxes = shown(draw(root, max_nodes=None))
    for i, v in enumerate(order):
        if i in boxes and shown_grad(boxes[i]) is not None:
            assert shown_grad(boxes[i]) == fmt(expected[i]), (i, v, boxes[i])
            held = [t for t in boxes[i] if t.startswith(".grad holds")]
            if not v.inputs and v.grad not in (0.0, expected[i]):
                assert held == [f".grad holds {fmt(v.grad)}"]  # labelled, never merged
            else:
                assert held == []


def neuron_after_training():
    """One neuron of a trained model, on one example, its weights' .grad left by training."""
    X, Y = nn.datasets.moons(20, noise=0.1, seed=0, signed=True)
    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(model, X, Y, loss="hinge", epochs=3, batch_size=5, progress=False)
    return model, X[0]


def test_a_picture_after_training_shows_this_graphs_gradients_and_what_w_grad_holds():
    model, x = neuron_after_training()
    neuron = model.layers[0].neurons[0]
    a = neuron(x)
    held = [w.grad for w in neuron.w]  # the last training step's gradients, not this graph's
    boxes = shown(draw(a, show_local_grads=True))
    order = topological_order(a)
    z = a.inputs[0]
    da_dz = 1 - a.data**2
    for i, v in enumerate(order):
        if v in neuron.w:
            k = neuron.w.index(v)
            assert shown_grad(boxes[i]) == fmt(x[k] * da_dz)  # local x upstream, nothing else
            assert f".grad holds {fmt(held[k])}" in boxes[i]
        if v is z:
            assert shown_grad(boxes[i]) == fmt(da_dz)
    assert [w.grad for w in neuron.w] == held  # drawing changed no .grad


def test_every_frame_of_a_pass_shows_final_gradients_equal_to_a_fresh_backward():
    def build():
        x, y = Value(2.0, label="x"), Value(3.0, label="y")
        return (x * y + x) * x

    root = build()
    root.backward()
    root.backward()  # x.grad, y.grad: two passes
    expected = reference(build)
    order = topological_order(root)
    steps = list(root.backward_steps())
    pictures = draw_steps(steps)
    for step, picture in zip(steps, pictures):
        boxes = shown(picture)
        i = order.index(step.node)
        assert shown_grad(boxes[i]) == fmt(expected[i])  # the step's node: final
    last = shown(pictures[-1])
    for i in range(len(order)):
        if shown_grad(last.get(i, [])) is not None:
            assert shown_grad(last[i]) == fmt(expected[i])
    assert expected[0] == 16.0  # d/dx (xy + x) x = 2xy + 2x: 16, never 32


def test_the_issue_examples_frames_show_one_pass():
    """chainrule graph "x*x" --set x=3 --steps F showed grad 12 = 6 + 3 + 3; "x*y + x" showed 8
    for a true 4 (the CLI ran backward() and then the stepper added a second pass)."""
    x = Value(3.0, label="x")
    square = x * x
    square.backward()
    (frame,) = draw_steps(list(square.backward_steps()))
    assert "grad 6" in shown(frame)[0] and "= 3 + 3" in shown(frame)[0]
    assert not any("12" in t for t in shown(frame)[0])
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    out = x * y + x
    out.backward()
    last = shown(draw_steps(list(out.backward_steps()))[-1])
    assert shown_grad(last[0]) == "4"


def readme_block(starting_with):
    """The README's ```python block whose first line starts with `starting_with`."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    (block,) = [b for b in blocks if b.startswith(starting_with)]
    return block


def test_the_readme_tour_prints_and_leaves_the_gradients_of_one_backward(capsys):
    """The tour ran backward() and then backward_steps(), which left x.grad doubled."""
    namespace = {}
    exec(readme_block("from autograd import Value, draw, grad, gradcheck"), namespace)
    x, w, y = namespace["x"], namespace["w"], namespace["y"]

    def build():
        x2, w2 = Value(2.0, label="x"), Value(-3.0, label="w")
        return (x2 * w2 + 1).tanh() ** 2 / x2 - x2.exp() + x2.log()

    expected = reference(build)
    order = topological_order(y)
    assert [v.grad for v in order] == expected  # once, not twice
    assert x.grad == expected[order.index(x)] and w.grad == expected[order.index(w)]
    printed = capsys.readouterr().out.splitlines()
    steps = [line for line in printed if line.startswith("step ")]
    assert len(steps) == len(topological_order(y, leaves=False))
    for line, step in zip(steps, y.backward_steps()):
        assert line == step.text
        assert f"grad {fmt(step.grad)}" in line and step.grad == step.node.grad


def run_cli(*args, cwd=None):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "nn", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_the_cli_prints_and_draws_the_gradients_of_one_fresh_backward(tmp_path):
    """`graph "x*y + x" --steps F` showed 8 for a true 4; -o showed what backward() stored."""
    result = run_cli(
        "graph",
        "x*y + x",
        "--set",
        "x=2",
        "--set",
        "y=3",
        "-o",
        "g.svg",
        "--steps",
        "F",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    out = x * y + x
    out.backward()
    assert "  d/dx = 4" in result.stdout.splitlines() and "  d/dy = 2" in result.stdout
    svg = ET.fromstring((tmp_path / "g.svg").read_bytes())
    boxes = {
        "".join(g.find(SVG + "text").itertext()): [
            "".join(t.itertext()) for t in g.iter(SVG + "text")
        ]
        for g in svg.iter(SVG + "g")
        if g.get("class") == "node"
    }
    assert shown_grad(boxes["x"]) == fmt(x.grad) == "4" and shown_grad(boxes["y"]) == "2"
    # the frames the command wrote are, byte for byte, those of a graph never backward()ed
    from autograd.frames import save_frames

    x2, y2 = Value(2.0, label="x"), Value(3.0, label="y")
    frames = save_frames(x2 * y2 + x2, tmp_path / "reference")
    written = sorted((tmp_path / "F").glob("step_*.png"))
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in frames.pngs]
    last = shown(draw_steps(list((x2 * y2 + x2).backward_steps()))[-1])
    assert shown_grad(last[0]) == "4"


def test_the_demos_neuron_picture_is_the_picture_of_a_fresh_backward(tmp_path):
    """out/neuron.png was drawn after training without zeroing: w showed the last step's
    gradient added in (w[1][0][1] showed -0.1458 where local x upstream is -0.1195)."""
    result = run_cli("demo", "--epochs", "2", "--quiet", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    model = nn.MLP.load(tmp_path / "out" / "model.json")
    X, _ = nn.datasets.moons(100, noise=0.1, seed=0, signed=True)
    a = model.layers[0].neurons[0](X[0])
    expected = draw(a, show_local_grads=True)
    a.backward()  # a fresh backward() on fresh leaves: the picture shows exactly these
    boxes = shown(expected)
    for i, v in enumerate(topological_order(a)):
        if shown_grad(boxes.get(i, [])) is not None:
            assert shown_grad(boxes[i]) == fmt(v.grad)
            assert not [t for t in boxes[i] if t.startswith(".grad holds")]
    assert (tmp_path / "out" / "neuron.png").read_bytes() == expected.pipe(format="png")

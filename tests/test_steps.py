"""Stepping through backprop: backward_steps() is backward()'s chain rule, one node at a time,
as a view that changes no .grad; its pictures, slider and frames show each step (rendered for
real with `dot`), every number equal to a fresh backward()."""

import io
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from optable import recipes, replay

from autograd import Value, topological_order
from autograd.dot import HIGHLIGHT
from autograd.frames import draw_steps, save_frames, step_through
from autograd.graph import draw
from autograd.steps import Contribution, Pass, Step, backward_steps
from nn.losses import mse
from nn.modules import MLP

SVG = "{http://www.w3.org/2000/svg}"


def example():
    """L = tanh(x w) + x w: x and w feed two nodes; the product p = x w feeds two more."""
    x, w = Value(2.0, label="x"), Value(-0.5, label="w")
    p = x * w
    p.label = "p"
    L = p.tanh() + p * x
    L.label = "L"
    return x, w, p, L


def grads(root):
    return [v.grad for v in topological_order(root)]


def fresh_grads(make):
    """The gradients a fresh backward() gives on a new copy of the graph `make()` returns (its
    last element is the root), in topological order."""
    root = make()[-1]
    root.backward()
    return grads(root)


def nodes(picture):
    """{title: texts} of the SVG's nodes."""
    root = ET.fromstring(picture.pipe(format="svg"))
    return {
        g.find(SVG + "title").text: ["".join(t.itertext()) for t in g.iter(SVG + "text")]
        for g in root.iter(SVG + "g")
        if g.get("class") == "node"
    }


# ---- the same chain rule as backward() ----


@settings(max_examples=60)
@given(recipes())
def test_steps_end_with_the_gradients_of_backward(recipe):
    leaves, steps = recipe
    stepped = replay(steps, [Value(x) for x in leaves], 0)
    reference = replay(steps, [Value(x) for x in leaves], 0)
    reference.backward()
    done = list(stepped.backward_steps())
    final = done[-1].state()[0] if done else {stepped: 1.0}
    order = topological_order(stepped)
    # exactly: the same products, added in the same order
    assert [final[v] for v in order] == grads(reference)
    assert [final[v] for v in order] == [Pass(stepped).grads()[v] for v in order]
    assert all(v.grad == 0.0 for v in order)  # stepping is a view: no .grad was written
    interior = topological_order(stepped, leaves=False)
    if stepped.inputs:
        assert [s.node for s in done] == list(reversed(interior))  # backward()'s order
    assert len({id(s.node) for s in done}) == len(done)  # each node exactly once


def test_stepping_again_shows_the_same_pass_and_changes_no_grad():
    x, w, p, L = example()
    first = [s.text for s in L.backward_steps()]
    second = [s.text for s in L.backward_steps()]
    assert first == second
    assert [draw(L, step=s).source for s in L.backward_steps()] == [
        draw(L, step=s).source for s in L.backward_steps()
    ]
    assert grads(L) == [0.0] * len(grads(L))


def test_the_readme_tour_leaves_backwards_gradient_once():
    """backward() then backward_steps() (the README's tour) used to leave x.grad doubled."""
    x, w, p, L = example()
    L.backward()
    once = grads(L)
    for _ in L.backward_steps():
        pass
    assert grads(L) == once == fresh_grads(example)


def test_a_leaf_that_already_holds_gradient_shows_it_as_its_own_term():
    x, w, p, L = example()
    L.backward()
    L.backward()  # x.grad and w.grad now hold two passes
    (x_final, w_final) = (fresh_grads(example)[0], fresh_grads(example)[1])
    steps = list(L.backward_steps())
    assert steps[-1].state()[0][x] == x_final  # this pass only
    assert steps[0].held == {x: 2 * x_final, w: 2 * w_final}
    texts = nodes(draw(L, step=steps[-1]))
    (x_texts,) = [t for t in texts.values() if t and t[0] == "x"]
    assert f"grad {x_final:.4g}" in x_texts
    assert f".grad holds {2 * x_final:.4g}" in x_texts
    assert not any(f"{x_final:.4g} + {x_final:.4g}" in t for t in x_texts)  # never merged
    # a leaf whose .grad is exactly this pass's gradient (one backward()) has no such note
    x2, w2, p2, L2 = example()
    L2.backward()
    assert list(L2.backward_steps())[0].held == {}


def test_a_leaf_root_has_no_steps_and_no_grad_is_written():
    x = Value(3.0)
    assert list(x.backward_steps()) == []
    assert x.grad == 0.0


def test_each_step_records_its_chain_rule_terms():
    x, w, p, L = example()
    L_ref = example()[3]
    L_ref.backward()
    p.grad = L_ref.inputs[1].inputs[0].grad  # dL/dp from a fresh backward(), for the checks
    steps = list(L.backward_steps())
    assert [s.index for s in steps] == list(range(len(steps))) == list(range(steps[0].total))
    first = steps[0]  # L = tanh(p) + p x: its grad 1 goes to both inputs
    assert first.node is L and first.grad == 1.0 and isinstance(first, Step)
    assert [c.input for c in first.contributions] == list(L.inputs)
    assert all(c.local_grad == 1.0 and c.contribution == 1.0 for c in first.contributions)
    (times,) = [s for s in steps if s.node is p]  # p = x w: grad = dL/dp
    assert times.contributions == (
        Contribution(x, w.data, p.grad, w.data * p.grad),
        Contribution(w, x.data, p.grad, x.data * p.grad),
    )
    x_op, w_op, upstream, term = times.contributions[0]  # a namedtuple: unpacks too
    assert (x_op, term) == (x, w.data * p.grad)


def test_step_text_shows_the_arithmetic():
    x, w, p, L = example()
    p.grad = fresh_grads(example)[2]  # dL/dp from a fresh backward() (p is #2)
    steps = list(L.backward_steps())
    (times,) = [s for s in steps if s.node is p]
    g = p.grad
    assert times.text == (
        f"step {times.index + 1}/{times.total}: p = x × w, grad {g:.4g}: "
        f"x.grad += -0.5 × {g:.4g} = {-0.5 * g:.4g}; w.grad += 2 × {g:.4g} = {2 * g:.4g}"
    )
    assert str(times) == times.text
    # unlabelled nodes are named by what they compute, infix ones in parentheses inside text
    assert steps[0].text == (
        "step 1/4: L = tanh(p) + (p × x), grad 1: tanh(p).grad += 1 × 1 = 1; "
        "(p × x).grad += 1 × 1 = 1"
    )


def test_backward_steps_needs_a_value():
    with pytest.raises(TypeError, match="needs a Value"):
        next(backward_steps(2.0))


# ---- pictures of a step ----


def test_step_picture_highlights_its_node_and_writes_the_terms_on_its_edges():
    x, w, p, L = example()
    p.grad = fresh_grads(example)[2]  # dL/dp from a fresh backward() (p is #2)
    steps = list(L.backward_steps())
    (times,) = [s for s in steps if s.node is p]
    picture = draw(L, step=times)
    source = picture.source
    shown = nodes(picture)
    (p_name,) = [n for n, t in shown.items() if t and t[0] == "p"]
    p_line = next(line for line in source.splitlines() if line.strip().startswith(p_name + " "))
    assert f'BORDER="3" COLOR="{HIGHLIGHT}"' in p_line
    outlined = [ln for ln in source.splitlines() if f'BORDER="3" COLOR="{HIGHLIGHT}"' in ln]
    assert len(outlined) == 1  # only the step's node
    active = [ln for ln in source.splitlines() if "->" in ln and HIGHLIGHT in ln]
    assert len(active) == 3  # op -> p, x -> op, w -> op
    g = p.grad
    svg = picture.pipe(format="svg", encoding="utf-8")
    assert f"&#45;0.5 × {g:.4g}" in svg and f"= {-0.5 * g:.4g}".replace("-", "&#45;") in svg
    assert f"step {times.index + 1} of 4: p = x × w" in svg


def test_step_picture_shows_the_sum_a_reused_node_receives():
    x, w, p, L = example()
    p.grad = fresh_grads(example)[2]  # dL/dp from a fresh backward() (p is #2)
    steps = list(L.backward_steps())
    # after the step of tanh(p), p has one of its two terms; after L's step, both
    by_node = {s.node: s for s in steps}
    tanh_node = L.inputs[0]
    times_node = L.inputs[1]
    first, second = sorted((by_node[tanh_node], by_node[times_node]), key=lambda s: s.index)
    terms = [c.contribution for s in (first, second) for c in s.contributions if c.input is p]

    def p_texts(step):
        (texts,) = [t for t in nodes(draw(L, step=step)).values() if t and t[0] == "p"]
        return texts

    assert p_texts(first)[2:] == [f"grad {terms[0]:.4g}", f"= {terms[0]:.4g} …"]
    both = (
        f"{terms[0]:.4g} + {terms[1]:.4g}"
        if terms[1] > 0
        else (f"{terms[0]:.4g} − {-terms[1]:.4g}")
    )
    assert p_texts(second)[2:] == [f"grad {p.grad:.4g}", f"= {both}"]


def test_step_picture_replays_the_gradients_of_that_step():
    x, w, p, L = example()
    live = []
    for step in L.backward_steps():  # drawn while the pass is at that step
        live.append(draw(L, step=step).source)
    x2, w2, p2, L2 = example()
    steps = list(L2.backward_steps())  # drawn after the whole pass
    assert [draw(L2, step=s).source for s in steps] == live
    assert steps[0].draw().source == live[0]


def test_a_step_cannot_be_drawn_on_another_graph_or_collapsed():
    x, w, p, L = example()
    steps = list(L.backward_steps())
    with pytest.raises(ValueError, match="another root"):
        draw(p, step=steps[0])
    with pytest.raises(ValueError, match="collapse"):
        draw(L, step=steps[0], collapse="neuron")


# ---- frames: the same layout in every step ----


def positions(picture):
    """Node positions and the canvas size, from dot's plain output."""
    text = picture.pipe(format="plain", encoding="utf-8")
    return [line.split()[:4] for line in text.splitlines() if line.startswith(("graph", "node"))]


def test_draw_steps_keeps_the_layout_of_every_step():
    x, w, p, L = example()
    pictures = draw_steps(L.backward_steps())
    assert len(pictures) == 4
    layouts = [positions(picture) for picture in pictures]
    assert all(layout == layouts[0] for layout in layouts)
    # while plain step pictures move: the check above is not vacuous
    x2, w2, p2, L2 = example()
    plain = [positions(draw(L2, step=s)) for s in L2.backward_steps()]
    assert any(layout != plain[0] for layout in plain)


def test_draw_steps_keeps_the_layout_of_a_network():
    model = MLP(2, [3, 1], seed=1)
    loss = mse([model([0.5, -1.0])], [1.0])
    pictures = draw_steps(loss.backward_steps())
    assert len(pictures) == len(topological_order(loss, leaves=False)) == 11
    first = positions(pictures[0])
    assert positions(pictures[4]) == first and positions(pictures[-1]) == first


def test_draw_steps_needs_steps_of_one_pass():
    x, w, p, L = example()
    with pytest.raises(ValueError, match="at least one step"):
        draw_steps([])
    _, _, _, L2 = example()
    with pytest.raises(ValueError, match="one backward pass"):
        draw_steps([*L.backward_steps(), *L2.backward_steps()])


def test_save_frames_writes_pngs_and_an_animated_gif(tmp_path):
    from PIL import Image

    x, w, p, L = example()
    frames = save_frames(L, tmp_path / "frames", seconds=0.5)
    assert [f.name for f in frames.pngs] == ["step_1.png", "step_2.png", "step_3.png", "step_4.png"]
    sizes = set()
    for path in frames.pngs:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes.add(Image.open(io.BytesIO(data)).size)
    assert len(sizes) == 1  # every frame the same size
    assert frames.gif == tmp_path / "frames" / "backprop.gif"
    assert frames.gif.read_bytes()[:6] == b"GIF89a"
    gif = Image.open(frames.gif)
    assert gif.n_frames == 4 and gif.size == sizes.pop()
    assert gif.info["duration"] == 500 and gif.info["loop"] == 0
    assert grads(L) == [0.0] * len(grads(L))  # saving the frames wrote no .grad


def test_save_frames_without_gif(tmp_path):
    _, _, _, L = example()
    frames = save_frames(L, tmp_path, gif=None)
    assert frames.gif is None and len(frames.pngs) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"step_{i}.png" for i in range(1, 5)]


@pytest.mark.parametrize(
    "kwargs, words",
    [({"seconds": 0}, "seconds"), ({"gif": "anim.png"}, "gif"), ({"gif": 3}, "gif")],
)
def test_save_frames_explains_bad_arguments(tmp_path, kwargs, words):
    _, _, _, L = example()
    with pytest.raises(ValueError, match=words):
        save_frames(L, tmp_path, **kwargs)


def test_a_leaf_has_no_frames(tmp_path):
    with pytest.raises(ValueError, match="no inputs"):
        save_frames(Value(1.0), tmp_path)
    with pytest.raises(TypeError, match="needs a Value"):
        step_through(1.0)


# ---- step_through() in Jupyter ----


def test_step_through_slider_shows_each_step():
    widgets = pytest.importorskip("ipywidgets")
    x, w, p, L = example()
    box = step_through(L)
    assert isinstance(box, widgets.VBox)
    controls, text, picture = box.children
    play, slider = controls.children
    assert (slider.min, slider.max, play.max) == (1, 4, 4)
    steps = list(example()[3].backward_steps())  # the same pass, for its texts
    assert steps[0].text in text.value and "<svg" in picture.value
    slider.value = 3
    assert steps[2].text in text.value
    assert f"step 3 of 4: {steps[2].text.split(': ')[1].split(',')[0]}" in picture.value
    assert HIGHLIGHT in picture.value


def test_step_through_without_ipywidgets_shows_every_frame(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    x, w, p, L = example()
    assert step_through(L) is None
    out = capsys.readouterr().out  # outside Jupyter, IPython's display() prints
    assert out.count("digraph {") == 4
    for i in range(1, 5):
        assert f"step {i}/4: " in out
    assert out.index("step 1/4: ") < out.index("step 2/4: ")


# ---- bounded work, and nothing but the frames written ----


def chain_of_products(n):
    x = Value(1.01, label="x")
    y = x
    for _ in range(n - 1):
        y = y * x
    return y


def test_frames_of_a_long_chain_are_refused_up_front_with_advice(tmp_path, monkeypatch):
    """--steps on a chain of 30 multiplications took minutes and gigabytes."""
    import autograd.frames

    def measured(*args, **kwargs):
        raise AssertionError("the pictures were measured before the work was checked")

    monkeypatch.setattr(autograd.frames, "measure", measured)
    root = chain_of_products(30)
    with pytest.raises(ValueError, match=r"29 pictures of 59 nodes each.*max_total_nodes=300"):
        save_frames(root, tmp_path / "frames")
    assert not (tmp_path / "frames").exists()  # and before writing anything
    with pytest.raises(ValueError, match="step_through"):
        draw_steps(root.backward_steps(), max_total_nodes=100)
    monkeypatch.undo()
    small = chain_of_products(4)
    assert len(save_frames(small, tmp_path / "small", gif=None).pngs) == 3


def test_save_frames_never_replaces_a_fifo_and_refuses_a_file_as_folder(tmp_path):
    import os

    _, _, _, L = example()
    folder = tmp_path / "frames"
    folder.mkdir()
    os.mkfifo(folder / "backprop.gif")
    with pytest.raises(ValueError, match="FIFO"):
        save_frames(L, folder)
    assert (folder / "backprop.gif").is_fifo()
    (tmp_path / "plain").write_text("mine")
    with pytest.raises(ValueError, match="not a folder"):
        save_frames(L, tmp_path / "plain")
    assert (tmp_path / "plain").read_text() == "mine"
    assert [p.name for p in folder.iterdir()] == ["backprop.gif"]  # refused before any frame

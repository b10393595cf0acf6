"""nn.draw(model): the network diagram, rendered for real with Graphviz's `dot` (no mocks)."""

import io
import xml.etree.ElementTree as ET

import pytest

from autograd import Value
from autograd.dot import NEGATIVE, POSITIVE, GraphvizNotFound, grad_colour
from nn.draw import MAX_WEIGHTS, draw
from nn.losses import mse
from nn.modules import MLP, Neuron

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
BLUE, RED = "#{:02x}{:02x}{:02x}".format(*POSITIVE), "#{:02x}{:02x}{:02x}".format(*NEGATIVE)


def rendered(picture):
    return ET.fromstring(picture.pipe(format="svg"))


def groups(root, kind):
    """{title: <g>} of the SVG's nodes, edges or clusters."""
    return {g.find(SVG + "title").text: g for g in root.iter(SVG + "g") if g.get("class") == kind}


def texts(element):
    return ["".join(t.itertext()) for t in element.iter(SVG + "text")]


def stroke(edge):
    """(colour, opacity, width) of an edge's line."""
    path = edge.find(f".//{SVG}path")
    return (
        path.get("stroke"),
        float(path.get("stroke-opacity", 1)),
        float(path.get("stroke-width", 1)),
    )


def small_model():
    """MLP(2, [2, 1]) with chosen weights: w^1 = [[0.5, -1], [0.25, 2]], w^2 = [[-0.1, 1]]."""
    model = MLP(2, [2, 1], seed=0)
    weights = [[[0.5, -1.0], [0.25, 2.0]], [[-0.1, 1.0]]]
    for layer, rows in zip(model.layers, weights):
        for neuron, row in zip(layer.neurons, rows):
            for w, value in zip(neuron.w, row):
                w.data = value
    model.layers[0].neurons[1].b.data = -0.5
    return model


def test_one_unit_per_neuron_and_one_edge_per_weight():
    root = rendered(draw(MLP(2, [16, 16, 1], seed=0)))
    nodes, edges = groups(root, "node"), groups(root, "edge")
    assert len(nodes) == 2 + 16 + 16 + 1
    assert len(edges) == 2 * 16 + 16 * 16 + 16
    assert "u0_1->u1_15" in edges and "u2_15->u3_0" in edges


def test_units_are_labelled_in_the_seeds_notation():
    nodes = groups(rendered(draw(MLP(2, [16, 16, 1], seed=0))), "node")
    assert texts(nodes["u0_1"]) == ["x", "1"]  # x_1
    assert texts(nodes["u1_0"]) == ["a", "1", "0"]  # a^1_0: layer 1, unit 0
    assert texts(nodes["u2_15"]) == ["a", "2", "15"]
    assert texts(nodes["u3_0"]) == ["z", "3", "0"]  # a linear output is z^L
    tanh_out = groups(rendered(draw(MLP(2, [3, 2], output_activation="tanh", seed=0))), "node")
    assert texts(tanh_out["u2_1"]) == ["a", "2", "1"]


def test_columns_are_headed_by_layer_and_activation():
    clusters = groups(rendered(draw(MLP(2, [16, 16, 1], seed=0))), "cluster")
    assert [texts(clusters[f"cluster_{l}"]) for l in range(4)] == [
        ["input"],
        ["layer 1", "tanh"],
        ["layer 2", "tanh"],
        ["output", "linear"],
    ]


def test_edges_are_coloured_and_sized_by_the_weights():
    edges = groups(rendered(draw(small_model(), weight_labels=False)), "edge")
    assert stroke(edges["u0_1->u1_1"]) == (BLUE, 1.0, 4.0)  # w = 2, the largest: full width
    colour, opacity, width = stroke(edges["u0_1->u1_0"])  # w = -1
    assert colour == RED and 0.5 < opacity < 1 and 2 < width < 4
    colour, opacity, width = stroke(edges["u1_0->u2_0"])  # w = -0.1
    assert colour == RED and opacity < 0.5 and width < 1
    assert stroke(edges["u0_0->u1_0"])[0] == BLUE  # w = 0.5


def test_units_are_filled_by_their_bias():
    nodes = groups(rendered(draw(small_model())), "node")
    fill = {name: g.find(f".//{SVG}ellipse").get("fill") for name, g in nodes.items()}
    assert fill["u1_1"] == grad_colour(-0.5, 0.5) == RED  # the only nonzero bias
    assert fill["u1_0"] == fill["u2_0"] == "#ffffff"


def test_show_grad_draws_the_gradients_instead():
    model = small_model()
    loss = mse([model([1.0, 2.0])], [0.0])
    loss.backward()
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    largest = max(weights, key=lambda w: abs(w.grad))
    root = rendered(draw(model, show_grad=True, weight_labels=False))
    edges = groups(root, "edge")
    index = {
        id(w): (l, j, i)
        for l, layer in enumerate(model.layers, 1)
        for j, n in enumerate(layer.neurons)
        for i, w in enumerate(n.w)
    }
    l, j, i = index[id(largest)]
    colour, _, width = stroke(edges[f"u{l - 1}_{i}->u{l}_{j}"])
    assert width == 4.0 and colour == (BLUE if largest.grad > 0 else RED)
    assert "dL/dw > 0" in texts(root) and "w > 0" not in texts(root)


def test_show_grad_before_backward_says_so():
    legend = texts(rendered(draw(MLP(2, [3, 1], seed=0), show_grad=True)))
    assert "every gradient is 0: run loss.backward() first" in legend


def test_a_gradient_of_none_is_drawn_as_no_gradient_yet():
    """zero_grad(set_to_none=True) leaves every .grad None ("no gradient yet"): the diagram is
    drawn (it used to raise a TypeError) as for gradients of 0, its tooltips saying None."""
    model = small_model()
    zero = draw(model, show_grad=True, weight_labels=False).source
    model.zero_grad(set_to_none=True)
    none = draw(model, show_grad=True, weight_labels=False).source
    assert "grad None" in none and none.replace("grad None", "grad 0") == zero
    titles = [a.get(XLINK + "title") for a in rendered(draw(model)).iter(SVG + "a")]
    assert "w[1][0][1] = -1, grad None" in titles
    assert "a[1][1]: bias b[1][1] = -0.5, grad None" in titles


def test_small_networks_have_their_weights_written_on_the_edges():
    root = rendered(draw(small_model()))
    edges = groups(root, "edge")
    assert texts(edges["u0_1->u1_1"]) == ["2"] and texts(edges["u1_0->u2_0"]) == ["-0.1"]
    assert all(texts(e) == [] for e in groups(rendered(draw(MLP(2, [16, 1]))), "edge").values())
    assert all(
        texts(e) == []
        for e in groups(rendered(draw(small_model(), weight_labels=False)), "edge").values()
    )


def test_tooltips_name_every_weight_and_bias():
    root = rendered(draw(small_model()))
    titles = [a.get(XLINK + "title") for a in root.iter(SVG + "a")]
    assert "w[1][0][1] = -1, grad 0" in titles
    assert "a[1][1]: bias b[1][1] = -0.5, grad 0" in titles


def test_units_are_in_index_order_top_to_bottom():
    text = draw(MLP(2, [16, 16, 1], seed=0)).pipe(format="plain", encoding="utf-8")
    y = {p[1]: float(p[3]) for p in (ln.split() for ln in text.splitlines()) if p[0] == "node"}
    for l, n in ((0, 2), (1, 16), (2, 16)):
        column = [y[f"u{l}_{j}"] for j in range(n)]
        assert column == sorted(column, reverse=True)  # plain's y grows upwards


def test_drawing_needs_no_forward_pass_and_changes_nothing():
    model = MLP(2, [16, 16, 1], seed=4)
    before = [(p.data, p.grad, p.inputs) for p in model.parameters()]
    source = draw(model).source
    assert [(p.data, p.grad, p.inputs) for p in model.parameters()] == before
    assert source == draw(MLP(2, [16, 16, 1], seed=4)).source  # deterministic


def test_png_of_the_16_16_network_is_a_readable_size(tmp_path):
    from PIL import Image

    path = draw(MLP(2, [16, 16, 1], seed=0)).render(tmp_path / "net", format="png", cleanup=True)
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = Image.open(io.BytesIO(data)).size
    assert 600 < width < 2000 and 800 < height < 2000


def test_too_many_weights_is_refused_with_advice():
    model = MLP(8, [64, 80, 1], seed=0)
    with pytest.raises(ValueError, match="5,712 weights.*max_weights=5,000"):
        draw(model)
    assert MAX_WEIGHTS == 5000
    assert draw(model, max_weights=None).source.count("->") == 8 * 64 + 64 * 80 + 80


@pytest.mark.parametrize("thing", [Value(1.0), Neuron(2), None, [1, 2]])
def test_only_an_mlp_can_be_drawn(thing):
    with pytest.raises(TypeError, match="draws an MLP"):
        draw(thing)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"rankdir": "RL"}, "rankdir"),
        ({"digits": 0}, "digits"),
        ({"weight_labels": "yes"}, "weight_labels"),
    ],
)
def test_bad_arguments_are_explained(kwargs, words):
    with pytest.raises(ValueError, match=words):
        draw(small_model(), **kwargs)


def test_rendering_without_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    picture = draw(small_model())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        picture.pipe(format="png")

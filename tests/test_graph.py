"""Pictures of computation graphs, rendered for real with Graphviz's `dot` (no mocks): the DOT
text of a tiny graph against a golden string, and what the SVG and PNG files contain."""

import io
import re
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest

from autograd import Value, topological_order, weighted_sum
from autograd.dot import HIGHLIGHT, ROLE_COLOURS, GraphvizNotFound, grad_colour
from autograd.frames import draw_steps
from autograd.graph import MAX_NODES, draw
from autograd.notation import fmt
from nn.losses import mse
from nn.modules import MLP

SVG = "{http://www.w3.org/2000/svg}"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"

GOLDEN = """digraph {
	graph [fontname=Helvetica nodesep=0.15 ordering=in rankdir=LR ranksep=0.25 size="10.417,1000"]
	node [fontname=Helvetica fontsize=12]
	edge [arrowsize=0.6 color="#606060" fontname=Helvetica fontsize=10]
	v0 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD BGCOLOR="#d5ecc9"><B>a</B></TD></TR><TR><TD BGCOLOR="#d5ecc9">data 2</TD></TR><TR><TD BGCOLOR="#d6604d">grad -3</TD></TR></TABLE>> margin=0 shape=none]
	v1 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD BGCOLOR="#d5ecc9"><B>b</B></TD></TR><TR><TD BGCOLOR="#d5ecc9">data -3</TD></TR><TR><TD BGCOLOR="#65a7ce">grad 2</TD></TR></TABLE>> margin=0 shape=none]
	v2 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD BGCOLOR="#ffffff"><FONT COLOR="#505050">a × b</FONT></TD></TR><TR><TD BGCOLOR="#ffffff">data -6</TD></TR><TR><TD BGCOLOR="#92c1dc">grad 1</TD></TR></TABLE>> margin=0 shape=none]
	v2_op [label=<×> fillcolor="#f2f2f2" fontsize=11 height=0.3 margin="0.04,0.02" shape=ellipse style=filled]
	v3 [label=<1> fillcolor="#ececec" fontsize=10 height=0.25 margin="0.05,0.02" shape=box style="filled,rounded"]
	v4 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD BGCOLOR="#e3d3f3"><B>c</B></TD></TR><TR><TD BGCOLOR="#e3d3f3">data -5</TD></TR><TR><TD BGCOLOR="#92c1dc">grad 1</TD></TR></TABLE>> margin=0 shape=none]
	v4_op [label=<+> fillcolor="#f2f2f2" fontsize=11 height=0.3 margin="0.04,0.02" shape=ellipse style=filled]
	v2_op -> v2
	v0 -> v2_op [label=<-3>]
	v1 -> v2_op [label=<2>]
	v4_op -> v4
	v2 -> v4_op [label=<1>]
	v3 -> v4_op
}
"""  # noqa: E501


def tiny():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + 1
    c.label = "c"
    c.backward()
    return a, b, c


def network(hidden=(4,), seed=0):
    model = MLP(2, [*hidden, 1], seed=seed)
    loss = mse([model([0.5, -1.0])], [1.0])
    loss.label = "L"
    loss.backward()
    return model, loss


def svg(picture):
    """The picture rendered by dot to SVG, parsed."""
    return ET.fromstring(picture.pipe(format="svg"))


def groups(root, kind):
    """{title: <g>} of the SVG's nodes, edges or clusters."""
    return {g.find(SVG + "title").text: g for g in root.iter(SVG + "g") if g.get("class") == kind}


def texts(element):
    """Every text drawn inside an SVG element."""
    return ["".join(t.itertext()) for t in element.iter(SVG + "text")]


def node_lines(source):
    """{node name: its DOT statement} (node statements only, not edges or attributes)."""
    found = {}
    for line in source.splitlines():
        match = re.match(r"\s*(\w+) \[", line)
        if match and match.group(1) not in ("graph", "node", "edge"):
            found[match.group(1)] = line
    return found


def clusters_of(source):
    """{node name: [enclosing subgraph names, outermost first]} from DOT text."""
    stack, found = [], {}
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph "):
            stack.append(line.split()[1])
        elif line == "}":
            if stack:
                stack.pop()
        else:
            match = re.match(r"(\w+) \[", line)
            if match:
                found[match.group(1)] = list(stack)
    return found


# ---- the DOT text ----


def test_tiny_graph_dot_is_golden():
    _, _, c = tiny()
    assert draw(c, show_local_grads=True, legend=False).source == GOLDEN


def test_same_graph_built_twice_gives_the_same_source():
    _, first = network(seed=3)
    _, second = network(seed=3)
    assert draw(first).source == draw(second).source
    assert draw(first, collapse="neuron").source == draw(second, collapse="neuron").source


def test_node_names_come_from_positions_not_ids():
    a, b, c = tiny()
    names = set(node_lines(draw(c).source))
    assert names == {"v0", "v1", "v2", "v2_op", "v3", "v4", "v4_op"}
    assert not any(str(id(v)) in draw(c).source for v in (a, b, c))


def test_deep_graph_draws_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(3 * sys.getrecursionlimit()):
        y = y * 1.0
    source = draw(y, max_nodes=None, show_grad=False).source
    assert source.count("_op [") == 3 * sys.getrecursionlimit()


# ---- what the rendered pictures contain ----


def test_svg_has_one_node_per_value_and_operation():
    _, _, c = tiny()
    root = svg(draw(c))
    assert set(groups(root, "node")) == {"v0", "v1", "v2", "v2_op", "v3", "v4", "v4_op"}
    assert len(groups(root, "edge")) == 6


def test_svg_shows_labels_data_and_grads():
    _, _, c = tiny()
    nodes = groups(svg(draw(c)), "node")
    assert texts(nodes["v0"]) == ["a", "data 2", "grad -3"]
    assert texts(nodes["v1"]) == ["b", "data -3", "grad 2"]
    assert texts(nodes["v2"]) == ["a × b", "data -6", "grad 1"]  # unlabelled: what it computes
    assert texts(nodes["v2_op"]) == ["×"]
    assert texts(nodes["v3"]) == ["1"]  # a constant: its number, no grad


def test_png_is_a_real_png(tmp_path):
    from PIL import Image

    _, _, c = tiny()
    path = draw(c).render(tmp_path / "tiny", format="png", cleanup=True)
    data = open(path, "rb").read()
    assert data[:8] == PNG_HEADER
    width, height = Image.open(io.BytesIO(data)).size
    assert width > 400 and height > 100


def test_inline_display_in_jupyter_is_svg():
    _, _, c = tiny()
    bundle = draw(c)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "<svg" in bundle["image/svg+xml"] and "data &#45;6" in bundle["image/svg+xml"]


def test_show_grad_false_leaves_out_the_grads():
    _, _, c = tiny()
    root = svg(draw(c, show_grad=False))
    assert not [t for t in texts(root) if t.startswith("grad")]
    assert texts(groups(root, "node")["v0"]) == ["a", "data 2"]


def test_local_grads_label_the_edges():
    _, _, c = tiny()
    edges = groups(svg(draw(c, show_local_grads=True)), "edge")
    assert texts(edges["v0->v2_op"]) == ["-3"]  # d(ab)/da = b
    assert texts(edges["v1->v2_op"]) == ["2"]  # d(ab)/db = a
    assert texts(edges["v2->v4_op"]) == ["1"]
    assert texts(edges["v2_op->v2"]) == []


def test_linear_node_reads_as_a_weighted_sum():
    w = [Value(0.5, label="w0"), Value(-2.0, label="w1")]
    x = [Value(3.0, label="x0"), Value(4.0, label="x1")]
    b = Value(0.25, label="b")
    z = weighted_sum(w, x, b)
    root = svg(draw(z, show_local_grads=True))
    nodes, edges = groups(root, "node"), groups(root, "edge")
    op = next(name for name, g in nodes.items() if texts(g) == ["Σ w·x + b"])
    labels = {
        texts(nodes[e.split("->")[0]])[0]: texts(g) for e, g in edges.items() if e.endswith(op)
    }
    # dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1
    assert labels == {"w0": ["3"], "w1": ["4"], "x0": ["0.5"], "x1": ["-2"], "b": ["1"]}


def test_power_by_a_number_is_one_operation_with_one_input():
    x = Value(3.0, label="x")
    y = x**2
    nodes = node_lines(draw(y).source)
    assert "label=<^2>" in nodes["v1_op"]  # the registry writes x ** 2 as x^2
    assert draw(y).source.count("-> v1_op") == 1


def test_every_op_node_is_its_symbol_and_the_value_names_the_operands():
    """Op nodes mixed symbols and ids ('#8 − #12', '1 − #406'): now every op node is its
    symbol, and an unlabelled value is named by what it computes, operands in order."""
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    for y, symbol, name in [(a - b, "−", "a − b"), (b / a, "÷", "b ÷ a"), (a / 3, "÷", "a ÷ 3")]:
        lines = node_lines(draw(y).source)
        assert f"label=<{symbol}>" in lines["v2_op"]
        assert f">{name}</FONT>" in lines["v2"]
    long = ((a + b) * (a - b)).tanh() * a  # too long to be a name: numbered, in order
    assert ">#1</FONT>" in draw(long).source and "#2" not in draw(long).source


def test_names_parenthesize_where_precedence_needs_it():
    from autograd.notation import names

    a, b, c = (Value(1.0, label=n) for n in "abc")
    y = ((a + b) * c) ** 2
    named = names(topological_order(y))
    assert [named[v] for v in topological_order(y) if v.inputs] == [
        "a + b",
        "(a + b) × c",
        "((a + b) × c)^2",
    ]


def test_reused_input_draws_two_edges():
    x = Value(3.0, label="x")
    assert draw(x * x).source.count("v0 -> v1_op") == 2


def test_roles_have_their_colours():
    model, loss = network()
    nodes = node_lines(draw(loss).source)

    def fill(label):
        (line,) = [ln for ln in nodes.values() if f"<B>{label}</B>" in ln]
        return re.search(r'<TD BGCOLOR="(#\w+)"><B>', line).group(1)

    assert fill("w[1][0][0]") == fill("b[2][0]") == ROLE_COLOURS["parameter"]
    assert fill("x[0]") == ROLE_COLOURS["input"]
    assert fill("z[1][0]") == fill("a[1][0]") == ROLE_COLOURS["intermediate"]
    assert fill("L") == ROLE_COLOURS["output"]
    constants = [ln for ln in nodes.values() if ROLE_COLOURS["constant"] in ln]
    assert constants and all("shape=box" in ln and "grad" not in ln for ln in constants)


def test_grads_are_shaded_by_sign_and_size():
    assert grad_colour(0.0, 1.0) == "#ffffff"
    assert grad_colour(1.0, 1.0) == "#4393c3"  # the largest positive: full blue
    assert grad_colour(-1.0, 1.0) == "#d6604d"  # the largest negative: full red
    light, dark = grad_colour(0.1, 1.0), grad_colour(0.5, 1.0)
    assert int(light[1:3], 16) > int(dark[1:3], 16)  # larger |grad|: darker
    assert grad_colour(float("nan"), 1.0) == "#ffffff"


def test_highlighted_node_is_outlined_in_the_picture():
    a, _, c = tiny()
    nodes = groups(svg(draw(c, highlight=[a])), "node")
    outlined = {name for name, g in nodes.items() if HIGHLIGHT in ET.tostring(g, "unicode")}
    assert outlined == {"v0"}
    assert draw(c, highlight=a).source == draw(c, highlight=[a]).source


def test_legend_explains_the_colours_in_the_picture():
    _, _, c = tiny()
    legend = texts(svg(draw(c)))
    for entry in ("input", "constant", "output (root)", "intermediate", "grad < 0", "grad > 0"):
        assert entry in legend
    assert "parameter" not in legend  # no parameter in this picture
    assert "darker: larger |grad| (max 3)" in legend
    assert "input" not in texts(svg(draw(c, legend=False)))
    _, loss = network()
    assert "parameter" in texts(svg(draw(loss)))


def test_numbers_have_four_significant_digits_by_default():
    x = Value(1 / 3, label="x")
    assert texts(groups(svg(draw(x)), "node")["v0"]) == ["x", "data 0.3333", "grad 1"]  # dx/dx
    assert "data 0.33<" in draw(x, digits=2).source


def test_fmt_is_short_and_readable():
    assert fmt(2.0) == "2"
    assert fmt(-0.0) == "0"
    assert fmt(0.000123456) == "0.0001235"
    assert fmt(123456.0) == "1.235e5"
    assert fmt(-1.5e-7) == "-1.5e-7"
    assert fmt(float("inf")) == "inf" and fmt(float("nan")) == "nan"
    assert fmt(3.14159265, 6) == "3.14159"


# ---- nn models: clusters and collapsing ----


def test_network_nodes_are_grouped_by_neuron_and_layer():
    _, loss = network()
    source = draw(loss).source
    where = clusters_of(source)
    nodes = node_lines(source)

    def clusters(label):
        (name,) = [n for n, ln in nodes.items() if f"<B>{label}</B>" in ln]
        return where[name]

    assert clusters("w[1][2][1]") == ["cluster_layer1", "cluster_layer1_neuron2"]
    assert clusters("a[1][3]") == ["cluster_layer1", "cluster_layer1_neuron3"]
    assert clusters("b[2][0]") == ["cluster_layer2", "cluster_layer2_neuron0"]
    assert clusters("x[0]") == [] and clusters("L") == []
    titles = set(groups(svg(draw(loss)), "cluster"))
    assert {"cluster_layer1", "cluster_layer2", "cluster_layer1_neuron3"} <= titles


def test_collapse_neuron_draws_one_box_per_neuron():
    _, loss = network()
    root = svg(draw(loss, collapse="neuron"))
    nodes = groups(root, "node")
    boxes = {name: texts(g) for name, g in nodes.items() if name.startswith("neuron")}
    assert set(boxes) == {"neuron_1_0", "neuron_1_1", "neuron_1_2", "neuron_1_3", "neuron_2_0"}
    assert boxes["neuron_1_0"][0:2] == ["neuron [1][0]", " · tanh"]
    assert "3 parameters" in boxes["neuron_1_0"] and "5 parameters" in boxes["neuron_2_0"]
    assert not any("w[1][0][0]" in t for t in texts(root))
    (x0,) = [name for name, g in nodes.items() if texts(g)[0] == "x[0]"]
    edges = set(groups(root, "edge"))
    assert {f"{x0}->neuron_1_0", "neuron_1_3->neuron_2_0"} <= edges


def test_collapse_layer_draws_one_box_per_layer():
    _, loss = network(hidden=(16, 16))
    root = svg(draw(loss, collapse="layer"))
    nodes = groups(root, "node")
    assert texts(nodes["layer_2"]) == ["layer 2", "16 neurons · tanh", "272 parameters"]
    assert texts(nodes["layer_3"]) == ["layer 3", "1 neuron · linear", "17 parameters"]
    assert {"layer_1->layer_2", "layer_2->layer_3"} <= set(groups(root, "edge"))


def test_weights_and_neurons_are_drawn_in_index_order():
    _, loss = network()
    picture = draw(loss)
    names = {
        ln.split("<B>")[1].split("</B>")[0]: n
        for n, ln in node_lines(picture.source).items()
        if "<B>" in ln
    }
    y = {}  # dot's plain output: node name x y ... (y grows upwards)
    for line in picture.pipe(format="plain", encoding="utf-8").splitlines():
        parts = line.split()
        if parts[0] == "node":
            y[parts[1]] = float(parts[3])
    column = [y[names[f"w[2][0][{i}]"]] for i in range(4)] + [y[names["b[2][0]"]]]
    assert column == sorted(column, reverse=True)  # w_0 on top ... b at the bottom
    neurons = [y[names[f"z[1][{j}]"]] for j in range(4)]
    assert neurons == sorted(neurons, reverse=True)


# ---- limits and mistakes ----


def test_max_nodes_error_says_how_large_and_what_to_do():
    _, loss = network(hidden=(16, 16))
    count = len(node_lines(draw(loss, max_nodes=None).source))
    assert count > 400
    with pytest.raises(ValueError) as error:
        draw(loss, max_nodes=400)
    message = str(error.value)
    assert f"{count:,} nodes" in message and "max_nodes=400" in message
    for advice in ("larger max_nodes", 'collapse="neuron"', "sub-expression"):
        assert advice in message
    assert "nn.draw" not in message  # autograd knows nothing of nn (nn.draw's own docs say it)
    assert len(node_lines(draw(loss, collapse="neuron", max_nodes=400).source)) < 400


def test_max_nodes_error_on_a_plain_expression_does_not_suggest_collapsing():
    x = Value(1.0)
    for _ in range(300):
        x = x.tanh()
    with pytest.raises(ValueError, match="601 nodes") as error:
        draw(x)
    assert "collapse" not in str(error.value) and "nn.draw" not in str(error.value)
    assert MAX_NODES == 500


def test_rendering_without_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    _, _, c = tiny()
    picture = draw(c)  # drawing itself needs no `dot`; only rendering does
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz on it
    for render in (
        lambda: picture.pipe(format="svg"),
        lambda: picture.render(tmp_path / "g", format="png"),
        lambda: picture._repr_mimebundle_(),  # what Jupyter calls to show the cell's value
    ):
        with pytest.raises(GraphvizNotFound) as error:
            render()
        assert isinstance(error.value, graphviz.ExecutableNotFound)
        message = str(error.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "`dot`" in message and "pip install graphviz` installs only" in message


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"rankdir": "XY"}, ValueError, "rankdir"),
        ({"collapse": "neurons"}, ValueError, "collapse"),
        ({"digits": 0}, ValueError, "digits"),
        ({"digits": 2.5}, TypeError, "digits must be an int from 1 to 17"),
        ({"max_nodes": 0}, ValueError, "max_nodes"),
        ({"highlight": 3}, TypeError, "highlight"),
        ({"highlight": [1.0]}, TypeError, "highlight"),
        ({"highlight": [Value(1.0)]}, ValueError, "not in the picture"),
        ({"step": "step 1"}, TypeError, "backward_steps"),
    ],
)
def test_bad_arguments_are_explained(kwargs, error, words):
    _, _, c = tiny()
    with pytest.raises(error, match=words):
        draw(c, **kwargs)


def test_draw_needs_a_value():
    with pytest.raises(TypeError, match="draw\\(\\) needs a Value"):
        draw(3.0)


# ---- hostile labels: every label reaches Graphviz escaped, in every picture ----

HOSTILE = [
    ('<x> URL="javascript:alert(1)" a=<', ">"),  # x − y: '<x> URL=... a=< − >' was raw DOT
    '<x> URL="javascript:alert(1)"',
    "<<",
    ">",
    "trailing\\",
    '"quoted" & <b>bold</b>',
    "line\nbreak",
    "\x1b[31mred\x00",
    "\\N\\G\\l",
    '}]; evil [label="x',
    "x" * 300,
]


def hostile_pictures(label):
    """Every kind of picture, with `label` on every node and parameter that can carry one
    (a pair: x's label and y's)."""
    label, y_label = label if isinstance(label, tuple) else (label, label + "y")
    x, y = Value(2.0, label=label), Value(3.0, label=y_label)
    out = ((x - y) / x) ** 2 + x**y
    out.label = label
    model = MLP(2, [2, 1], seed=0)
    for p in model.parameters():
        p.label = label
    model.layers[0].activation = label
    net_loss = mse([model([0.5, -1.0])], [1.0])
    from nn.draw import draw as draw_network

    return [
        draw(out, show_local_grads=True),
        draw(net_loss, collapse="neuron"),
        *draw_steps(list(out.backward_steps())),
        draw_network(model, show_grad=True, weight_labels=True),
    ]


@pytest.mark.parametrize("label", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_labels_render_as_text_and_inject_nothing(label):
    """`<x> URL="javascript:..."` on a -, / or ** node injected attributes (a javascript: link
    in the SVG); `<<`, `>` or a trailing backslash made dot fail."""
    for picture in hostile_pictures(label):
        svg = picture.pipe(format="svg", encoding="utf-8")  # dot accepts it
        root = ET.fromstring(svg)  # well-formed XML (no raw control characters)
        for element in root.iter():  # no link of any kind: chainrule never makes one
            assert not [k for k in element.attrib if k.endswith("href") or k == "URL"]
        assert "evil" not in {el.get("id") for el in root.iter()}
    texts = "".join(
        "".join(t.itertext()) for t in ET.fromstring(hostile_pictures(label)[0].pipe("svg")).iter()
    )
    label = label[0] if isinstance(label, tuple) else label
    visible = label.replace("\n", "\\n").replace("\x1b", "\\x1b").replace("\x00", "\\x00")
    assert visible[:20] in texts  # shown as the text it is (first characters: long ones end …)


def test_write_writes_only_the_picture(tmp_path):
    """render() writes DOT source beside the picture (and cleanup=True deletes a user's g.gv)."""
    (tmp_path / "g.gv").write_text("the user's own file")
    c = tiny()[2]
    path = draw(c).write(tmp_path / "g.svg")
    assert path == tmp_path / "g.svg" and ET.fromstring((tmp_path / "g.svg").read_bytes())
    assert draw(c).write(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gv", "g.png", "g.svg"]
    assert (tmp_path / "g.gv").read_text() == "the user's own file"
    with pytest.raises(ValueError, match=r"\.png, \.svg"):
        draw(c).write(tmp_path / "g.txt")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        draw(c).write(tmp_path / "folder.png")


# ---- the pictures load on first use ----


def python_says(code):
    """What `code`, run in a fresh interpreter (same engine build), prints."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_autograd_leaves_the_pictures_and_graphviz_unloaded_until_first_use():
    code = (
        "import sys, autograd\n"
        "pictures = ('graphviz', 'autograd.dot', 'autograd.graph', 'autograd.frames')\n"
        "print([m for m in pictures if m in sys.modules])\n"
        "from autograd import draw\n"
        "print([m for m in pictures if m not in sys.modules], draw is autograd.graph.draw)"
    )
    assert python_says(code).splitlines() == ["[]", "['autograd.frames'] True"]


def test_a_step_draws_itself_before_anything_imported_the_pictures():
    """Step.draw() reaches autograd.graph through value.HOOKS, filled when autograd.graph loads:
    before that, autograd lends a stand-in that loads it. The picture is draw(root, step=step)."""
    code = (
        "import autograd\n"
        "x = autograd.Value(0.5, label='x')\n"
        "step = list((x * x).tanh().backward_steps())[1]\n"
        "first = step.draw().source\n"
        "print(first == autograd.draw(step.root, step=step).source, 'grad' in first)"
    )
    assert python_says(code) == "True True"


def test_the_lazy_names_are_listed_and_a_wrong_name_is_an_attribute_error():
    import autograd

    assert {"draw", "draw_steps", "save_frames", "step_through", "graph"} <= set(dir(autograd))
    assert autograd.save_frames is __import__("autograd.frames").frames.save_frames
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'drawing'"):
        autograd.drawing  # noqa: B018

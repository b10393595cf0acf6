"""Neurons, layers and MLPs: parameter order and names, seeds and initialisations, activations,
graph labels, input errors, and the seeds' rule dL/dw_ji = delta_j a_i read off the graph."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value, topological_order, total
from autograd.notation import unit_of
from nn.losses import squared_error
from nn.modules import ACTIVATIONS, MLP, Layer, Neuron, Parameter

# ---- parameters and their names ----


def test_parameters_come_layer_by_layer_neuron_by_neuron_weights_then_bias():
    model = MLP(3, [4, 2], seed=0)
    expected = [
        p for layer in model.layers for neuron in layer.neurons for p in neuron.w + [neuron.b]
    ]
    params = model.parameters()
    assert len(params) == (3 * 4 + 4) + (4 * 2 + 2)
    assert all(p is q for p, q in zip(params, expected, strict=True))
    assert all(isinstance(p, Parameter) for p in params)
    assert Parameter is autograd.Parameter  # one class: pictures know it without nn


def test_named_parameters_read_in_the_seeds_notation():
    model = MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "w[1][0][0]",
        "w[1][0][1]",
        "b[1][0]",
        "w[1][1][0]",
        "w[1][1][1]",
        "b[1][1]",
        "w[2][0][0]",
        "w[2][0][1]",
        "b[2][0]",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_named_parameters_are_unique_and_stable_across_seeds_and_training():
    model = MLP(3, [5, 4, 2], seed=1)
    names = [name for name, _ in model.named_parameters()]
    assert len(set(names)) == len(names) == len(model.parameters())
    assert [name for name, _ in MLP(3, [5, 4, 2], seed=2).named_parameters()] == names
    loss = squared_error(model([0.1, -0.2, 0.3]), [1.0, 0.0])
    loss.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    assert [name for name, _ in model.named_parameters()] == names


def test_lone_neuron_and_layer_name_their_parameters_without_a_layer_number():
    assert [n for n, _ in Neuron(2, seed=0).named_parameters()] == ["w[0]", "w[1]", "b"]
    names = [n for n, _ in Layer(2, 2, seed=0).named_parameters()]
    assert names == ["w[0][0]", "w[0][1]", "b[0]", "w[1][0]", "w[1][1]", "b[1]"]


def test_zero_grad_clears_every_gradient():
    model = MLP(2, [3, 1], seed=0)
    squared_error(model([1.0, 2.0]), 0.5).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---- seeds and initialisations ----


def weights(model):
    return [p.data for p in model.parameters()]


def test_same_seed_gives_the_same_weights():
    assert weights(MLP(3, [8, 8, 2], seed=7)) == weights(MLP(3, [8, 8, 2], seed=7))
    assert weights(MLP(3, [8, 8, 2], seed=7)) != weights(MLP(3, [8, 8, 2], seed=8))
    assert weights(MLP(3, [4], seed=np.int64(7))) == weights(MLP(3, [4], seed=7))


def test_a_random_generator_can_be_passed_as_the_seed():
    assert weights(MLP(2, [3], seed=random.Random(5))) == weights(MLP(2, [3], seed=5))
    assert weights(Neuron(3, seed=random.Random(5))) == weights(Neuron(3, seed=5))


def test_unseeded_models_differ():
    assert weights(MLP(2, [8], seed=None)) != weights(MLP(2, [8], seed=None))


def test_the_global_random_state_is_untouched():
    random.seed(1234)
    before = random.getstate()
    for seed in (0, None):
        for init in ("uniform", "xavier", "he"):
            model = MLP(2, [4, 1], init=init, seed=seed)
            squared_error(model([0.5, -1.0]), 1.0).backward()
    Neuron(3, seed=0)
    Layer(3, 2, seed=None)
    assert random.getstate() == before


def test_biases_start_at_zero():
    for init in ("uniform", "xavier", "he"):
        model = MLP(3, [4, 2], init=init, seed=0)
        assert all(b.data == 0.0 for layer in model.layers for b in layer.b)


# The statistical checks draw 20,000 weights. The sample standard deviation of N draws has a
# relative standard error of about 1/sqrt(2N) = 0.5% (normal) and less for a uniform; the bounds
# below allow 5%, i.e. more than 10 standard errors: a correct init fails with negligible odds,
# while a wrong scale (e.g. sqrt(1/n) for sqrt(2/n), 29% off) fails for certain.


def layer_weights(layer):
    return [w.data for row in layer.W for w in row]


def std(xs):
    mean = sum(xs) / len(xs)
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))


def test_uniform_init_is_micrograds_uniform_between_minus_one_and_one():
    ws = layer_weights(Layer(200, 100, init="uniform", seed=0))
    assert -1.0 <= min(ws) < -0.99 and 0.99 < max(ws) <= 1.0  # P(miss 0.99) = 0.995^20000
    assert abs(sum(ws) / len(ws)) < 0.02  # standard error 0.004
    assert std(ws) == pytest.approx(1 / math.sqrt(3), rel=0.05)


def test_xavier_init_is_glorot_uniform():
    nin, nout = 200, 100
    ws = layer_weights(Layer(nin, nout, init="xavier", seed=0))
    limit = math.sqrt(6 / (nin + nout))
    assert -limit <= min(ws) < -0.99 * limit and 0.99 * limit < max(ws) <= limit
    assert std(ws) == pytest.approx(limit / math.sqrt(3), rel=0.05)  # = sqrt(2 / (nin + nout))


def test_he_init_is_normal_with_std_sqrt_2_over_fan_in():
    nin = 200
    ws = layer_weights(Layer(nin, 100, init="he", seed=0))
    sigma = math.sqrt(2 / nin)
    assert abs(sum(ws) / len(ws)) < 0.05 * sigma  # standard error 0.007 sigma
    assert std(ws) == pytest.approx(sigma, rel=0.05)
    # normal, not uniform: 68.3% within one sigma (standard error 0.33%; uniform would give 57.7%)
    within = sum(abs(w) < sigma for w in ws) / len(ws)
    assert within == pytest.approx(0.6827, abs=0.02)


def test_mlp_inits_use_each_layers_own_fan_in_and_fan_out():
    model = MLP(40, [30, 10], init="xavier", seed=0)
    for layer, (nin, nout) in zip(model.layers, [(40, 30), (30, 10)]):
        limit = math.sqrt(6 / (nin + nout))
        assert max(abs(w) for w in layer_weights(layer)) <= limit
        assert max(abs(w) for w in layer_weights(layer)) > 0.9 * limit


# ---- activations and labels ----

ACTIVATION_MATHS = {
    "linear": lambda z: z,
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "softplus": lambda z: math.log1p(math.exp(z)),
}


def neuron_with(activation, w, b):
    neuron = Neuron(len(w), activation=activation, seed=0)
    for p, value in zip(neuron.w + [neuron.b], w + [b]):
        p.data = value
    return neuron


@pytest.mark.parametrize("activation", list(ACTIVATION_MATHS))
@pytest.mark.parametrize("z_sign", [1.0, -1.0])
def test_each_activation_computes_its_formula(activation, z_sign):
    neuron = neuron_with(activation, [0.5 * z_sign, -0.25 * z_sign], 0.125 * z_sign)
    a = neuron([1.5, 2.0])  # z = (0.75 - 0.5 + 0.125) * sign = 0.375 * sign
    z = 0.375 * z_sign
    assert a.data == pytest.approx(ACTIVATION_MATHS[activation](z), rel=1e-15)
    if activation == "linear":
        assert a.op == "linear" and a.label == "z"
    else:
        assert a.op == activation and a.label == "a"
        assert a.inputs[0].label == "z" and a.inputs[0].data == z


def test_the_activation_table_is_the_documented_one():
    assert set(ACTIVATIONS) == set(ACTIVATION_MATHS)


def labels_in(root):
    return {v.label for v in topological_order(root)}


def test_graph_labels_read_in_the_seeds_notation():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    assert out.label == "z[2][0]" and out.op == "linear"  # a linear output: its z is the output
    expected = {"x[0]", "x[1]"}
    expected |= {f"z[1][{j}]" for j in range(3)} | {f"a[1][{j}]" for j in range(3)}
    expected |= {f"w[1][{j}][{i}]" for j in range(3) for i in range(2)} | {"z[2][0]"}
    expected |= {f"b[1][{j}]" for j in range(3)} | {f"w[2][0][{i}]" for i in range(3)}
    expected |= {"b[2][0]"}
    assert labels_in(out) == expected


def test_a_sigmoid_output_is_labelled_a_with_its_z_below():
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    out = model([1.0, 0.0])
    assert out.label == "a[2][0]" and out.op == "sigmoid"
    assert out.inputs[0].label == "z[2][0]"
    z = out.inputs[0]
    n = 2  # the z node's inputs: (w_1..w_n, a_1..a_n, b), as in autograd.linear
    assert [v.label for v in z.inputs] == ["w[2][0][0]", "w[2][0][1]", "a[1][0]", "a[1][1]"] + [
        "b[2][0]"
    ]
    assert len(z.inputs) == 2 * n + 1


def test_inputs_given_as_values_are_used_as_they_are():
    x0, x1 = Value(0.5, label="u"), Value(-1.0, label="v")
    model = MLP(2, [3, 1], seed=0)
    squared_error(model([x0, x1]), 1.0).backward()
    assert x0.label == "u" and x0.grad != 0.0 and x1.grad != 0.0


# ---- what a call returns, and the errors ----


def test_one_output_gives_a_value_and_several_give_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(a, Value) for a in out)


def test_a_layer_always_returns_a_list():
    out = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_layer_W_and_b_are_views_of_the_neurons():
    layer = Layer(3, 2, seed=0)
    assert len(layer.W) == 2 and all(len(row) == 3 for row in layer.W)
    for j, neuron in enumerate(layer.neurons):
        assert all(layer.W[j][i] is neuron.w[i] for i in range(3))
        assert layer.b[j] is neuron.b
    layer.neurons[1].w[2].data = 42.0
    assert layer.W[1][2].data == 42.0


def test_a_layer_computes_W_a_plus_b():
    layer = Layer(2, 2, activation="linear", seed=0)
    W = [[w.data for w in row] for row in layer.W]
    z = layer([3.0, -2.0])
    for j in range(2):
        assert z[j].data == W[j][0] * 3.0 + W[j][1] * -2.0 + 0.0


def test_wrong_number_of_inputs_is_a_value_error():
    with pytest.raises(ValueError, match=r"^MLP expects 3 inputs, got 2$"):
        MLP(3, [2], seed=0)([1.0, 2.0])
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 4"):
        Neuron(3, seed=0)([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="as many weights as inputs"):
        Layer(3, 2, seed=0)([1.0, 2.0])


@pytest.mark.parametrize(
    "x, message",
    [
        ("ab", "MLP input must be a list of 2 numbers, got str"),
        (3.0, "MLP input must be a list of 2 numbers, got float"),
        (None, "MLP input must be a list of 2 numbers, got NoneType"),
        ([1.0, "a"], r"MLP inputs must be numbers, got str at x\[1\]"),
        ([True, 0.0], r"MLP inputs must be numbers, got bool at x\[0\]"),
        ([1.0, [2.0]], r"MLP inputs must be numbers, got list at x\[1\]"),
    ],
)
def test_non_numeric_input_is_a_type_error(x, message):
    with pytest.raises(TypeError, match=message):
        MLP(2, [2], seed=0)(x)


def test_numpy_input_is_accepted():
    model = MLP(2, [3, 1], seed=0)
    assert model(np.array([0.5, -1.0])).data == model([0.5, -1.0]).data


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: MLP(0, [2]), ValueError, "nin must be a positive int, got 0"),
        (lambda: MLP("2", [2]), TypeError, "nin must be a positive int, got str"),
        (lambda: MLP(2.0, [2]), TypeError, "nin must be a positive int, got float"),
        (lambda: MLP(True, [2]), TypeError, "nin must be a positive int, got bool"),
        (lambda: MLP(2, 3), TypeError, r"nouts must be a list of layer sizes such as \[16"),
        (lambda: MLP(2, "33"), TypeError, "nouts must be a list of layer sizes"),
        (lambda: MLP(2, []), ValueError, "nouts must list at least one layer size"),
        (lambda: MLP(2, [2, 0]), ValueError, "each layer size in nouts must be a positive int"),
        (lambda: MLP(2, [2.5]), TypeError, "each layer size in nouts must be a positive int"),
        (lambda: MLP(2, [2], activation="swish"), ValueError, "unknown activation 'swish'"),
        (lambda: MLP(2, [2], activation=["tanh"]), ValueError, r"unknown activation \['tanh'\]"),
        (lambda: MLP(2, [2], output_activation="soft"), ValueError, "unknown output_activation"),
        (lambda: MLP(2, [2], init="glorot"), ValueError, r"unknown init 'glorot'; expected one"),
        (lambda: MLP(2, [2], seed="0"), TypeError, "seed must be an int, None or a random.Random"),
        (lambda: MLP(2, [2], seed=1.5), TypeError, "seed must be an int, None or a random.Random"),
        (lambda: MLP(2, [2], seed=True), TypeError, "seed must be an int, None or a random."),
        (lambda: Neuron(0), ValueError, "nin must be a positive int, got 0"),
        (lambda: Neuron(2, activation="step"), ValueError, "unknown activation 'step'"),
        (lambda: Neuron(2, init="zeros"), ValueError, "unknown init 'zeros'"),
        (lambda: Neuron(2, name=3), TypeError, "name must be a str, got int"),
        (lambda: Neuron(2, fan_out=0), ValueError, "fan_out must be a positive int"),
        (lambda: Layer(2, 0), ValueError, "nout must be a positive int, got 0"),
        (lambda: Layer(0, 2), ValueError, "nin must be a positive int, got 0"),
    ],
)
def test_bad_constructor_arguments_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_numpy_sizes_are_accepted():
    model = MLP(np.int64(2), np.array([3, 1]), seed=0)
    assert model.nin == 2 and model.nouts == [3, 1] and type(model.nouts[0]) is int
    assert weights(model) == weights(MLP(2, [3, 1], seed=0))


def test_reprs_show_the_architecture():
    assert repr(MLP(2, [16, 1], output_activation="sigmoid")) == (
        "MLP(2, [16, 1], activation='tanh', output_activation='sigmoid')"
    )
    assert repr(Layer(3, 2, activation="relu")) == "Layer(3, 2, activation='relu')"
    assert repr(Neuron(3)) == "Neuron(3, activation='tanh')"


# ---- the seeds' rule, read off the graph ----

ACTIVATION_SLOPES = {  # sigma'(z), written independently of the engine
    "linear": lambda z: 1.0,
    "relu": lambda z: 1.0 if z > 0 else 0.0,
    "leaky_relu": lambda z: 1.0 if z > 0 else 0.01,
    "tanh": lambda z: 1.0 - math.tanh(z) ** 2,
    "sigmoid": lambda z: math.exp(-z) / (1.0 + math.exp(-z)) ** 2,
    "softplus": lambda z: 1.0 / (1.0 + math.exp(-z)),
}


@st.composite
def networks(draw):
    """A small random MLP, one input x and one target y."""
    nin = draw(st.integers(1, 3))
    nouts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    model = MLP(
        nin,
        nouts,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        output_activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        init=draw(st.sampled_from(["uniform", "xavier", "he"])),
        seed=draw(st.integers(0, 2**32)),
    )
    x = draw(st.lists(st.floats(-2, 2), min_size=nin, max_size=nin))
    y = draw(st.lists(st.floats(-1, 1), min_size=nouts[-1], max_size=nouts[-1]))
    return model, x, y


def forward_backward(model, x, y):
    """The loss's graph after backward, as a dict label -> node."""
    loss = squared_error(model(x), y)
    loss.backward()
    return {v.label: v for v in topological_order(loss) if v.label}


def feeding_label(model, l, i):
    """The label of the node that feeds input i of layer l: x[i], or the previous layer's a."""
    if l == 1:
        return f"x[{i}]"
    return f"{'z' if model.activation == 'linear' else 'a'}[{l - 1}][{i}]"


@settings(max_examples=60)
@given(networks())
def test_seeds_rule_weight_grad_is_delta_times_the_activation_feeding_it(network):
    model, x, y = network
    node = forward_backward(model, x, y)
    for l, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            z = node[f"z[{l}][{j}]"]
            delta = z.grad  # delta_j = dL/dz_j
            n = len(neuron.w)
            for i, w in enumerate(neuron.w):
                a_i = node[feeding_label(model, l, i)]
                assert z.inputs[n + i] is a_i  # the node feeding z is the one labelled so
                assert w.grad == delta * a_i.data  # dL/dw_ji = delta_j a_i, exactly
            assert neuron.b.grad == delta  # dL/db_j = delta_j


@settings(max_examples=60)
@given(networks())
def test_seeds_rule_delta_flows_back_through_the_transposed_weights(network):
    """delta^l_j = sigma'(z^l_j) sum_k w^(l+1)_kj delta^(l+1)_k (seed 003's hidden-unit rule),
    and at the output delta_k = sigma'(z_k) (a_k - y_k) for the squared error."""
    model, x, y = network
    node = forward_backward(model, x, y)
    L = len(model.layers)
    for l in range(L, 0, -1):
        layer = model.layers[l - 1]
        activation = model.output_activation if l == L else model.activation
        for j in range(len(layer.neurons)):
            z = node[f"z[{l}][{j}]"].data
            if l == L:
                a_j = node[f"{'z' if activation == 'linear' else 'a'}[{l}][{j}]"].data
                dL_da = a_j - y[j]
            else:
                after = model.layers[l]
                dL_da = math.fsum(
                    after.W[k][j].data * node[f"z[{l + 1}][{k}]"].grad
                    for k in range(len(after.neurons))
                )
            expected = ACTIVATION_SLOPES[activation](z) * dL_da
            assert node[f"z[{l}][{j}]"].grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---- the whole MLP against PyTorch ----


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_output_and_gradients_match_torch(torch, activation):
    F = torch.nn.functional
    sigma = {
        "linear": lambda t: t,
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
    }
    model = MLP(3, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=3)
    x, y = [0.3, -1.2, 0.8], [1.0, 0.0]
    out = model(x)
    loss = total([(a - t) ** 2 for a, t in zip(out, y)])
    loss.backward()
    params = [
        torch.tensor(
            [[w.data for w in row] for row in layer.W], dtype=torch.float64, requires_grad=True
        )
        for layer in model.layers
    ]
    biases = [
        torch.tensor([b.data for b in layer.b], dtype=torch.float64, requires_grad=True)
        for layer in model.layers
    ]
    a = torch.tensor(x, dtype=torch.float64)
    for l, (W, b) in enumerate(zip(params, biases), start=1):
        a = (sigma["sigmoid"] if l == len(params) else sigma[activation])(W @ a + b)
    tloss = ((a - torch.tensor(y, dtype=torch.float64)) ** 2).sum()
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-13)
    for layer, W, b in zip(model.layers, params, biases):
        for j in range(len(layer.neurons)):
            assert layer.b[j].grad == pytest.approx(b.grad[j].item(), rel=1e-11, abs=1e-15)
            for i, w in enumerate(layer.W[j]):
                assert w.grad == pytest.approx(W.grad[j, i].item(), rel=1e-11, abs=1e-15)


# ---- the package's structure ----


def test_nn_parameter_is_autograds_and_labels_are_written_in_the_seeds_notation():
    assert nn.Parameter is autograd.Parameter
    assert Neuron(2, seed=0, unit=(2, 1)).named_parameters()[0][0] == "w[2][1][0]"
    old = Neuron(2, activation="sigmoid", seed=0, name="[1][0]")  # the older spelling
    assert [n for n, _ in old.named_parameters()] == ["w[1][0][0]", "w[1][0][1]", "b[1][0]"]
    assert old([0.5, 1.0]).label == "a[1][0]"
    assert all(unit_of(n) == (1, 0) for n, _ in old.named_parameters())
    with pytest.raises(ValueError, match="give a neuron a unit= or a name=, not both"):
        Neuron(2, unit=(1, 0), name="[1][0]")
    with pytest.raises(ValueError, match="index .*must be a positive int, got 0"):
        Layer(2, 2, index=0)


def test_an_mlp_shows_its_layers_as_a_table_in_jupyter():
    model = MLP(2, [16, 16, 1], seed=0)
    rows = model.summary()
    assert rows[0] == ("input x", 2, "", "")
    assert rows[2] == ("layer 2", 16, "tanh", "272 (W2 16×16, b2 16)")
    assert rows[-1] == ("total", "", "", "337") and len(model.parameters()) == 337
    html = model._repr_html_()
    assert "<table>" in html and "<td>272 (W2 16×16, b2 16)</td>" in html
    assert repr(model) in html.replace("&#x27;", "'")

"""nn.to_numpy / from_numpy / to_torch / from_torch: the layout W^l[j, i] = neurons[j].w[i],
bit-exact round trips, and a clear error for everything that is not an MLP."""

import sys

import numpy as np
import pytest

from nn.convert import from_numpy, from_torch, to_numpy, to_torch
from nn.crosscheck import crosscheck
from nn.modules import ACTIVATIONS, MLP
from nn.vectorized import Layers


def bits(arrays):
    """The exact bytes of float64 arrays: equality here is bit equality (-0.0 != 0.0)."""
    return [np.asarray(a, dtype=np.float64).tobytes() for a in arrays]


def test_to_numpy_puts_neuron_j_weight_i_at_row_j_column_i():
    model = MLP(3, [4, 2], seed=1)
    weights, biases = to_numpy(model)
    assert [W.shape for W in weights] == [(4, 3), (2, 4)]
    assert [b.shape for b in biases] == [(4,), (2,)]
    assert all(W.dtype == np.float64 for W in [*weights, *biases])
    for l, layer in enumerate(model.layers, start=1):  # weights[l] is W^l
        for j, neuron in enumerate(layer.neurons):
            assert biases[l][j] == neuron.b.data
            for i, w in enumerate(neuron.w):
                assert weights[l][j, i] == w.data


def test_to_numpy_indexes_the_layers_from_1():
    weights, biases = to_numpy(MLP(3, [4, 2], seed=1))
    assert isinstance(weights, Layers) and isinstance(biases, Layers)
    assert list(weights.indices) == [1, 2] and weights[-1] is weights[2]
    assert [W.shape for W in weights] == [(4, 3), (2, 4)]  # in order, W^1 first
    with pytest.raises(IndexError, match=r"W\[0\]: layer 0 is the input x, which has no W"):
        weights[0]
    with pytest.raises(IndexError, match=r"b\[3\]: there is no layer 3; b holds layers 1..2"):
        biases[3]


def test_to_numpy_copies():
    model = MLP(2, [1], seed=1)
    weights, _ = to_numpy(model)
    weights[1][0, 0] = 123.0
    assert model.layers[0].neurons[0].w[0].data != 123.0


def test_numpy_round_trip_is_bit_exact():
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(1, 3))]
    weights[0][0, 0] = -0.0
    weights[0][1, 1] = 5e-324  # the smallest subnormal
    weights[1][0, 2] = 1.7976931348623157e308
    biases = [rng.normal(size=3), np.array([np.nextafter(1.0, 2.0)])]
    model = from_numpy(weights, biases, activation="relu", output_activation="sigmoid")
    again = to_numpy(model)
    assert bits(again[0]) == bits(weights) and bits(again[1]) == bits(biases)
    assert (model.activation, model.output_activation) == ("relu", "sigmoid")
    assert to_numpy(from_numpy(*to_numpy(model))) is not None


def test_model_round_trip_keeps_every_weight():
    model = MLP(2, [5, 3], activation="softplus", output_activation="tanh", seed=7)
    copy = from_numpy(*to_numpy(model), activation="softplus", output_activation="tanh")
    assert [p.data for p in copy.parameters()] == [p.data for p in model.parameters()]
    assert copy([0.3, -0.2])[1].data == model([0.3, -0.2])[1].data


def test_mlp_from_numpy_is_from_numpy():
    weights, biases = [np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)]
    model = MLP.from_numpy(weights, biases, activation="sigmoid")
    assert model.nin == 3 and model.nouts == [2, 1] and model.activation == "sigmoid"
    same = from_numpy(weights, biases, activation="sigmoid")
    assert [p.data for p in same.parameters()] == [p.data for p in model.parameters()]
    assert repr(same) == repr(model)


def test_from_numpy_takes_layers_numbered_from_1_only():
    weights, biases = to_numpy(MLP(2, [3, 1], seed=4))
    assert to_numpy(from_numpy(weights, biases))[0][2].tolist() == weights[2].tolist()
    with pytest.raises(ValueError, match="weights must be numbered from layer 1, got a numb"):
        from_numpy(Layers(weights, 0, "a"), biases)


def test_from_numpy_accepts_lists_and_bias_columns():
    model = from_numpy([[[1, 2]], [[3]]], [[[0.5]], [-1]])
    assert [p.data for p in model.parameters()] == [1.0, 2.0, 0.5, 3.0, -1.0]


@pytest.mark.parametrize(
    "weights, biases, match",
    [
        ([np.ones((3, 2)), np.ones((1, 2))], [np.zeros(3), np.zeros(1)], "do not chain"),
        ([np.ones((3, 2))], [np.zeros(4)], r"b\^1 must have shape \(3,\)"),
        ([np.ones((3, 2))], [], "one bias vector per weight matrix"),
        ([np.full((1, 1), np.nan)], [np.zeros(1)], r"W\^1 must be finite, got nan"),
        ([np.ones((1, 1))], [np.array([-np.inf])], r"b\^1 must be finite, got -inf"),
        ([np.ones((0, 2))], [np.zeros(0)], r"W\^1 must be a matrix"),
    ],
)
def test_from_numpy_rejects_what_does_not_make_an_mlp(weights, biases, match):
    with pytest.raises(ValueError, match=match):
        from_numpy(weights, biases)


def test_from_numpy_rejects_non_numbers_with_a_type_error():
    with pytest.raises(TypeError, match="must hold real numbers"):
        from_numpy([np.array([[True]])], [np.zeros(1)])


def test_from_numpy_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        from_numpy([np.ones((1, 1))], [np.zeros(1)], activation="gelu")


def test_to_numpy_needs_an_mlp_with_finite_weights():
    with pytest.raises(TypeError, match="to_numpy needs an nn.MLP, got list"):
        to_numpy([np.ones((1, 1))])
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[1].data = float("nan")
    with pytest.raises(ValueError, match=r"w\[1\]\[0\]\[1\] is nan"):
        to_numpy(model)


# ---- PyTorch ----


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output_activation", sorted(ACTIVATIONS))
def test_torch_round_trip_is_bit_exact(torch, activation, output_activation):
    model = MLP(3, [4, 4, 2], activation, output_activation, seed=11)
    back = from_torch(to_torch(model))
    assert (back.activation, back.output_activation) == (activation, output_activation)
    assert bits(to_numpy(back)[0]) == bits(to_numpy(model)[0])
    assert bits(to_numpy(back)[1]) == bits(to_numpy(model)[1])


def test_to_torch_builds_float64_linear_and_activation_modules(torch):
    model = MLP(2, [3, 1], activation="leaky_relu", output_activation="sigmoid", seed=3)
    sequential = to_torch(model)
    assert [type(m).__name__ for m in sequential] == ["Linear", "LeakyReLU", "Linear", "Sigmoid"]
    assert sequential[1].negative_slope == 0.01
    assert all(p.dtype == torch.float64 for p in sequential.parameters())
    assert sequential[0].weight[2, 1].item() == model.layers[0].neurons[2].w[1].data
    assert sequential[2].bias[0].item() == model.layers[1].neurons[0].b.data


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_to_torch_computes_what_the_model_computes(torch, activation):
    model = MLP(2, [5, 2], activation, output_activation=activation, seed=5)
    x = [30.0, -25.0]  # large z: softplus beyond torch's default threshold of 20
    out = to_torch(model)(torch.tensor([x], dtype=torch.float64))[0]
    assert out.tolist() == pytest.approx([v.data for v in model(x)], rel=1e-14, abs=1e-14)


def test_from_torch_converts_float32_exactly_and_fills_missing_biases(torch):
    torch.manual_seed(0)
    sequential = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1, bias=False)
    )
    model = from_torch(sequential)
    W1 = sequential[0].weight.detach()
    assert model.layers[0].neurons[1].w[0].data == float(W1[1, 0])
    assert [n.b.data for n in model.layers[1].neurons] == [0.0]
    assert (model.activation, model.output_activation) == ("tanh", "linear")


def test_from_torch_opens_nested_sequentials_and_skips_identity(torch):
    nn = torch.nn
    inner = nn.Sequential(nn.Linear(2, 2, dtype=torch.float64), nn.ReLU())
    model = from_torch(nn.Sequential(inner, nn.Identity(), nn.Linear(2, 1, dtype=torch.float64)))
    assert (model.nin, model.nouts, model.activation) == (2, [2, 1], "relu")


def test_from_torch_takes_a_single_linear_layer(torch):
    model = from_torch(torch.nn.Linear(3, 2, dtype=torch.float64))
    assert (model.nin, model.nouts, model.output_activation) == (3, [2], "linear")


def test_from_torch_accepts_softplus_with_torchs_default_threshold(torch):
    nn = torch.nn
    model = from_torch(nn.Sequential(nn.Linear(1, 2), nn.Softplus(), nn.Linear(2, 1)))
    assert model.activation == "softplus"


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda nn: [nn.Linear(2, 2), nn.Dropout(0.1), nn.Linear(2, 1)], "cannot convert Dropout"),
        (lambda nn: [nn.Conv1d(1, 1, 1)], "cannot convert Conv1d at position 0"),
        (lambda nn: [nn.ReLU(), nn.Linear(2, 1)], "starts with ReLU"),
        (lambda nn: [nn.Linear(2, 2), nn.ReLU(), nn.Tanh()], "two activations in a row"),
        (
            lambda nn: [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)],
            "one activation on all hidden layers",
        ),
        (lambda nn: [nn.Linear(2, 2), nn.LeakyReLU(0.2)], "negative_slope 0.2"),
        (lambda nn: [nn.Linear(2, 2), nn.Softplus(beta=2.0)], "beta=2.0"),
        (lambda nn: [nn.Linear(2, 3), nn.Linear(2, 1)], "do not chain"),
        (lambda nn: [], "no Linear layer"),
    ],
)
def test_from_torch_rejects_what_an_mlp_cannot_be(torch, build, match):
    with pytest.raises(ValueError, match=match):
        from_torch(torch.nn.Sequential(*build(torch.nn)))


def test_from_torch_rejects_non_finite_weights(torch):
    linear = torch.nn.Linear(2, 1)
    with torch.no_grad():
        linear.weight[0, 0] = float("inf")
    with pytest.raises(ValueError, match="must be finite"):
        from_torch(linear)


def test_from_torch_needs_a_sequential(torch):
    with pytest.raises(TypeError, match="needs a torch.nn.Sequential"):
        from_torch(torch.nn.ReLU())


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    model = MLP(2, [1], seed=0)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    install = r"make test. installs it, or .\.venv/bin/pip install -e '\.\[torch\]'"
    with pytest.raises(ImportError, match=install):
        to_torch(model)
    with pytest.raises(ImportError, match=install):
        from_torch(object())
    with pytest.raises(ImportError, match=install):
        crosscheck(model, [[0.0, 1.0]], [0.5], "squared_error", against="torch")
    assert crosscheck(model, [[0.0, 1.0]], [0.5], "squared_error").ok  # numpy needs no torch

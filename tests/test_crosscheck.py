"""The scalar engine == the matrix form == PyTorch, to 1e-10 in float64: every activation and
loss, random architectures and batches, and each seed document's own network and formulas."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.vectorized as vectorized
from autograd import no_grad, topological_order
from nn import losses
from nn.convert import to_numpy
from nn.crosscheck import CrosscheckReport, crosscheck
from nn.modules import ACTIVATIONS, INITS, MLP
from nn.optim import SGD
from nn.vectorized import backprop

TOL = 1e-10
LOSS_NAMES = sorted(losses.LOSSES)


def targets(loss, K, n, rng):
    """n targets (one per example, a row each) that suit the loss."""
    if loss == "cross_entropy":
        return rng.integers(0, K, n).tolist()
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, K)).tolist()
    if loss.startswith("binary_cross_entropy"):
        return rng.uniform(0, 1, (n, K)).tolist()
    return rng.uniform(-2, 2, (n, K)).tolist()


def nodes_by_label(root):
    """Every labelled node of root's graph (one example: each z[l][j] and a[l][j] once)."""
    return {v.label: v for v in topological_order(root) if v.label}


# every hidden activation x output activation x loss; binary_cross_entropy needs probabilities,
# so only a sigmoid output (its error for other outputs is tested below)
COMBINATIONS = [
    (activation, output, loss)
    for activation in sorted(ACTIVATIONS)
    for output in sorted(ACTIVATIONS)
    for loss in LOSS_NAMES
    if loss != "binary_cross_entropy" or output == "sigmoid"
]


@pytest.mark.parametrize("activation, output_activation, loss", COMBINATIONS)
def test_every_activation_and_loss_agrees_with_the_matrix_form(activation, output_activation, loss):
    rng = np.random.default_rng(len(activation) * 100 + len(output_activation) * 10 + len(loss))
    model = MLP(3, [4, 3], activation, output_activation, seed=int(rng.integers(1000)))
    X = rng.uniform(-2, 2, (5, 3))
    report = crosscheck(model, X, targets(loss, 3, 5, rng), loss)
    assert report.ok, str(report)
    assert report.max_abs_error <= TOL


@pytest.mark.parametrize("activation, output_activation, loss", COMBINATIONS)
def test_every_activation_and_loss_agrees_with_torch(torch, activation, output_activation, loss):
    rng = np.random.default_rng(len(activation) * 100 + len(output_activation) * 10 + len(loss))
    model = MLP(3, [4, 3], activation, output_activation, seed=int(rng.integers(1000)))
    X = rng.uniform(-2, 2, (5, 3))
    report = crosscheck(model, X, targets(loss, 3, 5, rng), loss, against="torch")
    assert report.ok, str(report)
    assert report.max_abs_error <= TOL


@st.composite
def problems(draw):
    """A random MLP (sizes, activations, init, seed), a batch X and targets Y for a random loss."""
    loss = draw(st.sampled_from(LOSS_NAMES))
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    if loss == "cross_entropy":
        nouts[-1] = max(nouts[-1], 2)
    activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
    output = (
        "sigmoid" if loss == "binary_cross_entropy" else draw(st.sampled_from(sorted(ACTIVATIONS)))
    )
    model = MLP(nin, nouts, activation, output, draw(st.sampled_from(INITS)), draw(st.integers()))
    n, K = draw(st.integers(1, 6)), nouts[-1]
    X = draw(
        st.lists(st.lists(st.floats(-3, 3), min_size=nin, max_size=nin), min_size=n, max_size=n)
    )
    if loss == "cross_entropy":
        target = st.integers(0, K - 1)
    else:
        number = {"hinge": st.sampled_from([-1.0, 1.0])}.get(loss, st.floats(-3, 3))
        if loss.startswith("binary_cross_entropy"):
            number = st.floats(0, 1)
        target = st.lists(number, min_size=K, max_size=K)
    Y = draw(st.lists(target, min_size=n, max_size=n))
    return model, X, Y, loss


@settings(max_examples=40)
@given(problems())
def test_random_networks_and_batches_agree_with_the_matrix_form(problem):
    model, X, Y, loss = problem
    report = crosscheck(model, X, Y, loss)
    assert report.ok, str(report)


@settings(max_examples=25)
@given(problems())
def test_random_networks_and_batches_agree_with_torch(torch, problem):
    model, X, Y, loss = problem
    report = crosscheck(model, X, Y, loss, against="torch")
    assert report.ok, str(report)


def test_each_examples_z_node_gradient_is_a_column_of_delta():
    """Built by hand, without crosscheck: the gradient on node z[l][j] of example k's graph is
    delta^l[j, k] of the matrix form."""
    rng = np.random.default_rng(0)
    model = MLP(2, [3, 3, 2], activation="tanh", output_activation="sigmoid", seed=4)
    X = rng.uniform(-1, 1, (4, 2))
    Y = rng.uniform(0, 1, (4, 2))
    example_losses = [
        losses.binary_cross_entropy(model(x.tolist()), y.tolist()) for x, y in zip(X, Y)
    ]
    C = sum(example_losses[1:], example_losses[0]) / len(X)
    C.backward()
    weights, biases = to_numpy(model)
    matrix = backprop(weights, biases, X.T, Y.T, "binary_cross_entropy", "tanh", "sigmoid")
    for k, L_k in enumerate(example_losses):
        nodes = nodes_by_label(L_k)
        for l in (1, 2, 3):
            column = [nodes[f"z[{l}][{j}]"].grad for j in range(matrix.delta[l].shape[0])]
            assert column == pytest.approx(matrix.delta[l][:, k].tolist(), rel=TOL, abs=TOL)


def kinked(activation):
    """MLP(2, [3, 1]) whose hidden z are all exactly 0 (layer 1 all zeros), output weights 1."""
    model = MLP(2, [3, 1], activation, "linear", seed=0)
    for p in model.layers[0].parameters():
        p.data = 0.0
    for neuron in model.layers[1].neurons:
        neuron.b.data = 0.0
        for w in neuron.w:
            w.data = 1.0
    return model


def test_kinks_follow_the_engine_relu_leaky_relu_and_hinge():
    # every hidden z is exactly 0, where relu'(0) = 0 and leaky_relu'(0) = 0.01
    for activation in ("relu", "leaky_relu"):
        report = crosscheck(kinked(activation), [[1.0, -2.0]], [[1.0]], "squared_error")
        assert report.ok, str(report)
        expected = 0.0 if activation == "relu" else 0.01 * -1.0  # sigma'(0) W^2^T (a^2 - y)
        assert np.all(report.reference.delta[1] == expected)
        assert np.all(report.scalar.delta[1] == expected)
    # hinge at y s = 1 exactly: max(0, 1 - y s) has derivative 0 there
    model = MLP(1, [1], output_activation="linear", seed=0)
    model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].b.data = 0.0, 1.0
    report = crosscheck(model, [[0.5]], [[1.0]], "hinge")
    assert report.ok and report.reference.dC_da[0, 0] == 0.0 == report.scalar.dC_da[0, 0]


def test_kinks_follow_torch(torch):
    for activation in ("relu", "leaky_relu"):
        report = crosscheck(kinked(activation), [[1.0, -2.0]], [[1.0]], "squared_error", "torch")
        assert report.ok, str(report)


# ---- the seed documents ----


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def set_weights(model, weights, biases):
    for layer, W, b in zip(model.layers, weights, biases):
        for j, neuron in enumerate(layer.neurons):
            neuron.b.data = float(b[j])
            for i, w in enumerate(neuron.w):
                w.data = float(W[j, i])


def test_seed_001_steps_1_to_5():
    """Seed 001: input -> sigmoid hidden -> sigmoid output, L = 1/2 ||a2 - y||^2, one example;
    each of its Steps 1-5 against the engine's gradients and the matrix form."""
    rng = np.random.default_rng(1)
    W1, b1, W2, b2 = (
        rng.normal(size=(4, 3)),
        rng.normal(size=4),
        rng.normal(size=(2, 4)),
        rng.normal(size=2),
    )
    x, y = rng.uniform(-1, 1, 3), np.array([0.0, 1.0])
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid")
    set_weights(model, [W1, W2], [b1, b2])
    L = losses.squared_error(model(x.tolist()), y.tolist())
    L.backward()
    nodes = nodes_by_label(L)

    def engine(name, shape):
        return np.array([nodes[f"{name}[{j}]"].grad for j in range(shape)])

    # the document's forward pass
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)
    assert L.data == pytest.approx(0.5 * np.sum((a2 - y) ** 2), rel=1e-14)
    step1 = a2 - y  # dL/da2
    step2 = (a2 - y) * a2 * (1 - a2)  # dL/dz2
    step3_W, step3_b = np.outer(step2, a1), step2  # dL/dW2 = dL/dz2 a1^T, dL/db2
    step4 = (W2.T @ step2) * a1 * (1 - a1)  # dL/dz1
    step5_W, step5_b = np.outer(step4, x), step4  # dL/dW1 = dL/dz1 x^T, dL/db1

    matrix = backprop([W1, W2], [b1, b2], x, y, "squared_error", "sigmoid", "sigmoid")
    W_grads = [np.array([[w.grad for w in row] for row in layer.W]) for layer in model.layers]
    b_grads = [np.array([b.grad for b in layer.b]) for layer in model.layers]
    checks = [
        ("Step 1", step1, engine("a[2]", 2), matrix.dC_da[:, 0]),
        ("Step 2", step2, engine("z[2]", 2), matrix.delta[2][:, 0]),
        ("Step 3 W", step3_W, W_grads[1], matrix.dW[2]),
        ("Step 3 b", step3_b, b_grads[1], matrix.db[2]),
        ("Step 4", step4, engine("z[1]", 4), matrix.delta[1][:, 0]),
        ("Step 5 W", step5_W, W_grads[0], matrix.dW[1]),
        ("Step 5 b", step5_b, b_grads[0], matrix.db[1]),
    ]
    for step, formula, ours, matrix_form in checks:
        assert np.allclose(ours, formula, rtol=TOL, atol=TOL), step
        assert np.allclose(matrix_form, formula, rtol=TOL, atol=TOL), step
    assert crosscheck(model, [x], [y], losses.squared_error).ok


def test_seed_001_update_rule_moves_the_weights_by_the_gradient():
    """Seed 001's W <- W - eta dL/dW, taken by nn's SGD and by the matrix form alike."""
    rng = np.random.default_rng(2)
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid", seed=3)
    x, y = rng.uniform(-1, 1, 3), [0.0, 1.0]
    weights, biases = to_numpy(model)
    matrix = backprop(weights, biases, x, y, "squared_error", "sigmoid", "sigmoid")
    optimizer = SGD(model.parameters(), lr=0.5)
    optimizer.zero_grad()
    losses.squared_error(model(x.tolist()), y).backward()
    optimizer.step()
    after, _ = to_numpy(model)
    for l in (1, 2):
        assert np.allclose(after[l], weights[l] - 0.5 * matrix.dW[l], rtol=TOL, atol=TOL)


def test_seed_003_output_and_hidden_deltas():
    """Seed 003 (Bishop 4.8): tanh hidden units, linear outputs, E = 1/2 sum_k (y_k - t_k)^2.
    In its notation a is the pre-activation and z = g(a) the activation (the reverse of ours):
    delta_k = y_k - t_k; delta_j = (1 - z_j^2) sum_k w_kj delta_k; dE/dw_ji = delta_j z_i."""
    rng = np.random.default_rng(3)
    model = MLP(3, [5, 2], activation="tanh", output_activation="linear", seed=8)
    inputs, t = rng.uniform(-1, 1, 3).tolist(), rng.uniform(-1, 1, 2).tolist()
    E = losses.squared_error(model(inputs), t)
    E.backward()
    nodes = nodes_by_label(E)
    hidden, output = model.layers
    w = lambda layer, j, i: layer.neurons[j].w[i].data  # noqa: E731  w_ji, unit j from unit i
    # the forward pass, unit by unit, in seed 003's notation
    a_hidden = [
        sum(w(hidden, j, i) * inputs[i] for i in range(3)) + hidden.neurons[j].b.data
        for j in range(5)
    ]
    z_hidden = [math.tanh(a_j) for a_j in a_hidden]
    y = [
        sum(w(output, k, j) * z_hidden[j] for j in range(5)) + output.neurons[k].b.data
        for k in range(2)
    ]
    delta_k = [y[k] - t[k] for k in range(2)]  # g is the identity at the outputs
    delta_j = [
        (1 - z_hidden[j] ** 2) * sum(w(output, k, j) * delta_k[k] for k in range(2))
        for j in range(5)
    ]
    for k in range(2):
        assert nodes[f"z[2][{k}]"].grad == pytest.approx(delta_k[k], rel=TOL, abs=TOL)
        for j in range(5):
            dE_dw = output.neurons[k].w[j].grad
            assert dE_dw == pytest.approx(delta_k[k] * z_hidden[j], rel=TOL, abs=TOL)
    for j in range(5):
        assert nodes[f"z[1][{j}]"].grad == pytest.approx(delta_j[j], rel=TOL, abs=TOL)
        for i in range(3):
            assert hidden.neurons[j].w[i].grad == pytest.approx(
                delta_j[j] * inputs[i], rel=TOL, abs=TOL
            )
    weights, biases = to_numpy(model)
    matrix = backprop(weights, biases, inputs, t, "squared_error", "tanh", "linear")
    assert matrix.delta[2][:, 0].tolist() == pytest.approx(delta_k, rel=TOL, abs=TOL)
    assert matrix.delta[1][:, 0].tolist() == pytest.approx(delta_j, rel=TOL, abs=TOL)
    X, T = rng.uniform(-1, 1, (6, 3)), rng.uniform(-1, 1, (6, 2))
    assert crosscheck(model, X, T, "squared_error").ok


# seed 004's XOR batch, as it writes it: one example per column
SEED_004_X = np.array([[0, 1, 0, 1], [0, 0, 1, 1]])
SEED_004_y = np.array([0, 1, 1, 0])
XOR_X, XOR_Y = SEED_004_X.T.tolist(), SEED_004_y.tolist()  # one example per row, as nn takes it


class SigmoidLayer:
    """Seed 004's SigmoidLayer (Python 3), given its weights instead of drawing them."""

    def __init__(self, W, b):
        self.W = np.array(W, dtype=np.float64)
        self.b = np.array(b, dtype=np.float64).reshape(-1, 1)

    def output(self, X):
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        return sigmoid(self.W.dot(X) + self.b)


class SigmoidNetwork:
    """Seed 004's SigmoidNetwork: `gradients` is its `train` up to the learning-rate step,
    transcribed line by line (its W_updates and b_updates); `train` adds the step."""

    def __init__(self, weights, biases):
        self.layers = [SigmoidLayer(W, b) for W, b in zip(weights, biases)]

    def gradients(self, X, y):
        X = np.array(X)
        y = np.array(y)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        if y.ndim == 1:
            y = y.reshape(1, -1)

        # Forward pass - compute a^n for n in {0, ... L}
        layer_outputs = [X]
        for layer in self.layers:
            layer_outputs.append(layer.output(layer_outputs[-1]))

        # Backward pass - compute \partial C/\partial z^m for m in {L, ..., 1}
        cost_partials = [layer_outputs[-1] - y]
        for layer, layer_output in zip(reversed(self.layers), reversed(layer_outputs[:-1])):
            cost_partials.append(
                layer.W.T.dot(cost_partials[-1]) * layer_output * (1 - layer_output)
            )
        cost_partials.reverse()

        # Compute weight gradient step
        W_updates = []
        for cost_partial, layer_output in zip(cost_partials[1:], layer_outputs[:-1]):
            W_updates.append(cost_partial.dot(layer_output.T) / X.shape[1])
        # and biases
        b_updates = [cost_partial.mean(axis=1).reshape(-1, 1) for cost_partial in cost_partials[1:]]
        return W_updates, b_updates

    def train(self, X, y, learning_rate=0.2):
        W_updates, b_updates = self.gradients(X, y)
        for W_update, b_update, layer in zip(W_updates, b_updates, self.layers):
            layer.W -= W_update * learning_rate
            layer.b -= b_update * learning_rate


def test_seed_004_xor_batch_agrees_everywhere(torch):
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=4)
    for against in ("numpy", "torch"):
        report = crosscheck(model, XOR_X, XOR_Y, losses.binary_cross_entropy, against=against)
        assert report.ok, str(report)
        assert report.max_abs_error <= TOL


def engine_xor_gradients(model):
    """The engine's dC/dW^l and dC/db^l for C = the mean cross-entropy over the XOR batch."""
    model.zero_grad()
    example_losses = [losses.binary_cross_entropy(model(x), y) for x, y in zip(XOR_X, XOR_Y)]
    (sum(example_losses[1:], example_losses[0]) / len(XOR_X)).backward()
    dW = [np.array([[w.grad for w in row] for row in layer.W]) for layer in model.layers]
    db = [np.array([[b.grad] for b in layer.b]) for layer in model.layers]  # columns, as 004
    return dW, db


def test_seed_004_sigmoid_network_gives_the_engines_gradients():
    """Seed 004's own NumPy class, given the same weights, computes the engine's gradients of
    C = mean cross-entropy over the XOR batch (its dC/dz^L = a^L - y), and the matrix form's."""
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=4)
    weights, biases = to_numpy(model)
    W_updates, b_updates = SigmoidNetwork(weights, biases).gradients(SEED_004_X, SEED_004_y)
    dW, db = engine_xor_gradients(model)
    matrix = backprop(
        weights, biases, SEED_004_X, SEED_004_y, "binary_cross_entropy", "sigmoid", "sigmoid"
    )
    for l in (1, 2):
        assert np.allclose(dW[l - 1], W_updates[l - 1], rtol=TOL, atol=TOL)
        assert np.allclose(db[l - 1], b_updates[l - 1], rtol=TOL, atol=TOL)
        assert np.allclose(matrix.dW[l], W_updates[l - 1], rtol=TOL, atol=TOL)
        assert np.allclose(matrix.db[l], b_updates[l - 1].ravel(), rtol=TOL, atol=TOL)


def test_seed_004_training_steps_match_the_engines_sgd():
    """Ten of seed 004's XOR training steps (learning rate 1) against nn's SGD on the engine."""
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=5)
    network = SigmoidNetwork(*to_numpy(model))
    optimizer = SGD(model.parameters(), lr=1.0)
    for _ in range(10):
        network.train(SEED_004_X, SEED_004_y, learning_rate=1.0)
        engine_xor_gradients(model)
        optimizer.step()
    weights, biases = to_numpy(model)
    for layer, W, b in zip(network.layers, weights, biases):
        assert np.allclose(W, layer.W, rtol=TOL, atol=TOL)
        assert np.allclose(b, layer.b.ravel(), rtol=TOL, atol=TOL)


# ---- the report ----


def test_report_is_a_readable_table():
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=4)
    report = crosscheck(model, XOR_X, XOR_Y, "binary_cross_entropy")
    assert isinstance(report, CrosscheckReport)
    text = str(report)
    assert text.startswith("crosscheck: scalar engine vs NumPy (nn.vectorized). OK")
    assert "layer  quantity  shape" in text
    for quantity, shape in [
        ("dW", "(2, 2)"),
        ("db", "(2,)"),
        ("delta", "(2, 4)"),
        ("dC/da", "(1, 4)"),
    ]:
        assert any(
            quantity in line and shape in line and line.endswith("ok") for line in text.splitlines()
        )
    assert [(row.layer, row.quantity) for row in report.rows][:4] == [
        (0, "C"),
        (1, "z"),
        (1, "a"),
        (1, "delta"),
    ]
    assert report.max_abs_error == max(row.max_abs_error for row in report.rows)
    assert "ok=True" in repr(report)


def test_a_wrong_derivative_in_the_matrix_form_is_caught_and_located(monkeypatch):
    """The checker can fail: with tanh' off by a factor in the matrix form, the report names
    the deltas and gradients of the tanh layer and below, and nothing of the forward pass."""
    sigma, sigma_prime = vectorized.ACTIVATIONS["tanh"]
    monkeypatch.setitem(
        vectorized.ACTIVATIONS, "tanh", (sigma, lambda z, a: 1.1 * sigma_prime(z, a))
    )
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=1)
    report = crosscheck(model, [[0.5, -1.0], [1.0, 2.0]], [0.3, -0.2], "squared_error")
    assert not report.ok
    assert {(row.layer, row.quantity) for row in report.failures} == {
        (1, "delta"),
        (1, "dW"),
        (1, "db"),
    }
    text = str(report)
    assert "MISMATCH (tol=1e-10) in layer 1 delta, layer 1 dW, layer 1 db" in text
    assert sum(line.endswith("FAIL") for line in text.splitlines()) == 3


def test_tolerance_is_configurable():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    report = crosscheck(model, [[0.5, -1.0]], [0.3], "squared_error", tol=1e-300)
    assert report.tol == 1e-300
    assert report.ok == (report.max_abs_error == 0.0)


def test_the_callers_gradients_are_left_as_they_were():
    model = MLP(2, [3, 1], seed=2)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i) + 0.25
    before = [p.grad for p in model.parameters()]
    crosscheck(model, [[0.5, -1.0], [1.0, 0.0]], [1.0, 0.0], "mse")
    assert [p.grad for p in model.parameters()] == before


def test_inside_no_grad_is_a_clear_error_and_leaves_gradients_alone():
    model = MLP(2, [1], seed=2)
    model.layers[0].neurons[0].w[0].grad = 7.0
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        crosscheck(model, [[0.5, -1.0]], [1.0], "mse")
    assert model.layers[0].neurons[0].w[0].grad == 7.0


def test_a_loss_function_or_its_name_gives_the_same_report():
    model = MLP(2, [3, 2], seed=2)
    X, Y = [[0.1, 0.2], [0.3, -0.4]], [1, 0]
    by_name = crosscheck(model, X, Y, "cross_entropy")
    by_function = crosscheck(model, X, Y, losses.cross_entropy)
    assert by_name.rows == by_function.rows and by_name.loss == by_function.loss == "cross_entropy"


MODEL = MLP(2, [3, 1], seed=0)


@pytest.mark.parametrize(
    "X, Y, kwargs, match",
    [
        ([[0.0, 1.0], [1.0, 0.0]], [1.0], {}, "X has 2 examples but Y has 1 targets"),
        ([[0.0, 1.0, 2.0]], [1.0], {}, "the model has 2 inputs but X has rows of 3"),
        ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [1.0, 2.0, 3.0], {}, r"as in seed 004\? pass X.T"),
        ([[0.0, 1.0]], [[1.0, 2.0]], {}, r"Y must have one row of 1 targets per example"),
        ([[0.0, float("nan")]], [1.0], {}, "X must be finite"),
        ([], [], {}, "X must have one example per row"),
        ([[0.0, 1.0]], [1.0], {"loss": lambda a, y: a}, "the matrix form knows the losses"),
        ([[0.0, 1.0]], [1.0], {"loss": "l1"}, "the matrix form knows the losses"),
        (
            [[0.0, 1.0]],
            [1.0],
            {"against": "jax"},
            r"unknown reference \(against=\) 'jax'; expected one of \['numpy', 'torch'\]",
        ),
        ([[0.0, 1.0]], [1.0], {"tol": 0}, "tol must be a positive number"),
        ([[0.0, 1.0]], [2.0], {"loss": "hinge"}, "hinge needs labels"),
        ([[0.0, 1.0]], [1.5], {"loss": "binary_cross_entropy"}, "probability"),
    ],
)
def test_bad_batches_are_value_errors(X, Y, kwargs, match):
    kwargs = {"loss": "squared_error", **kwargs}
    with pytest.raises(ValueError, match=match):
        crosscheck(MODEL, X, Y, **kwargs)


@pytest.mark.parametrize("Y", [[2], [0.0], [True]])
def test_cross_entropy_targets_must_be_class_indices(Y):
    model = MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="cross_entropy's targets must be"):
        crosscheck(model, [[0.0, 1.0]], Y, "cross_entropy")


def test_crosscheck_needs_an_mlp():
    with pytest.raises(TypeError, match="crosscheck needs an nn.MLP, got Layer"):
        crosscheck(MODEL.layers[0], [[0.0, 1.0]], [1.0], "mse")


def test_a_single_input_model_takes_a_flat_x():
    model = MLP(1, [2, 1], seed=0)
    assert crosscheck(model, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0], "mse").n_examples == 3


def test_report_counts_examples_in_words():
    from nn import MLP
    from nn.crosscheck import crosscheck as check

    model = MLP(2, [3, 1], seed=0)
    assert "1 example;" in str(check(model, [[1.0, 2.0]], [0.5], "squared_error"))
    assert "2 examples;" in str(check(model, [[1.0, 2.0], [0.0, 1.0]], [0.5, 1.0], "squared_error"))


def test_a_report_shows_its_table_in_jupyter():
    from nn import MLP, crosscheck

    model = MLP(2, [3, 1], seed=0)
    report = crosscheck(model, [[0.5, 1.0], [1.0, -1.0]], [1.0, 0.0], loss="mse")
    html = report._repr_html_()
    assert html.startswith("<pre>crosscheck: scalar engine vs NumPy") and "dW" in html
    assert str(report) in html.replace("&gt;", ">").replace("&lt;", "<").replace("&#x27;", "'")

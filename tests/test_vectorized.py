"""The matrix form on its own: each activation's and loss's derivative against central
differences, a whole network's gradients against central differences of its cost, the layout
of what it returns, and every error path. (Its agreement with the scalar engine is in
test_crosscheck.py.)"""

import numpy as np
import pytest

from nn import losses
from nn.convert import to_numpy
from nn.modules import MLP
from nn.vectorized import (
    ACTIVATIONS,
    LOSSES,
    Layers,
    backprop,
    backward,
    check_parameters,
    forward,
    loss_name,
)

H = 1e-6  # central-difference step


def central(f, x):
    """The elementwise central difference of an elementwise f at the array x."""
    return (f(x + H) - f(x - H)) / (2 * H)


def random_network(sizes, rng):
    weights = [rng.uniform(-1, 1, (n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.uniform(-1, 1, n_out) for n_out in sizes[1:]]
    return weights, biases


def targets_for(loss, K, n, rng):
    if loss == "cross_entropy":
        return rng.integers(0, K, n)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (K, n))
    if loss.startswith("binary_cross_entropy"):
        return rng.uniform(0, 1, (K, n))
    return rng.uniform(-2, 2, (K, n))


# points away from the kinks of relu and leaky_relu, so finite differences are valid
SMOOTH_Z = np.array([-3.0, -1.2, -0.4, 0.3, 0.9, 2.5])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_central_difference(name):
    sigma, sigma_prime = ACTIVATIONS[name]
    expected = central(sigma, SMOOTH_Z)
    assert np.allclose(sigma_prime(SMOOTH_Z, sigma(SMOOTH_Z)), expected, rtol=1e-6, atol=1e-8)


def test_derivatives_at_kinks_follow_the_engine():
    z = np.zeros(3)
    assert ACTIVATIONS["relu"][1](z, z).tolist() == [0.0, 0.0, 0.0]  # relu'(0) = 0
    assert ACTIVATIONS["leaky_relu"][1](z, z).tolist() == [0.01, 0.01, 0.01]  # slope at 0


def test_sigmoid_and_softplus_do_not_overflow():
    z = np.array([-800.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert ACTIVATIONS["sigmoid"][0](z).tolist() == [0.0, 1.0]
        assert ACTIVATIONS["softplus"][0](z).tolist() == [0.0, 800.0]


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_derivative_matches_central_difference(name):
    rng = np.random.default_rng(1)
    K, n = 3, 4
    a = rng.uniform(0.1, 0.9, (K, n))  # probabilities, logits and scores alike
    if name == "hinge":
        a = rng.uniform(-3, 3, (K, n))
        a[np.abs(1 - np.abs(a)) < 1e-3] = 0.5  # away from the kink y a = 1
    y = targets_for(name, K, n, rng)
    L_x, dL_da = LOSSES[name](a, y)
    assert L_x.shape == (n,) and dL_da.shape == (K, n)
    for k in range(K):
        for i in range(n):
            up, down = a.copy(), a.copy()
            up[k, i] += H
            down[k, i] -= H
            numeric = (LOSSES[name](up, y)[0][i] - LOSSES[name](down, y)[0][i]) / (2 * H)
            assert dL_da[k, i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values_match_nn_losses_example_by_example(name):
    rng = np.random.default_rng(2)
    K, n = 2, 3
    a = rng.uniform(0.1, 0.9, (K, n))
    y = targets_for(name, K, n, rng)
    L_x, _ = LOSSES[name](a, y)
    for i in range(n):
        target = int(y[i]) if name == "cross_entropy" else y[:, i].tolist()
        expected = losses.LOSSES[name](a[:, i].tolist(), target).data
        assert L_x[i] == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
def test_network_gradients_match_central_differences_of_the_cost(activation, loss):
    rng = np.random.default_rng(3)
    weights, biases = random_network([3, 4, 2], rng)
    x = rng.uniform(-2, 2, (3, 5))
    y = targets_for(loss, 2, 5, rng)
    result = backprop(weights, biases, x, y, loss, activation, "tanh")

    def cost():
        return backprop(weights, biases, x, y, loss, activation, "tanh").C

    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        for P, dP in ((W, result.dW[l]), (b, result.db[l])):
            for index in np.ndindex(P.shape):
                saved = P[index]
                P[index] = saved + H
                up = cost()
                P[index] = saved - H
                down = cost()
                P[index] = saved
                assert dP[index] == pytest.approx((up - down) / (2 * H), rel=1e-5, abs=1e-8)


def test_lists_are_indexed_by_the_seeds_layer_number():
    rng = np.random.default_rng(4)
    weights, biases = random_network([2, 3, 1], rng)
    x = rng.uniform(-1, 1, (2, 4))
    r = backprop(weights, biases, x, rng.uniform(-1, 1, (1, 4)), "squared_error")
    for name in ("z", "delta", "dW", "db"):  # layer 0, the input, has none of them
        layers = getattr(r, name)
        assert isinstance(layers, Layers) and list(layers.indices) == [1, 2]
        with pytest.raises(IndexError, match=rf"{name}\[0\]: layer 0 is the input x, which"):
            layers[0]
    assert list(r.a.indices) == [0, 1, 2] and np.array_equal(r.a[0], x)
    assert [r.z[l].shape for l in (1, 2)] == [(3, 4), (1, 4)]
    assert [r.dW[l].shape for l in (1, 2)] == [(3, 2), (1, 3)]
    assert [r.db[l].shape for l in (1, 2)] == [(3,), (1,)]
    # z^l = W^l a^(l-1) + b^l, column by column
    for k in range(4):
        assert np.allclose(r.z[1][:, k], weights[0] @ x[:, k] + biases[0], rtol=1e-15)


def test_layers_read_in_order_count_from_the_end_and_refuse_slices():
    rng = np.random.default_rng(4)
    weights, biases = random_network([2, 3, 1], rng)
    r = backprop(weights, biases, rng.uniform(-1, 1, (2, 4)), np.zeros((1, 4)), "mse")
    assert len(r.dW) == 2 and [dW.shape for dW in r.dW] == [(3, 2), (1, 3)]
    assert [l for l, _ in r.dW.items()] == [1, 2] and list(reversed(r.dW))[0] is r.dW[2]
    assert r.dW[-1] is r.dW[2] and r.dW[-2] is r.dW[1] and r.a[-3] is r.a[0]
    assert "Layers(dW, {1: array(" in repr(r.dW)
    with pytest.raises(IndexError, match=r"dW\[3\]: there is no layer 3; dW holds layers 1..2"):
        r.dW[3]
    with pytest.raises(IndexError, match=r"dW\[-3\]: counting from the end, dW has 2"):
        r.dW[-3]
    with pytest.raises(TypeError, match=r"dW cannot be sliced.*list\(dW\)"):
        r.dW[1:]
    with pytest.raises(TypeError):
        r.dW["1"]


def test_weights_may_be_layers_or_lists_in_order():
    model = MLP(2, [3, 1], seed=0)
    weights, biases = to_numpy(model)
    x, y = np.array([[0.5], [-1.0]]), np.array([[0.25]])
    from_layers = backprop(weights, biases, x, y, "squared_error")
    from_lists = backprop(list(weights), list(biases), x, y, "squared_error")
    assert all(np.array_equal(p, q) for p, q in zip(from_layers.dW, from_lists.dW))
    assert from_layers.a[-1][0, 0] == model([0.5, -1.0]).data
    W, b = check_parameters(list(weights), [b_l.reshape(-1, 1) for b_l in biases])
    assert W[1].shape == (3, 2) and b[2].shape == (1,)
    with pytest.raises(ValueError, match="weights must be numbered from layer 1, got a numbe"):
        forward(from_layers.a, biases, x)


def test_backward_refuses_the_old_layout_indexed_by_layer():
    rng = np.random.default_rng(6)
    weights, biases = random_network([2, 2], rng)
    x = rng.uniform(-1, 1, (2, 3))
    z, a = forward(weights, biases, x)
    delta, _, _ = backward(weights, list(z), list(a), np.ones((2, 3)))  # lists in order work
    assert np.array_equal(delta[1], backward(weights, z, a, np.ones((2, 3)))[0][1])
    with pytest.raises(ValueError, match="z is read in order, layer 1 first, but its first en"):
        backward(weights, [None, *z], a, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"a must hold 2 layers \(0..1\), got 1"):
        backward(weights, z, [x], np.ones((2, 3)))


def test_delta_is_the_seeds_recursion():
    rng = np.random.default_rng(5)
    weights, biases = random_network([2, 3, 2], rng)
    x = rng.uniform(-1, 1, (2, 3))
    y = rng.uniform(-1, 1, (2, 3))
    r = backprop(weights, biases, x, y, "squared_error", "tanh", "sigmoid")
    assert np.array_equal(r.dC_da, (r.a[2] - y) / 3)  # the mean over 3 examples
    assert np.array_equal(r.delta[2], r.dC_da * r.a[2] * (1 - r.a[2]))
    assert np.array_equal(r.delta[1], (weights[1].T @ r.delta[2]) * (1 - r.a[1] * r.a[1]))
    assert np.array_equal(r.dW[1], r.delta[1] @ x.T)
    assert np.array_equal(r.db[2], r.delta[2].sum(axis=1))


def test_forward_and_backward_compose_to_backprop():
    rng = np.random.default_rng(6)
    weights, biases = random_network([2, 2], rng)
    x = rng.uniform(-1, 1, (2, 3))
    z, a = forward(weights, biases, x, "relu", "sigmoid")
    delta, dW, db = backward(weights, z, a, np.ones((2, 3)), "relu", "sigmoid")
    assert np.array_equal(delta[1], a[1] * (1 - a[1]))  # dC/da = 1: delta = sigma'(z)


def test_one_example_may_be_a_vector():
    rng = np.random.default_rng(7)
    weights, biases = random_network([3, 2], rng)
    x = rng.uniform(-1, 1, 3)
    one = backprop(weights, biases, x, [0.5, -0.5], "squared_error")
    column = backprop(weights, biases, x.reshape(3, 1), [[0.5], [-0.5]], "squared_error")
    assert np.array_equal(one.dW[1], column.dW[1]) and one.C == column.C


def test_a_bias_column_is_accepted():
    rng = np.random.default_rng(8)
    weights, biases = random_network([2, 2], rng)
    x = rng.uniform(-1, 1, (2, 2))
    flat = backprop(weights, biases, x, np.zeros((2, 2)), "mse")
    column = backprop(weights, [b.reshape(-1, 1) for b in biases], x, np.zeros((2, 2)), "mse")
    assert np.array_equal(flat.dW[1], column.dW[1])


def test_loss_name_accepts_names_and_nn_losses_functions():
    assert loss_name("hinge") == "hinge"
    assert loss_name(losses.binary_cross_entropy) == "binary_cross_entropy"


@pytest.mark.parametrize("loss", ["no_such_loss", lambda a, y: a, 3])
def test_unknown_loss_is_a_value_error(loss):
    with pytest.raises(ValueError, match="the matrix form knows the losses"):
        loss_name(loss)


ONE_LAYER = ([np.ones((1, 2))], [np.zeros(1)])


@pytest.mark.parametrize(
    "weights, biases, match",
    [
        ([np.ones((3, 2)), np.ones((1, 4))], [np.zeros(3), np.zeros(1)], "do not chain"),
        ([np.ones((3, 2))], [np.zeros(2)], r"b\^1 must have shape \(3,\)"),
        ([np.ones(3)], [np.zeros(3)], r"W\^1 must be a matrix"),
        ([], [], "at least one layer"),
        ([np.ones((1, 2))], [], "one bias vector per weight matrix"),
        ([np.array([[1.0, np.nan]])], [np.zeros(1)], r"W\^1 must be finite"),
        ([np.ones((1, 2))], [np.array([np.inf])], r"b\^1 must be finite"),
        ([[[1.0, 2.0], [3.0]]], [np.zeros(2)], "rectangular"),
    ],
)
def test_bad_parameters_are_value_errors(weights, biases, match):
    with pytest.raises(ValueError, match=match):
        forward(weights, biases, np.zeros((2, 1)))


def test_non_numeric_weights_are_a_type_error():
    with pytest.raises(TypeError, match=r"W\^1 must hold real numbers"):
        forward([np.array([["a", "b"]])], [np.zeros(1)], np.zeros((2, 1)))


def test_x_with_the_wrong_number_of_rows_is_a_value_error():
    with pytest.raises(ValueError, match="2 rows"):
        forward(*ONE_LAYER, np.zeros((3, 4)))


def test_non_finite_x_is_a_value_error():
    with pytest.raises(ValueError, match="x must be finite"):
        forward(*ONE_LAYER, np.array([[np.nan], [0.0]]))


def test_unknown_activation_is_a_value_error():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        forward(*ONE_LAYER, np.zeros((2, 1)), activation="gelu")


def test_y_of_the_wrong_shape_is_a_value_error():
    with pytest.raises(ValueError, match=r"y must have the shape of the output a\^L, \(1, 3\)"):
        backprop(*ONE_LAYER, np.zeros((2, 3)), np.zeros((2, 3)), "squared_error")


@pytest.mark.parametrize(
    "y, match",
    [([[0.5, 1.5]], "probabilities in"), ([[1.0, 0.0]], "infinite")],
)
def test_binary_cross_entropy_outside_its_domain_is_a_value_error(y, match):
    weights, biases = [np.zeros((1, 2))], [np.array([-800.0])]  # sigmoid output exactly 0
    with pytest.raises(ValueError, match=match):
        backprop(weights, biases, np.zeros((2, 2)), y, "binary_cross_entropy", "tanh", "sigmoid")


def test_binary_cross_entropy_of_a_linear_output_outside_0_1_is_a_value_error():
    weights, biases = [np.zeros((1, 2))], [np.array([2.0])]
    with pytest.raises(ValueError, match="prediction must be probabilities"):
        backprop(weights, biases, np.zeros((2, 1)), [[1.0]], "binary_cross_entropy")


def test_hinge_labels_must_be_plus_or_minus_one():
    with pytest.raises(ValueError, match="hinge needs labels -1 or \\+1, got 0.5"):
        backprop(*ONE_LAYER, np.zeros((2, 2)), [[1.0, 0.5]], "hinge")


@pytest.mark.parametrize("y", [[0, 2], [0.0, 1.0], [0]])
def test_cross_entropy_needs_a_class_index_per_example(y):
    weights, biases = [np.ones((2, 2))], [np.zeros(2)]
    with pytest.raises(ValueError, match="one class index in 0..1 per example"):
        backprop(weights, biases, np.zeros((2, 2)), y, "cross_entropy")


def test_cross_entropy_needs_two_outputs():
    with pytest.raises(ValueError, match="at least 2 outputs"):
        backprop(*ONE_LAYER, np.zeros((2, 2)), [0, 0], "cross_entropy")

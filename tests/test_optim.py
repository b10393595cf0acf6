"""SGD and Adam against torch.optim, step by step on the same gradients, and their errors."""

import importlib
import math

import pytest

from autograd import Value
from nn.modules import MLP
from nn.optim import SGD, Adam, Optimizer

START = [0.5, -1.25, 2.0, 0.0]
# the gradients fed to both optimizers at steps 1, 2, 3, ...: signs change, sizes differ
GRADIENTS = [
    [0.1, -0.4, 1.5, 0.0],
    [-0.3, -0.2, 1.0, 2e-3],
    [0.25, 0.5, -0.75, -1e-4],
    [0.0, 0.1, 0.2, 3.0],
    [1e-6, -2.0, 0.5, 0.7],
]


def run_ours(make, steps=None):
    params = [Value(x) for x in START]
    optimizer = make(params)
    trajectory = []
    for g in GRADIENTS[:steps]:  # None: all of them
        for p, g_i in zip(params, g):
            p.grad = g_i
        optimizer.step()
        trajectory.append([p.data for p in params])
    return trajectory


def run_torch(torch, name, kwargs):
    """torch.optim's own update functions, torch.optim.sgd.sgd and torch.optim.adam.adam: the
    code that torch.optim.SGD.step and Adam.step run. (Constructing the optimizer classes imports
    torch._dynamo, 10 to 15 s on this machine, for no difference in the arithmetic.)"""
    update = importlib.import_module(f"torch.optim.{name}")  # torch.optim.sgd, torch.optim.adam
    params = [torch.tensor(x, dtype=torch.float64) for x in START]
    if name == "sgd":
        buffers = [None] * len(params)  # the momentum buffers, created by the first step
        hyper = dict(momentum=0.0, weight_decay=0.0) | kwargs
    else:
        exp_avgs = [torch.zeros((), dtype=torch.float64) for _ in params]
        exp_avg_sqs = [torch.zeros((), dtype=torch.float64) for _ in params]
        steps = [torch.tensor(0.0) for _ in params]
        hyper = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) | kwargs
    trajectory = []
    for g in GRADIENTS:
        grads = [torch.tensor(g_i, dtype=torch.float64) for g_i in g]
        if name == "sgd":
            update.sgd(
                params,
                grads,
                buffers,
                foreach=False,
                dampening=0.0,
                nesterov=False,
                maximize=False,
                **hyper,
            )
        else:
            beta1, beta2 = hyper["betas"]
            update.adam(
                params,
                grads,
                exp_avgs,
                exp_avg_sqs,
                [],
                steps,
                foreach=False,
                amsgrad=False,
                beta1=beta1,
                beta2=beta2,
                lr=hyper["lr"],
                weight_decay=hyper["weight_decay"],
                eps=hyper["eps"],
                maximize=False,
            )
        trajectory.append([p.item() for p in params])
    return trajectory


SETTINGS = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.5, momentum=0.9)),
    ("sgd", dict(lr=0.05, weight_decay=0.1)),
    ("sgd", dict(lr=0.2, momentum=0.5, weight_decay=0.01)),
    ("adam", dict(lr=1e-3)),
    ("adam", dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
    ("adam", dict(lr=0.05, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, kwargs", SETTINGS)
def test_steps_match_torch_optim(torch, name, kwargs):
    ours = {"sgd": SGD, "adam": Adam}[name]
    mine = run_ours(lambda params: ours(params, **kwargs))
    reference = run_torch(torch, name, kwargs)
    for step, (a, b) in enumerate(zip(mine, reference), start=1):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), f"step {step}"


def test_plain_sgd_is_the_seeds_update():
    (after,) = run_ours(lambda params: SGD(params, lr=0.1), steps=1)
    assert after == [x - 0.1 * g for x, g in zip(START, GRADIENTS[0])]


def test_sgd_momentum_accumulates_a_velocity():
    mu, lr = 0.9, 0.5
    first, second = run_ours(lambda params: SGD(params, lr=lr, momentum=mu), steps=2)
    v1 = GRADIENTS[0]
    v2 = [mu * v + g for v, g in zip(v1, GRADIENTS[1])]
    assert first == pytest.approx([x - lr * v for x, v in zip(START, v1)], rel=1e-15)
    assert second == pytest.approx([x - lr * v for x, v in zip(first, v2)], rel=1e-15)


def test_adams_first_step_moves_each_weight_by_about_lr():
    """With bias correction, m_hat / sqrt(v_hat) = g / |g| at step 1: every parameter with a
    non-zero gradient moves by lr (less eps), against its gradient's sign."""
    (after,) = run_ours(lambda params: Adam(params, lr=0.01), steps=1)
    for x0, x1, g in zip(START, after, GRADIENTS[0]):
        if g:
            assert x1 - x0 == pytest.approx(-0.01 * math.copysign(1, g), rel=1e-6)
        else:
            assert x1 == x0


def test_zero_grad_clears_every_parameter_it_holds():
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 1.5
    for optimizer in (SGD(model.parameters(), 0.1), Adam(model.parameters())):
        optimizer.zero_grad()
        assert all(p.grad == 0.0 for p in model.parameters())
        for p in model.parameters():
            p.grad = 1.5


def test_a_step_changes_every_parameter_with_a_gradient_in_place():
    model = MLP(2, [3, 1], seed=0)
    params = model.parameters()
    before = [p.data for p in params]
    for p in params:
        p.grad = 1.0
    SGD(params, 0.25).step()
    assert [p.data for p in model.parameters()] == [x - 0.25 for x in before]
    assert all(p is q for p, q in zip(params, model.parameters()))


def test_the_base_class_has_no_step():
    with pytest.raises(NotImplementedError):
        Optimizer([Value(1.0)], 0.1).step()


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: SGD(p, lr=0), ValueError, "lr must be a positive number, got 0"),
        (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be a positive number, got -0.1"),
        (lambda p: SGD(p, lr=math.inf), ValueError, "lr must be a finite positive number"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "lr must be a finite positive number"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a positive number, got str"),
        (lambda p: SGD(p, lr=None), TypeError, "lr must be a positive number, got NoneType"),
        (lambda p: SGD(p, lr=True), TypeError, "lr must be a positive number, got bool"),
        (lambda p: SGD(p, 0.1, momentum=-0.5), ValueError, "momentum must be a non-negative numb"),
        (lambda p: SGD(p, 0.1, weight_decay=-1), ValueError, "weight_decay must be a non-negati"),
        (lambda p: Adam(p, lr=0), ValueError, "lr must be a positive number, got 0"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=(1.5, 0.9)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be a non-negativ"),
        (lambda p: Adam(p, betas=0.9), TypeError, r"betas must be a pair \(beta1, beta2\)"),
        (lambda p: Adam(p, betas=(0.9,)), TypeError, r"betas must be a pair"),
        (lambda p: Adam(p, betas=("a", 0.9)), TypeError, r"betas\[0\] must be a non-negative nu"),
        (lambda p: Adam(p, eps=0), ValueError, "eps must be a positive number, got 0"),
        (lambda p: Adam(p, weight_decay=-1), ValueError, "weight_decay must be a non-negative"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0)])


def test_bad_params_are_clear_errors():
    model = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"params must be a list of Values \(pass model.param"):
        SGD(model, 0.1)
    with pytest.raises(TypeError, match="params must be a list of Values, got Value"):
        SGD(Value(1.0), 0.1)
    with pytest.raises(TypeError, match="params must be a list of Values, got float"):
        Adam(1.0)
    with pytest.raises(ValueError, match="the optimizer got no parameters"):
        SGD([], 0.1)
    with pytest.raises(TypeError, match="parameters must be Values, got float"):
        SGD([Value(1.0), 2.0], 0.1)
    p = Value(1.0)
    with pytest.raises(ValueError, match="appears more than once in params"):
        Adam([p, Value(2.0), p])


def test_params_may_be_any_iterable():
    model = MLP(2, [2], seed=0)
    optimizer = SGD(iter(model.parameters()), 0.1)
    assert optimizer.params == model.parameters()


# ---- PyTorch habits: set_to_none, resuming from a state dict ----


def test_zero_grad_set_to_none_and_step_skips_parameters_without_a_gradient():
    model = MLP(2, [2, 1], seed=0)
    optimizer = Adam(model.parameters(), lr=0.1)
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    before = [p.data for p in model.parameters()]
    optimizer.step()  # no gradient anywhere: nothing moves
    assert [p.data for p in model.parameters()] == before
    loss = model([0.5, -1.0]) ** 2
    loss.backward()  # None counts as "no gradient yet"
    assert all(isinstance(p.grad, float) for p in model.parameters())
    optimizer.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in optimizer.params)
    SGD(model.parameters(), 0.1).zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, lr=0.05), lambda ps: SGD(ps, 0.1, 0.9)])
def test_a_run_stopped_and_resumed_from_state_dicts_is_the_same_run(make):
    import json

    from nn import fit
    from nn.datasets import moons

    X, Y = moons(20, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)
    optimizer = make(model.parameters())
    fit(model, X, Y, loss="hinge", optimizer=optimizer, epochs=3, progress=False)
    saved = json.loads(json.dumps([model.state_dict(), optimizer.state_dict()]))  # plain data
    fit(model, X, Y, loss="hinge", optimizer=optimizer, epochs=3, progress=False)
    resumed = MLP(2, [4, 1], seed=99)
    resumed.load_state_dict(saved[0])
    again = make(resumed.parameters())
    again.load_state_dict(saved[1])
    assert again.state_dict() == saved[1]
    fit(resumed, X, Y, loss="hinge", optimizer=again, epochs=3, progress=False)
    assert [p.data for p in resumed.parameters()] == [p.data for p in model.parameters()]


def test_load_state_dict_checks_everything_before_changing_anything():
    params = MLP(2, [2, 1], seed=0).parameters()
    adam = Adam(params, lr=0.1)
    good = adam.state_dict()
    for bad, message in [
        ({**good, "type": "SGD"}, "a state of 'SGD', not of Adam"),
        ({**good, "parameters": 3}, "for 3 parameters; this optimizer has 9"),
        ({**good, "m": [0.0]}, "m must be a list of 9 numbers"),
        ({**good, "v": ["x"] * 9}, "v\\[0\\] must be a number"),
        ({**good, "lr": -1.0}, "lr must be a positive number"),
        ({k: v for k, v in good.items() if k != "t"}, "expected"),
    ]:
        with pytest.raises((ValueError, TypeError), match=message):
            adam.load_state_dict(bad)
        assert adam.state_dict() == good


def test_optimizers_have_a_readable_repr():
    params = MLP(2, [2, 1], seed=0).parameters()
    assert repr(Adam(params)) == (
        "Adam(9 parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, step 0)"
    )
    assert repr(SGD(params, 0.5, momentum=0.9)) == (
        "SGD(9 parameters, lr=0.5, momentum=0.9, weight_decay=0.0)"
    )

"""The engine's two builds: autograd/value.py compiled by Cython, and run as Python.

Which one runs and why, the switch that forces pure Python, a compiled module built from another
value.py never used, both builds giving the same bits on random graphs, pickles that load in
either build, and an install without a C compiler. The rest of the suite runs against whichever
build is in use; CI runs the whole suite against both (.ci/run)."""

import gc
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autograd
from autograd import Constant, Parameter, Value, engine, linear, topological_order
from autograd import value as value_module
from autograd.value import record

ROOT = Path(__file__).resolve().parent.parent
PURE = {**os.environ, engine.SWITCH: "1"}
NOT_PURE = {k: v for k, v in os.environ.items() if k != engine.SWITCH}


def run(code, env=None, cwd=ROOT, check=True):
    """Run Python code in a fresh interpreter; its CompletedProcess (text)."""
    result = subprocess.run(
        [sys.executable, "-c", code], env=env or NOT_PURE, cwd=cwd, capture_output=True, text=True
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def c_compiler():
    """Whether this machine can build the compiled engine: a C compiler and Python's headers."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which(cc) is not None and headers.is_file()


compiled_only = pytest.mark.skipif(
    autograd.ENGINE != "compiled", reason="the compiled engine is not in use here"
)


# ---- which engine runs, and the switch ----


def test_the_engine_in_use_is_told():
    assert autograd.ENGINE in ("compiled", "python")
    assert value_module.COMPILED is (autograd.ENGINE == "compiled")
    assert (autograd.ENGINE_REASON == "") is (autograd.ENGINE == "compiled")
    assert sys.modules["autograd.value"] is value_module is autograd.value


@pytest.mark.skipif(os.environ.get(engine.SWITCH, "") not in ("", "0"), reason="switch is set")
def test_the_compiled_engine_runs_where_a_c_compiler_exists():
    if not c_compiler():
        pytest.skip("no C compiler or no Python headers here: the pure-Python engine is expected")
    assert autograd.ENGINE == "compiled", (
        f"the pure-Python engine runs ({autograd.ENGINE_REASON}); build the compiled one with "
        "`make engine` (or `pip install -e .`)"
    )


def test_the_switch_forces_the_pure_python_engine_which_can_be_read_and_extended():
    out = run(
        "import inspect, autograd\n"
        "from autograd import Value\n"
        "print(autograd.ENGINE, '|', autograd.ENGINE_REASON)\n"
        "print(autograd.value.__file__)\n"
        "print('def backward' in inspect.getsource(Value))\n"
        "Value.double = lambda self: self * 2\n"  # a lesson adding a method by hand
        "print(Value(1.5).double().data)\n",
        env=PURE,
    ).stdout.splitlines()
    assert out[0] == f"python | {engine.SWITCH} is set"
    assert out[1].endswith("value.py") and out[2:] == ["True", "3.0"]


def test_values_can_be_given_new_methods_and_patched_in_either_build(monkeypatch):
    monkeypatch.setattr(Value, "twice", lambda self: self + self, raising=False)
    assert Value(1.25).twice().data == 2.5
    assert Parameter(1.0).twice().op == "+"  # subclasses see it too


def test_without_cython_installed_the_pure_python_engine_runs_on_the_stand_in():
    out = run(
        "import sys; sys.modules['cython'] = None\n"  # `import cython` now raises ImportError
        "import autograd\n"
        "x = autograd.Value(2.0); y = (x * x).tanh(); y.backward()\n"
        "print(autograd.ENGINE, autograd.value.cython.__name__, x.grad)\n",
        env=PURE,
    ).stdout.split()
    assert out[:2] == ["python", "autograd.cython_stub"] and float(out[2]) != 0.0


@compiled_only
def test_compiled_values_and_their_tuples_are_left_to_reference_counting():
    x = Value(2.0)
    y = x * x + 1.0
    assert not gc.is_tracked(x) and not gc.is_tracked(y)
    assert not gc.is_tracked(y.inputs) and not gc.is_tracked(y.local_grads)


@compiled_only
def test_tuples_made_while_the_collector_is_paused_are_left_to_its_next_collection():
    """train_step pauses the collector: record() then skips untracking (5% of such a step); the
    collector's next pass untracks the tuples, which hold only untracked objects, by itself."""
    x = Value(2.0)
    enabled = gc.isenabled()
    gc.disable()
    try:
        y = x * x
        assert gc.is_tracked(y.inputs)
    finally:
        if enabled:
            gc.enable()
    gc.collect()
    assert not gc.is_tracked(y.inputs) and not gc.is_tracked(y.local_grads)


def test_grad_is_a_float_or_none_and_refuses_anything_else_in_both_builds():
    """.grad is a property in both builds (compiled: a C double beside a None flag): a number
    set by hand is kept as a float, and anything else is refused at once, leaving .grad as it
    was."""
    x = Value(2.0)
    assert x.grad == 0.0 and type(x.grad) is float
    x.grad = 3
    assert x.grad == 3.0 and type(x.grad) is float
    x.grad = None
    for bad in ("1.0", [1.0], True, Value(1.0)):
        with pytest.raises(TypeError, match="grad must be a number"):
            x.grad = bad
        assert x.grad is None
    (x * 5.0).backward()
    assert x.grad == 5.0
    x.grad = np.float32(0.5)
    assert x.grad == 0.5 and type(x.grad) is float
    x.grad = -0.0
    assert math.copysign(1.0, x.grad) == -1.0


def test_init_starts_the_gradient_at_zero_even_on_a_used_value():
    class Weight(Parameter):
        def __init__(self, data):
            self.grad = None  # set before Value.__init__, which starts it at 0
            super().__init__(data)

    assert Weight(1.0).grad == 0.0
    x = Value(2.0)
    (x * 3.0).backward()
    x.__init__(5.0)
    assert (x.data, x.grad) == (5.0, 0.0)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (NumPy's inf - inf)
def test_an_op_whose_numpy_result_is_inf_is_an_overflow_error_in_both_builds():
    x = Value(1.0)
    with pytest.raises(OverflowError, match="myop of 1.0 is too large for a float"):
        record(np.float32(np.inf), (x,), (1.0,), "myop")


def test_a_grad_of_none_accumulates_from_zero_in_both_builds():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x
    x.grad, y.grad = None, None
    z.backward()
    assert (x.grad, y.grad) == (4.0, 2.0)
    z.backward()
    assert (x.grad, y.grad) == (8.0, 4.0)
    a = Value(-0.0)
    a.grad = None
    (a * 0.0).backward()  # 0.0 + 0.0 * 1.0: +0.0, as in the pure-Python build
    assert math.copysign(1.0, a.grad) == 1.0


@compiled_only
def test_the_compiled_walk_goes_by_identity_and_never_hashes_a_value():
    """The compiled walk marks each node with its walk's number (64 bits: the numbers never run
    out), so a Value subclass that cannot be hashed is walked like any other."""

    class Unhashable(Value):
        def __eq__(self, other):
            return isinstance(other, Value) and self.data == other.data

    x = Unhashable(2.0)
    root = x * x + x
    root.backward()
    assert x.grad == 5.0 and topological_order(root) == [x, root.inputs[0], root]


def test_linear_rows_hold_each_input_once_and_let_go_of_all_of_them():
    """linear() builds each row's tuples in place in the compiled build (capi.joined): every
    object is held once per row that uses it, and deleting the rows gives every reference back."""
    W = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], [Value(5.0), Value(6.0)]]
    x, b = [Value(7.0), Value(8.0)], [Value(0.5), Value(1.5), Value(2.5)]
    objects = [*W[0], *W[1], *W[2], *x, *b]
    before = [sys.getrefcount(v) for v in objects]
    zs = linear(W, x, b)
    for z, row, b_j in zip(zs, W, b):
        assert z.inputs == (*row, *x, b_j)
        assert z.local_grads == (7.0, 8.0, row[0].data, row[1].data, 1.0)
    del z, row, b_j
    now = [sys.getrefcount(v) for v in objects]
    assert [n - m for n, m in zip(now, before)] == [1] * 6 + [3, 3] + [1] * 3  # x: in every row
    del zs
    assert [sys.getrefcount(v) for v in objects] == before


# ---- a compiled module built from another value.py is never used ----


def copy_of_autograd(tmp_path):
    shutil.copytree(ROOT / "autograd", tmp_path / "autograd", ignore=shutil.ignore_patterns("*.c"))
    return tmp_path / "autograd"


REPORT = (
    "import autograd\n"
    "x = autograd.Value(3.0); (x * x).backward()\n"
    "print(autograd.ENGINE, x.grad, '|', autograd.ENGINE_REASON)\n"
)


@compiled_only
def test_a_copy_of_the_compiled_engine_with_its_own_source_is_used(tmp_path):
    copy_of_autograd(tmp_path)
    out = run(REPORT, cwd=tmp_path, env={**NOT_PURE, "PYTHONPATH": str(tmp_path)})
    assert out.stdout.split()[:2] == ["compiled", "6.0"] and "Warning" not in out.stderr


@compiled_only
def test_a_stale_compiled_engine_is_never_used_and_says_so_once(tmp_path):
    package = copy_of_autograd(tmp_path)
    source = package / "value.py"
    source.write_text(source.read_text() + "\n# an edit since the last build\n")
    out = run(REPORT, cwd=tmp_path, env={**NOT_PURE, "PYTHONPATH": str(tmp_path)})
    assert out.stdout.split()[:2] == ["python", "6.0"]  # the pure-Python engine, same numbers
    assert "was built from another version of value.py" in out.stdout
    assert out.stderr.count("StaleEngineWarning") == 1
    assert "make engine" in out.stderr


@compiled_only
def test_a_compiled_module_without_the_builds_stamp_is_not_used(tmp_path):
    package = copy_of_autograd(tmp_path)
    (compiled,) = engine.compiled_modules()
    data = (package / compiled.name).read_bytes().replace(engine.STAMP, b"x" * len(engine.STAMP))
    (package / compiled.name).write_bytes(data)
    out = run(REPORT, cwd=tmp_path, env={**NOT_PURE, "PYTHONPATH": str(tmp_path)})
    assert out.stdout.split()[:2] == ["python", "6.0"]


@compiled_only
def test_a_damaged_compiled_engine_without_value_py_is_a_clear_import_error(tmp_path):
    package = copy_of_autograd(tmp_path)
    (compiled,) = engine.compiled_modules()
    (package / compiled.name).write_bytes(b"not a shared library")
    (package / "value.py").unlink()
    out = run(REPORT, cwd=tmp_path, env={**NOT_PURE, "PYTHONPATH": str(tmp_path)}, check=False)
    assert out.returncode == 1
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith(f"ImportError: chainrule: {compiled.name} cannot be loaded (")
    )
    assert "reinstall chainrule" in out.stderr and "FileNotFoundError" not in out.stderr


def test_the_build_writes_the_stamp_the_engine_looks_for():
    setup_py = (ROOT / "setup.py").read_text()
    assert f'STAMP = "{engine.STAMP.decode()}"' in setup_py
    assert f'SWITCH = "{engine.SWITCH}"' in setup_py


def test_cython_is_pinned_to_one_version_for_the_build_and_the_tests():
    pins = re.findall(r'"[Cc]ython==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert len(pins) == 2 and len(set(pins)) == 1, pins


# ---- both builds give the same bits ----

WORKOUT = r"""
import math, pickle, random, sys
import numpy as np
import autograd
from autograd import Value, Parameter, linear, no_grad, total, topological_order, weighted_sum

out = [autograd.ENGINE]
def show(*xs):
    out.append(" ".join(x.hex() if isinstance(x, float) else repr(x) for x in xs))
def attempt(f):
    try:
        r = f()
        show("ok", r.data if isinstance(r, Value) else r)
    except Exception as e:
        show(type(e).__name__, str(e))

rng = random.Random(13)
UNARY = ["exp", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "neg", "abs", "sq", "cube",
         "inv", "sqrt", "log", "pow_half"]
for graph in range(60):
    leaves = [Parameter(rng.uniform(-2, 2), f"p{i}") for i in range(rng.randint(2, 6))]
    nodes = list(leaves)
    for step in range(rng.randint(5, 40)):
        kind = rng.random()
        a, b = rng.choice(nodes), rng.choice(nodes)
        try:
            if kind < 0.35:
                op = rng.choice(["+", "-", "*", "/", "**", "r+", "r*", "r-", "r/"])
                c = rng.uniform(-2, 2)
                y = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                     "/": lambda: a / b, "**": lambda: abs(a) ** b, "r+": lambda: c + a,
                     "r*": lambda: c * a, "r-": lambda: c - a, "r/": lambda: c / a}[op]()
            elif kind < 0.7:
                op = rng.choice(UNARY)
                y = {"exp": a.exp, "tanh": a.tanh, "sigmoid": a.sigmoid, "relu": a.relu,
                     "leaky_relu": a.leaky_relu, "softplus": a.softplus, "neg": a.__neg__,
                     "abs": a.__abs__, "sq": lambda: a ** 2, "cube": lambda: a ** 3,
                     "inv": lambda: a ** -1, "sqrt": lambda: abs(a).sqrt(),
                     "log": lambda: (abs(a) + 0.5).log(), "pow_half": lambda: abs(a) ** 0.5}[op]()
            elif kind < 0.85:
                k = rng.randint(1, 20)
                ws = [rng.choice(nodes) if rng.random() < 0.8 else rng.uniform(-1, 1)
                      for _ in range(k)]
                xs = [rng.choice(nodes) for _ in range(k)]
                y = weighted_sum(ws, xs, rng.choice(nodes))
            else:
                y = total([rng.choice(nodes) for _ in range(rng.randint(1, 30))])
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            show(type(e).__name__, str(e))
            continue
        if abs(y.data) < 1e100:
            nodes.append(y)
    root = nodes[-1] * 1.0 + (leaves[0] - 10.0).relu()  # a dead relu: a zero gradient
    if graph % 3 == 0:
        leaves[1].grad = None  # no gradient yet
    root.backward()
    if graph % 4 == 0:
        root.backward()  # leaves accumulate
    for v in topological_order(root):
        show(v.op, v.label, v.data, v.grad, v.params, len(v.inputs), *v.local_grads)

# linear layers, the fast path and the slow one
W = [[Parameter(rng.uniform(-1, 1)) for _ in range(16)] for _ in range(8)]
x = [Value(rng.uniform(-1, 1)) for _ in range(16)]
zs = linear(W, x, [Parameter(0.1 * j) for j in range(8)])
mixed = linear([[0.5, W[0][1]], [2, 3]], [1, x[0]], [0, W[1][0]])
total(zs + mixed).tanh().backward()
show(*[w.grad for row in W for w in row], *[v.grad for v in x], *[z.data for z in zs + mixed])

# errors and messages
attempt(lambda: Value(-1.0).log())
attempt(lambda: Value(1.0) / 0)
attempt(lambda: Value(1e200) * Value(1e200))
attempt(lambda: Value(1000.0).exp())
attempt(lambda: Value(10.0) ** 400)
attempt(lambda: Value(-8.0) ** 0.5)
attempt(lambda: Value(0.0) ** -1)
attempt(lambda: total([Value(1e308), Value(1e308)]))
attempt(lambda: weighted_sum([Value(1e200), Value(1e200)], [Value(1e200), Value(1e200)]))
attempt(lambda: Value("x"))
attempt(lambda: Value(1.0, label=3))
attempt(lambda: Value(1.0) + "x")
attempt(lambda: Value(1.0) ** True)
attempt(lambda: Value(1.0) < "x")
attempt(lambda: linear([[Value(1.0), None]], [1.0, 2.0], [0.0]))
attempt(lambda: Value(float("nan")).relu())
attempt(lambda: Value(float("inf")) * 0.0)
show(Value(1.0) < 2, Value(3.0) >= Value(3.0), sorted([Value(2.0), Value(1.0)])[0].data)
show(repr(Value(2.0, "x")), repr(Value(2.0) * 3), float(Value(0.5)), Value(0.25).item())
show((np.float64(2.0) * Value(3.0)).data, (Value(3.0) + np.float32(0.5)).data)
with no_grad():
    y = Value(2.0) * Value(3.0)
show(y.op, y.inputs, y.data)
chain = Value(1.0); w = Value(1.0)
for _ in range(20000):
    chain = chain * w
chain.backward()
show(w.grad, chain.data)
show(pickle.loads(pickle.dumps(zs[0])).data, pickle.loads(pickle.dumps(zs[0])).inputs[0].data)
# a subclass of Value on the right of an operator (compiled, its reflected method runs first)
class V(Value): pass
class P(Parameter): pass
a = V(2.0)
for y in [Value(3.0) + V(2.0), Value(3.0) - V(2.0), Value(3.0) * V(2.0), Value(3.0) / V(2.0),
          Value(3.0) ** V(2.0), Parameter(2.0) * P(2.0), a * a + a, 2 + a, 2 - a, 2 * a, 2 / a,
          2 ** a, V(1.5) + Value(1.0)]:
    y.backward()
    show(y.op, y.data, *[type(x).__name__ for x in y.inputs], *[x.grad for x in y.inputs])
print("\n".join(out))
"""


def test_both_builds_give_the_same_bits_errors_and_messages():
    pure = run(WORKOUT, env=PURE).stdout.splitlines()
    compiled = run(WORKOUT).stdout.splitlines()  # the build `import autograd` picks
    if compiled[0] != "compiled":
        pytest.skip("the compiled engine is not built here: nothing to compare with")
    assert pure[0] == "python" and len(pure) == len(compiled) > 1000
    for i, (a, b) in enumerate(zip(pure[1:], compiled[1:]), 1):
        assert a == b, f"line {i}: pure Python {a!r}, compiled {b!r}"


# ---- pickles ----


def unpickled_in_the_other_build(node, code):
    """What `code` prints (bytes) in a fresh interpreter of the other build, with the pickle of
    `node` on its standard input."""
    other = PURE if autograd.ENGINE == "compiled" else NOT_PURE
    result = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(node), env=other, capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_a_pickled_graph_loads_in_the_other_build():
    x = Parameter(1.5, "x")
    y = (x * x + Constant(2.0)).tanh()
    y.backward()
    code = (
        "import pickle, sys, autograd\n"
        "y = pickle.loads(sys.stdin.buffer.read())\n"
        "x = y.inputs[0].inputs[0].inputs[0]\n"
        "print(autograd.ENGINE, type(x).__name__, x.label, x.grad.hex(), y.data.hex(), y.op)\n"
        "sys.stdout.flush(); sys.stdout.buffer.write(pickle.dumps(y))\n"
    )
    line, _, back = unpickled_in_the_other_build(y, code).partition(b"\n")
    expected = f"Parameter x {x.grad.hex()} {y.data.hex()} tanh"
    assert line.decode().split(" ", 1)[1] == expected
    again = pickle.loads(back)  # and back into this build
    assert type(again) is Value and again.data == y.data and again.op == "tanh"
    assert type(again.inputs[0].inputs[1]) is Constant


def test_an_ops_parameters_cross_a_pickle_into_the_other_build():
    x = Value(1.5, "x")
    y = (x**3).leaky_relu(0.25) - 2
    code = (
        "import pickle, sys\n"
        "y = pickle.loads(sys.stdin.buffer.read())\n"
        "p, c = y.inputs[0], y.inputs[0].inputs[0]\n"
        "print(y.op, y.params, p.op, p.params, c.op, c.params, c.inputs[0].label)\n"
    )
    printed = unpickled_in_the_other_build(y, code).decode()
    assert printed.split() == "- () leaky_relu (0.25,) **n (3,) x".split()


# ---- the install without a C compiler ----


def test_an_install_without_a_c_compiler_succeeds_with_the_pure_engine_and_says_so_once(tmp_path):
    pytest.importorskip("Cython", reason="the build's own Cython is needed to get that far")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation"]
        + ["-v", "-w", str(tmp_path)],
        env={**NOT_PURE, "CC": "/bin/false"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    said = re.findall(r"chainrule: installing the pure-Python engine: ([^\n]*)", log)
    assert len(said) == 1 and "building it failed" in said[0], said
    (wheel,) = tmp_path.glob("chainrule-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "autograd/value.py" in names and not [n for n in names if n.endswith((".so", ".pyd"))]

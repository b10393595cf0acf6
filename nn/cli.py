"""The `chainrule` command (also `python -m nn`): the demo, training, graphs of expressions, and
cross-checks, from a terminal.

    chainrule                       # the demo: train on moons, cross-check, write pictures to ./out
    chainrule train --dataset circles --layers 16 16 1 --epochs 50
    chainrule graph "tanh(x * w + b)" --set x=1.5 --set w=-2 --set b=0.5 -o graph.svg
    chainrule graph "-2*x" --set x=3
    chainrule check --layers 3 8 2 --loss cross_entropy

Everything is checked before the work starts: the options, the places the outputs go, and the
time and memory the work would take (estimated from measured costs; see BYTES_PER_NODE): more
than MAX_BYTES of memory is always refused, more than --max-minutes (default 5) unless the
option is raised.
Bad options or values, outputs that cannot be written, and work beyond the limits exit with
status 2 and a one-line message; a failed cross-check, or a missing Graphviz, exits 1. Only the
requested files are written (atomically, through autograd.files), and a reader that stops
reading (`chainrule check | head -1`) ends the command quietly.
"""

import argparse
import importlib.util
import math
import os
import shutil
import sys
from pathlib import Path

from autograd.files import check_target, write_file

from .losses import LOSSES
from .modules import ACTIVATIONS, INITS

DATASETS = ("xor", "moons", "circles", "spirals", "sine")
CLASS_LOSSES = (
    "hinge",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
)

# ---- how much work a command may do ----
#
# The costs below were measured on the development machine (2 cores, Linux, CPython 3.11) with
# eight MLP shapes, from (1, [1]) and (2, [4, 1]) to (10, [64, 64, 1]), (3, [200, 1]),
# (50, [50, 50, 50, 1]) and (100, [300, 1]), and fitted as `a * nodes + b * edges` of one
# example's graph (`_example_graph`: its Values, and the inputs they point to; a neuron's z is
# ONE node with 2 m + 1 inputs). Memory: the growth of VmRSS (/proc/self/status) while building
# and back-propagating batches of 500 to 200,000 examples (tracemalloc gives 5-10% less); time:
# time.perf_counter() around nn.train.train_step, the no_grad forward pass, and nn.crosscheck.
# Each constant is rounded up so that it covers every measured shape (within 35%), e.g. for
# (2, [16, 16, 1]): 73 nodes and 679 edges, 28 kB and 0.18 ms per example in a training step.
# Fixed costs (importing matplotlib or torch, drawing the plots: 2-5 s, 80-300 MB) are left out:
# the estimates are for the work the options ask for, which is what can grow without bound.
BYTES_PER_NODE = 240
BYTES_PER_EDGE = 18
BYTES_PER_PARAMETER = 270  # a Parameter with its label; tracemalloc around nn.MLP(...)
BYTES_PER_EPOCH = 64  # the history: a loss and an accuracy (float objects in lists)
STEP_SECONDS_PER_NODE = 1.5e-6  # train_step: forward and backward, per node of the batch
STEP_SECONDS_PER_EDGE = 7e-8
UPDATE_SECONDS_PER_PARAMETER = 6e-7  # the optimizer's step (Adam; SGD is faster), per step
FORWARD_SECONDS_PER_NODE = 5.5e-7  # no_grad forward pass (the decision boundary's grid)
FORWARD_SECONDS_PER_EDGE = 3e-8
CHECK_SECONDS_PER_NODE = 2.7e-6  # nn.crosscheck against NumPy, per node of the batch
CHECK_SECONDS_PER_EDGE = 3.5e-7
SETUP_SECONDS_PER_PARAMETER = 5e-6  # building the MLP (3 us) and saving it (2 us)
DATA_SECONDS_PER_EXAMPLE = 8e-6  # nn.datasets: 2-8 us per example
BOUNDARY_POINTS = 60 * 60  # plot.decision_boundary evaluates the model on a 60 x 60 grid

MAX_BYTES = 500 * 10**6  # memory a command may use; never more, whatever the options
DEFAULT_MAX_MINUTES = 5.0  # estimated time beyond which a command asks for --max-minutes
MAX_INT = 10**15  # the largest count an option takes (larger ones are refused as typos)
DEMO_LAYERS = [16, 16, 1]  # the demo's MLP(2, [16, 16, 1])
DEMO_BATCH = 20
DEMO_FILES = (
    "loss.png",
    "decision_boundary.png",
    "network_before.png",
    "network.png",
    "neuron.png",
    "model.json",
)

# graph's options, spelled out: any other word that starts with '-' is the expression
_GRAPH_LONG_VALUE_OPTIONS = ("--output", "--set", "--steps")
_GRAPH_VALUE_OPTIONS = ("-o", *_GRAPH_LONG_VALUE_OPTIONS)
_GRAPH_FLAGS = ("-h", "--help", "--local-grads")
# the output activations that can give a loss what it needs: (what it needs, activations)
_SIGNED = ("linear", "leaky_relu", "tanh")
_OUTPUTS_NEEDED = {
    "binary_cross_entropy": ("probabilities in [0, 1]", ("sigmoid",)),
    "binary_cross_entropy_with_logits": ("logits of either sign (class 0 below 0)", _SIGNED),
    "hinge": ("scores of either sign (class -1 below 0)", _SIGNED),
}
_INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install "
    "graphviz`, macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`)"
)


class UsageError(Exception):
    """A bad option or value: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line (and the hint where to get help), not the usage."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            status = _main(words)
        except SystemExit as done:  # --help: its text is printed; flush it below, in the try
            status = done.code
        if sys.stdout is not None:
            sys.stdout.flush()  # a reader that has gone is noticed here, not at exit
        return status
    except BrokenPipeError:
        # The reader stopped reading (`chainrule check | head -1`): end quietly. The recipe of
        # Python's docs (signal module, "Note on SIGPIPE"): point stdout at devnull, so that the
        # flush at exit does not fail again ("Exception ignored ... BrokenPipeError").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(words):
    parser = _build_parser()
    if not words or words[0].startswith("-") and words[0] not in ("-h", "--help"):
        words = ["demo", *words]  # the demo is the default job
    elif words[0] == "graph":
        words = ["graph", *_expression_last(words[1:])]
    try:
        args = parser.parse_args(words)
        return args.run(args)
    except BrokenPipeError:
        raise
    except UsageError as error:
        return _fail(error, 2)
    except (ValueError, TypeError, ArithmeticError) as error:
        # the library's own checks (a bad value for a layer size, the picture's size guard, ...)
        return _fail(error, 2)
    except OSError as error:
        return _fail(error, 1)
    except RuntimeError as error:  # e.g. Graphviz's `dot` is missing: the message says what to do
        return _fail(error, 1)
    except MemoryError:
        return _fail("out of memory; use smaller options (--n, --batch-size, --layers)", 1)
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130


def _fail(error, status):
    """Print `error` as ONE line on stderr; returns `status`."""
    text = " ".join(str(error).splitlines()) or type(error).__name__
    print(f"chainrule: error: {text}", file=sys.stderr)
    return status


def _expression_last(words):
    """graph's `words` with an expression that starts with '-' ("-2*x", "-(x+1)", "--x") moved
    behind `--`, so that argparse takes it as the expression, not as an option. The rule (in
    graph's help): a word is an option only when spelled exactly as one of graph's options
    (or as --option=VALUE); the first word that is neither an option nor an option's value is
    the expression. A `--` of the user's own ends the options as usual."""
    value_next = False
    for i, word in enumerate(words):
        if value_next:
            value_next = False
        elif word == "--":
            break
        elif word in _GRAPH_VALUE_OPTIONS:
            value_next = True
        elif word in _GRAPH_FLAGS or word.partition("=")[0] in _GRAPH_LONG_VALUE_OPTIONS:
            continue  # a flag, or --option=VALUE
        elif word.startswith("-"):
            return [*words[:i], *words[i + 1 :], "--", word]
        else:
            break
    return words


# ---- the commands ----


def demo(args):
    """Train MLP(2, [16, 16, 1]) on two moons, cross-check its gradients, write the pictures."""
    _check_demo_work(args)
    _need_dot("the demo draws the network and a neuron's graph", "run `chainrule train`")
    out = _check_folder(args.out, "--out", DEMO_FILES)
    import nn
    from nn import datasets, plot
    from nn.draw import draw as draw_network

    print(f"Training MLP(2, [16, 16, 1]) on {args.n} two-moons points (hinge loss, Adam) ...")
    X, Y = datasets.moons(args.n, noise=0.1, seed=args.seed, signed=True)
    model = nn.MLP(2, DEMO_LAYERS, activation="tanh", seed=args.seed)
    before = _drawn(draw_network(model), out / "network_before.png", "--out")
    history = nn.fit(
        model,
        X,
        Y,
        loss="hinge",
        optimizer="adam",
        lr=0.01,
        epochs=args.epochs,
        batch_size=DEMO_BATCH,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(f"training accuracy: {history.accuracy[-1]:.1%} (loss {history.loss[-1]:.4f})")

    print("Cross-checking the engine's gradients on the whole batch:")
    report = nn.crosscheck(model, X, Y, loss="hinge", against="numpy")
    print(f"  against NumPy's matrix form: largest difference {report.max_abs_error:.2e}")
    ok = report.ok
    if _torch_installed():
        report = nn.crosscheck(model, X, Y, loss="hinge", against="torch")
        print(f"  against PyTorch (float64):   largest difference {report.max_abs_error:.2e}")
        ok = ok and report.ok
    else:
        print("  PyTorch is not installed: pip install 'chainrule[torch]' to check against it too")

    pictures = {
        "loss.png": _png(plot.history(history, title="Training on two moons")),
        "decision_boundary.png": _png(
            plot.decision_boundary(model, X, Y, title="MLP(2, [16, 16, 1])")
        ),
        "network_before.png": before,
        "network.png": _drawn(draw_network(model), out / "network.png", "--out"),
    }
    _make_folder(out, "--out")
    paths = {name: _write(out / name, data, "--out") for name, data in pictures.items()}
    files = {"loss curve": paths["loss.png"], "decision boundary": paths["decision_boundary.png"]}
    files["network, before training"] = paths["network_before.png"]
    files["network, after training"] = paths["network.png"]
    files["one neuron's graph, with gradients"] = _neuron_picture(model, X[0], out / "neuron.png")
    files["trained model (JSON)"] = _save_model(model, out / "model.json")
    print("Wrote:")
    width = max(map(len, files))
    for name, path in files.items():
        print(f"  {name:<{width}}  {path}")
    return 0 if ok else 1


def train(args):
    """Train a network with the given options; save the model and its plots."""
    loss, dataset, nouts = args.loss, args.dataset, args.layers
    n = _dataset_size(args)
    classes = None if dataset == "sine" else 2  # the CLI's spirals have two arms
    if classes is None and loss not in ("squared_error", "mse"):
        raise UsageError(
            f"the sine data set is a regression task; --loss {loss} needs classes: "
            "use --loss squared_error or mse, or a classification --dataset"
        )
    expected = classes if loss == "cross_entropy" else 1
    if nouts[-1] != expected:
        what = f"{classes} classes" if loss == "cross_entropy" else "one output"
        raise UsageError(
            f"--layers must end with {expected} for --loss {loss} ({what}), got {nouts[-1]}"
        )
    output_activation = args.output_activation or (
        "sigmoid" if loss == "binary_cross_entropy" else "linear"
    )
    _check_outputs(loss, output_activation, signed_targets=classes is None)
    if args.batch_size is not None and args.batch_size > n:
        raise UsageError(
            f"--batch-size {args.batch_size} is more than the {n} examples of the data set: "
            f"use at most {n}, or leave it out for one full batch"
        )
    nin = 1 if dataset == "sine" else 2
    boundary = nin == 2 and loss in CLASS_LOSSES
    _check_train_work(args, n, nin, output_activation, boundary)
    names = ["loss.png", *(["decision_boundary.png"] if boundary else []), "model.json"]
    out = _check_folder(args.out, "--out", names)

    import nn
    from nn import datasets, plot

    noise = 0.1 if args.noise is None else args.noise
    if dataset == "sine":
        X, Y = datasets.sine(n, noise=noise, seed=args.seed)
    elif dataset == "xor":
        X, Y = datasets.xor(signed=loss == "hinge")
    else:
        make = getattr(datasets, dataset)
        X, Y = make(n=n, noise=noise, seed=args.seed, signed=loss == "hinge")
    model = nn.MLP(
        nin,
        nouts,
        activation=args.activation,
        output_activation=output_activation,
        init=args.init,
        seed=args.seed,
    )
    print(f"Training {model} on {len(X)} {dataset} examples ({loss}, {args.optimizer}) ...")
    history = nn.fit(
        model,
        X,
        Y,
        loss=loss,
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.quiet,
    )
    result = f"final loss {history.loss[-1]:.4g}"
    if history.accuracy is not None:
        result += f", training accuracy {history.accuracy[-1]:.1%}"
    print(result)
    pictures = {"loss curve": ("loss.png", _png(plot.history(history)))}
    resolution = _boundary_resolution(plot, model) if boundary else None
    if resolution:
        picture = _png(plot.decision_boundary(model, X, Y, resolution=resolution))
        pictures["decision boundary"] = ("decision_boundary.png", picture)
    _make_folder(out, "--out")
    files = {what: _write(out / name, data, "--out") for what, (name, data) in pictures.items()}
    files["model (JSON)"] = _save_model(model, out / "model.json")
    for name, path in files.items():
        print(f"  {name}: {path}")
    if boundary and not resolution:
        print("  (no decision boundary: the network is too large to evaluate on a grid quickly)")
    return 0


def graph(args):
    """Evaluate an expression with the engine, run backward, print gradients, draw the graph."""
    from autograd.expression import evaluate, names

    variables = {}
    for name, number in args.set:
        if name in variables:
            raise UsageError(f"--set {name} is given twice")
        variables[name] = number
    if args.output:
        if Path(args.output).suffix.lower() not in (".png", ".svg"):
            raise UsageError(f"-o {args.output}: the picture must be a .png or .svg file")
        _check_file(args.output, "-o")
    if args.steps:
        _check_folder(args.steps, "--steps")
    if args.output or args.steps:
        _need_dot("-o and --steps draw pictures", "leave them out to print only the gradients")
    used = names(args.expression)
    missing = [name for name in used if name not in variables]
    if missing:
        sets = " ".join(f"--set {name}=..." for name in missing)
        raise UsageError(f"the expression uses {', '.join(missing)}: give values with {sets}")
    unused = [name for name in variables if name not in used]
    if unused:
        raise UsageError(f"--set {unused[0]}: the expression does not use {unused[0]!r}")
    root = evaluate(args.expression, variables)
    leaves = {v.label: v for v in _named_leaves(root)}
    root.backward()
    picture = frames = None  # refusals (too large to draw) come before any file is written
    if args.output:
        from autograd.graph import draw

        try:
            picture = draw(root, show_local_grads=args.local_grads)  # refuses > 500 nodes
        except ValueError as error:
            raise UsageError(f"-o {args.output}: {error}") from None
    if args.steps:
        from autograd.steps import save_frames

        try:
            frames = save_frames(root, args.steps)  # refuses too many frames, before drawing
        except ValueError as error:
            raise UsageError(f"--steps {args.steps}: {error}") from None
        except OSError as error:
            raise UsageError(
                f"--steps {args.steps}: cannot write the frames: {_reason(error)}"
            ) from None
    if picture is not None:
        _write(args.output, _drawn(picture, args.output, "-o"), "-o")
    print(f"{args.expression} = {_fmt(root.data)}")
    for name in variables:
        print(f"  d/d{name} = {_fmt(leaves[name].grad)}")
    if picture is not None:
        print(f"graph: {args.output}")
    if frames is not None:
        print(f"{len(frames.pngs)} step frames and {frames.gif}: {args.steps}")
    return 0


def check(args):
    """Build a random MLP and print the cross-check of its gradients on a random batch."""
    import random

    loss = args.loss
    nin, nouts = args.layers[0], args.layers[1:]
    if not nouts:
        raise UsageError("--layers needs the input size and at least one layer, e.g. 3 8 1")
    k = nouts[-1]
    if loss == "cross_entropy" and k < 2:
        raise UsageError("--loss cross_entropy needs at least 2 outputs (the last layer size)")
    output_activation = args.output_activation or (
        "sigmoid" if loss == "binary_cross_entropy" else "linear"
    )
    if loss == "binary_cross_entropy":
        _check_outputs(loss, output_activation, signed_targets=False)
    if args.against == "torch" and not _torch_installed():
        raise UsageError("--against torch needs PyTorch: pip install 'chainrule[torch]'")
    _check_check_work(args, nin, nouts, output_activation)

    import nn

    rng = random.Random(args.seed)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(args.batch)]
    if loss == "cross_entropy":
        Y = [rng.randrange(k) for _ in X]
    elif loss == "hinge":
        Y = [[rng.choice((-1.0, 1.0)) for _ in range(k)] for _ in X]
    elif loss.startswith("binary_cross_entropy"):
        Y = [[float(rng.random() < 0.5) for _ in range(k)] for _ in X]
    else:
        Y = [[rng.gauss(0, 1) for _ in range(k)] for _ in X]
    if k == 1 and loss != "cross_entropy":
        Y = [y[0] for y in Y]
    model = nn.MLP(
        nin, nouts, activation=args.activation, output_activation=output_activation, seed=args.seed
    )
    report = nn.crosscheck(model, X, Y, loss=loss, against=args.against, tol=args.tol)
    print(report)
    return 0 if report.ok else 1


# ---- checks before the work ----


def _dataset_size(args):
    """The number of examples of train's data set, after checking --n and --noise against it."""
    if args.dataset == "xor":
        for option, value in (("--n", args.n), ("--noise", args.noise)):
            if value is not None:
                raise UsageError(f"--dataset xor is always its 4 points: leave out {option}")
        return 4
    n = 100 if args.n is None else args.n
    least = 1 if args.dataset == "sine" else 2
    if n < least:
        raise UsageError(
            f"--n {n}: the {args.dataset} data set needs at least {least} examples (one per class)"
        )
    return n


def _check_outputs(loss, output_activation, signed_targets):
    """Refuse an output activation that cannot give what `loss` needs (signed_targets: the
    targets take both signs, as a regression on sin(x))."""
    needs, able = _OUTPUTS_NEEDED.get(loss, (None, ACTIVATIONS))
    if signed_targets and loss in ("squared_error", "mse"):
        needs, able = "values of either sign, as the targets", _SIGNED
    if output_activation in able:
        return
    if loss == "binary_cross_entropy":
        advice = (
            "use --output-activation sigmoid (its default), or --loss "
            "binary_cross_entropy_with_logits with a linear output"
        )
    else:
        advice = f"use --output-activation {' or '.join(able)} (the default is linear)"
    raise UsageError(
        f"--loss {loss} needs {needs}, which --output-activation {output_activation} cannot "
        f"give: {advice}"
    )


def _example_graph(nin, nouts, activation, output_activation):
    """(nodes, edges) of one example's graph in a training step or a cross-check: its inputs;
    per layer one 'linear' node per unit (2 m + 1 inputs for m inputs) and, unless the layer is
    linear, one activation node per unit; and the loss, at most 5 k + 6 nodes and 6 k + 7 edges
    for k outputs (counted with topological_order for every loss of nn.losses)."""
    nodes, edges, fan_in = nin, 0, nin
    for l, width in enumerate(nouts):
        sigma = activation if l < len(nouts) - 1 else output_activation
        activated = sigma != "linear"
        nodes += width * (2 if activated else 1)
        edges += width * (2 * fan_in + 1) + (width if activated else 0)
        fan_in = width
    k = nouts[-1]
    return nodes + 5 * k + 6, edges + 6 * k + 7


def _parameters(nin, nouts):
    """How many weights and biases MLP(nin, nouts) has."""
    return sum(width * (fan_in + 1) for fan_in, width in zip([nin, *nouts], nouts))


def _check_train_work(args, n, nin, output_activation, boundary):
    """Refuse, before any work, training beyond the memory limit or the time limit."""
    nodes, edges = _example_graph(nin, args.layers, args.activation, output_activation)
    batch = n if args.batch_size is None else args.batch_size
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE
    parameters = _parameters(nin, args.layers)
    memory = [
        (
            batch * example_bytes,
            f"one batch of {batch:,} examples is one graph of {batch * nodes:,} nodes",
            "pass --batch-size {fit} or less",
            example_bytes,
        ),
        (n * _data_bytes(nin), f"the {n:,} examples", "use --n {fit} or less", _data_bytes(nin)),
        (
            parameters * BYTES_PER_PARAMETER,
            f"the network's {parameters:,} parameters",
            "use smaller --layers",
            0,
        ),
        (
            args.epochs * BYTES_PER_EPOCH,
            f"the history of {args.epochs:,} epochs",
            "use fewer --epochs",
            0,
        ),
    ]
    seconds = (
        args.epochs * n * _step_seconds(nodes, edges)
        + args.epochs * math.ceil(n / batch) * parameters * UPDATE_SECONDS_PER_PARAMETER
        + n * DATA_SECONDS_PER_EXAMPLE
        + parameters * SETUP_SECONDS_PER_PARAMETER
        + (BOUNDARY_POINTS * _forward_seconds(nodes, edges) if boundary else 0.0)
    )
    faster = "use fewer --epochs, a smaller --n or smaller --layers"
    _check_limits("train", memory, seconds, args.max_minutes, faster)


def _check_check_work(args, nin, nouts, output_activation):
    """Refuse, before any work, a cross-check beyond the memory limit or the time limit."""
    nodes, edges = _example_graph(nin, nouts, args.activation, output_activation)
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE
    parameters = _parameters(nin, nouts)
    matrices = 8 * 8 * (nin + sum(nouts))  # z, a, delta ... of both sides, as float64 per example
    memory = [
        (
            args.batch * (example_bytes + matrices + _data_bytes(nin)),
            f"a batch of {args.batch:,} examples is one graph of {args.batch * nodes:,} nodes",
            "use --batch {fit} or less, or smaller --layers",
            example_bytes + matrices + _data_bytes(nin),
        ),
        (
            parameters * BYTES_PER_PARAMETER,
            f"the network's {parameters:,} parameters",
            "use smaller --layers",
            0,
        ),
    ]
    seconds = args.batch * _check_seconds(nodes, edges) + parameters * SETUP_SECONDS_PER_PARAMETER
    faster = "use a smaller --batch or smaller --layers"
    _check_limits("check", memory, seconds, args.max_minutes, faster)


def _check_demo_work(args):
    """Refuse, before any work, a demo beyond the memory limit or the time limit. (The
    cross-check runs on the whole data set at once: its graph is the largest part.)"""
    nodes, edges = _example_graph(2, DEMO_LAYERS, "tanh", "linear")
    n = args.n
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE + _data_bytes(2)
    memory = [
        (
            n * example_bytes,
            f"the cross-check of all {n:,} points is one graph of {n * nodes:,} nodes",
            "use --n {fit} or less",
            example_bytes,
        ),
        (
            args.epochs * BYTES_PER_EPOCH,
            f"the history of {args.epochs:,} epochs",
            "use fewer --epochs",
            0,
        ),
    ]
    parameters = _parameters(2, DEMO_LAYERS)
    checks = 2 if _torch_installed() else 1  # against NumPy, and against PyTorch
    seconds = (
        args.epochs * n * _step_seconds(nodes, edges)
        + args.epochs * math.ceil(n / DEMO_BATCH) * parameters * UPDATE_SECONDS_PER_PARAMETER
        + n * (DATA_SECONDS_PER_EXAMPLE + checks * _check_seconds(nodes, edges))
        + BOUNDARY_POINTS * _forward_seconds(nodes, edges)
    )
    _check_limits(
        "the demo", memory, seconds, args.max_minutes, "use fewer --epochs or a smaller --n"
    )


def _check_limits(command, memory, seconds, max_minutes, faster):
    """UsageError where `command` would need more than MAX_BYTES of memory, or more than
    `max_minutes` by the estimate `seconds`. `memory` lists its parts as (bytes, what, advice,
    bytes per unit). The message names the largest parts, as many as must shrink for the rest
    to fit, each with its advice, where {fit} is the most units (examples, say) that fit in an
    equal share of the limit (unit 0: a part not made of units)."""
    total = sum(part[0] for part in memory)
    if total > MAX_BYTES:
        parts = sorted(memory, key=lambda part: part[0], reverse=True)
        large = 1
        while sum(part[0] for part in parts[large:]) > MAX_BYTES / 2:
            large += 1
        share = (MAX_BYTES - sum(part[0] for part in parts[large:])) / large
        whats, advice = [], []
        for nbytes, what, how, unit in parts[:large]:
            whats.append(f"{what}: {_size(nbytes)}")
            if unit and share < unit:
                how = "use smaller --layers (one example alone is too large)"
            advice.append(how.format(fit=f"{int(share // unit):,}" if unit else ""))
        advice = list(dict.fromkeys(advice))  # each piece of advice once
        raise UsageError(
            f"{command} would need about {_size(total)} of memory ({'; '.join(whats)}), more "
            f"than the limit of {_size(MAX_BYTES)}: {', and '.join(advice)}"
        )
    if seconds > 60 * max_minutes:
        minutes = math.ceil(seconds / 60 * 1.5)
        raise UsageError(
            f"{command} would take about {_duration(seconds)} (estimated), more than "
            f"--max-minutes {max_minutes:g}: {faster}, or pass --max-minutes {minutes} to run "
            "it anyway"
        )


def _data_bytes(nin):
    """Bytes of one example of a data set: the list X[n] of nin floats, and Y[n]."""
    return 100 + 50 * nin


def _step_seconds(nodes, edges):
    return nodes * STEP_SECONDS_PER_NODE + edges * STEP_SECONDS_PER_EDGE


def _forward_seconds(nodes, edges):
    return nodes * FORWARD_SECONDS_PER_NODE + edges * FORWARD_SECONDS_PER_EDGE


def _check_seconds(nodes, edges):
    return nodes * CHECK_SECONDS_PER_NODE + edges * CHECK_SECONDS_PER_EDGE


def _size(nbytes):
    """A number of bytes for people: '3.1 GB', '500 MB', '4,200 GB'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if nbytes >= scale:
            value = nbytes / scale
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2g} {unit}"
    return f"{nbytes:.0f} bytes"


def _duration(seconds):
    """A time for people: 'under a second', '40 seconds', '12 minutes', '3.5 hours'."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:,.0f} days"


def _need_dot(why, otherwise):
    """Refuse (exit 1), before any work, to run without Graphviz's program `dot`."""
    if shutil.which("dot") is None:
        raise RuntimeError(
            f"{why}: that needs the Graphviz program `dot`, which is not on PATH: "
            f"{_INSTALL_GRAPHVIZ}, or {otherwise}"
        )


# ---- the user's files ----


def _check_folder(path, what, names=()):
    """Path(path), after checking that it is a folder that can be written, or can be created,
    and that each of `names` in it can be written (see `_check_file`). Creates nothing."""
    folder = Path(path)
    try:
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise UsageError(
                    f"{what} {path}: exists and is not a folder; give a folder, new or existing"
                )
            if not os.access(folder, os.W_OK | os.X_OK):
                raise UsageError(
                    f"{what} {path}: the folder is not writable (permission denied); "
                    "choose another folder"
                )
            for name in names:
                _check_file(folder / name, what)
            return folder
        parent = folder.absolute().parent
        while not parent.exists() and not parent.is_symlink():
            parent = parent.parent
    except OSError as error:
        raise UsageError(f"{what} {path}: {_reason(error)}") from None
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: cannot create the folder: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what} {path}: cannot create the folder: {parent} is not writable "
            "(permission denied); choose another place"
        )
    return folder


def _check_file(path, what):
    """Refuse an output file that cannot be written: anything but a regular file or a new path
    in an existing folder (autograd.files.check_target), or a folder without write permission."""
    try:
        folder = os.path.dirname(check_target(path, what))
    except FileNotFoundError:
        raise UsageError(
            f"{what} {path}: the folder {os.path.dirname(path) or '.'} does not exist; "
            "create it first, or choose another place"
        ) from None
    except OSError as error:
        raise UsageError(f"{what} {path}: {_reason(error)}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what} {path}: the folder {folder} is not writable (permission denied); "
            "choose another place"
        )


def _make_folder(folder, what):
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{what} {folder}: cannot create the folder: {_reason(error)}") from None


def _write(path, data, what):
    """Write `data` to `path` with autograd.files.write_file (atomic; nothing else is
    created); returns `path`. An OSError is reported in one line naming `path`."""
    try:
        write_file(path, data, what=what)
    except OSError as error:
        raise UsageError(f"{what} {path}: cannot write it: {_reason(error)}") from None
    return Path(path)


def _save_model(model, path):
    """model.save(path), an OSError reported in one line naming `path` (never a temporary)."""
    try:
        model.save(path)
    except OSError as error:
        raise UsageError(f"--out {path}: cannot write it: {_reason(error)}") from None
    return Path(path)


def _reason(error):
    return error.strerror or str(error)


def _drawn(picture, path, what):
    """The bytes of a Graphviz picture in the format of `path`'s suffix (.png or .svg), made by
    `dot` through a pipe: no file is written, not even the DOT source."""
    import graphviz

    try:
        return picture.pipe(format=Path(path).suffix[1:].lower())
    except graphviz.CalledProcessError as error:
        lines = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {error.returncode}"
        raise RuntimeError(f"{what} {path}: Graphviz's dot could not draw it: {reason}") from None


def _boundary_resolution(plot, model, most=60, least=10):
    """The grid for plot.decision_boundary: `most` x `most` points, fewer where the model is too
    large for plot's limit on the work (plot.MAX_GRID_WORK), or None below `least` x `least`."""
    limit = getattr(plot, "MAX_GRID_WORK", None)
    if limit is None:
        return most
    fits = math.isqrt(limit // len(model.parameters()))
    return min(most, fits) if fits >= least else None


def _png(figure):
    """The PNG bytes of a figure of nn.plot (what Jupyter shows, at the plots' resolution)."""
    return figure._repr_png_()


def _neuron_picture(model, x, path):
    """The computation graph of the first hidden neuron on one example, with the gradients of
    its activation a (which draw computes itself, as a fresh backward() would). The weights'
    .grad still hold training's last step: zeroed first, so that the picture has no notes of
    what they held."""
    from autograd.graph import draw

    neuron = model.layers[0].neurons[0]
    neuron.zero_grad()
    return _write_picture(draw(neuron(x), show_local_grads=True), path)


def _write_picture(picture, path, what="--out"):
    """Draw a Graphviz picture into `path` (.png or .svg); returns the path."""
    return _write(path, _drawn(picture, path, what), what)


def _named_leaves(root):
    from autograd import topological_order

    return [v for v in topological_order(root) if not v.inputs and v.label]


def _torch_installed():
    return importlib.util.find_spec("torch") is not None


def _fmt(x):
    return f"{x:.6g}" if math.isfinite(x) else str(x)


# ---- the parser ----


def _build_parser():
    parser = _Parser(
        prog="chainrule",
        description="A scalar autograd engine that shows backprop: demo, train, graph, check.",
        epilog="With no command, runs the demo. `chainrule COMMAND --help` describes a command.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser(
        "demo",
        help="train on two moons, cross-check, write pictures (default)",
        description=demo.__doc__,
    )
    p.add_argument(
        "--out", default="out", help="folder for the pictures and the model (default: out)"
    )
    p.add_argument("--epochs", type=_positive_int, default=40, help="training epochs (default: 40)")
    p.add_argument("--n", type=_positive_int, default=100, help="number of points (default: 100)")
    p.add_argument("--seed", type=int, default=0, help="seed for the data and weights (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _limit_option(p)
    p.set_defaults(run=demo)

    p = commands.add_parser(
        "train", help="train a network and save it with its plots", description=train.__doc__
    )
    p.add_argument(
        "--dataset", choices=DATASETS, default="moons", help="the data set (default: moons)"
    )
    p.add_argument(
        "--n",
        type=_positive_int,
        default=None,
        help="number of examples (default: 100; xor is always its 4 points)",
    )
    p.add_argument(
        "--noise", type=_non_negative_float, default=None, help="data noise (default: 0.1)"
    )
    _network_options(p, [16, 16, 1], "layer sizes after the input, the last is the output")
    p.add_argument(
        "--init",
        choices=INITS,
        default="uniform",
        help="weight initialisation (default: uniform, as micrograd)",
    )
    p.add_argument("--loss", choices=LOSSES, default="hinge", help="the loss (default: hinge)")
    p.add_argument(
        "--optimizer", choices=("sgd", "adam"), default="adam", help="the optimizer (default: adam)"
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="learning rate (default: 0.1 for sgd, 0.01 for adam)",
    )
    p.add_argument("--epochs", type=_positive_int, default=100, help="epochs (default: 100)")
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help="examples per step, at most --n (default: the whole data set; the graph of one "
        "batch is kept in memory)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for data, weights, shuffling (default: 0)"
    )
    p.add_argument("--out", default="out", help="folder for the model and plots (default: out)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _limit_option(p)
    p.set_defaults(run=train)

    p = commands.add_parser(
        "graph",
        help="differentiate an expression and draw its graph",
        description=graph.__doc__,
        epilog="An expression may start with '-', as in chainrule graph '-2*x' --set x=3: a word "
        "is an option only when it is spelled exactly as one of the options above (or as "
        "--option=VALUE); the first word that is neither an option nor an option's value is "
        "the expression. Options may come before or after it; `--` also ends the options.",
        allow_abbrev=False,
    )
    p.add_argument(
        "expression",
        help="e.g. 'tanh(x * w + b) ** 2' or '-2*x' (+ - * / **, parentheses, "
        "abs exp leaky_relu log relu sigmoid softplus sqrt tanh)",
    )
    p.add_argument(
        "--set",
        action="append",
        type=_assignment,
        default=[],
        metavar="NAME=NUMBER",
        help="the value of a variable, e.g. --set x=1.5 (once per variable)",
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="write the graph picture here; .png or .svg (default: no picture)",
    )
    p.add_argument(
        "--local-grads", action="store_true", help="label every edge with its local derivative"
    )
    p.add_argument(
        "--steps",
        default=None,
        metavar="DIR",
        help="also write the backward pass as one frame per step (PNG and GIF) into DIR",
    )
    p.set_defaults(run=graph)

    p = commands.add_parser(
        "check", help="cross-check a random MLP's gradients", description=check.__doc__
    )
    _network_options(p, [3, 8, 1], "input size, then the layer sizes")
    p.add_argument(
        "--loss", choices=LOSSES, default="squared_error", help="the loss (default: squared_error)"
    )
    p.add_argument("--batch", type=_positive_int, default=8, help="examples (default: 8)")
    p.add_argument(
        "--against",
        choices=("numpy", "torch"),
        default="numpy",
        help="the reference (default: numpy)",
    )
    p.add_argument("--tol", type=_positive_float, default=1e-10, help="tolerance (default: 1e-10)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data (default: 0)")
    _limit_option(p)
    p.set_defaults(run=check)
    return parser


def _network_options(p, layers, layers_help):
    """--layers, --activation and --output-activation, shared by train and check."""
    default = " ".join(map(str, layers))
    p.add_argument(
        "--layers",
        type=_positive_int,
        nargs="+",
        default=layers,
        metavar="SIZE",
        help=f"{layers_help} (default: {default})",
    )
    p.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        default="tanh",
        help="hidden activation (default: tanh)",
    )
    p.add_argument(
        "--output-activation",
        choices=ACTIVATIONS,
        default=None,
        help="output activation (default: sigmoid for binary_cross_entropy, else linear)",
    )


def _limit_option(p):
    """--max-minutes, shared by demo, train and check."""
    p.add_argument(
        "--max-minutes",
        type=_positive_float,
        default=DEFAULT_MAX_MINUTES,
        metavar="M",
        help=f"refuse work estimated to take longer (default: {DEFAULT_MAX_MINUTES:g}); memory "
        f"is always limited to {_size(MAX_BYTES)}",
    )


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    if value > MAX_INT:
        raise argparse.ArgumentTypeError(f"expected a whole number up to 10**15, got {text!r}")
    return value


def _positive_float(text):
    value = _float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text):
    value = _float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _assignment(text):
    name, equals, number = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, e.g. x=1.5, got {text!r}")
    if not name.isidentifier():
        raise argparse.ArgumentTypeError(f"{name!r} is not a variable name")
    return name, _float(number.strip())

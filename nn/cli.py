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

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.cli import (
    Parser,
    UsageError,
    add_graph_command,
    check_folder,
    graph_words,
    make_folder,
    need_dot,
    non_negative_number,
    picture_bytes,
    positive_int,
    positive_number,
    reason,
    run,
    write_output,
)
from autograd.replay import INSTALL_TORCH

from .budget import (
    DEFAULT_MAX_MINUTES,
    MAX_BYTES,
    check_check_work,
    check_demo_work,
    check_train_work,
    size_text,
)
from .losses import LOSSES
from .modules import ACTIVATIONS, INITS

if TYPE_CHECKING:
    from types import ModuleType

    from .modules import MLP
    from .plot import Figure

DATASETS = ("xor", "moons", "circles", "spirals", "sine")
CLASS_LOSSES = (
    "hinge",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
)

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

# the output activations that can give a loss what it needs: (what it needs, activations)
_SIGNED = ("linear", "leaky_relu", "tanh")
_OUTPUTS_NEEDED = {
    "binary_cross_entropy": ("probabilities in [0, 1]", ("sigmoid",)),
    "binary_cross_entropy_with_logits": ("logits of either sign (class 0 below 0)", _SIGNED),
    "hinge": ("scores of either sign (class -1 below 0)", _SIGNED),
}


def main(argv: Sequence[str] | None = None) -> int | str | None:
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0].startswith("-") and words[0] not in ("-h", "--help", "--version"):
        words = ["demo", *words]  # the demo is the default job
    elif words[0] == "graph":
        words = ["graph", *graph_words(words[1:])]
    return run(_build_parser(), words)


# ---- the commands ----


def demo(args: argparse.Namespace) -> int:
    """Train MLP(2, [16, 16, 1]) on two moons, cross-check its gradients, write the pictures."""
    check_demo_work(args, DEMO_LAYERS, DEMO_BATCH, checks=2 if _torch_installed() else 1)
    need_dot("the demo draws the network and a neuron's graph", "run `chainrule train`")
    out = check_folder(args.out, "--out", DEMO_FILES)
    import nn
    from nn import datasets, plot
    from nn.draw import draw as draw_network

    print(f"Training MLP(2, [16, 16, 1]) on {args.n} two-moons points (hinge loss, Adam) ...")
    X, Y = datasets.moons(args.n, noise=0.1, seed=args.seed, signed=True)
    model = nn.MLP(2, DEMO_LAYERS, activation="tanh", seed=args.seed)
    before = picture_bytes(draw_network(model), out / "network_before.png", "--out")
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
    accuracy: list[float] = history.accuracy  # type: ignore[assignment]  # (hinge: classes)
    print(f"training accuracy: {accuracy[-1]:.1%} (loss {history.loss[-1]:.4f})")

    print("Cross-checking the engine's gradients on the whole batch:")
    report = nn.crosscheck(model, X, Y, loss="hinge", against="numpy")
    print(f"  against NumPy's matrix form: largest difference {report.max_abs_error:.2e}")
    ok = report.ok
    if _torch_installed():
        report = nn.crosscheck(model, X, Y, loss="hinge", against="torch")
        print(f"  against PyTorch (float64):   largest difference {report.max_abs_error:.2e}")
        ok = ok and report.ok
    else:
        print("  PyTorch is not installed, so the check against it is skipped: `make test`")
        print("  installs it, or .venv/bin/pip install -e '.[torch]'")

    pictures = {
        "loss.png": _png(plot.history(history, title="Training on two moons")),
        "decision_boundary.png": _png(
            plot.decision_boundary(model, X, Y, title="MLP(2, [16, 16, 1])")
        ),
        "network_before.png": before,
        "network.png": picture_bytes(draw_network(model), out / "network.png", "--out"),
    }
    make_folder(out, "--out")
    paths = {name: write_output(out / name, data, "--out") for name, data in pictures.items()}
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


def train(args: argparse.Namespace) -> int:
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
    check_train_work(args, n, nin, output_activation, boundary)
    names = ["loss.png", *(["decision_boundary.png"] if boundary else []), "model.json"]
    out = check_folder(args.out, "--out", names)

    import nn
    from nn import datasets, plot

    noise = 0.1 if args.noise is None else args.noise
    Y: list[float] | list[int]  # targets, or class labels
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
    make_folder(out, "--out")
    files = {
        what: write_output(out / name, data, "--out") for what, (name, data) in pictures.items()
    }
    files["model (JSON)"] = _save_model(model, out / "model.json")
    for name, path in files.items():
        print(f"  {name}: {path}")
    if boundary and not resolution:
        print("  (no decision boundary: the network is too large to evaluate on a grid quickly)")
    return 0


def check(args: argparse.Namespace) -> int:
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
        raise UsageError(f"--against torch needs PyTorch. {INSTALL_TORCH}")
    check_check_work(args, nin, nouts, output_activation)

    import nn

    rng = random.Random(args.seed)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(args.batch)]
    Y: list[Any]  # class indices, or a list of targets (or one target) per example
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


def _dataset_size(args: argparse.Namespace) -> int:
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


def _check_outputs(loss: str, output_activation: str, signed_targets: bool) -> None:
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


def _save_model(model: MLP, path: Path) -> Path:
    """model.save(path), an OSError reported in one line naming `path` (never a temporary)."""
    try:
        model.save(path)
    except OSError as error:
        raise UsageError(f"--out {path}: cannot write it: {reason(error)}") from None
    return Path(path)


def _boundary_resolution(
    plot: ModuleType, model: MLP, most: int = 60, least: int = 10
) -> int | None:
    """The grid for plot.decision_boundary: `most` x `most` points, fewer where the model is too
    large for plot's limit on the work (plot.MAX_GRID_WORK), or None below `least` x `least`."""
    fits = math.isqrt(plot.MAX_GRID_WORK // len(model.parameters()))
    return min(most, fits) if fits >= least else None


def _png(figure: Figure) -> bytes:
    """The PNG bytes of a figure of nn.plot (what Jupyter shows, at the plots' resolution)."""
    return figure._repr_png_()


def _neuron_picture(model: MLP, x: Sequence[float], path: Path) -> Path:
    """The computation graph of the first hidden neuron on one example, with the gradients of
    its activation a (which draw computes itself, as a fresh backward() would). The weights'
    .grad still hold training's last step: zeroed first, so that the picture has no notes of
    what they held."""
    from autograd.graph import draw

    neuron = model.layers[0].neurons[0]
    neuron.zero_grad()
    picture = draw(neuron(x), show_local_grads=True)
    return write_output(path, picture_bytes(picture, path, "--out"), "--out")


def _version() -> str:
    """This chainrule's version, as installed (or the source's, run from a clone)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:
        return "(not installed)"


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


# ---- the parser ----


def _build_parser() -> Parser:
    parser = Parser(
        prog="chainrule",
        description="A scalar autograd engine that shows backprop: demo, train, graph, check.",
        epilog="With no command, runs the demo. `chainrule COMMAND --help` describes a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)

    p = commands.add_parser(
        "demo",
        help="train on two moons, cross-check, write pictures (default)",
        description=demo.__doc__,
    )
    p.add_argument(
        "--out", default="out", help="folder for the pictures and the model (default: out)"
    )
    p.add_argument("--epochs", type=positive_int, default=40, help="training epochs (default: 40)")
    p.add_argument("--n", type=positive_int, default=100, help="number of points (default: 100)")
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
        type=positive_int,
        default=None,
        help="number of examples (default: 100; xor is always its 4 points)",
    )
    p.add_argument(
        "--noise", type=non_negative_number, default=None, help="data noise (default: 0.1)"
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
        type=positive_number,
        default=None,
        help="learning rate (default: 0.1 for sgd, 0.01 for adam)",
    )
    p.add_argument("--epochs", type=positive_int, default=100, help="epochs (default: 100)")
    p.add_argument(
        "--batch-size",
        type=positive_int,
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

    add_graph_command(commands)

    p = commands.add_parser(
        "check", help="cross-check a random MLP's gradients", description=check.__doc__
    )
    _network_options(p, [3, 8, 1], "input size, then the layer sizes")
    p.add_argument(
        "--loss", choices=LOSSES, default="squared_error", help="the loss (default: squared_error)"
    )
    p.add_argument("--batch", type=positive_int, default=8, help="examples (default: 8)")
    p.add_argument(
        "--against",
        choices=("numpy", "torch"),
        default="numpy",
        help="the reference (default: numpy)",
    )
    p.add_argument("--tol", type=positive_number, default=1e-10, help="tolerance (default: 1e-10)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data (default: 0)")
    _limit_option(p)
    p.set_defaults(run=check)
    return parser


def _network_options(p: argparse.ArgumentParser, layers: list[int], layers_help: str) -> None:
    """--layers, --activation and --output-activation, shared by train and check."""
    default = " ".join(map(str, layers))
    p.add_argument(
        "--layers",
        type=positive_int,
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


def _limit_option(p: argparse.ArgumentParser) -> None:
    """--max-minutes, shared by demo, train and check."""
    p.add_argument(
        "--max-minutes",
        type=positive_number,
        default=DEFAULT_MAX_MINUTES,
        metavar="M",
        help=f"refuse work estimated to take longer (default: {DEFAULT_MAX_MINUTES:g}); memory "
        f"is always limited to {size_text(MAX_BYTES)}",
    )

"""The `chainrule` command (also `python -m nn`): the demo, training, graphs of expressions, and
cross-checks, from a terminal.

    chainrule                       # the demo: train on moons, cross-check, write pictures to ./out
    chainrule train --dataset circles --layers 16 16 1 --epochs 50
    chainrule graph "tanh(x * w + b)" --set x=1.5 --set w=-2 --set b=0.5 -o graph.svg
    chainrule check --layers 3 8 2 --loss cross_entropy

Bad options or values exit with status 2 and a one-line message; a failed cross-check exits 1.
"""

import argparse
import importlib.util
import math
import sys
from pathlib import Path

from .losses import LOSSES
from .modules import ACTIVATIONS, INITS

DATASETS = ("xor", "moons", "circles", "spirals", "sine")


class UsageError(Exception):
    """A bad option or value: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line (and the hint where to get help), not the usage."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = _build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0].startswith("-") and args_list[0] not in ("-h", "--help"):
        args_list = ["demo", *args_list]  # the demo is the default job
    try:
        args = parser.parse_args(args_list)
        return args.run(args)
    except UsageError as error:
        print(f"chainrule: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, ArithmeticError) as error:
        # the library's own checks (a bad value for a layer size, a learning rate, a file, ...)
        print(f"chainrule: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"chainrule: error: {error}", file=sys.stderr)
        return 1
    except RuntimeError as error:  # e.g. Graphviz's `dot` is missing: the message says what to do
        print(f"chainrule: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130


# ---- the commands ----


def demo(args):
    """Train MLP(2, [16, 16, 1]) on two moons, cross-check its gradients, write the pictures."""
    import nn
    from nn import datasets, plot

    out = _output_folder(args.out)
    print(f"Training MLP(2, [16, 16, 1]) on {args.n} two-moons points (hinge loss, Adam) ...")
    X, Y = datasets.moons(args.n, noise=0.1, seed=args.seed, signed=True)
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=args.seed)
    before = _network_picture(model, out / "network_before.png")
    history = nn.fit(
        model,
        X,
        Y,
        loss="hinge",
        optimizer="adam",
        lr=0.01,
        epochs=args.epochs,
        batch_size=20,
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

    plot.history(history, path=out / "loss.png", title="Training on two moons")
    plot.decision_boundary(
        model, X, Y, path=out / "decision_boundary.png", title="MLP(2, [16, 16, 1])"
    )
    files = {"loss curve": out / "loss.png", "decision boundary": out / "decision_boundary.png"}
    files["network, before training"] = before
    files["network, after training"] = _network_picture(model, out / "network.png")
    files["one neuron's graph, with gradients"] = _neuron_picture(model, X[0], out / "neuron.png")
    model.save(out / "model.json")
    files["trained model (JSON)"] = out / "model.json"
    print("Wrote:")
    width = max(map(len, files))
    for name, path in files.items():
        print(f"  {name:<{width}}  {path}")
    return 0 if ok else 1


def train(args):
    """Train a network with the given options; save the model and its plots."""
    import nn
    from nn import datasets, plot

    loss = args.loss
    signed = loss == "hinge"
    if args.dataset == "sine":
        if loss not in ("squared_error", "mse"):
            raise UsageError(f"the sine data set is a regression task; --loss {loss} needs classes")
        X, Y = datasets.sine(args.n, noise=args.noise, seed=args.seed)
    else:
        make = getattr(datasets, args.dataset)
        kwargs = {"signed": signed}
        if args.dataset != "xor":
            kwargs.update(n=args.n, noise=args.noise, seed=args.seed)
        X, Y = make(**kwargs)
    n_classes = len(set(Y)) if args.dataset != "sine" else None
    nouts = args.layers
    expected = n_classes if loss == "cross_entropy" else 1
    if nouts[-1] != expected:
        what = f"{n_classes} classes" if loss == "cross_entropy" else "one output"
        raise UsageError(
            f"--layers must end with {expected} for --loss {loss} ({what}), got {nouts[-1]}"
        )
    output_activation = args.output_activation or (
        "sigmoid" if loss == "binary_cross_entropy" else "linear"
    )
    model = nn.MLP(
        len(X[0]),
        nouts,
        activation=args.activation,
        output_activation=output_activation,
        init=args.init,
        seed=args.seed,
    )
    print(f"Training {model} on {len(X)} {args.dataset} examples ({loss}, {args.optimizer}) ...")
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
    out = _output_folder(args.out)
    plot.history(history, path=out / "loss.png")
    files = {"loss curve": out / "loss.png"}
    if len(X[0]) == 2 and history.accuracy is not None:
        plot.decision_boundary(model, X, Y, path=out / "decision_boundary.png")
        files["decision boundary"] = out / "decision_boundary.png"
    model.save(out / "model.json")
    files["model (JSON)"] = out / "model.json"
    for name, path in files.items():
        print(f"  {name}: {path}")
    return 0


def graph(args):
    """Evaluate an expression with the engine, run backward, print gradients, draw the graph."""
    from autograd.expression import evaluate, names

    variables = {}
    for name, number in args.set:
        if name in variables:
            raise UsageError(f"--set {name} is given twice")
        variables[name] = number
    if args.output and Path(args.output).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"-o {args.output}: the picture must be a .png or .svg file")
    missing = [name for name in names(args.expression) if name not in variables]
    if missing:
        sets = " ".join(f"--set {name}=..." for name in missing)
        raise UsageError(f"the expression uses {', '.join(missing)}: give values with {sets}")
    unused = [name for name in variables if name not in names(args.expression)]
    if unused:
        raise UsageError(f"--set {unused[0]}: the expression does not use {unused[0]!r}")
    root = evaluate(args.expression, variables)
    leaves = {v.label: v for v in _named_leaves(root)}
    root.backward()
    print(f"{args.expression} = {_fmt(root.data)}")
    for name in variables:
        print(f"  d/d{name} = {_fmt(leaves[name].grad)}")
    if args.output:
        from autograd.graph import draw

        path = Path(args.output)
        picture = draw(root, show_local_grads=args.local_grads)
        written = picture.render(outfile=path, cleanup=True)
        print(f"graph: {written}")
    if args.steps:
        from autograd.steps import save_frames

        frames = save_frames(root, args.steps)
        print(f"{len(frames.pngs)} step frames and {frames.gif}: {args.steps}")
    return 0


def check(args):
    """Build a random MLP and print the cross-check of its gradients on a random batch."""
    import random

    import nn

    loss = args.loss
    rng = random.Random(args.seed)
    nin, nouts = args.layers[0], args.layers[1:]
    if not nouts:
        raise UsageError("--layers needs the input size and at least one layer, e.g. 3 8 1")
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(args.batch)]
    k = nouts[-1]
    if loss == "cross_entropy":
        if k < 2:
            raise UsageError("--loss cross_entropy needs at least 2 outputs (the last layer size)")
        Y = [rng.randrange(k) for _ in X]
    elif loss == "hinge":
        Y = [[rng.choice((-1.0, 1.0)) for _ in range(k)] for _ in X]
    elif loss.startswith("binary_cross_entropy"):
        Y = [[float(rng.random() < 0.5) for _ in range(k)] for _ in X]
    else:
        Y = [[rng.gauss(0, 1) for _ in range(k)] for _ in X]
    if k == 1 and loss != "cross_entropy":
        Y = [y[0] for y in Y]
    output_activation = args.output_activation or (
        "sigmoid" if loss == "binary_cross_entropy" else "linear"
    )
    model = nn.MLP(
        nin, nouts, activation=args.activation, output_activation=output_activation, seed=args.seed
    )
    if args.against == "torch" and not _torch_installed():
        raise UsageError("--against torch needs PyTorch: pip install 'chainrule[torch]'")
    report = nn.crosscheck(model, X, Y, loss=loss, against=args.against, tol=args.tol)
    print(report)
    return 0 if report.ok else 1


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
    p.set_defaults(run=demo)

    p = commands.add_parser(
        "train", help="train a network and save it with its plots", description=train.__doc__
    )
    p.add_argument(
        "--dataset", choices=DATASETS, default="moons", help="the data set (default: moons)"
    )
    p.add_argument("--n", type=_positive_int, default=100, help="number of examples (default: 100)")
    p.add_argument(
        "--noise", type=_non_negative_float, default=0.1, help="data noise (default: 0.1)"
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
        help="examples per step (default: the whole data set)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for data, weights, shuffling (default: 0)"
    )
    p.add_argument("--out", default="out", help="folder for the model and plots (default: out)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=train)

    p = commands.add_parser(
        "graph", help="differentiate an expression and draw its graph", description=graph.__doc__
    )
    p.add_argument(
        "expression",
        help="e.g. 'tanh(x * w + b) ** 2' (+ - * / **, parentheses, "
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


def _output_folder(path):
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {path}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _network_picture(model, path):
    """The network diagram of `model` as a PNG file; returns its path."""
    from nn.draw import draw as draw_network

    return _render(draw_network(model), path)


def _neuron_picture(model, x, path):
    """The computation graph of the first hidden neuron on one example, with gradients."""
    from autograd.graph import draw

    neuron = model.layers[0].neurons[0]
    a = neuron(x)
    a.backward()
    return _render(draw(a, show_local_grads=True), path)


def _render(picture, path):
    written = picture.render(outfile=Path(path), cleanup=True)
    return Path(written)


def _named_leaves(root):
    from autograd import topological_order

    return [v for v in topological_order(root) if not v.inputs and v.label]


def _torch_installed():
    return importlib.util.find_spec("torch") is not None


def _fmt(x):
    return f"{x:.6g}" if math.isfinite(x) else str(x)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
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

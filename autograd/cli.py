"""The `graph` command, and the command-line kit that every chainrule command is made with.

    python -m autograd graph "tanh(x * w + b) ** 2" --set x=1.5 --set w=-2 --set b=0.5 -o g.svg
    chainrule graph "x * y + x" --set x=2 --set y=3 --steps frames     (nn's CLI mounts it)

The kit: a parser whose usage errors are one line (`Parser`, `UsageError`), `run()`, which
turns every error into one line on stderr and an exit status (2 for a bad option, value or
output, 1 for a failed check or a missing Graphviz) and ends quietly when a reader stops reading
(`| head`), checks of the places outputs go before any work (`check_file`, `check_folder`),
and writing them with autograd.files: atomically, and nothing but the named files.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .expression import evaluate, functions, names
from .files import StrPath, check_target, write_file
from .frames import MAX_FRAME_NODES, save_frames
from .graph import MAX_NODES, MAX_WIDTH, draw
from .notation import fmt
from .value import topological_order

if TYPE_CHECKING:
    import graphviz

MAX_INT = 10**15  # the largest count an option takes (larger ones are refused as typos)
INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install "
    "graphviz`, macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`)"
)

# graph's options, spelled out: any other word that starts with '-' is the expression
_GRAPH_LONG_VALUE_OPTIONS = ("--output", "--set", "--steps")
_GRAPH_VALUE_OPTIONS = ("-o", *_GRAPH_LONG_VALUE_OPTIONS)
_GRAPH_FLAGS = ("-h", "--help", "--local-grads")


class UsageError(Exception):
    """A bad option or value: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line (and the hint where to get help), not the usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def run(parser: argparse.ArgumentParser, words: Sequence[str]) -> int | str | None:
    """Parse `words` with `parser` and run the command it names (args.run(args)): its exit
    status. Every error is one line on stderr; a reader that stops reading ends it quietly."""
    try:
        try:
            status = _run(parser, words)
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


def _run(parser, words):
    try:
        args = parser.parse_args(words)
        return args.run(args)
    except BrokenPipeError:
        raise
    except UsageError as error:
        return fail(error, 2)
    except (ValueError, TypeError, ArithmeticError) as error:
        # the library's own checks (a bad layer size, a picture's size guard, ...)
        return fail(error, 2)
    except OSError as error:
        return fail(error, 1)
    except RuntimeError as error:  # e.g. Graphviz's `dot` is missing: the message says what to do
        return fail(error, 1)
    except MemoryError:
        return fail("out of memory; use smaller options (--n, --batch-size, --layers)", 1)
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130


def fail(error: object, status: int) -> int:
    """Print `error` as ONE line on stderr; returns `status`."""
    text = " ".join(str(error).splitlines()) or type(error).__name__
    print(f"chainrule: error: {text}", file=sys.stderr)
    return status


# ---- the graph command ----


def graph_words(words: list[str]) -> list[str]:
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


def graph(args: argparse.Namespace) -> int:
    """Evaluate an expression with the engine, run backward, print gradients, draw the graph."""
    variables: dict[str, float] = {}
    for name, number in args.set:
        if name in variables:
            raise UsageError(f"--set {name} is given twice")
        variables[name] = number
    if args.output:
        if Path(args.output).suffix.lower() not in (".png", ".svg"):
            raise UsageError(f"-o {args.output}: the picture must be a .png or .svg file")
        check_file(args.output, "-o")
    if args.steps:
        check_folder(args.steps, "--steps")
    if args.output or args.steps:
        need_dot("-o and --steps draw pictures", "leave them out to print only the gradients")
    used = names(args.expression)
    missing = [name for name in used if name not in variables]
    if missing:
        sets = " ".join(f"--set {name}=..." for name in missing)
        raise UsageError(f"the expression uses {', '.join(missing)}: give values with {sets}")
    unused = [name for name in variables if name not in used]
    if unused:
        raise UsageError(f"--set {unused[0]}: the expression does not use {unused[0]!r}")
    root = evaluate(args.expression, variables)
    leaves = {v.label: v for v in topological_order(root) if not v.inputs and v.label}
    root.backward()
    picture = frames = None  # refusals (too large to draw) come before any file is written
    if args.output:
        try:
            picture = draw(root, **_picture_options(args), show_local_grads=args.local_grads)
        except ValueError as error:  # more than --max-nodes
            raise UsageError(f"-o {args.output}: {_for_the_command_line(error)}") from None
    if args.steps:
        try:
            frames = save_frames(  # refuses too many frames, before drawing
                root, args.steps, max_total_nodes=args.max_frame_nodes, **_picture_options(args)
            )
        except ValueError as error:
            raise UsageError(f"--steps {args.steps}: {_for_the_command_line(error)}") from None
        except OSError as error:
            raise UsageError(
                f"--steps {args.steps}: cannot write the frames: {reason(error)}"
            ) from None
    if picture is not None:
        write_output(args.output, picture_bytes(picture, args.output, "-o"), "-o")
    print(f"{args.expression} = {_number(root.data)}")
    for name in variables:
        print(f"  d/d{name} = {_number(leaves[name].grad)}")
    if picture is not None:
        print(f"graph: {args.output}")
    if frames is not None:
        print(f"{len(frames.pngs)} step frames and {frames.gif}: {args.steps}")
    return 0


def add_graph_command(
    commands: argparse._SubParsersAction[Any], prog: str = "chainrule"
) -> argparse.ArgumentParser:
    """Add the `graph` command to `commands` (argparse sub-parsers of Parser)."""
    p = commands.add_parser(
        "graph",
        help="differentiate an expression and draw its graph",
        description=graph.__doc__,
        epilog=f"An expression may start with '-', as in {prog} graph '-2*x' --set x=3: a word "
        "is an option only when it is spelled exactly as one of the options above (or as "
        "--option=VALUE); the first word that is neither an option nor an option's value is "
        "the expression. Options may come before or after it; `--` also ends the options.",
        allow_abbrev=False,
    )
    p.add_argument(
        "expression",
        help="e.g. 'tanh(x * w + b) ** 2' or '-2*x' (+ - * / **, parentheses, "
        f"{' '.join(sorted(functions()))})",
    )
    p.add_argument(
        "--set",
        action="append",
        type=assignment,
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
    p.add_argument(
        "--rankdir",
        choices=("LR", "TB", "RL", "BT"),
        default="LR",
        help="the pictures' direction: LR left to right (default), TB top to bottom, ...",
    )
    p.add_argument(
        "--max-nodes",
        type=limit_or_none,
        default=MAX_NODES,
        metavar="N",
        help=f"refuse a picture of more nodes (default: {MAX_NODES}; 'none': no limit)",
    )
    p.add_argument(
        "--max-frame-nodes",
        type=limit_or_none,
        default=MAX_FRAME_NODES,
        metavar="N",
        help=f"refuse --steps frames of more nodes in all, steps x nodes (default: "
        f"{MAX_FRAME_NODES}; 'none': no limit)",
    )
    p.add_argument(
        "--max-width",
        type=limit_or_none,
        default=MAX_WIDTH,
        metavar="PX",
        help=f"scale a wider picture down to this many pixels (default: {MAX_WIDTH}; 'none': "
        "its natural size)",
    )
    p.set_defaults(run=graph)
    return p


def _picture_options(args):
    """draw()'s options, from graph's."""
    return {"rankdir": args.rankdir, "max_nodes": args.max_nodes, "max_width": args.max_width}


# the library's advice names its Python arguments; on the command line they are options
_OPTIONS = {"max_nodes=": "--max-nodes ", "max_total_nodes=": "--max-frame-nodes "}


def _for_the_command_line(error):
    """A library error's message, its advice in the command line's words."""
    text = str(error)
    for argument, option in _OPTIONS.items():
        text = text.replace(argument, option)
    return text


def main(argv: Sequence[str] | None = None) -> int | str | None:
    """`python -m autograd graph ...`: run the command line `argv` (default: sys.argv[1:])."""
    parser = Parser(prog="python -m autograd", description="The graph command of chainrule.")
    add_graph_command(parser.add_subparsers(title="commands", metavar="COMMAND"), parser.prog)
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["graph"]:
        words = ["graph", *graph_words(words[1:])]
    return run(parser, words)


def _number(x):
    """A result as the command prints it: six significant digits."""
    return fmt(x, 6) if math.isfinite(x) else str(x)


# ---- the places outputs go ----


def need_dot(why: str, otherwise: str) -> None:
    """Refuse (exit 1), before any work, to run without Graphviz's program `dot`."""
    if shutil.which("dot") is None:
        raise RuntimeError(
            f"{why}: that needs the Graphviz program `dot`, which is not on PATH: "
            f"{INSTALL_GRAPHVIZ}, or {otherwise}"
        )


def check_folder(path: StrPath, what: str, names: Iterable[str] = ()) -> Path:
    """Path(path), after checking that it is a folder that can be written, or can be created,
    and that each of `names` in it can be written (see `check_file`). Creates nothing."""
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
                check_file(folder / name, what)
            return folder
        parent = folder.absolute().parent
        while not parent.exists() and not parent.is_symlink():
            parent = parent.parent
    except OSError as error:
        raise UsageError(f"{what} {path}: {reason(error)}") from None
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: cannot create the folder: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what} {path}: cannot create the folder: {parent} is not writable "
            "(permission denied); choose another place"
        )
    return folder


def check_file(path: StrPath, what: str) -> None:
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
        raise UsageError(f"{what} {path}: {reason(error)}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what} {path}: the folder {folder} is not writable (permission denied); "
            "choose another place"
        )


def make_folder(folder: Path, what: str) -> None:
    """Create `folder` (and its parents); a failure is one line naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{what} {folder}: cannot create the folder: {reason(error)}") from None


def write_output(path: StrPath, data: str | bytes, what: str) -> Path:
    """Write `data` to `path` with autograd.files.write_file (atomic; nothing else is
    created); returns `path`. An OSError is reported in one line naming `path`."""
    try:
        write_file(path, data, what=what)
    except OSError as error:
        raise UsageError(f"{what} {path}: cannot write it: {reason(error)}") from None
    return Path(path)


def reason(error: OSError) -> str:
    """An OSError's reason, without its numbers or paths."""
    return error.strerror or str(error)


def picture_bytes(picture: graphviz.Digraph, path: StrPath, what: str) -> bytes:
    """The bytes of a Graphviz picture in the format of `path`'s suffix (.png or .svg), made by
    `dot` through a pipe: no file is written, not even the DOT source."""
    import graphviz

    try:
        return picture.pipe(format=Path(path).suffix[1:].lower())
    except graphviz.CalledProcessError as error:
        lines = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {error.returncode}"
        raise RuntimeError(f"{what} {path}: Graphviz's dot could not draw it: {why}") from None


# ---- option types: each a one-line error for a bad value ----


def positive_int(text: str) -> int:
    """A count given on the command line: a whole number from 1 to MAX_INT."""
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


def finite_number(text: str) -> float:
    """A number given on the command line: finite."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_number(text: str) -> float:
    """A finite number > 0."""
    value = finite_number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def non_negative_number(text: str) -> float:
    """A finite number >= 0."""
    value = finite_number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def limit_or_none(text: str) -> int | None:
    """A limit given on the command line: a positive whole number, or 'none' for no limit."""
    return None if text.strip().lower() == "none" else positive_int(text)


def assignment(text: str) -> tuple[str, float]:
    """NAME=NUMBER, as --set takes it: (name, number)."""
    name, equals, number = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, e.g. x=1.5, got {text!r}")
    if not name.isidentifier():
        raise argparse.ArgumentTypeError(f"{name!r} is not a variable name")
    return name, finite_number(number.strip())

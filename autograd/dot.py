"""The Graphviz kit that every picture is made with: the Drawing class, the palette, legends,
and the escaping that makes every label text.

- `Drawing` is a graphviz.Digraph whose rendering says how to install Graphviz where the `dot`
  program is missing (GraphvizNotFound), and whose `write(path)` writes only the picture.
- Every label chainrule gives Graphviz is an HTML-like label made with `html_label` (plain
  text) or a table whose text went through `escape`: a label shows as the characters it has,
  and can add no attribute (no link, no markup).
- `measure` asks `dot` the size of labels, for pictures that must keep one layout.
"""

from __future__ import annotations

import functools
import html
import math
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import graphviz

from .checks import choice
from .notation import printable

if TYPE_CHECKING:
    from .files import StrPath

FONT = "Helvetica"
POSITIVE, NEGATIVE = (67, 147, 195), (214, 96, 77)  # > 0 blue, < 0 red (ColorBrewer RdBu)
ROLE_COLOURS = {  # a node's fill by its role
    "parameter": "#ffe9a8",
    "input": "#d5ecc9",
    "constant": "#ececec",
    "output": "#e3d3f3",
    "intermediate": "#ffffff",
}
HIGHLIGHT = "#ff7f00"  # a step's node and edges, and `highlight=` nodes
ACTIVE_TEXT = "#b35900"  # the chain-rule terms written on a step's edges
PENDING = "#9a9a9a"  # legend swatch: a grad still collecting contributions
PENDING_TEXT = "#3c3c3c"  # ... and its text, in italics (readable on every shade)
HELD_TEXT = "#6a3d9a"  # a leaf's stored .grad from earlier backward() calls
EDGE = "#606060"
SAVE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif")  # Drawing.write

INSTALL_GRAPHVIZ = (
    "Drawing needs the Graphviz program `dot`, which was not found on PATH. "
    "`pip install graphviz` installs only the Python wrapper; install Graphviz itself: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, Windows `winget install graphviz` (then add its bin folder "
    "to PATH), conda `conda install -c conda-forge graphviz`. Then restart Python or the "
    "Jupyter kernel. The DOT text is available without it: `.source`."
)


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """The Graphviz program `dot` is not installed (or not on PATH); the message says how to
    install it. A subclass of graphviz.ExecutableNotFound, so existing handlers still work."""

    def __init__(self, message: str = INSTALL_GRAPHVIZ) -> None:
        RuntimeError.__init__(self, message)


def _explains_missing_dot(method: Callable[..., Any]) -> Callable[..., Any]:
    """graphviz.Digraph's `method`, raising GraphvizNotFound (with install instructions) where
    the Graphviz program it runs is missing."""

    @functools.wraps(method)
    def wrapper(self: Drawing, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFound() from e

    return wrapper


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph whose rendering (render, pipe, view, and the inline display in
    Jupyter, which calls pipe) raises GraphvizNotFound, with install instructions, when the
    Graphviz program `dot` is missing."""

    pipe = _explains_missing_dot(graphviz.Digraph.pipe)
    render = _explains_missing_dot(graphviz.Digraph.render)
    view = _explains_missing_dot(graphviz.Digraph.view)
    unflatten = _explains_missing_dot(graphviz.Digraph.unflatten)  # the program `unflatten`

    def write(self, path: StrPath, format: str | None = None) -> StrPath:
        """Render the picture with `dot` and write it to `path`, in the format its suffix names
        (.png, .svg, .pdf, .jpg, .gif) unless `format` is given. Unlike render(), nothing else
        is written or deleted (no .gv file beside it), and the write is atomic and never
        replaces anything but a regular file (see autograd.files). Returns the path."""
        from .files import check_target, write_file

        format = format or os.path.splitext(os.fspath(path))[1][1:].lower()
        if format not in SAVE_FORMATS:
            raise ValueError(
                f"cannot save a picture as {os.fspath(path)!r}: expected a file name ending in "
                f"{', '.join('.' + f for f in SAVE_FORMATS)} (or format=)"
            )
        check_target(path, "the picture")  # before dot's work
        return write_file(path, self.pipe(format="jpg" if format == "jpeg" else format))


def check_rankdir(rankdir: str, allowed: Collection[str] = ("LR", "TB", "RL", "BT")) -> str:
    """rankdir, checked to be one of `allowed`."""
    return choice(rankdir, allowed, "rankdir")


def grad_colour(g: float | None, scale: float) -> str:
    """A fill colour for a gradient: white at 0, towards blue (> 0) or red (< 0) as |g| grows
    to `scale`. The square root makes small gradients visible next to large ones."""
    if not g or not math.isfinite(g) or not scale:
        return "#ffffff"
    t = min(1.0, math.sqrt(abs(g) / scale))
    rgb = POSITIVE if g > 0 else NEGATIVE
    return "#{:02x}{:02x}{:02x}".format(*(round(255 + (c - 255) * t) for c in rgb))


def legend_table(entries: Sequence[tuple[str, str]], columns: int = 4) -> str:
    """A legend: `entries` (colour, text as HTML) as an HTML grid, four to a row. (One plain
    grid, because Graphviz stretches nested tables and spanning cells apart.)"""
    columns = max(1, min(columns, len(entries)))
    rows = []
    for start in range(0, len(entries), columns):
        cells = "".join(
            f'{_swatch(colour)}<TD ALIGN="LEFT">{text}</TD>'
            for colour, text in entries[start : start + columns]
        )
        rows.append(f"<TR>{cells}</TR>")
    return f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _swatch(colour: str) -> str:
    """A small square of colour for a legend."""
    return f'<TD BGCOLOR="{colour}" BORDER="1" WIDTH="12" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'


def html_label(text: str) -> str:
    """Plain text as a Graphviz HTML-like label: every character shows as itself (no markup, no
    DOT escape sequences, no attribute can be injected), lines split at '\\n' (a backslash and
    an n, as in DOT). Every label chainrule gives Graphviz is either this or a table built with
    `escape`."""
    return f"<{lines(text)}>"


def lines(text: str) -> str:
    """Plain label text (lines separated by DOT's \\n) as HTML-like label text; control
    characters written out (see notation.printable), which Graphviz and SVG cannot carry."""
    return "<BR/>".join(escape(printable(line, math.inf)) for line in text.split("\\n"))


def escape(text: str) -> str:
    """Text escaped for an HTML-like label: &, < and > as entities, and every backslash
    doubled, because dot still expands escapes such as \\N (the node's name) in HTML-like
    labels, and reads a doubled backslash as one."""
    return html.escape(text, quote=False).replace("\\", "\\\\")


def tooltip(text: str) -> str:
    """A tooltip (a DOT escString, not a label) that shows `text` as it is: backslashes and
    quotes escaped, control characters written out, the length bounded."""
    return graphviz.escape(printable(text, limit=120))


def measure(labels: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """{(label, fontsize): (width, height) in points} for HTML labels (a node's table, an edge
    label's), from one run of `dot -Tplain` on a graph of unconnected nodes."""
    labels = sorted(labels)
    dot = Drawing(graph_attr={"fontname": FONT}, node_attr={"shape": "none", "margin": "0"})
    for i, (text, fontsize) in enumerate(labels):
        dot.node(f"m{i}", label=text, fontname=FONT, fontsize=fontsize)
    size = {}
    for line in dot.pipe(format="plain", encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "node":  # node name x y width height (inches)
            i = int(parts[1][1:])
            size[labels[i]] = (math.ceil(float(parts[4]) * 72), math.ceil(float(parts[5]) * 72))
    return size

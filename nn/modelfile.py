"""The model file: an MLP written as JSON, and read back with everything checked first.

    {
     "format": "chainrule.MLP",
     "version": 1,
     "architecture": {"nin": 2, "nouts": [3, 1], "activation": "tanh",
                      "output_activation": "linear", "init": "uniform"},
     "state": {"W[1]": [[...], [...], [...]], "b[1]": [...], "W[2]": [[...]], "b[2]": [...]}
    }

The state is a state dict: W[l] is the matrix W^l as a list of rows and b[l] the vector b^l, so
state["W[l]"][j][i] is the weight labelled w[l][j][i]. JSON only, never pickle: a model file may
come from anyone, and reading it must not be able to run code.

This module knows the format, not the model: nn.modules imports it, never the other way round.
`write` takes the architecture and the state dict; `read` checks a file through and returns the
architecture and the numbers in the order of MLP.parameters(), for `MLP.load` to build the model
from; `state_numbers` is the check every state dict gets (from a file, or load_state_dict's).
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from autograd.checks import choice, number
from autograd.files import StrPath, read_file, write_file
from autograd.notation import label

FORMAT = "chainrule.MLP"  # the "format" field of a saved model file
FORMAT_VERSION = 1  # its "version": read() reads exactly this version
ARCHITECTURE = ("nin", "nouts", "activation", "output_activation", "init")  # its fields

# The largest model file read() reads unless given a larger max_bytes=: 1 MiB. A saved model
# writes each weight in full (about 21 bytes), so 1 MiB holds about 49,000 parameters, e.g.
# MLP(2, [220, 220, 1]): far more than this scalar engine trains in reasonable time. It loads in
# 0.1-0.2 s, the process peaking at 54 MB. The worst files of that size, every number written "0"
# (350,000 to 520,000 parameters in a single layer), load in 2-4 s, peaking at 270 MB: nearly all
# of it spent building the Values, so 2 MiB would double both. (Python 3.11, 2 cores.)
MAX_MODEL_BYTES = 2**20


def make_state(layers: Iterable[tuple[list[list[float]], list[float]]]) -> dict[str, list[Any]]:
    """A state dict from each layer's (W, b), W^l as a list of rows of floats and b^l a list:
    {"W[1]": W^1, "b[1]": b^1, "W[2]": ...}."""
    state: dict[str, list[Any]] = {}
    for l, (W, b) in enumerate(layers, start=1):
        state[label("W", l)] = W
        state[label("b", l)] = b
    return state


def document(architecture: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """The JSON text of a model file: one line per row of each W, to stay readable. Floats are
    written as repr() writes them, so reading gives back every weight exactly."""
    entries = []
    for name, value in state.items():
        if name.startswith("W"):
            rows = ",\n".join(f"   {json.dumps(row)}" for row in value)
            entries.append(f"  {json.dumps(name)}: [\n{rows}\n  ]")
        else:
            entries.append(f"  {json.dumps(name)}: {json.dumps(value)}")
    body = ",\n".join(entries)
    return (
        f'{{\n "format": {json.dumps(FORMAT)},\n "version": {FORMAT_VERSION},\n'
        f' "architecture": {json.dumps(architecture)},\n'
        f' "state": {{\n{body}\n }}\n}}\n'
    )


def write(path: StrPath, architecture: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    """Write a model file to `path`, atomically and only over a regular file or a new path
    (autograd.files.write_file: ValueError for anything else, OSError where the operating
    system refuses)."""
    write_file(path, document(architecture, state), "the model file")


def read(
    path: StrPath,
    max_bytes: int = MAX_MODEL_BYTES,
    *,
    activations: Collection[str],
    inits: Collection[str],
) -> tuple[dict[str, Any], list[float]]:
    """(architecture, numbers) from the model file at `path`: the architecture's fields as a
    dict (the keyword arguments of nn.MLP), and every weight and bias as a float, in the order
    of MLP.parameters(). Nothing is built, and all of it is checked: the format and version,
    the architecture's fields (its activations among `activations`, its init among `inits`),
    then the state's names, shapes and numbers against the sizes the architecture declares, so
    that building the model costs no more than the numbers the file really holds.

    ValueError naming the file and what is wrong (see MLP.load); OSError where the file cannot
    be read."""
    raw = read_file(path, max_bytes, "the model file")
    where = os.fspath(path)
    return _checked(_parsed(raw, where), where, activations, inits)


def state_numbers(state: dict[str, Any], sizes: Sequence[int], what: str) -> list[float]:
    """The numbers of a state dict for layers of `sizes` ([nin, n1, ..., nL]), in the order of
    MLP.parameters(), after checking its names, shapes and numbers (a ValueError naming the
    first problem; a TypeError if it is not a dict). It builds nothing, so its cost is in
    proportion to the numbers `state` really holds, whatever sizes it is checked against."""
    if not isinstance(state, dict):
        raise TypeError(f"a state dict must be a dict, got {type(state).__name__}")
    _check_names(state, len(sizes) - 1, what)
    numbers: list[float] = []
    for l in range(1, len(sizes)):
        nin, nout = sizes[l - 1], sizes[l]
        W, b = label("W", l), label("b", l)
        W_l = _sequence(state[W], nout, W, f"rows (one per neuron of layer {l})")
        b_l = _sequence(state[b], nout, b, f"entries (one per neuron of layer {l})")
        for j in range(nout):
            row = _sequence(W_l[j], nin, label("W", l, j), f"entries (one per input of layer {l})")
            numbers.extend(_finite(x, W, j, i) for i, x in enumerate(row))
            numbers.append(_finite(b_l[j], b, j))
    return numbers


def _parsed(raw, where):
    """The JSON document in `raw`; ValueError naming `where` if it is not one."""
    try:
        return json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
        )
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not a model file: it is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{where} is not valid JSON (truncated or malformed?): {e}") from None
    except RecursionError:
        raise ValueError(f"{where} is not a model file: its JSON is nested too deeply") from None
    except ValueError as e:  # from the hooks: a repeated key, NaN, Infinity, a huge integer
        raise ValueError(f"{where} is not a valid model file: {e}") from None


def _checked(document, where, activations, inits):
    """(architecture, numbers) of a parsed model file, every part checked (ValueError naming
    `where`), the weights against the sizes the architecture declares."""
    if not isinstance(document, dict):
        raise ValueError(f"{where} is not a model file: expected a JSON object")
    _check_keys(document, {"format", "version", "architecture", "state"}, where, "keys")
    if document["format"] != FORMAT:
        raise ValueError(
            f"{where} is not a model file: its format is {_show(document['format'])}, "
            f"expected {FORMAT!r}"
        )
    version = document["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(
            f"{where} has format version {_show(version)}; this chainrule reads version "
            f"{FORMAT_VERSION} only"
        )
    architecture = document["architecture"]
    if not isinstance(architecture, dict):
        raise ValueError(f"{where}: the architecture must be a JSON object")
    _check_keys(architecture, set(ARCHITECTURE), f"{where}: the architecture", "fields")
    try:
        sizes = _declared_sizes(architecture, activations, inits)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: bad architecture {_show(architecture)}: {e}") from None
    declared = (  # as the MLP's repr() will read
        f"MLP({sizes[0]}, {_show(sizes[1:])}, activation={architecture['activation']!r}, "
        f"output_activation={architecture['output_activation']!r})"
    )
    try:
        numbers = state_numbers(document["state"], sizes, "the state")
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: the weights do not fit {declared}: {e}") from None
    return {field: architecture[field] for field in ARCHITECTURE}, numbers


def _declared_sizes(architecture, activations, inits):
    """[nin, n1, ..., nL] from a model file's architecture, each field checked as MLP() checks
    it, but without building anything."""
    sizes = [_size(architecture["nin"], "nin")]
    nouts = architecture["nouts"]
    if not isinstance(nouts, list):
        raise TypeError(
            f"nouts must be a list of layer sizes such as [16, 16, 1], got {type(nouts).__name__}"
        )
    if not nouts:
        raise ValueError("nouts must list at least one layer size, got an empty list")
    sizes += [_size(n, "each layer size in nouts") for n in nouts]
    choice(architecture["activation"], activations, "activation")
    choice(architecture["output_activation"], activations, "output_activation")
    choice(architecture["init"], inits, "init")
    return sizes


def _size(n, what):
    """n, checked to be a positive int, as autograd.checks.integer(n, what, least=1) checks it,
    but with the value shortened in the message: one read from a file may be huge or deeply
    nested, and is described, never copied out whole."""
    if type(n) is not int:  # a JSON value: an int, or something else entirely (never a NumPy int)
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {_show(n)}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {_show(n)}")
    return n


def _sequence(x, n, name, what):
    """x, checked to be a list (or tuple) of n items."""
    if not isinstance(x, (list, tuple)):
        raise ValueError(f"{name} must be a list of {n} {what}, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{name} has {len(x)} {what.split()[0]}, expected {n} {what}")
    return x


def _finite(x, name, *indices):
    """x as a finite float; a ValueError naming the weight, label(name, *indices), otherwise
    (a state dict's numbers are its content: a wrong one is a wrong value, not a wrong type)."""
    # The common cases first, without writing the weight's name: a file may hold 500,000 numbers.
    if type(x) is float and x - x == 0.0:  # finite
        return x
    if type(x) is int and x.bit_length() <= 1000:  # well within a float's range
        return float(x)
    try:
        return number(x, label(name, *indices))
    except TypeError as e:
        raise ValueError(str(e)) from None


def _check_keys(mapping, expected, what, noun):
    """ValueError naming the missing and the unexpected keys of `mapping`, if any."""
    missing = [k for k in sorted(expected) if k not in mapping]
    extra = [k for k in mapping if k not in expected]
    if missing or extra:
        _wrong_keys(what, noun, missing, len(missing), extra, ", ".join(sorted(expected)))


def _wrong_keys(what, noun, missing, n_missing, extra, expected):
    """The ValueError of _check_keys: the first few missing and unexpected keys, and how many."""
    problems = []
    if n_missing:
        problems.append("missing " + _first(missing, n_missing))
    if extra:
        problems.append("unexpected " + _first([_show(k) for k in extra[:5]], len(extra)))
    raise ValueError(f"{what} has the wrong {noun}: {'; '.join(problems)} (expected {expected})")


def _first(items, count):
    """The first five of `count` items, and how many more there are: a file can hold millions."""
    shown = ", ".join(items[:5])
    return shown if count <= 5 else f"{shown} and {count - 5:,} more"


# W[l] or b[l] with l written as str(l) writes it: the names make_state writes with label(). A
# pattern rather than a set of the expected names, whose size a file's declared depth would set.
_STATE_NAME = re.compile(r"[Wb]\[([1-9][0-9]{0,17})\]")


def _check_names(state, layers, what):
    """ValueError unless the names in `state` are exactly W[1], b[1], ..., W[layers], b[layers].
    Its cost is in proportion to len(state), however many layers a file declares."""

    def expected(name: object) -> bool:
        match = isinstance(name, str) and _STATE_NAME.fullmatch(name)
        if not match:
            return False
        return int(match[1]) <= layers

    extra = [k for k in state if not expected(k)]
    if not extra and len(state) == 2 * layers:
        return
    missing = []
    for l in range(1, layers + 1):  # the first five missing: found within len(state) + 3 layers
        missing += [name for name in (label("W", l), label("b", l)) if name not in state]
        if len(missing) >= 5:
            break
    n_missing = 2 * layers - (len(state) - len(extra))
    names = [label(kind, l) for l in range(1, min(layers, 3) + 1) for kind in "Wb"]
    if layers > 3:
        names[-2:] = ["...", label("W", layers), label("b", layers)]
    _wrong_keys(what, "names", missing, n_missing, extra, ", ".join(names))


def _show(x):
    """repr(x), shortened: a value read from a file may be huge or deeply nested."""
    try:
        return reprlib.repr(x)
    except ValueError:  # an int of more digits than repr() will write
        return f"an {type(x).__name__} too long to show"


def _unique_keys(pairs):
    """A JSON object as a dict, refusing a key that appears twice (json keeps the last)."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {_show(key)} appears twice")
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError(f"it contains {name}, which is not a number JSON allows")


_MAX_INT_DIGITS = 1000  # far more than a float's 309, far fewer than make int() slow (quadratic)


def _parse_int(text):
    """A JSON integer as an int, refusing one of more than _MAX_INT_DIGITS digits: no size or
    weight has so many, and a hostile file could make converting it take minutes."""
    digits = len(text.lstrip("-"))
    if digits > _MAX_INT_DIGITS:
        raise ValueError(
            f"it contains an integer of {digits:,} digits, more than the {_MAX_INT_DIGITS:,} "
            "any number in a model file may have (a finite float has at most 309)"
        )
    return int(text)

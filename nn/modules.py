"""Neurons, layers and MLPs made of Values.

Notation (the seed documents'): a neuron computes its pre-activation z = w . a_prev + b and its
activation a = sigma(z). Layers are numbered from 1 as in the seeds (a^0 = x is the input, W^1
the first layer of weights); units are numbered from 0, as Python lists are. So the graph node
labelled z[1][3] is neuron `model.layers[0].neurons[3]`'s pre-activation, and w[1][3][0] is its
weight from input 0: entry (3, 0) of the matrix W^1.

Because z is ONE node with local derivatives dz/dw_i = a_i and dz/da_i = w_i, `backward()`
reproduces the seeds' rules exactly: the gradient that arrives at z is delta, and each weight
receives dL/dw_ji = delta_j a_i, each bias dL/db_j = delta_j.
"""

import json
import math
import numbers
import os
import random
import re
import reprlib

from autograd import Value, linear, weighted_sum
from autograd.files import read_file, write_file
from autograd.value import _real

ACTIVATIONS = {
    "linear": None,  # a = z
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "softplus": Value.softplus,
}

INITS = ("uniform", "xavier", "he")

FORMAT = "chainrule.MLP"  # the "format" field of a saved model file
FORMAT_VERSION = 1  # its "version": load() reads exactly this version

# The largest model file load() reads unless given a larger max_bytes=: 1 MiB. A saved model
# writes each weight in full (about 21 bytes), so 1 MiB holds about 49,000 parameters, e.g.
# MLP(2, [220, 220, 1]): far more than this scalar engine trains in reasonable time. It loads in
# 0.1-0.2 s, the process peaking at 54 MB. The worst files of that size, every number written "0"
# (350,000 to 520,000 parameters in a single layer), load in 2-4 s, peaking at 270 MB: nearly all
# of it spent building the Values, so 2 MiB would double both. (Python 3.11, 2 cores.)
MAX_MODEL_BYTES = 2**20


class Parameter(Value):
    """A Value that training changes: a weight or a bias. (Pictures give parameters their own
    colour; otherwise a Parameter is a plain Value.)"""

    __slots__ = ()
    is_parameter = True


class Module:
    """Anything with parameters: `parameters()`, `named_parameters()` and `zero_grad()`."""

    def parameters(self):
        """Every parameter, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self):
        """(name, parameter) pairs, in the order of `parameters()`."""
        return []

    def zero_grad(self):
        """Set every parameter's gradient to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: z = sum_i w_i a_i + b, a = sigma(z)."""

    def __init__(self, nin, activation="tanh", init="uniform", seed=None, fan_out=1, name=""):
        """`nin` inputs; `activation` one of ACTIVATIONS; `init` one of "uniform" (U(-1, 1), as
        micrograd), "xavier" (Glorot uniform) or "he" (He normal); `seed` an int, None or a
        random.Random. `name` (e.g. "[1][3]") is appended to the graph labels w, b, z and a."""
        nin = _positive_int(nin, "nin")
        _choice(activation, ACTIVATIONS, "activation")
        _choice(init, INITS, "init")
        fan_out = _positive_int(fan_out, "fan_out")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        rng = _rng(seed)
        draw = _initializer(init, nin, fan_out, rng)
        self.w = [Parameter(draw(), label=f"w{name}[{i}]") for i in range(nin)]
        self.b = Parameter(0.0, label=f"b{name}")
        self.activation = activation
        self._sigma = ACTIVATIONS[activation]
        self._z_label, self._a_label = f"z{name}", f"a{name}"
        self._input_labels = [f"x[{i}]" for i in range(nin)]

    def __call__(self, x):
        """The neuron's activation a for one input x (a list of `nin` numbers or Values);
        numbers become Values labelled x[0], x[1], ..."""
        return self.activate(weighted_sum(self.w, _inputs(x, self._input_labels, "Neuron"), self.b))

    def activate(self, z):
        """a = sigma(z) for this neuron's pre-activation z (one node: dz/dw_i = x_i,
        dz/dx_i = w_i, dz/db = 1), labelling both nodes in the seeds' notation."""
        z.label = self._z_label
        if self._sigma is None:  # linear: a = z, and the node keeps the name z (its grad is delta)
            return z
        a = self._sigma(z)
        a.label = self._a_label
        return a

    def named_parameters(self):
        return [(p.label, p) for p in self.w] + [(self.b.label, self.b)]

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that all read the same inputs: a = sigma(W a_prev + b)."""

    def __init__(self, nin, nout, activation="tanh", init="uniform", seed=None, index=None):
        """`index` is the layer's number l in the labels (z[l][j]); a lone layer has none."""
        nout = _positive_int(nout, "nout")
        rng = _rng(seed)
        prefix = "" if index is None else f"[{index}]"
        self.neurons = [
            Neuron(nin, activation, init, rng, fan_out=nout, name=f"{prefix}[{j}]")
            for j in range(nout)
        ]
        self.activation = activation

    def __call__(self, x):
        """The layer's activations, always a list (one entry per neuron)."""
        zs = linear(self.W, x, self.b)  # z = W a_prev + b, one node per neuron
        return [neuron.activate(z) for neuron, z in zip(self.neurons, zs)]

    @property
    def W(self):
        """The weight matrix as a list of rows of Values: W[j][i] = neurons[j].w[i]."""
        return [neuron.w for neuron in self.neurons]

    @property
    def b(self):
        """The bias vector as a list of Values."""
        return [neuron.b for neuron in self.neurons]

    def named_parameters(self):
        return [pair for neuron in self.neurons for pair in neuron.named_parameters()]

    def __repr__(self):
        return (
            f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, activation={self.activation!r})"
        )


class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each layer reading the previous one's a."""

    def __init__(
        self, nin, nouts, activation="tanh", output_activation="linear", init="uniform", seed=None
    ):
        """MLP(2, [16, 16, 1]): 2 inputs, two hidden layers of 16 `activation` units, and one
        `output_activation` output. The same `seed` always gives the same weights (a private
        random.Random is used, never the global one)."""
        nin = _positive_int(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(
                f"nouts must be a list of layer sizes such as [16, 16, 1], "
                f"got {type(nouts).__name__}"
            )
        nouts = [_positive_int(n, "each layer size in nouts") for n in nouts]
        if not nouts:
            raise ValueError("nouts must list at least one layer size, got an empty list")
        _choice(activation, ACTIVATIONS, "activation")
        _choice(output_activation, ACTIVATIONS, "output_activation")
        _choice(init, INITS, "init")
        rng = _rng(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(
                sizes[l - 1],
                sizes[l],
                activation if l < len(sizes) - 1 else output_activation,
                init,
                rng,
                index=l,
            )
            for l in range(1, len(sizes))
        ]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation, self.init = activation, output_activation, init
        self._input_labels = [f"x[{i}]" for i in range(nin)]

    def __call__(self, x):
        """The network's output for one example `x` (a list of `nin` numbers or Values): a list of
        Values, or a single Value when the last layer has one neuron."""
        a = _inputs(x, self._input_labels, "MLP")
        for layer in self.layers:
            a = layer(a)
        return a[0] if len(a) == 1 else a

    def named_parameters(self):
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    # ---- save and load: JSON only, never pickle (a model file must not be able to run code) ----

    def state_dict(self):
        """Every weight and bias as plain floats, in the seeds' matrix notation:
        {"W[1]": W^1 as a list of rows, "b[1]": b^1, "W[2]": ...}, so that
        state["W[l]"][j][i] is the weight labelled w[l][j][i]. A copy: editing it changes
        nothing in the model."""
        state = {}
        for l, layer in enumerate(self.layers, start=1):
            state[f"W[{l}]"] = [[w.data for w in row] for row in layer.W]
            state[f"b[{l}]"] = [b.data for b in layer.b]
        return state

    def load_state_dict(self, state):
        """Set every weight and bias from `state`, a dict as `state_dict()` returns it.

        Everything is checked before anything changes: the names (none missing, none extra),
        the shapes (W[l] has one row per neuron of layer l, each with one entry per input) and
        the numbers (real and finite). A ValueError names what is wrong, and leaves the model
        unchanged. The Parameters stay the same objects (an optimizer holding them still works);
        their gradients are left as they were."""
        numbers_in_order = self._check_state(state)
        for p, number in zip(self.parameters(), numbers_in_order):
            p.data = number

    def save(self, path):
        """Write the model to `path` as JSON: {"format": "chainrule.MLP", "version": 1,
        "architecture": {nin, nouts, activation, output_activation, init}, "state":
        state_dict()}. Floats are written as repr() writes them, so `MLP.load` gives back every
        weight exactly.

        `path` must be a regular file or a new path: anything else (a FIFO, a device such as
        /dev/null, a directory) is a ValueError before anything is written, and is never
        replaced. A symlink's target is written. The write is atomic (autograd.files.write_file):
        a failed save leaves an existing file exactly as it was; one that is killed may leave a
        temporary file `.NAME.PID-RANDOM.chainrule-tmp` beside it, which the next save to `path`
        removes. ValueError for a non-finite weight; OSError where the operating system refuses
        (a missing folder, a permission)."""
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"cannot save {self!r}: its parameter {name} is {p.data!r}")
        write_file(path, self._document(), "the model file")

    @classmethod
    def load(cls, path, *, max_bytes=MAX_MODEL_BYTES):
        """The MLP that `save` wrote to `path`.

        A model file may come from anyone, so nothing in it is trusted. It is JSON (reading it
        runs no code), and all of it is checked before the model is built: the architecture's
        fields, then the weights' names, shapes and numbers against the sizes it declares, so a
        small file cannot make load build a large model.

        ValueError, naming the file and what is wrong, for: a path that is not a regular file (a
        directory, a FIFO, a device such as /dev/zero) or has more than `max_bytes` bytes (both
        refused before reading; MAX_MODEL_BYTES, 1 MiB, by default: pass more for a larger
        model you trust), and a file that is not a complete, valid model file of this format
        version (truncated, malformed, another version, an architecture that does not match its
        weights, weights that are not finite numbers). OSError (FileNotFoundError,
        PermissionError) where the file cannot be read. A failed load changes nothing."""
        raw = read_file(path, max_bytes, "the model file")
        where = os.fspath(path)
        try:
            text = raw.decode("utf-8")
            document = json.loads(
                text,
                object_pairs_hook=_unique_keys,
                parse_constant=_reject_constant,
                parse_int=_parse_int,
            )
        except UnicodeDecodeError:
            raise ValueError(f"{where} is not a model file: it is not UTF-8 text") from None
        except json.JSONDecodeError as e:
            raise ValueError(f"{where} is not valid JSON (truncated or malformed?): {e}") from None
        except RecursionError:
            raise ValueError(
                f"{where} is not a model file: its JSON is nested too deeply"
            ) from None
        except ValueError as e:  # from the hooks: a repeated key, NaN, Infinity, a huge integer
            raise ValueError(f"{where} is not a valid model file: {e}") from None
        return cls._from_document(document, where)

    def _architecture(self):
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
        }

    def _document(self):
        """The JSON text of a model file: one line per row of each W, to stay readable."""
        entries = []
        for name, value in self.state_dict().items():
            if name.startswith("W"):
                rows = ",\n".join(f"   {json.dumps(row)}" for row in value)
                entries.append(f"  {json.dumps(name)}: [\n{rows}\n  ]")
            else:
                entries.append(f"  {json.dumps(name)}: {json.dumps(value)}")
        state = ",\n".join(entries)
        return (
            f'{{\n "format": {json.dumps(FORMAT)},\n "version": {FORMAT_VERSION},\n'
            f' "architecture": {json.dumps(self._architecture())},\n'
            f' "state": {{\n{state}\n }}\n}}\n'
        )

    @classmethod
    def _from_document(cls, document, where):
        """The model a parsed model file describes (ValueError naming `where`). Every part is
        checked before the model is built, the weights against the sizes the architecture
        declares: building then costs no more than the numbers the file really holds."""
        expected = {"format", "version", "architecture", "state"}
        if not isinstance(document, dict):
            raise ValueError(f"{where} is not a model file: expected a JSON object")
        _check_keys(document, expected, where, "keys")
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
        _check_keys(
            architecture,
            {"nin", "nouts", "activation", "output_activation", "init"},
            f"{where}: the architecture",
            "fields",
        )
        try:
            sizes = _declared_sizes(**architecture)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: bad architecture {_show(architecture)}: {e}") from None
        declared = (
            f"MLP({sizes[0]}, {_show(sizes[1:])}, activation={architecture['activation']!r}, "
            f"output_activation={architecture['output_activation']!r})"
        )
        try:
            numbers_in_order = _state_numbers(document["state"], sizes, "the state")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: the weights do not fit {declared}: {e}") from None
        model = cls(**architecture, seed=0)  # only now: it is no larger than the file's numbers
        for p, number in zip(model.parameters(), numbers_in_order):
            p.data = number
        return model

    def _check_state(self, state):
        """The numbers of a state dict in the order of parameters(), after checking everything."""
        sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        return _state_numbers(state, sizes, f"the state dict for {self!r}")

    @classmethod
    def from_numpy(cls, weights, biases, **kwargs):
        """An MLP holding the given weight matrices W^l and bias vectors b^l (see nn.convert)."""
        from .convert import from_numpy

        return from_numpy(weights, biases, **kwargs)

    def __repr__(self):
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )


def _inputs(x, labels, who):
    """x as a list of len(labels) Values; numbers become Values labelled x[0], x[1], ..."""
    n = len(labels)
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who} input must be a list of {n} numbers, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{who} expects {n} inputs, got {len(x)}")
    values = []
    for xi, label in zip(x, labels):
        if isinstance(xi, Value):
            values.append(xi)
            continue
        number = _real(xi)
        if number is None:
            raise TypeError(f"{who} inputs must be numbers, got {type(xi).__name__} at {label}")
        values.append(Value(number, label))
    return values


def _rng(seed):
    """A private random.Random: passed through, or made from an int seed (None: unseeded)."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return random.Random(int(seed))
    raise TypeError(f"seed must be an int, None or a random.Random, got {type(seed).__name__}")


def _choice(name, options, what):
    """Check that `name` is one of the str keys of `options`."""
    if not isinstance(name, str) or name not in options:
        raise ValueError(f"unknown {what} {_show(name)}; expected one of {list(options)}")


def _initializer(init, fan_in, fan_out, rng):
    """A function drawing one initial weight."""
    if init == "uniform":  # micrograd's choice
        return lambda: rng.uniform(-1.0, 1.0)
    if init == "xavier":  # Glorot & Bengio (2010): keeps the variance of a and delta level
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return lambda: rng.uniform(-limit, limit)
    if init == "he":  # He et al. (2015): for relu units, std sqrt(2 / fan_in)
        std = math.sqrt(2.0 / fan_in)
        return lambda: rng.gauss(0.0, std)
    raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")


def _positive_int(n, what):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


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


_STATE_NAME = re.compile(r"[Wb]\[([1-9][0-9]{0,17})\]")  # W[l] or b[l], l written as str(l)


def _check_names(state, layers, what):
    """ValueError unless the names in `state` are exactly W[1], b[1], ..., W[layers], b[layers].
    Its cost is in proportion to len(state), however many layers a file declares."""

    def expected(name):
        match = isinstance(name, str) and _STATE_NAME.fullmatch(name)
        return bool(match) and int(match[1]) <= layers

    extra = [k for k in state if not expected(k)]
    if not extra and len(state) == 2 * layers:
        return
    missing = []
    for l in range(1, layers + 1):  # the first five missing: found within len(state) + 3 layers
        missing += [name for name in (f"W[{l}]", f"b[{l}]") if name not in state]
        if len(missing) >= 5:
            break
    n_missing = 2 * layers - (len(state) - len(extra))
    names = [f"{kind}[{l}]" for l in range(1, min(layers, 3) + 1) for kind in "Wb"]
    if layers > 3:
        names[-2:] = ["...", f"W[{layers}]", f"b[{layers}]"]
    _wrong_keys(what, "names", missing, n_missing, extra, ", ".join(names))


def _declared_sizes(nin, nouts, activation, output_activation, init):
    """[nin, n1, ..., nL] from a model file's architecture, each field checked as MLP() checks
    it, but without building anything."""
    sizes = [_size(nin, "nin")]
    if not isinstance(nouts, list):
        raise TypeError(
            f"nouts must be a list of layer sizes such as [16, 16, 1], got {type(nouts).__name__}"
        )
    if not nouts:
        raise ValueError("nouts must list at least one layer size, got an empty list")
    sizes += [_size(n, "each layer size in nouts") for n in nouts]
    _choice(activation, ACTIVATIONS, "activation")
    _choice(output_activation, ACTIVATIONS, "output_activation")
    _choice(init, INITS, "init")
    return sizes


def _size(n, what):
    """n, checked to be a positive int (a JSON value: never a bool, never a float)."""
    if type(n) is not int:
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {_show(n)}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {_show(n)}")
    return n


def _state_numbers(state, sizes, what):
    """The numbers of a state dict for layers of `sizes` ([nin, n1, ..., nL]), in the order of
    parameters(), after checking its names, shapes and numbers. It builds no model, so its cost is
    in proportion to the numbers `state` really holds, whatever sizes it is checked against."""
    if not isinstance(state, dict):
        raise TypeError(f"a state dict must be a dict, got {type(state).__name__}")
    _check_names(state, len(sizes) - 1, what)
    numbers_in_order = []
    for l in range(1, len(sizes)):
        nin, nout = sizes[l - 1], sizes[l]
        W = _sequence(state[f"W[{l}]"], nout, f"W[{l}]", f"rows (one per neuron of layer {l})")
        b = _sequence(state[f"b[{l}]"], nout, f"b[{l}]", f"entries (one per neuron of layer {l})")
        for j in range(nout):
            row = _sequence(W[j], nin, f"W[{l}][{j}]", f"entries (one per input of layer {l})")
            numbers_in_order.extend(_finite(x, f"W[{l}][{j}][{i}]") for i, x in enumerate(row))
            numbers_in_order.append(_finite(b[j], f"b[{l}][{j}]"))
    return numbers_in_order


def _sequence(x, n, name, what):
    """x, checked to be a list (or tuple) of n items."""
    if not isinstance(x, (list, tuple)):
        raise ValueError(f"{name} must be a list of {n} {what}, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{name} has {len(x)} {what.split()[0]}, expected {n} {what}")
    return x


def _finite(x, name):
    """x as a finite float; ValueError naming the weight `name` otherwise."""
    try:
        number = _real(x)
    except OverflowError:  # an int beyond the largest float
        raise ValueError(
            f"{name} must be a finite number, got {_show(x)}, too large for a float (the "
            "largest is about 1.8e308)"
        ) from None
    if number is None:
        raise ValueError(f"{name} must be a number, got {type(x).__name__} {_show(x)}")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number!r}")
    return number


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

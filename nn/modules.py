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
import secrets
import stat

from autograd import Value, linear, weighted_sum
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
        weight exactly. The write is atomic (a temporary file in the same directory, then
        os.replace): a failed save leaves an existing file as it was, never half written."""
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"cannot save {self!r}: its parameter {name} is {p.data!r}")
        _write_atomically(path, self._document())

    @classmethod
    def load(cls, path):
        """The MLP that `save` wrote to `path`. A file that is not a complete, valid model file
        of this format version (truncated, malformed, another version, an architecture that does
        not match its weights, non-finite weights) raises ValueError naming the file and what is
        wrong. Reading JSON runs no code, whoever wrote the file."""
        with open(path, "rb") as f:
            raw = f.read()
        where = os.fspath(path)
        try:
            text = raw.decode("utf-8")
            document = json.loads(
                text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant
            )
        except UnicodeDecodeError:
            raise ValueError(f"{where} is not a model file: it is not UTF-8 text") from None
        except json.JSONDecodeError as e:
            raise ValueError(f"{where} is not valid JSON (truncated or malformed?): {e}") from None
        except RecursionError:
            raise ValueError(
                f"{where} is not a model file: its JSON is nested too deeply"
            ) from None
        except ValueError as e:  # from the hooks: a repeated key, NaN or Infinity
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
        """The model a parsed model file describes, every part checked (ValueError naming
        `where`)."""
        expected = {"format", "version", "architecture", "state"}
        if not isinstance(document, dict):
            raise ValueError(f"{where} is not a model file: expected a JSON object")
        _check_keys(document, expected, where, "keys")
        if document["format"] != FORMAT:
            raise ValueError(
                f"{where} is not a model file: its format is {document['format']!r}, "
                f"expected {FORMAT!r}"
            )
        version = document["version"]
        if type(version) is not int or version != FORMAT_VERSION:
            raise ValueError(
                f"{where} has format version {version!r}; this chainrule reads version "
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
            model = cls(**architecture, seed=0)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: bad architecture {architecture}: {e}") from None
        try:
            model.load_state_dict(document["state"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: the weights do not fit {model!r}: {e}") from None
        return model

    def _check_state(self, state):
        """The numbers of a state dict in the order of parameters(), after checking everything."""
        if not isinstance(state, dict):
            raise TypeError(f"a state dict must be a dict, got {type(state).__name__}")
        names = [f"{kind}[{l}]" for l in range(1, len(self.layers) + 1) for kind in "Wb"]
        _check_keys(state, set(names), f"the state dict for {self!r}", "names", order=names)
        numbers_in_order = []
        for l, layer in enumerate(self.layers, start=1):
            nin, nout = len(layer.neurons[0].w), len(layer.neurons)
            W = _sequence(state[f"W[{l}]"], nout, f"W[{l}]", f"rows (one per neuron of layer {l})")
            b = _sequence(
                state[f"b[{l}]"], nout, f"b[{l}]", f"entries (one per neuron of layer {l})"
            )
            for j in range(nout):
                row = _sequence(W[j], nin, f"W[{l}][{j}]", f"entries (one per input of layer {l})")
                numbers_in_order.extend(_finite(x, f"W[{l}][{j}][{i}]") for i, x in enumerate(row))
                numbers_in_order.append(_finite(b[j], f"b[{l}][{j}]"))
        return numbers_in_order

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
        raise ValueError(f"unknown {what} {name!r}; expected one of {list(options)}")


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


def _check_keys(mapping, expected, what, noun, order=None):
    """ValueError naming the missing and the unexpected keys of `mapping`, if any."""
    missing = [k for k in (order or sorted(expected)) if k not in mapping]
    extra = [k for k in mapping if k not in expected]
    if missing or extra:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(map(str, missing)))
        if extra:
            problems.append("unexpected " + ", ".join(map(repr, extra)))
        raise ValueError(
            f"{what} has the wrong {noun}: {'; '.join(problems)} "
            f"(expected {', '.join(order or sorted(expected))})"
        )


def _sequence(x, n, name, what):
    """x, checked to be a list (or tuple) of n items."""
    if not isinstance(x, (list, tuple)):
        raise ValueError(f"{name} must be a list of {n} {what}, got {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{name} has {len(x)} {what.split()[0]}, expected {n} {what}")
    return x


def _finite(x, name):
    number = _real(x)
    if number is None:
        raise ValueError(f"{name} must be a number, got {type(x).__name__} {x!r}")
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number!r}")
    return number


def _unique_keys(pairs):
    """A JSON object as a dict, refusing a key that appears twice (json keeps the last)."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError(f"it contains {name}, which is not a number JSON allows")


def _write_atomically(path, text):
    """Write text to path through a temporary file in the same directory and os.replace, so
    that readers see the old file or the new one, never a half-written one."""
    target = os.path.realpath(os.fspath(path))  # a symlink's target is replaced, not the link
    directory, base = os.path.split(target)
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # mode: umask applies
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(target):  # keep the permissions of the file being replaced
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise

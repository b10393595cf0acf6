"""Saving and loading models as JSON, with real files: exact round trips, the state dict, and
every way a file or a state dict can be wrong (each a ValueError naming the problem, with the
model left unchanged), atomic saves, and files that must not be able to run code, exhaust the
memory, block, or make save replace something that is not a regular file."""

import json
import math
import os
import pickle
import re
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from test_files import bounded, fifo, finished_pid, forbid, listing, temporary_name

import nn.modelfile
import nn.modules
from nn.modelfile import FORMAT, FORMAT_VERSION, MAX_MODEL_BYTES
from nn.modules import MLP
from nn.optim import SGD

TRICKY = [0.1 + 0.2, -0.0, 5e-324, 1e-320, 1.7976931348623157e308, -1 / 3, 2.0**-1074, 1e16 + 1]


def bits(x):
    return struct.pack("<d", x)  # tells -0.0 from 0.0


def all_bits(model):
    return [bits(p.data) for p in model.parameters()]


def tricky_model():
    model = MLP(3, [4, 2], activation="relu", output_activation="sigmoid", init="he", seed=5)
    for p, x in zip(model.parameters(), TRICKY):
        p.data = x
    return model


# ---- round trips ----


def test_save_and_load_give_back_every_weight_exactly(tmp_path):
    model = tricky_model()
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert all_bits(loaded) == all_bits(model)
    assert repr(loaded) == repr(model) and loaded.init == "he"
    assert loaded.nin == 3 and loaded.nouts == [4, 2]
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_a_loaded_model_computes_the_same_outputs(tmp_path):
    model = MLP(2, [16, 16, 1], seed=0)
    model.save(str(tmp_path / "m.json"))  # a str path works as well as a Path
    loaded = MLP.load(str(tmp_path / "m.json"))
    for x in ([0.5, -1.0], [2.0, 0.25]):
        assert loaded(x).data == model(x).data


def test_the_file_is_readable_json_recording_the_architecture_and_version(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], activation="sigmoid", init="xavier", seed=0).save(path)
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT == "chainrule.MLP"
    assert document["version"] == FORMAT_VERSION == 1
    assert document["architecture"] == {
        "nin": 2,
        "nouts": [3, 1],
        "activation": "sigmoid",
        "output_activation": "linear",
        "init": "xavier",
    }
    assert list(document["state"]) == ["W[1]", "b[1]", "W[2]", "b[2]"]
    assert path.read_text().count("\n") > 10  # one row of W per line, not one long line


def test_state_dict_is_the_seeds_matrices_as_plain_floats():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state) == ["W[1]", "b[1]", "W[2]", "b[2]"]
    for l, layer in enumerate(model.layers, start=1):
        assert state[f"W[{l}]"] == [[w.data for w in row] for row in layer.W]
        assert state[f"b[{l}]"] == [b.data for b in layer.b]
    assert all(type(x) is float for row in state["W[1]"] for x in row)


def test_the_format_lives_in_modelfile_and_is_still_importable_from_modules():
    assert (nn.modules.FORMAT, nn.modules.FORMAT_VERSION, nn.modules.MAX_MODEL_BYTES) == (
        FORMAT,
        FORMAT_VERSION,
        MAX_MODEL_BYTES,
    )


def test_modelfile_reads_a_file_without_building_anything(tmp_path, monkeypatch):
    path = saved(tmp_path, tricky_model())

    def built(*args, **kwargs):
        raise AssertionError("modelfile.read built a neuron")

    monkeypatch.setattr(nn.modules.Neuron, "__init__", built)
    architecture, numbers = nn.modelfile.read(
        path, activations=nn.modules.ACTIVATIONS, inits=nn.modules.INITS
    )
    monkeypatch.undo()
    assert architecture == {
        "nin": 3,
        "nouts": [4, 2],
        "activation": "relu",
        "output_activation": "sigmoid",
        "init": "he",
    }
    assert [bits(x) for x in numbers] == all_bits(tricky_model())


def test_state_dict_is_a_copy():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    state["W[1]"][0][0] = 123.0
    assert model.layers[0].W[0][0].data != 123.0


def test_load_state_dict_sets_the_weights_and_keeps_the_parameters():
    source, target = tricky_model(), MLP(3, [4, 2], seed=9)
    params = target.parameters()
    optimizer = SGD(params, 0.1)
    target.load_state_dict(source.state_dict())
    assert all_bits(target) == all_bits(source)
    assert all(p is q for p, q in zip(params, target.parameters()))
    for p in params:  # the optimizer made before the load still moves the model's weights
        p.grad = 1.0
    optimizer.step()
    assert target.parameters()[1].data == source.parameters()[1].data - 0.1


def test_load_state_dict_accepts_ints_and_tuples():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"W[1]": ((2,),), "b[1]": [-1]})
    assert model.layers[0].W[0][0].data == 2.0 and model.layers[0].b[0].data == -1.0
    assert type(model.layers[0].b[0].data) is float


# ---- a bad state dict: ValueError naming what is wrong, model unchanged ----


def good_state():
    return MLP(2, [3, 1], seed=1).state_dict()


def with_change(change):
    state = good_state()
    change(state)
    return state


BAD_STATES = [
    ("missing", lambda s: s.pop("b[2]"), r"wrong names: missing b\[2\] \(expected W\[1\], b\[1\]"),
    ("extra", lambda s: s.update({"W[3]": [[1.0]]}), r"unexpected 'W\[3\]'"),
    ("renamed", lambda s: s.update({"w[1]": s.pop("W[1]")}), r"missing W\[1\]; unexpected 'w"),
    ("rows", lambda s: s["W[1]"].pop(), r"W\[1\] has 2 rows, expected 3 rows \(one per neuron"),
    ("row", lambda s: s["W[2]"][0].append(0.5), r"W\[2\]\[0\] has 4 entries, expected 3 entr"),
    ("bias", lambda s: s["b[1]"].append(0.0), r"b\[1\] has 4 entries, expected 3 entries"),
    ("not a list", lambda s: s.update({"W[2]": 1.0}), r"W\[2\] must be a list of 1 rows.*float"),
    ("row not a list", lambda s: s["W[1]"].__setitem__(0, 0.5), r"W\[1\]\[0\] must be a list"),
    ("text", lambda s: s["W[1]"][2].__setitem__(1, "0.5"), r"W\[1\]\[2\]\[1\] must be a number"),
    ("None", lambda s: s["b[2]"].__setitem__(0, None), r"b\[2\]\[0\] must be a number, got No"),
    ("bool", lambda s: s["b[1]"].__setitem__(1, True), r"b\[1\]\[1\] must be a number, got bo"),
    ("nested", lambda s: s["b[1]"].__setitem__(0, [1.0]), r"b\[1\]\[0\] must be a number"),
    ("nan", lambda s: s["W[2]"][0].__setitem__(2, math.nan), r"W\[2\]\[0\]\[2\] must be a fin"),
    ("inf", lambda s: s["b[2]"].__setitem__(0, -math.inf), r"b\[2\]\[0\] must be a finite num"),
]


@pytest.mark.parametrize("what, change, message", BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_a_bad_state_dict_is_a_value_error_and_changes_nothing(what, change, message):
    model = MLP(2, [3, 1], seed=0)
    before = all_bits(model)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(with_change(change))
    assert all_bits(model) == before


def test_a_problem_in_the_last_entry_leaves_even_the_first_weights_unchanged():
    model = MLP(2, [3, 1], seed=0)
    before = all_bits(model)
    state = good_state()  # every weight differs from the model's
    state["b[2]"][0] = math.nan  # the very last number
    with pytest.raises(ValueError, match=r"b\[2\]\[0\]"):
        model.load_state_dict(state)
    assert all_bits(model) == before


def test_a_state_dict_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="a state dict must be a dict, got list"):
        MLP(2, [1], seed=0).load_state_dict([[1.0, 2.0], [0.0]])


# ---- bad files ----


def saved(tmp_path, model=None):
    path = tmp_path / "m.json"
    (model or MLP(2, [3, 1], seed=0)).save(path)
    return path


def write_document(tmp_path, change):
    path = saved(tmp_path)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, -1])
def test_a_truncated_file_is_a_value_error(tmp_path, keep):
    path = saved(tmp_path)
    text = path.read_text()
    path.write_text(text[: int(len(text) * keep)] if keep >= 0 else text.rstrip()[:-1])
    with pytest.raises(ValueError, match=r"m\.json is not valid JSON \(truncated or malformed"):
        MLP.load(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe\x00garbage", "is not a model file: it is not UTF-8 text"),
        (b'{"format": "chainrule.MLP",, }', "is not valid JSON"),
        (b"[1, 2, 3]", "is not a model file: expected a JSON object"),
        (b'"chainrule.MLP"', "is not a model file: expected a JSON object"),
        (b'{"a": 1, "a": 2}', "is not a valid model file: the key 'a' appears twice"),
        (b'{"x": NaN}', "is not a valid model file: it contains NaN"),
        (b'{"x": -Infinity}', "it contains -Infinity"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_malformed_file_is_a_value_error(tmp_path, content, message):
    path = tmp_path / "m.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        MLP.load(path)
    assert str(path) in str(error.value)  # the message names the file


BAD_DOCUMENTS = [
    ("no state", lambda d: d.pop("state"), r"m\.json has the wrong keys: missing state"),
    ("extra key", lambda d: d.update({"pickle": "x"}), r"has the wrong keys: unexpected 'pickle'"),
    ("format", lambda d: d.update({"format": "torch"}), "its format is 'torch', expected 'chain"),
    ("version 2", lambda d: d.update({"version": 2}), "has format version 2; this chainrule re"),
    ("version 0", lambda d: d.update({"version": 0}), "has format version 0"),
    ("version str", lambda d: d.update({"version": "1"}), "has format version '1'"),
    ("version float", lambda d: d.update({"version": 1.0}), "has format version 1.0"),
    ("version bool", lambda d: d.update({"version": True}), "has format version True"),
    ("architecture list", lambda d: d.update({"architecture": [2, [3, 1]]}), "must be a JSON ob"),
    (
        "architecture missing",
        lambda d: d["architecture"].pop("init"),
        "the architecture has the wrong fields: missing init",
    ),
    (
        "architecture extra",
        lambda d: d["architecture"].update({"seed": 0}),
        "the architecture has the wrong fields: unexpected 'seed'",
    ),
    ("nin 0", lambda d: d["architecture"].update({"nin": 0}), "bad architecture.*nin must be a"),
    ("nin str", lambda d: d["architecture"].update({"nin": "2"}), "bad architecture.*got str"),
    ("nouts", lambda d: d["architecture"].update({"nouts": []}), "bad architecture.*at least one"),
    ("nouts int", lambda d: d["architecture"].update({"nouts": 3}), "bad architecture.*nouts mus"),
    (
        "activation",
        lambda d: d["architecture"].update({"activation": "swish"}),
        "bad architecture.*unknown activation 'swish'",
    ),
    (
        "init",
        lambda d: d["architecture"].update({"init": None}),
        "bad architecture.*unknown init None",
    ),
    (
        "weights of another architecture",
        lambda d: d["architecture"].update({"nouts": [4, 1]}),
        r"the weights do not fit MLP\(2, \[4, 1\].*W\[1\] has 3 rows, expected 4",
    ),
    (
        "another input size",
        lambda d: d["architecture"].update({"nin": 3}),
        r"W\[1\]\[0\] has 2 entries, expected 3 entries",
    ),
    (
        "another depth",
        lambda d: d["architecture"].update({"nouts": [3, 3, 1]}),
        r"the weights do not fit.*missing W\[3\], b\[3\]",
    ),
    ("state list", lambda d: d.update({"state": []}), "a state dict must be a dict, got list"),
    ("a string weight", lambda d: d["state"]["b[1]"].__setitem__(0, "0"), r"b\[1\]\[0\] must b"),
]


@pytest.mark.parametrize("what, change, message", BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
def test_a_file_with_wrong_content_is_a_value_error_naming_it(tmp_path, what, change, message):
    path = write_document(tmp_path, change)
    with pytest.raises(ValueError, match=message) as error:
        MLP.load(path)
    assert str(path) in str(error.value)


def test_a_huge_number_in_the_file_is_refused_as_not_finite(tmp_path):
    path = saved(tmp_path)
    text = path.read_text()
    path.write_text(text.replace('"b[2]": [0.0]', '"b[2]": [1e400]'))
    with pytest.raises(ValueError, match=r"b\[2\]\[0\] must be a finite number, got inf"):
        MLP.load(path)


def document_with(nin="2", nouts="[1]", W="[[0.5, -0.5]]", b="[0.0]", activation='"tanh"'):
    """The text of a model file for MLP(2, [1]), with raw JSON in place of some of its parts."""
    architecture = (
        f'"nin": {nin}, "nouts": {nouts}, "activation": {activation}, '
        '"output_activation": "linear", "init": "uniform"'
    )
    state = f'"W[1]": {W}, "b[1]": {b}'
    return (
        f'{{"format": "{FORMAT}", "version": 1, "architecture": {{{architecture}}}, '
        f'"state": {{{state}}}}}'
    )


STRANGE_VALUES = [
    (
        "401 digits",
        {"b": "[" + "9" * 401 + "]"},
        r"b\[1\]\[0\] must be a finite number, got an int too large",
    ),
    ("-401 digits", {"W": "[[0, -" + "9" * 401 + "]]"}, r"W\[1\]\[0\]\[1\] must be a finite n"),
    ("just past a float", {"b": "[2" + "0" * 308 + "]"}, r"b\[1\]\[0\] must be a finite number"),
    ("1e400", {"b": "[1e400]"}, r"b\[1\]\[0\] must be a finite number, got inf"),
    ("NaN", {"b": "[NaN]"}, "is not a valid model file: it contains NaN"),
    ("5,000 digits", {"b": "[" + "9" * 5000 + "]"}, "an integer of 5,000 digits, more than the"),
    ("5,000-digit nin", {"nin": "9" * 5000}, "an integer of 5,000 digits, more than the 1,000"),
    ("nested nin", {"nin": "[" * 500 + "]" * 500}, r"nin must be a positive int, got list \[\["),
    ("nested weight", {"b": "[" + "[" * 500 + "]" * 501}, r"b\[1\]\[0\] must be a number, got l"),
    ("long activation", {"activation": '"' + "x" * 10**5 + '"'}, "unknown activation 'xxxx"),
]


@pytest.mark.parametrize(
    "content, message", [h[1:] for h in STRANGE_VALUES], ids=[h[0] for h in STRANGE_VALUES]
)
def test_a_huge_or_deeply_nested_value_is_a_short_value_error_naming_the_file(
    tmp_path, content, message
):
    path = tmp_path / "m.json"
    path.write_text(document_with(**content))
    with pytest.raises(ValueError, match=message) as error:
        MLP.load(path)
    assert str(path) in str(error.value)
    assert len(str(error.value)) < 400  # the value is described, never copied out whole


def test_an_integer_of_a_million_digits_is_refused_before_it_is_converted(tmp_path):
    # Python's own limit on int() (4,300 digits) can be lifted; converting 10**6 digits then
    # takes seconds (quadratic), so load refuses long integers itself.
    path = tmp_path / "m.json"
    path.write_text(document_with(b="[" + "7" * 10**6 + "]"))
    previous = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # no limit before 3.10.7
    if previous:
        sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(ValueError, match="an integer of 1,000,000 digits"):
            MLP.load(path)
    finally:
        if previous:
            sys.set_int_max_str_digits(previous)


def test_load_state_dict_with_an_int_too_large_for_a_float_is_a_value_error():
    model = MLP(1, [1], seed=0)
    before = all_bits(model)
    message = r"b\[1\]\[0\] must be a finite number, got an int too large"
    with pytest.raises(ValueError, match=message):
        model.load_state_dict({"W[1]": [[1]], "b[1]": [10**400]})
    assert all_bits(model) == before


def test_many_wrong_names_are_counted_not_all_listed():
    state = good_state()
    state.update({f"extra{i}": 0.0 for i in range(10_000)})
    with pytest.raises(ValueError, match=r"unexpected 'extra0', .*'extra4' and 9,995 more \(exp"):
        MLP(2, [3, 1], seed=0).load_state_dict(state)
    with pytest.raises(
        ValueError, match=r"missing W\[1\], b\[1\], W\[2\], b\[2\], W\[3\] and 1,995"
    ):
        MLP(1, [1] * 1000, seed=0).load_state_dict({})


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "nowhere.json")


def test_a_pickle_cannot_run_code_through_load(tmp_path):
    """A model file from someone else must not be able to run code: load reads JSON only."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = tmp_path / "m.json"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="is not"):
        MLP.load(path)
    assert not marker.exists()


# ---- atomic saves ----


def no_leftovers(directory):
    return sorted(p.name for p in directory.iterdir()) == ["m.json"]


def test_saving_a_non_finite_weight_fails_and_leaves_the_old_file(tmp_path):
    path = saved(tmp_path)
    old = path.read_bytes()
    model = MLP(2, [3, 1], seed=1)
    model.layers[1].b[0].data = math.nan
    with pytest.raises(ValueError, match=r"cannot save MLP\(2, \[3, 1\].*b\[2\]\[0\] is nan"):
        model.save(path)
    assert path.read_bytes() == old and no_leftovers(tmp_path)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_save_that_fails_midway_leaves_the_old_file_whole(tmp_path, monkeypatch, failing):
    path = saved(tmp_path)
    old = path.read_bytes()

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 1], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old and no_leftovers(tmp_path)
    assert MLP.load(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_saving_over_a_file_replaces_it_and_keeps_its_permissions(tmp_path):
    path = saved(tmp_path)
    os.chmod(path, 0o600)
    model = MLP(2, [3, 1], seed=1)
    model.save(path)
    assert MLP.load(path).state_dict() == model.state_dict()
    assert os.stat(path).st_mode & 0o777 == 0o600 and no_leftovers(tmp_path)


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        saved(tmp_path)
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.json").st_mode & 0o777 == 0o644


def test_saving_through_a_symlink_writes_its_target(tmp_path):
    target = saved(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = MLP(2, [3, 1], seed=2)
    model.save(link)
    assert link.is_symlink() and MLP.load(target).state_dict() == model.state_dict()


def test_saving_into_a_missing_directory_is_an_os_error_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], seed=0).save(tmp_path / "missing" / "m.json")
    assert list(tmp_path.iterdir()) == []


# ---- files from strangers: checked before anything is built or read ----

# Today's 180-byte model file that declared a 1,000,000 x 1,000,000 layer and made load build it.
DECLARES_A_HUGE_MODEL = (
    '{"format": "chainrule.MLP", "version": 1, "architecture": {"nin": 1000000, "nouts": '
    '[1000000], "activation": "tanh", "output_activation": "linear", "init": "uniform"}, '
    '"state": {}}'
)


def test_a_180_byte_file_declaring_a_huge_model_loads_in_little_memory(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(DECLARES_A_HUGE_MODEL)
    assert path.stat().st_size == 180
    code = (  # in a process of its own, with at most 1 GiB of address space
        "import resource, sys\n"
        "hard = resource.getrlimit(resource.RLIMIT_AS)[1]\n"
        "soft = 2**30 if hard == resource.RLIM_INFINITY else min(2**30, hard)\n"
        "resource.setrlimit(resource.RLIMIT_AS, (soft, hard))\n"
        "from nn.modules import MLP\n"
        "try:\n"
        "    MLP.load(sys.argv[1])\n"
        "except ValueError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the weights do not fit MLP(1000000, [1000000]" in done.stdout
    assert "the state has the wrong names: missing W[1], b[1]" in done.stdout


HUGE_DECLARATIONS = [
    ("a huge layer", "1000000", "[1000000]", r"W\[1\] has 1 rows, expected 1000000 rows"),
    ("a huge input", "10000000000", "[1]", r"W\[1\]\[0\] has 2 entries, expected 1000000000"),
    ("a 400-digit input", "9" * 400, "[1]", r"W\[1\]\[0\] has 2 entries, expected 9999"),
    ("500,000 layers", "2", "[" + ",".join(["1"] * 500_000) + "]", r"missing W\[2\]"),
]


@pytest.mark.parametrize(
    "nin, nouts, message", [h[1:] for h in HUGE_DECLARATIONS], ids=[h[0] for h in HUGE_DECLARATIONS]
)
def test_a_declared_architecture_is_checked_against_the_weights_before_anything_is_built(
    tmp_path, monkeypatch, nin, nouts, message
):
    path = tmp_path / "m.json"
    path.write_text(document_with(nin=nin, nouts=nouts))

    def built(*args, **kwargs):
        raise AssertionError("a neuron was built before the weights were checked")

    monkeypatch.setattr(nn.modules.Neuron, "__init__", built)
    with pytest.raises(ValueError, match=message) as error:
        MLP.load(path)
    assert str(path) in str(error.value) and len(str(error.value)) < 1500


@pytest.mark.parametrize("what", ["fifo", "/dev/zero", "directory"])
def test_load_refuses_what_is_not_a_regular_file_at_once(tmp_path, what):
    if what == "fifo":
        path = fifo(tmp_path)
    elif what == "directory":
        path = tmp_path
    else:
        path = what
    with bounded(), pytest.raises(ValueError, match="expected a regular file") as error:
        MLP.load(path)  # a FIFO without a writer must not block, nor /dev/zero fill the memory
    assert f"the model file {path} is a" in str(error.value)


def padded_to(tmp_path, size):
    """A valid model file of exactly `size` bytes (JSON allows trailing white space)."""
    path = saved(tmp_path)
    text = path.read_bytes()
    path.write_bytes(text + b" " * (size - len(text)))
    return path


def test_a_file_over_the_size_limit_is_refused_and_max_bytes_raises_the_limit(tmp_path):
    path = padded_to(tmp_path, MAX_MODEL_BYTES + 1)
    with pytest.raises(ValueError, match=r"the model file .*m\.json has 1,048,577 bytes, more th"):
        MLP.load(path)
    assert (
        MLP.load(path, max_bytes=MAX_MODEL_BYTES + 1).state_dict()
        == MLP(2, [3, 1], seed=0).state_dict()
    )
    with pytest.raises(ValueError, match="more than the limit of 1,000 "):
        MLP.load(path, max_bytes=1000)
    path = padded_to(tmp_path, MAX_MODEL_BYTES)
    assert MLP.load(path).nouts == [3, 1]  # exactly the limit is allowed


def test_the_size_limit_is_1_mib_and_holds_a_saved_model_of_49_000_parameters(tmp_path):
    assert MAX_MODEL_BYTES == 2**20
    model = MLP(2, [220, 220, 1], seed=0)  # 49,501 parameters, each written in full
    path = tmp_path / "m.json"
    model.save(path)
    assert path.stat().st_size <= MAX_MODEL_BYTES
    assert MLP.load(path).state_dict() == model.state_dict()


def test_a_failed_load_changes_nothing(tmp_path):
    path = padded_to(tmp_path, MAX_MODEL_BYTES + 1)
    pipe = fifo(tmp_path)
    before = path.read_bytes(), listing(tmp_path), os.stat(path).st_mtime_ns
    for where in (path, pipe, tmp_path):
        with bounded(), pytest.raises(ValueError):
            MLP.load(where)
    assert (path.read_bytes(), listing(tmp_path), os.stat(path).st_mtime_ns) == before


# ---- saves never replace anything but a regular file ----


@pytest.mark.parametrize("what", ["fifo", "directory", "symlink to a fifo"])
def test_saving_refuses_what_is_not_a_regular_file_and_never_replaces_it(tmp_path, what):
    if what == "directory":
        path = tmp_path / "m.json"
        path.mkdir()
    else:
        path = fifo(tmp_path, "m.json")
        if what == "symlink to a fifo":
            (tmp_path / "link.json").symlink_to(path)
            path = tmp_path / "link.json"
    before = listing(tmp_path)
    with pytest.raises(ValueError, match="expected a regular file or a new path") as error:
        MLP(2, [1], seed=0).save(path)
    assert f"the model file {path} is a" in str(error.value)
    assert listing(tmp_path) == before
    mode = os.stat(tmp_path / "m.json").st_mode
    assert stat.S_ISDIR(mode) if what == "directory" else stat.S_ISFIFO(mode)


def test_saving_refuses_dev_null_and_creates_nothing_in_dev(monkeypatch):
    # As root, replacing /dev/null would break the whole machine: nothing may even be opened.
    forbid(monkeypatch, "open", "replace")
    with pytest.raises(ValueError, match="/dev/null is a character device; expected a regular"):
        MLP(2, [1], seed=0).save("/dev/null")
    monkeypatch.undo()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_killed_save_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    path = saved(tmp_path)
    old = path.read_bytes()
    code = (
        "import os, sys\n"
        "from nn.modules import MLP\n"
        "os.replace = lambda *args: os._exit(9)  # killed just before the replace\n"
        "MLP(2, [3, 1], seed=1).save(sys.argv[1])\n"
    )
    killed = subprocess.Popen([sys.executable, "-c", code, str(path)])
    assert killed.wait(timeout=120) == 9
    assert path.read_bytes() == old  # the killed save changed nothing
    (left,) = set(listing(tmp_path)) - {"m.json"}
    assert re.fullmatch(rf"\.m\.json\.{killed.pid}-[0-9a-f]{{8}}\.chainrule-tmp", left)
    stale_too = tmp_path / temporary_name("m.json", finished_pid())
    stale_too.write_bytes(b"{")
    model = MLP(2, [3, 1], seed=2)
    model.save(path)
    assert no_leftovers(tmp_path) and MLP.load(path).state_dict() == model.state_dict()

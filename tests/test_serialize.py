"""Saving and loading models as JSON, with real files: exact round trips, the state dict, and
every way a file or a state dict can be wrong (each a ValueError naming the problem, with the
model left unchanged), atomic saves, and files that must not be able to run code."""

import json
import math
import os
import pickle
import struct
from pathlib import Path

import pytest

from nn.modules import FORMAT, FORMAT_VERSION, MLP
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

"""The `chainrule` command, run for real as a subprocess, as a user runs it."""

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn import MLP

PNG = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd=None, script=False):
    """Run `python -m nn ARGS` (or the installed `chainrule` script); returns the result."""
    if script:
        command = [shutil.which("chainrule") or str(Path(sys.executable).parent / "chainrule")]
    else:
        command = [sys.executable, "-m", "nn"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def assert_usage_error(result, *fragments):
    """Exit status 2, one line on stderr naming the problem, no traceback."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chainrule: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("command", ["demo", "train", "graph", "check"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.returncode == 0
    assert "usage: chainrule " + command in result.stdout
    assert "--help" in result.stdout


def test_the_console_script_is_the_same_program():
    result = run("--help", script=True)
    assert result.returncode == 0 and "demo" in result.stdout and "check" in result.stdout


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["train", "--lr", "-1"], ["--lr", "positive"]),
        (["train", "--epochs", "many"], ["--epochs", "'many'"]),
        (["train", "--dataset", "mnist"], ["--dataset", "mnist"]),
        (["train", "--layers", "16", "2"], ["--layers must end with 1"]),
        (["train", "--dataset", "sine", "--loss", "hinge"], ["regression"]),
        (["train", "--bogus"], ["--bogus"]),
        (["check", "--loss", "cross_entropy", "--layers", "3", "1"], ["at least 2 outputs"]),
        (["check", "--tol", "nan"], ["--tol"]),
        (["graph", "x +", "--set", "x=1"], ["ends too early", "column 4"]),
        (["graph", "x + y", "--set", "x=1"], ["--set y="]),
        (["graph", "x", "--set", "x=1", "--set", "x=2"], ["given twice"]),
        (["graph", "x", "--set", "x"], ["NAME=NUMBER"]),
        (["graph", "x", "--set", "x=abc"], ["expected a number"]),
        (["graph", "x", "--set", "x=1", "--set", "y=2"], ["does not use 'y'"]),
        (["graph", "x", "--set", "x=1", "-o", "graph.jpg"], [".png or .svg"]),
        (["graph", "log(x)", "--set", "x=-1"], ["log needs a positive input"]),
        (["graph", "__import__('os').system('echo hacked')", "--set", "x=1"], ["unexpected"]),
        (["nonsense"], ["nonsense"]),
    ],
)
def test_bad_options_and_values_exit_2_with_one_line(args, fragments, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert_usage_error(result, *fragments)
    assert "hacked" not in result.stdout


def test_graph_prints_the_gradients_and_draws(tmp_path):
    result = run(
        "graph",
        "tanh(x * w + b) ** 2",
        "--set",
        "x=1.5",
        "--set",
        "w=-2",
        "--set",
        "b=0.5",
        "-o",
        "g.svg",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    t = math.tanh(1.5 * -2 + 0.5)
    common = 2 * t * (1 - t * t)
    printed = dict(
        line.strip().split(" = ")
        for line in result.stdout.splitlines()
        if line.strip().startswith("d/d")
    )
    assert float(printed["d/dx"]) == pytest.approx(common * -2, rel=1e-5)
    assert float(printed["d/dw"]) == pytest.approx(common * 1.5, rel=1e-5)
    assert float(printed["d/db"]) == pytest.approx(common, rel=1e-5)
    svg = (tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "tanh" in svg


def test_graph_writes_png_and_step_frames(tmp_path):
    result = run(
        "graph",
        "x * y + x",
        "--set",
        "x=2",
        "--set",
        "y=3",
        "-o",
        "g.png",
        "--steps",
        "frames",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").read_bytes().startswith(PNG)
    frames = sorted((tmp_path / "frames").glob("*.png"))
    assert len(frames) >= 2 and all(f.read_bytes().startswith(PNG) for f in frames)
    gifs = list((tmp_path / "frames").glob("*.gif"))
    assert gifs and gifs[0].read_bytes()[:6] in (b"GIF87a", b"GIF89a")


def test_check_prints_the_report_and_passes():
    result = run("check", "--layers", "3", "5", "2", "--loss", "cross_entropy", "--batch", "4")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "delta" in result.stdout and "dW" in result.stdout


def test_check_against_torch(torch):
    result = run("check", "--against", "torch", "--layers", "2", "4", "1")
    assert result.returncode == 0, result.stderr
    assert "PyTorch" in result.stdout or "torch" in result.stdout


def test_train_saves_a_model_that_loads(tmp_path):
    result = run(
        "train",
        "--dataset",
        "xor",
        "--layers",
        "4",
        "1",
        "--loss",
        "binary_cross_entropy",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--epochs",
        "50",
        "--out",
        "run",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = MLP.load(tmp_path / "run" / "model.json")
    assert model.nouts == [4, 1] and model.output_activation == "sigmoid"
    for name in ("loss.png", "decision_boundary.png"):
        assert (tmp_path / "run" / name).read_bytes().startswith(PNG)
    assert "training accuracy" in result.stdout


def test_demo_writes_every_picture_and_the_model(tmp_path):
    result = run("--epochs", "3", "--n", "40", "--quiet", cwd=tmp_path)  # no command: the demo
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    for name in (
        "loss.png",
        "decision_boundary.png",
        "network.png",
        "network_before.png",
        "neuron.png",
    ):
        assert (out / name).read_bytes().startswith(PNG), name
        assert str(out / name) in result.stdout or f"out/{name}" in result.stdout
    MLP.load(out / "model.json")
    assert "training accuracy" in result.stdout
    assert "largest difference" in result.stdout

"""The `chainrule` command, run for real as a subprocess, as a user runs it."""

import math
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn import MLP

PNG = b"\x89PNG\r\n\x1a\n"
PICTURES = ("loss.png", "decision_boundary.png", "network.png", "network_before.png", "neuron.png")
# short runs of each command, for the tests of what they refuse
GRAPH = ["graph", "x * y", "--set", "x=2", "--set", "y=3"]
DEMO = ["demo", "--epochs", "1", "--n", "20", "--quiet"]
TRAIN = ["train", "--dataset", "xor", "--layers", "2", "1", "--epochs", "1", "--quiet"]


def run(*args, cwd=None, script=False, env=None, timeout=600):
    """Run `python -m nn ARGS` (or the installed `chainrule` script); returns the result."""
    if script:
        command = [shutil.which("chainrule") or str(Path(sys.executable).parent / "chainrule")]
    else:
        command = [sys.executable, "-m", "nn"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


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
    for name in PICTURES:
        assert (out / name).read_bytes().startswith(PNG), name
        assert str(out / name) in result.stdout or f"out/{name}" in result.stdout
    MLP.load(out / "model.json")
    assert "training accuracy" in result.stdout
    assert "largest difference" in result.stdout
    written = sorted(p.name for p in out.iterdir())  # the requested files, nothing else
    assert written == sorted([*PICTURES, "model.json"]), written


def files_under(folder):
    """Every path under `folder`, relative to it, as sorted strings."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def gradients(stdout):
    """(value, {'x': '-2', ...}): what graph printed after `EXPRESSION = ` and `d/dx = `."""
    lines = stdout.splitlines()
    value = lines[0].rpartition(" = ")[2]
    return value, dict(
        line.strip()[3:].split(" = ") for line in lines if line.strip().startswith("d/d")
    )


# ---- 1. an expression may start with '-' ----


@pytest.mark.parametrize(
    "args, value, dx",
    [
        (["graph", "-2*x", "--set", "x=3"], "-6", "-2"),
        (["graph", "--set", "x=3", "-2*x"], "-6", "-2"),
        (["graph", "-x", "--set", "x=3"], "-3", "-1"),
        (["graph", "--set", "x=3", "-(x+1)"], "-4", "-1"),
        (["graph", "--x", "--set", "x=3"], "3", "1"),
        (["graph", "--set=x=3", "-x*x"], "-9", "-6"),
        (["graph", "--set", "x=3", "--", "-x"], "-3", "-1"),
    ],
)
def test_graph_takes_an_expression_that_starts_with_a_minus(args, value, dx):
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert gradients(result.stdout) == (value, {"x": dx})


def test_graph_options_still_work_around_a_minus_expression(tmp_path):
    result = run(
        "graph",
        "-o",
        "g.svg",
        "-x*w",
        "--local-grads",
        "--set",
        "x=2",
        "--set",
        "w=5",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert gradients(result.stdout) == ("-10", {"x": "-5", "w": "-2"})
    assert "<svg" in (tmp_path / "g.svg").read_text()
    result = run("graph", "-x", "-h")
    assert result.returncode == 0 and "usage: chainrule graph" in result.stdout
    assert_usage_error(run("graph", "-x", "--set", "x=1", "-y"), "-y")  # one expression only


def test_graph_help_documents_the_minus_rule():
    result = run("graph", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "may start with '-'" in text and "`--` also ends the options" in text


# ---- 2. train checks its options before training ----


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--out", "taken"], ["--out taken", "not a folder"]),
        (["--out", "taken/run"], ["--out taken/run", "taken is not a folder"]),
        (["--out", "run"], ["--out run/model.json", "a directory"]),  # run/model.json: a folder
        (
            ["--loss", "binary_cross_entropy", "--output-activation", "tanh"],
            ["[0, 1]", "--output-activation tanh", "sigmoid"],
        ),
        (["--loss", "binary_cross_entropy", "--output-activation", "linear"], ["sigmoid"]),
        (["--output-activation", "sigmoid"], ["--loss hinge", "either sign", "linear"]),
        (["--output-activation", "relu"], ["--loss hinge", "--output-activation relu"]),
        (
            ["--loss", "binary_cross_entropy_with_logits", "--output-activation", "sigmoid"],
            ["either sign"],
        ),
        (
            ["--dataset", "sine", "--loss", "mse", "--output-activation", "softplus"],
            ["either sign", "softplus"],
        ),
        (["--batch-size", "500"], ["--batch-size 500", "100 examples"]),
        (["--n", "50", "--batch-size", "51"], ["--batch-size 51", "at most 50"]),
        (["--dataset", "xor", "--n", "50"], ["xor", "--n"]),
        (["--dataset", "xor", "--noise", "0.3"], ["xor", "--noise"]),
        (["--n", "1"], ["--n 1", "at least 2"]),
        (["--loss", "cross_entropy", "--layers", "16", "1"], ["--layers must end with 2"]),
    ],
)
def test_train_refuses_bad_options_before_training(args, fragments, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    (tmp_path / "run" / "model.json").mkdir(parents=True)
    result = run("train", "--epochs", "2", "--quiet", *args, cwd=tmp_path)
    assert_usage_error(result, *fragments)
    assert "Training" not in result.stdout  # refused before any work
    assert (tmp_path / "taken").read_text() == "a file, not a folder"
    assert files_under(tmp_path) == ["run", "run/model.json", "taken"]


def test_train_never_fails_after_the_work_on_a_picture_too_costly_to_draw(tmp_path):
    # nn.plot refuses a decision boundary of 60 x 60 evaluations of 10,501 parameters: the
    # command draws a coarser grid instead of failing once training is done
    args = ["--layers", "100", "100", "1", "--n", "20", "--epochs", "1", "--out", "run"]
    result = run("train", "--quiet", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "decision_boundary.png").read_bytes().startswith(PNG)


# ---- 3. outputs that cannot be written: exit 2, one line, before the work ----


def make_fifo(path):
    os.mkfifo(path)


def make_link_to_dev_null(path):
    os.symlink(os.devnull, path)


@pytest.mark.parametrize(
    "make, name, args, fragments",
    [
        (None, None, [*GRAPH, "-o", "missing/g.svg"], ["-o missing/g.svg", "does not exist"]),
        (os.mkdir, "g.svg", [*GRAPH, "-o", "g.svg"], ["-o g.svg", "directory"]),
        (make_fifo, "g.svg", [*GRAPH, "-o", "g.svg"], ["-o g.svg", "FIFO"]),
        (make_link_to_dev_null, "g.png", [*GRAPH, "-o", "g.png"], ["-o g.png", "device"]),
        (None, None, [*GRAPH, "--steps", os.devnull], [os.devnull, "not a folder"]),
        (make_fifo, "frames", [*GRAPH, "--steps", "frames"], ["--steps frames", "not a folder"]),
        (make_fifo, "run", [*TRAIN, "--out", "run"], ["--out run", "not a folder"]),
        (None, None, [*TRAIN, "--out", os.devnull], [os.devnull, "not a folder"]),
        (make_fifo, "out", DEMO, ["--out out", "not a folder"]),
        (make_fifo, "run", [*DEMO, "--out", "run/pictures"], ["--out run/pictures", "run is not"]),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_in_one_line(
    make, name, args, fragments, tmp_path
):
    if make is not None:
        make(tmp_path / name)
    before = files_under(tmp_path)
    result = run(*args, cwd=tmp_path, timeout=120)  # a FIFO must not block the command
    assert_usage_error(result, *fragments)
    assert "chainrule-tmp" not in result.stderr and ".gv" not in result.stderr
    assert "Training" not in result.stdout and " = " not in result.stdout  # before the work
    assert files_under(tmp_path) == before


def test_the_outputs_inside_a_folder_are_checked_before_the_demo(tmp_path):
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "neuron.png")
    result = run("--epochs", "1", "--n", "20", "--quiet", cwd=tmp_path, timeout=120)
    assert_usage_error(result, "--out out/neuron.png", "FIFO")
    assert "Training" not in result.stdout
    assert files_under(tmp_path) == ["out", "out/neuron.png"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(
    "args",
    [
        [*GRAPH, "-o", "locked/g.svg"],
        [*GRAPH, "--steps", "locked/frames"],
        [*TRAIN, "--out", "locked/run"],
        [*TRAIN, "--out", "locked"],
    ],
)
def test_a_folder_without_write_permission_is_refused_up_front(args, tmp_path):
    (tmp_path / "locked").mkdir(mode=0o555)
    try:
        if os.geteuid() == 0:  # root may write anywhere: run the command without that power
            capsh = shutil.which("capsh")
            if capsh is None:
                pytest.skip("as root, this test needs capsh to drop cap_dac_override")
            line = " ".join(shlex.quote(w) for w in [sys.executable, "-m", "nn", *args])
            result = subprocess.run(
                [capsh, "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", line],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
            )
        else:
            result = run(*args, cwd=tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert_usage_error(result, "locked", "not writable")
    assert "Training" not in result.stdout and " = " not in result.stdout
    assert files_under(tmp_path) == ["locked"]


def _sys_refuses_writes():
    """Whether /sys exists and refuses a new file even to this user (root included)."""
    try:
        open("/sys/chainrule-probe.svg", "wb").close()
    except OSError:
        return os.path.isdir("/sys")
    os.unlink("/sys/chainrule-probe.svg")
    return False


@pytest.mark.skipif(not _sys_refuses_writes(), reason="needs /sys, which refuses new files")
@pytest.mark.parametrize(
    "args, path",
    [
        ([*GRAPH, "-o", "/sys/chainrule-test.svg"], "/sys/chainrule-test.svg"),
        ([*GRAPH, "--steps", "/sys/chainrule-frames"], "/sys/chainrule-frames"),
        ([*TRAIN, "--out", "/sys/chainrule-run"], "/sys/chainrule-run"),
    ],
)
def test_a_write_the_system_refuses_exits_2_naming_the_path(args, path, tmp_path):
    # /sys passes every check that can be made up front (even root is refused only by the
    # write itself): the OSError of the write must still be one line naming the user's path
    result = run(*args, cwd=tmp_path)
    assert_usage_error(result, path)
    assert "chainrule-tmp" not in result.stderr and ".gv" not in result.stderr
    assert files_under(tmp_path) == []


# ---- 4. only the requested files are written ----


def test_graph_leaves_an_existing_gv_file_beside_the_picture_alone(tmp_path):
    source = b"digraph mine { a -> b }  // the user's own file\n"
    (tmp_path / "g.gv").write_bytes(source)
    result = run(*GRAPH, "-o", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.gv").read_bytes() == source
    assert files_under(tmp_path) == ["g.gv", "g.svg"]
    assert "<svg" in (tmp_path / "g.svg").read_text()


@pytest.fixture
def no_dot(tmp_path):
    """An environment whose PATH has python but not Graphviz's `dot`."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "python").symlink_to(sys.executable)
    return {**os.environ, "PATH": str(bin_folder)}


@pytest.mark.parametrize(
    "args",
    [
        DEMO[1:],
        [*DEMO, "--out", "pictures"],
        [*GRAPH, "-o", "g.svg"],
        [*GRAPH, "-o", "g.png"],
        [*GRAPH, "--steps", "frames"],
    ],
)
def test_without_graphviz_nothing_is_written(args, no_dot, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = run(*args, cwd=work, env=no_dot)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Graphviz" in lines[0] and "install" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(work) == []  # no .gv file, no folder, nothing


# ---- 5. a reader that stops reading ----


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--layers", "3", "8", "8", "2", "--loss", "cross_entropy"],
        GRAPH,
    ],
)
def test_a_closed_pipe_ends_the_command_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line (as `| head -0`)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "nn", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""  # no traceback, no "Exception ignored", no error message
    assert result.returncode in (0, 1)


# ---- 6. bounded work, refused up front ----


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["train", "--n", "100000000"], ["memory", "500 MB", "--n", "--batch-size"]),
        (["train", "--n", "100000"], ["memory", "one batch of 100,000 examples", "--batch-size"]),
        (["train", "--n", "5000", "--layers", "64", "64", "1"], ["memory", "--batch-size"]),
        (["train", "--layers", "100000", "100000", "1"], ["memory", "--layers"]),
        (["train", "--epochs", "1000000"], ["would take", "--max-minutes", "--epochs"]),
        (["train", "--max-minutes", "0.001"], ["would take", "more than --max-minutes 0.001"]),
        (["train", "--epochs", "100000000", "--max-minutes", "1e9"], ["memory", "--epochs"]),
        (["check", "--batch", "10000000"], ["memory", "--batch"]),
        (["check", "--layers", "3", "100000", "100000", "1"], ["memory", "--layers"]),
        (
            ["check", "--layers", "3", "3000", "3000", "1", "--batch", "100000"],
            ["memory", "--layers"],
        ),
        (["check", "--layers", "3", "1000", "1000", "1", "--batch", "20"], ["memory", "--batch"]),
        (["demo", "--n", "1000000"], ["memory", "--n"]),
        (["demo", "--epochs", "100000000"], ["memory", "--epochs"]),
        (["demo", "--epochs", "100000"], ["would take", "--max-minutes"]),
        (["--n", "100000"], ["memory", "--n"]),
        (["train", "--n", "10000000000000000"], ["10**15"]),
    ],
)
def test_work_beyond_the_limits_is_refused_up_front(args, fragments, tmp_path):
    quiet = [] if args[0] == "check" else ["--quiet"]
    result = run(*args, *quiet, cwd=tmp_path)
    assert_usage_error(result, *fragments)
    assert "Training" not in result.stdout and "crosscheck" not in result.stdout
    assert files_under(tmp_path) == []


def test_max_minutes_sets_the_time_limit(tmp_path):
    result = run(*TRAIN, "--max-minutes", "1e-9", cwd=tmp_path)
    assert_usage_error(result, "would take", "more than --max-minutes 1e-09")
    assert files_under(tmp_path) == []
    result = run(*TRAIN, "--max-minutes", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args, fragments",
    [
        # draw()'s max_nodes: dot would take minutes
        (["x" + " * 2" * 300, "--set", "x=1", "-o", "g.svg"], ["-o g.svg", "nodes", "500"]),
        # save_frames' limit on steps x nodes: PNG frames cost about 20 ms per node drawn
        (["x" + " * 2" * 30, "--set", "x=1", "--steps", "frames"], ["--steps frames", "nodes"]),
        # the parser's limit
        (["x" + " + x" * 3000, "--set", "x=1", "-o", "g.svg"], ["characters", "10,000"]),
    ],
)
def test_graph_refuses_what_is_too_large_to_draw_in_one_line(args, fragments, tmp_path):
    result = run("graph", *args, cwd=tmp_path)
    assert_usage_error(result, *fragments)
    assert result.stdout == "" and files_under(tmp_path) == []


# ---- habits: --version, and the pictures' options ----


def test_version():
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"chainrule {version('chainrule')}"


def test_graph_picture_options_and_advice_in_the_command_lines_words(tmp_path):
    from PIL import Image

    args = ["graph", "tanh(x * w + b)", "--set", "x=1", "--set", "w=2", "--set", "b=0"]
    wide = run(*args, "-o", "wide.png", "--max-width", "none", cwd=tmp_path)
    narrow = run(*args, "-o", "narrow.png", "--max-width", "300", cwd=tmp_path)
    tall = run(*args, "-o", "tall.png", "--rankdir", "TB", "--max-width", "none", cwd=tmp_path)
    assert wide.returncode == narrow.returncode == tall.returncode == 0, wide.stderr
    w, h = Image.open(tmp_path / "wide.png").size
    assert Image.open(tmp_path / "narrow.png").size[0] <= 300 < w
    tw, th = Image.open(tmp_path / "tall.png").size
    assert tw < w and th > h  # top to bottom
    chain = "*".join(["x"] * 30)
    refused = run(
        "graph", chain, "--set", "x=1.01", "-o", "g.svg", "--max-nodes", "20", cwd=tmp_path
    )
    assert_usage_error(refused, "more than --max-nodes 20", "pass a larger --max-nodes")
    allowed = run(
        "graph", "x*x*x", "--set", "x=1.01", "-o", "g.svg", "--max-nodes", "none", cwd=tmp_path
    )
    assert allowed.returncode == 0, allowed.stderr
    frames = run("graph", chain, "--set", "x=1.01", "--steps", "F", cwd=tmp_path)
    assert_usage_error(frames, "--max-frame-nodes 300", "pass --max-frame-nodes")
    assert "max_total_nodes" not in frames.stderr

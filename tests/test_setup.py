"""The set-up scripts' decisions, run for real against stand-in programs: the PyTorch CPU index
and its fallback, and the message for a Python without its venv module."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def stand_in(path, body):
    """An executable shell script at `path`."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.mark.skipif(sys.platform != "linux", reason="the CPU index is used on Linux")
def test_torch_comes_from_the_cpu_index_and_falls_back_quickly_when_it_cannot(tmp_path):
    calls = tmp_path / "calls"
    # a python whose pip fails with the CPU index (unreachable) and succeeds without it
    python = stand_in(
        tmp_path / "python",
        f'echo "$@" >> {calls}\ncase "$*" in *--index-url*) exit 1 ;; esac\nexit 0\n',
    )
    env = {**os.environ, "CHAINRULE_TORCH_INDEX": "http://127.0.0.1:9/simple"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "install_torch.py"), str(python)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    first, second = calls.read_text().splitlines()
    assert "--index-url http://127.0.0.1:9/simple" in first and first.endswith("torch==2.13.0")
    assert "--timeout 10 --retries 1" in first  # an unreachable index fails in seconds
    assert "--index-url" not in second and second.endswith("torch==2.13.0")
    assert "could not be reached: installing torch==2.13.0 from pip's configured index" in (
        result.stdout
    )


def test_the_real_cpu_index_is_pytorchs_and_the_default():
    text = (ROOT / "scripts" / "install_torch.py").read_text()
    assert 'CPU_INDEX = "https://download.pytorch.org/whl/cpu"' in text
    assert "install_torch.py" in (ROOT / "scripts" / "setup.sh").read_text()


def test_a_python_without_venv_gets_the_one_command_that_fixes_it(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("the script would first try to install Graphviz")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    python = stand_in(
        tmp_path / "python3",
        'case "$1" in\n'
        '  -c) case "$2" in *print*) echo 3.11 ;; esac; exit 0 ;;\n'
        '  -m) echo "The virtual environment was not created successfully because ensurepip'
        ' is not available." >&2; exit 1 ;;\n'
        "esac\n",
    )
    result = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "setup.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(python), "EXTRAS": ""},
        timeout=60,
    )
    assert result.returncode == 1
    assert "its venv module is not installed" in result.stderr
    assert "sudo apt-get install python3.11-venv" in result.stderr
    assert not (tmp_path / ".venv").exists()

"""The installed packages are this repository's, and a real wheel carries all of them."""

import subprocess
import sys
import zipfile
from pathlib import Path

import autograd
import nn

ROOT = Path(__file__).resolve().parent.parent


def test_imports_resolve_to_this_repository():
    for package in (autograd, nn):
        where = Path(package.__file__).resolve()
        assert where.is_relative_to(ROOT), (
            f"`import {package.__name__}` found {where}, not this repository's package. "
            f"Is another distribution named {package.__name__!r} (for example the HIPS "
            f"autograd library) installed in this environment? Uninstall it or use a fresh venv."
        )


def test_wheel_contains_every_module(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("chainrule-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("autograd", "nn"):
        for source in (ROOT / package).rglob("*.py"):
            assert source.relative_to(ROOT).as_posix() in names

"""Install PyTorch for the cross-checks: torch==2.13.0, the CPU build, as PyTorch's own install
instructions do it on Linux (its CPU wheel index), falling back quickly to pip's configured index
where that one cannot be reached. The default PyPI wheel for Linux pulls CUDA packages of several
GB; the CPU wheel is about 190 MB to download and 700 MB installed.

    python scripts/install_torch.py PYTHON     # PYTHON: the virtualenv's interpreter

scripts/setup.sh runs it for `make test`. CHAINRULE_TORCH_INDEX replaces the CPU index's address
(tests point it at an address that cannot answer, to exercise the fallback).
"""

import os
import platform
import subprocess
import sys

TORCH = "torch==2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pip_install(python, *options):
    """Run `python -m pip install` quietly with `options`; its exit status."""
    command = [python, "-m", "pip", "install", "-q", "--no-compile", *options, TORCH]
    return subprocess.run(command).returncode


def main(python):
    """Install TORCH into `python`'s environment; the exit status."""
    if platform.system() != "Linux":  # macOS and Windows wheels on PyPI are CPU builds already
        return pip_install(python)
    index = os.environ.get("CHAINRULE_TORCH_INDEX", CPU_INDEX)
    print(f"[setup] installing {TORCH}, the CPU build (about 190 MB), from {index}", flush=True)
    if pip_install(python, "--index-url", index, "--timeout", "10", "--retries", "1") == 0:
        return 0
    print(
        f"[setup] {index} could not be reached: installing {TORCH} from pip's configured index",
        flush=True,
    )
    return pip_install(python)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/install_torch.py PYTHON")
    sys.exit(main(sys.argv[1]))

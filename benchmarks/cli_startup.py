"""How fast the command line answers: whole-process wall times of a few `chainrule` calls,
median of several runs, side by side with `python -c pass` (the interpreter's own start-up).

    .venv/bin/python benchmarks/cli_startup.py          # prints a table

A usage error must answer in well under a second: it is refused before the heavy imports
(matplotlib, torch) and before any work. This is a benchmark, not a test: the machines are
shared and noisy, so it reports medians and the ratio to the interpreter's start-up.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NN = [sys.executable, "-m", "nn"]  # the `chainrule` command, run from the repository root
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "chainrule --version": [*NN, "--version"],
    "chainrule --help": [*NN, "--help"],
    "usage error (train --lr -1)": [*NN, "train", "--lr", "-1"],
    "usage error (graph 'x +')": [*NN, "graph", "x +", "--set", "x=1"],
    "graph, printed (x * y + x)": [*NN, "graph", "x * y + x", "--set", "x=2", "--set", "y=3"],
}


def wall(command, runs=7):
    """The median wall time of `runs` runs of `command` (one warm-up run first)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    base = None
    print(f"{'command':<32} {'median wall s':>13} {'x python':>9}")
    for name, command in COMMANDS.items():
        seconds = wall(command)
        base = base or seconds
        print(f"{name:<32} {seconds:>13.3f} {seconds / base:>9.1f}")


if __name__ == "__main__":
    main()

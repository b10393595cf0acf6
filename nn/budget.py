"""How much work a command may do: estimates of the memory and time that training, a
cross-check or the demo would take, from their options, made before any of the work; and the
refusal, in one line with a way to proceed, of what would go beyond the limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from autograd.cli import UsageError

if TYPE_CHECKING:
    import argparse

# a part of a command's memory: (bytes, what it is, advice, bytes per unit; see check_limits)
MemoryPart: TypeAlias = tuple[float, str, str, float]

# The costs below were measured on the development machine (2 cores, Linux, CPython 3.11) with
# eight MLP shapes, from (1, [1]) and (2, [4, 1]) to (10, [64, 64, 1]), (3, [200, 1]),
# (50, [50, 50, 50, 1]) and (100, [300, 1]), and fitted as `a * nodes + b * edges` of one
# example's graph (`example_graph`: its Values, and the inputs they point to; a neuron's z is
# ONE node with 2 m + 1 inputs). Memory: the growth of VmRSS (/proc/self/status) while building
# and back-propagating batches of 500 to 200,000 examples (tracemalloc gives 5-10% less); time:
# time.perf_counter() around nn.train.train_step, the no_grad forward pass, and nn.crosscheck.
# Each constant is rounded up so that it covers every measured shape (within 35%), e.g. for
# (2, [16, 16, 1]): 73 nodes and 679 edges, 28 kB and 0.18 ms per example in a training step.
# Fixed costs (importing matplotlib or torch, drawing the plots: 2-5 s, 80-300 MB) are left out:
# the estimates are for the work the options ask for, which is what can grow without bound.
BYTES_PER_NODE = 240
BYTES_PER_EDGE = 18
BYTES_PER_PARAMETER = 270  # a Parameter with its label; tracemalloc around nn.MLP(...)
BYTES_PER_EPOCH = 64  # the history: a loss and an accuracy (float objects in lists)
STEP_SECONDS_PER_NODE = 1.5e-6  # train_step: forward and backward, per node of the batch
STEP_SECONDS_PER_EDGE = 7e-8
UPDATE_SECONDS_PER_PARAMETER = 6e-7  # the optimizer's step (Adam; SGD is faster), per step
FORWARD_SECONDS_PER_NODE = 5.5e-7  # no_grad forward pass (the decision boundary's grid)
FORWARD_SECONDS_PER_EDGE = 3e-8
CHECK_SECONDS_PER_NODE = 2.7e-6  # nn.crosscheck against NumPy, per node of the batch
CHECK_SECONDS_PER_EDGE = 3.5e-7
SETUP_SECONDS_PER_PARAMETER = 5e-6  # building the MLP (3 us) and saving it (2 us)
DATA_SECONDS_PER_EXAMPLE = 8e-6  # nn.datasets: 2-8 us per example
BOUNDARY_POINTS = 60 * 60  # plot.decision_boundary evaluates the model on a 60 x 60 grid

MAX_BYTES = 500 * 10**6  # memory a command may use; never more, whatever the options
DEFAULT_MAX_MINUTES = 5.0  # estimated time beyond which a command asks for --max-minutes


def example_graph(
    nin: int, nouts: Sequence[int], activation: str, output_activation: str
) -> tuple[int, int]:
    """(nodes, edges) of one example's graph in a training step or a cross-check: its inputs;
    per layer one 'linear' node per unit (2 m + 1 inputs for m inputs) and, unless the layer is
    linear, one activation node per unit; and the loss, at most 5 k + 6 nodes and 6 k + 7 edges
    for k outputs (counted with topological_order for every loss of nn.losses)."""
    nodes, edges, fan_in = nin, 0, nin
    for l, width in enumerate(nouts):
        sigma = activation if l < len(nouts) - 1 else output_activation
        activated = sigma != "linear"
        nodes += width * (2 if activated else 1)
        edges += width * (2 * fan_in + 1) + (width if activated else 0)
        fan_in = width
    k = nouts[-1]
    return nodes + 5 * k + 6, edges + 6 * k + 7


def parameter_count(nin: int, nouts: Sequence[int]) -> int:
    """How many weights and biases MLP(nin, nouts) has."""
    return sum(width * (fan_in + 1) for fan_in, width in zip([nin, *nouts], nouts))


def check_train_work(
    args: argparse.Namespace, n: int, nin: int, output_activation: str, boundary: bool
) -> None:
    """Refuse, before any work, training beyond the memory limit or the time limit."""
    nodes, edges = example_graph(nin, args.layers, args.activation, output_activation)
    batch = n if args.batch_size is None else args.batch_size
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE
    parameters = parameter_count(nin, args.layers)
    memory = [
        (
            batch * example_bytes,
            f"one batch of {batch:,} examples is one graph of {batch * nodes:,} nodes",
            "pass --batch-size {fit} or less",
            example_bytes,
        ),
        (n * _data_bytes(nin), f"the {n:,} examples", "use --n {fit} or less", _data_bytes(nin)),
        (
            parameters * BYTES_PER_PARAMETER,
            f"the network's {parameters:,} parameters",
            "use smaller --layers",
            0,
        ),
        (
            args.epochs * BYTES_PER_EPOCH,
            f"the history of {args.epochs:,} epochs",
            "use fewer --epochs",
            0,
        ),
    ]
    seconds = (
        args.epochs * n * _step_seconds(nodes, edges)
        + args.epochs * math.ceil(n / batch) * parameters * UPDATE_SECONDS_PER_PARAMETER
        + n * DATA_SECONDS_PER_EXAMPLE
        + parameters * SETUP_SECONDS_PER_PARAMETER
        + (BOUNDARY_POINTS * _forward_seconds(nodes, edges) if boundary else 0.0)
    )
    faster = "use fewer --epochs, a smaller --n or smaller --layers"
    check_limits("train", memory, seconds, args.max_minutes, faster)


def check_check_work(
    args: argparse.Namespace, nin: int, nouts: Sequence[int], output_activation: str
) -> None:
    """Refuse, before any work, a cross-check beyond the memory limit or the time limit."""
    nodes, edges = example_graph(nin, nouts, args.activation, output_activation)
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE
    parameters = parameter_count(nin, nouts)
    matrices = 8 * 8 * (nin + sum(nouts))  # z, a, delta ... of both sides, as float64 per example
    memory = [
        (
            args.batch * (example_bytes + matrices + _data_bytes(nin)),
            f"a batch of {args.batch:,} examples is one graph of {args.batch * nodes:,} nodes",
            "use --batch {fit} or less, or smaller --layers",
            example_bytes + matrices + _data_bytes(nin),
        ),
        (
            parameters * BYTES_PER_PARAMETER,
            f"the network's {parameters:,} parameters",
            "use smaller --layers",
            0,
        ),
    ]
    seconds = args.batch * _check_seconds(nodes, edges) + parameters * SETUP_SECONDS_PER_PARAMETER
    faster = "use a smaller --batch or smaller --layers"
    check_limits("check", memory, seconds, args.max_minutes, faster)


def check_demo_work(
    args: argparse.Namespace, layers: Sequence[int], batch_size: int, checks: int
) -> None:
    """Refuse, before any work, a demo of MLP(2, layers) beyond the memory limit or the time
    limit; `checks` is how many cross-checks it runs (NumPy, and PyTorch when installed). (The
    cross-check runs on the whole data set at once: its graph is the largest part.)"""
    nodes, edges = example_graph(2, layers, "tanh", "linear")
    n = args.n
    example_bytes = nodes * BYTES_PER_NODE + edges * BYTES_PER_EDGE + _data_bytes(2)
    memory = [
        (
            n * example_bytes,
            f"the cross-check of all {n:,} points is one graph of {n * nodes:,} nodes",
            "use --n {fit} or less",
            example_bytes,
        ),
        (
            args.epochs * BYTES_PER_EPOCH,
            f"the history of {args.epochs:,} epochs",
            "use fewer --epochs",
            0,
        ),
    ]
    parameters = parameter_count(2, layers)
    seconds = (
        args.epochs * n * _step_seconds(nodes, edges)
        + args.epochs * math.ceil(n / batch_size) * parameters * UPDATE_SECONDS_PER_PARAMETER
        + n * (DATA_SECONDS_PER_EXAMPLE + checks * _check_seconds(nodes, edges))
        + BOUNDARY_POINTS * _forward_seconds(nodes, edges)
    )
    check_limits(
        "the demo", memory, seconds, args.max_minutes, "use fewer --epochs or a smaller --n"
    )


def check_limits(
    command: str, memory: Sequence[MemoryPart], seconds: float, max_minutes: float, faster: str
) -> None:
    """UsageError where `command` would need more than MAX_BYTES of memory, or more than
    `max_minutes` by the estimate `seconds`. `memory` lists its parts as (bytes, what, advice,
    bytes per unit). The message names the largest parts, as many as must shrink for the rest
    to fit, each with its advice, where {fit} is the most units (examples, say) that fit in an
    equal share of the limit (unit 0: a part not made of units)."""
    total = sum(part[0] for part in memory)
    if total > MAX_BYTES:
        parts = sorted(memory, key=lambda part: part[0], reverse=True)
        large = 1
        while sum(part[0] for part in parts[large:]) > MAX_BYTES / 2:
            large += 1
        share = (MAX_BYTES - sum(part[0] for part in parts[large:])) / large
        whats, advice = [], []
        for nbytes, what, how, unit in parts[:large]:
            whats.append(f"{what}: {size_text(nbytes)}")
            if unit and share < unit:
                how = "use smaller --layers (one example alone is too large)"
            advice.append(how.format(fit=f"{int(share // unit):,}" if unit else ""))
        advice = list(dict.fromkeys(advice))  # each piece of advice once
        raise UsageError(
            f"{command} would need about {size_text(total)} of memory ({'; '.join(whats)}), more "
            f"than the limit of {size_text(MAX_BYTES)}: {', and '.join(advice)}"
        )
    if seconds > 60 * max_minutes:
        minutes = math.ceil(seconds / 60 * 1.5)
        raise UsageError(
            f"{command} would take about {duration(seconds)} (estimated), more than "
            f"--max-minutes {max_minutes:g}: {faster}, or pass --max-minutes {minutes} to run "
            "it anyway"
        )


def _data_bytes(nin):
    """Bytes of one example of a data set: the list X[n] of nin floats, and Y[n]."""
    return 100 + 50 * nin


def _step_seconds(nodes, edges):
    return nodes * STEP_SECONDS_PER_NODE + edges * STEP_SECONDS_PER_EDGE


def _forward_seconds(nodes, edges):
    return nodes * FORWARD_SECONDS_PER_NODE + edges * FORWARD_SECONDS_PER_EDGE


def _check_seconds(nodes, edges):
    return nodes * CHECK_SECONDS_PER_NODE + edges * CHECK_SECONDS_PER_EDGE


def size_text(nbytes: float) -> str:
    """A number of bytes for people: '3.1 GB', '500 MB', '4,200 GB'."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if nbytes >= scale:
            value = nbytes / scale
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2g} {unit}"
    return f"{nbytes:.0f} bytes"


def duration(seconds: float) -> str:
    """A time for people: 'under a second', '40 seconds', '12 minutes', '3.5 hours'."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:,.0f} days"

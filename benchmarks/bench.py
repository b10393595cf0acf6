"""This engine, compiled and pure Python, vs micrograd 0.1.0 vs a micrograd-style slotted Value vs
plain Python floats vs NumPy, side by side.

    .venv/bin/python benchmarks/bench.py            # the full run (~6 min): writes RESULTS.md
    .venv/bin/python benchmarks/bench.py --quick    # a smoke run (~2 min): prints, writes nothing
    .venv/bin/python benchmarks/bench.py --baseline HEAD   # adds the pure engine as of a commit

Each engine runs in its own worker process (worker.py) with the interpreter's default settings,
garbage collector included. This process sends every worker the same inputs, CHECKS that all of
them compute the same loss and gradients (and stops with an error if not), then times them
interleaved, round after round (A B C D, then D C B A, ...), and reports medians and ratios of
medians. The machine is shared and noisy, so times are CPU times of the worker process (what
other load disturbs least; wall-clock medians are shown too), and the spread of every median
(interquartile range / median) is printed next to it.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402  (benchmarks/ is not a package)

PURE = {"CHAINRULE_PURE_PYTHON": "1"}  # this engine's pure-Python build (autograd/engine.py)
# column name -> (engine module, training-step class, environment); one worker process each
ENGINES = {
    "ours": ("engine_ours", "TrainingStep", {}),
    "ours, train_step": ("engine_ours", "LibraryTrainingStep", {}),
    "ours, pure Python": ("engine_ours", "TrainingStep", PURE),
    "ours, pure Python, train_step": ("engine_ours", "LibraryTrainingStep", PURE),
    "micrograd": ("engine_micrograd", "TrainingStep", {}),
    "plain floats": ("engine_plain", "TrainingStep", {}),
    "numpy": ("engine_numpy", "TrainingStep", {}),
}
SLOTTED = "micrograd-style Value"
OTHER_ENGINES = {SLOTTED: ("engine_slotted", None, {})}  # the op-by-op workload only
GRAPH_ENGINES = ["ours", "ours, pure Python", "micrograd"]  # graph objects: memory and depth
WIDE_ENGINES = ["ours", "ours, pure Python", "micrograd", "plain floats", "numpy"]
OP_BY_OP_ENGINES = ["ours", "ours, pure Python", SLOTTED]
DEMO_IMPORTS = ["numpy", "matplotlib.pyplot"]  # what micrograd's demo notebook imports
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CPU, WALL = 0, 1  # the two clocks in every time pair a worker returns


class BenchmarkError(RuntimeError):
    """An engine disagrees with the reference, or a worker failed."""


def without_switch(env):
    """The environment without CHAINRULE_PURE_PYTHON: "ours" is whatever `import autograd` picks."""
    return {k: v for k, v in env.items() if k not in PURE}


class Worker:
    """A worker process running one engine; `preload` modules are imported first."""

    def __init__(self, name, preload=(), module=None):
        default, step_class, env = {**ENGINES, **OTHER_ENGINES}[name]
        module = module or default
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), module, str(step_class), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE,
            env={**without_switch(os.environ), **ONE_THREAD, "MPLBACKEND": "Agg", **env},
        )

    def ask(self, cmd, **args):
        self.process.stdin.write(json.dumps({"cmd": cmd, "args": args}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BenchmarkError(f"the {self.name} worker died during {cmd}")
        reply = json.loads(line)
        if "failed" in reply:
            raise BenchmarkError(f"{self.name} failed in {cmd}: {reply['failed']}")
        return reply

    def close(self):
        self.process.stdin.close()
        self.process.wait()


# ---- numbers ----


def median(xs):
    return statistics.median(xs)


def spread(xs):
    """Interquartile range / median, in percent: how noisy this median was."""
    if len(xs) < 4:
        return (max(xs) - min(xs)) / median(xs) * 100
    q1, _, q3 = statistics.quantiles(xs, n=4)
    return (q3 - q1) / median(xs) * 100


def column(pairs, clock=CPU):
    return [pair[clock] for pair in pairs]


def check_close(what, reference, other, name, rel=1e-9):
    """Raise unless two numbers or two lists of numbers agree; return the largest relative
    difference. (The engines add in different orders, so the last bits may differ.)"""
    reference = reference if isinstance(reference, list) else [reference]
    other = other if isinstance(other, list) else [other]
    if len(reference) != len(other):
        raise BenchmarkError(f"{what}: {name} gives {len(other)} numbers, ours {len(reference)}")
    worst = 0.0
    for i, (a, b) in enumerate(zip(reference, other)):
        if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-12):
            raise BenchmarkError(f"{what}[{i}]: {name} gives {b!r}, ours {a!r}")
        if a != b:
            worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    return worst


def check_same_bits(what, reference, other, name):
    """The two builds of this engine must agree exactly, bit for bit."""
    if reference != other:
        raise BenchmarkError(f"{what}: {name} differs from ours (the two builds must agree)")
    return f"{what}, {name}: the same bits as ours"


def check_against_ours(workload, replies, fields, what, checks):
    """Every engine's reply against ours: the pure-Python build bit for bit, the others within
    check_close for each (label, key) of `fields`; `what(reply)` names what agreed."""
    reference = replies["ours"]
    for name, reply in replies.items():
        if name == "ours, pure Python":
            checks.append(check_same_bits(workload, reference, reply, name))
        if name != "ours":
            worst = max(
                check_close(label, reference[key], reply[key], name) for label, key in fields
            )
            checks.append(
                f"{workload}, {name}: {what(reply)} agree with ours "
                f"(largest relative difference {worst:.1e})"
            )


def rounds_of(workers, rounds, run):
    """run(worker) for every worker, round after round, the order reversed every other round."""
    for r in range(rounds):
        for w in workers if r % 2 == 0 else workers[::-1]:
            run(w)


# ---- the workloads ----


def training_step(workers, rounds, checks):
    """Workload 1: micrograd's demo step. Returns (times per engine, graph sizes, notes)."""
    ready, notes = [], {}
    for w in workers:
        reply = w.ask("setup_step")
        if "unavailable" in reply:
            notes[w.name] = reply["unavailable"]
        else:
            ready.append(w)
    replies = {w.name: w.ask("check_step") for w in ready}
    sizes = {name: r["graph_size"] for name, r in replies.items() if "graph_size" in r}
    check_against_ours(
        "training step",
        replies,
        [("step loss", "loss"), ("step gradients", "gradients")],
        lambda reply: f"the loss and all {len(reply['gradients'])} gradients",
        checks,
    )
    # the fast engines run several steps per call, so that each call takes about 0.1 s
    first = {w.name: median(column(w.ask("time_step", reps=3)["times"])) for w in ready}
    reps = {name: max(1, min(100, round(0.1 / t))) for name, t in first.items()}
    times = {w.name: [] for w in ready}
    rounds_of(
        ready,
        rounds,
        lambda w: times[w.name].extend(w.ask("time_step", reps=reps[w.name])["times"]),
    )
    return times, sizes, notes


def wide_graph(workers, rounds, checks):
    """Workload 2: ~200,000 elementary ops; build, backward and free timed separately."""
    replies = {w.name: w.ask("check_wide") for w in workers}
    check_against_ours(
        "wide graph",
        replies,
        [("wide root", "root"), ("wide dL/dw", "dw"), ("wide dL/dx", "dxs")],
        lambda reply: f"the root, dL/dw and all {len(reply['dxs']):,} dL/dx",
        checks,
    )
    runs = {w.name: [] for w in workers}
    rounds_of(workers, rounds, lambda w: runs[w.name].append(w.ask("time_wide")))
    return runs


def op_by_op(workers, rounds, checks):
    """Workload 5: the attention block and MLP of attention.py, trained a few steps."""
    ready = [w for w in workers if "unavailable" not in w.ask("setup_attention")]
    replies = {w.name: w.ask("check_attention") for w in ready}
    sizes = {name: r["graph_size"] for name, r in replies.items() if "graph_size" in r}
    check_against_ours(
        "op by op",
        replies,
        [("op-by-op losses", "losses"), ("op-by-op gradients", "gradients")],
        lambda reply: (
            f"the {len(reply['losses'])} losses and all {len(reply['gradients']):,} gradients"
        ),
        checks,
    )
    first = {w.name: median(column(w.ask("time_attention", reps=1)["times"])) for w in ready}
    reps = {name: max(1, min(20, round(0.15 / t / 3))) for name, t in first.items()}
    times = {w.name: [] for w in ready}
    rounds_of(
        ready,
        rounds,
        lambda w: times[w.name].extend(w.ask("time_attention", reps=reps[w.name])["times"]),
    )
    return times, sizes


def depth(workers, lengths, rounds):
    """Workload 4: chains y = x * w * ... * w; for an engine whose backward fails, the depth
    where it starts failing."""
    results, failed = {}, {}
    for n in lengths:
        for w in workers:
            if w.name in failed:
                continue
            runs = []
            for _ in range(rounds if n < 1_000_000 else max(1, rounds - 1)):
                reply = w.ask("time_chain", n=n)
                if "error" in reply:
                    failed[w.name] = {
                        "error": reply["error"],
                        "at": n,
                        **w.ask("deepest_chain", high=n),
                    }
                    break
                y, dy_dx, dy_dw = reply["result"]
                if (y, dy_dx, dy_dw) != (1.0, 1.0, float(n)):
                    raise BenchmarkError(f"chain of {n}: {w.name} gives {reply['result']}")
                runs.append(reply)
            if runs and w.name not in failed:
                results[(w.name, n)] = runs
    return results, failed


# ---- the report ----


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def ms(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def times_x(ratio):
    if ratio < 1:
        return f"{ratio:.2g}x"
    return f"{ratio:.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def step_table(times, sizes, notes):
    cpu = {name: median(column(t)) for name, t in times.items()}
    wall = {name: median(column(t, WALL)) for name, t in times.items()}
    lines = [
        "| engine | CPU time per step | wall-clock | micrograd's time / this "
        "| this / plain floats' | op nodes (all nodes) per step |",
        "|---|---|---|---|---|---|",
    ]
    for name in ENGINES:
        if name in notes:
            lines.append(f"| {name} | not run: {notes[name]} | | | | |")
        elif name in times:
            size = f"{sizes[name][0]:,} ({sizes[name][1]:,})" if name in sizes else ""
            lines.append(
                f"| {name} | {ms(cpu[name])} [{spread(column(times[name])):.0f}%] "
                f"| {ms(wall[name])} [{spread(column(times[name], WALL)):.0f}%] "
                f"| {times_x(cpu['micrograd'] / cpu[name])} "
                f"| {times_x(cpu[name] / cpu['plain floats'])} | {size} |"
            )
    return lines


def report(info, step, demo_step, wide, mem, chains, lengths, ops, checks, command):
    n_ops = common.wide_node_count()
    n_leaves = common.WIDE_CELLS + 1
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['python']}, {info['system']}. "
        f"Run {info['date']} with `{command}`; load average {info['load_start']:.2f} at the "
        f"start, {info['load_end']:.2f} at the end (the machine is shared).",
        "",
        "Each engine runs in its own process with the default interpreter settings (garbage "
        "collector on), interleaved. Times are medians of the worker's CPU time, with the "
        "spread (interquartile range / median) in brackets; ratios are ratios of medians from "
        "this one run.",
        "",
        f"`ours` ran this engine's {info['engines']['ours']} build (autograd.ENGINE), "
        "`ours, pure Python` the same autograd/value.py as plain Python "
        "(CHAINRULE_PURE_PYTHON=1)"
        + "".join(
            f"; `{name}` the pure-Python engine as of {name.split('@ ')[1]}"
            for name in info["engines"]
            if name.startswith("ours @")
        )
        + ".",
        "",
        "## 1. Training step",
        "",
        "micrograd's demo step: MLP(2, [16, 16, 1]) (relu hidden, linear output), 64 two-moons "
        "points, hinge loss + 1e-4 L2, forward + backward + SGD. `ours` is the step as a user "
        "writes it with the nn API (nn.losses.hinge, the L2 term in the graph, SGD); "
        "`ours, train_step` is nn.train.train_step (L2 as SGD weight decay; it pauses the "
        "collector during the step and restores it).",
        "",
        *step_table(*step),
        "",
        "In processes that first import NumPy and matplotlib, as micrograd's demo notebook does "
        "(a bigger heap for the collector to walk):",
        "",
        *step_table(*demo_step),
        "",
        "## 2. Wide graph",
        "",
        f"{n_ops:,} op nodes: for each of {common.WIDE_CELLS:,} leaves x and one shared leaf w, "
        f"q = x * w + x, relu(q) ** 2 (4 ops), then a pairwise sum tree ({common.WIDE_CELLS - 1:,} "
        "adds). Build includes making the leaves. Free is `del` then `gc.collect()` (micrograd's "
        "graph is reference cycles, which only the collector frees).",
        "",
        "| engine | build, ns/op node | backward, ns/op node | free, ns/op node "
        "| objects the collector freed | build / plain floats' | backward / plain floats' |",
        "|---|---|---|---|---|---|---|",
    ]
    part = {
        name: {p: [run[p][CPU] for run in runs] for p in ("build", "backward", "free")}
        for name, runs in wide.items()
    }
    plain = part["plain floats"]
    for name, p in part.items():
        collected = max(run["collected"] for run in wide[name])
        lines.append(
            f"| {name} | {median(p['build']) / n_ops * 1e9:,.0f} [{spread(p['build']):.0f}%] "
            f"| {median(p['backward']) / n_ops * 1e9:,.0f} [{spread(p['backward']):.0f}%] "
            f"| {median(p['free']) / n_ops * 1e9:,.0f} | {collected:,} "
            f"| {times_x(median(p['build']) / median(plain['build']))} "
            f"| {times_x(median(p['backward']) / median(plain['backward']))} |"
        )
    n_all = n_ops + n_leaves
    lines += [
        "",
        "## 3. Memory",
        "",
        f"tracemalloc around the same wide graph: {n_ops:,} op nodes + {n_leaves:,} leaves = "
        f"{n_all:,} nodes, held alive.",
        "",
        "| engine | bytes per node | extra peak during backward, per node "
        "| held after backward (grads set), per node | objects the collector must track, per node "
        "| objects the collector frees after `del` |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in mem.items():
        lines.append(
            f"| {name} | {r['graph_bytes'] / n_all:.0f} | {r['backward_peak_bytes'] / n_all:.0f} "
            f"| {r['after_backward_bytes'] / n_all:.0f} | {r['tracked_objects'] / n_all:.1f} "
            f"| {r['collected']:,} |"
        )
    results, failed = chains
    lines += [
        "",
        "## 4. Depth",
        "",
        "Chains y = x * w * w * ... * w (one shared leaf w), at the default recursion limit "
        f"({sys.getrecursionlimit()}). Free is the `del` of the chain.",
        "",
        "| engine | nodes | build | backward | free |",
        "|---|---|---|---|---|",
    ]
    for name in GRAPH_ENGINES:
        for n in lengths:
            if (name, n) in results:
                runs = results[(name, n)]
                b, bw, fr = (
                    median([run[p][CPU] for run in runs]) for p in ("build", "backward", "free")
                )
                lines.append(f"| {name} | {n:,} | {ms(b)} | {ms(bw)} | {ms(fr)} |")
        if name in failed:
            f = failed[name]
            lines.append(
                f"| {name} | {f['at']:,} and more | backward() raises {f['error']}: its "
                f"topological sort is recursive; the deepest chain that works has "
                f"{f['deepest']:,} nodes | | |"
            )
    times, sizes = ops
    cpu = {name: median(column(t)) for name, t in times.items()}
    lines += [
        "",
        "## 5. Op by op",
        "",
        "A small transformer block written against the micrograd-style API, every scalar a Value "
        f"and every operation one Python operator (benchmarks/attention.py): "
        f"{common.ATTENTION_TOKENS} tokens of {common.ATTENTION_DIM} numbers, RMS-norm with "
        "`** -0.5`, causal self-attention (dot products, softmax via exp and division), an MLP "
        f"with {common.ATTENTION_HIDDEN} relu units written with + and *, residual connections, a "
        f"squared-error loss, backward and SGD; trained {common.ATTENTION_STEPS} steps per run, "
        "timed per step. `micrograd-style Value` is the reference: a 40-line slotted Value with "
        "local-gradient tuples and micrograd's recursive sort (benchmarks/engine_slotted.py).",
        "",
        "| engine | CPU time per step | wall-clock | micrograd-style Value's time / this "
        "| op nodes (all nodes) per step |",
        "|---|---|---|---|---|",
    ]
    for name, t in times.items():
        size = f"{sizes[name][0]:,} ({sizes[name][1]:,})" if name in sizes else ""
        lines.append(
            f"| {name} | {ms(cpu[name])} [{spread(column(t)):.0f}%] "
            f"| {ms(median(column(t, WALL)))} [{spread(column(t, WALL)):.0f}%] "
            f"| {times_x(cpu[SLOTTED] / cpu[name])} | {size} |"
        )
    lines += ["", "## Checks", "", *[f"- {c}" for c in checks], ""]
    return lines


def targets(step, wide, mem, chains, lengths, ops):
    """The speed targets, each with the ratio measured in this run, for both builds."""
    cpu = {name: median(column(t)) for name, t in step[0].items()}
    op_cpu = {name: median(column(t)) for name, t in ops[0].items()}
    results, _ = chains
    longest = max(lengths)
    rows = []

    def target(text, ok, measured):
        rows.append(f"| {text} | {measured} | {'met' if ok else '**missed**'} |")

    def wide_ratio(name, part, against="plain floats"):
        return median([r[part][CPU] for r in wide[name]]) / median(
            [r[part][CPU] for r in wide[against]]
        )

    def chain_time(name):
        runs = results.get((name, longest))
        return median([r["build"][CPU] + r["backward"][CPU] for r in runs]) if runs else None

    # the compiled engine
    ratio = op_cpu[SLOTTED] / op_cpu["ours"]
    target("compiled: op by op, at least 5x the micrograd-style Value", ratio >= 5, times_x(ratio))
    for name in ("ours", "ours, train_step"):
        if name in cpu:
            speedup = cpu["micrograd"] / cpu[name]
            target(
                f"compiled: training step ({name}), at least 100x micrograd",
                speedup >= 100,
                times_x(speedup),
            )
            ratio = cpu[name] / cpu["plain floats"]
            target(
                f"compiled: training step ({name}), within 1.5x of plain floats",
                ratio <= 1.5,
                times_x(ratio),
            )
    for part, limit in (("build", 8), ("backward", 7)):
        ratio = wide_ratio("ours", part)
        target(
            f"compiled: wide graph {part}, within {limit}x of plain floats per node",
            ratio <= limit,
            times_x(ratio),
        )
    fraction = mem["ours"]["graph_bytes"] / mem["micrograd"]["graph_bytes"]
    target(
        "compiled: bytes per node, at most 0.3x micrograd's", fraction <= 0.3, f"{fraction:.2f}x"
    )
    found = max(r["collected"] for r in wide["ours"]) + mem["ours"]["collected"]
    target("compiled: no reference cycles (the collector frees nothing)", found == 0, f"{found}")
    total = chain_time("ours")
    if total is not None:
        target(
            f"compiled: {longest:,}-node chain, build + backward under 10 s", total < 10, ms(total)
        )
    # the pure-Python engine
    ratio = op_cpu[SLOTTED] / op_cpu["ours, pure Python"]
    target(
        "pure Python: op by op, at least as fast as the micrograd-style Value",
        ratio >= 1,
        times_x(ratio),
    )
    baselines = [name for name in op_cpu if name.startswith("ours @")]
    for base in baselines:  # no regression: the pure-Python build against the engine before it
        pairs = [
            ("training step (user-written)", cpu.get("ours, pure Python"), cpu.get(base)),
            (
                "training step (train_step)",
                cpu.get("ours, pure Python, train_step"),
                cpu.get(f"{base}, train_step"),
            ),
            ("wide graph build", wide_ratio("ours, pure Python", "build", base), 1.0),
            ("wide graph backward", wide_ratio("ours, pure Python", "backward", base), 1.0),
            ("bytes per node", mem["ours, pure Python"]["graph_bytes"], mem[base]["graph_bytes"]),
            ("chain build + backward", chain_time("ours, pure Python"), chain_time(base)),
            ("op by op", op_cpu["ours, pure Python"], op_cpu[base]),
        ]
        for what, now, before in pairs:
            if now is not None and before:
                ratio = now / before
                target(
                    f"pure Python: no regression against {base.split('@ ')[1]}: {what} "
                    "(time or bytes now / before, within 1.05 for noise)",
                    ratio <= 1.05,
                    f"{ratio:.2f}",
                )
    if not baselines:
        rows.append(
            "| pure Python: no regression | not measured in this run: `--baseline REV` "
            "adds the engine as of a commit | |"
        )
    return ["## Targets", "", "| target | measured | |", "|---|---|---|", *rows, ""]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few rounds, chains up to 1e5, no file"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the training step (default 15)")
    parser.add_argument("--wide-rounds", type=int, help="rounds of the wide graph (default 7)")
    parser.add_argument(
        "--output", default=str(HERE / "RESULTS.md"), help="where to write the table"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the pure-Python engine as of this git revision (e.g. HEAD): no regression?",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 15)
    wide_rounds = args.wide_rounds or (2 if args.quick else 7)
    lengths = [1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])
    chain_rounds = 1 if args.quick else 3
    command = "python benchmarks/bench.py" + "".join(f" {a}" for a in (argv or sys.argv[1:]))

    def log(text):
        print(text, file=sys.stderr, flush=True)

    info = {**machine(), "load_start": load()}
    checks = []
    baseline = tempfile.TemporaryDirectory() if args.baseline else None
    if baseline:
        add_baseline(args.baseline, baseline.name)
    workers = [Worker(name) for name in ENGINES]
    by_name = {w.name: w for w in workers}
    info["engines"] = {w.name: w.ask("engine_info")["engine"] for w in workers}
    try:
        log("1. training step")
        step = training_step(workers, rounds, checks)
        demo_workers = [Worker(name, DEMO_IMPORTS) for name in ENGINES]
        try:
            log("1b. training step, NumPy and matplotlib imported")
            demo_step = training_step(demo_workers, rounds, [])
        finally:
            for w in demo_workers:
                w.close()
        log("2. wide graph")
        wide = wide_graph([by_name[name] for name in WIDE_ENGINES], wide_rounds, checks)
        log("3. memory")
        mem = {name: by_name[name].ask("memory_wide") for name in GRAPH_ENGINES}
        log("4. depth")
        chains = depth([by_name[name] for name in GRAPH_ENGINES], lengths, chain_rounds)
        log("5. op by op")
        for name in OP_BY_OP_ENGINES:  # each in a fresh process that imports only its engine,
            if name in by_name:  # as the micrograd-style Value's: no heap left by the 1e6-node
                by_name.pop(name).close()  # chains, no nn and NumPy for the collector to walk
            by_name[name] = Worker(name, module=None if name == SLOTTED else "engine_ours_ops")
        ops = op_by_op([by_name[name] for name in OP_BY_OP_ENGINES], rounds, checks)
    finally:
        for w in by_name.values():
            w.close()
        if baseline:
            baseline.cleanup()
    info["load_end"] = load()
    lines = report(info, step, demo_step, wide, mem, chains, lengths, ops, checks, command)
    lines += targets(step, wide, mem, chains, lengths, ops)
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        Path(args.output).write_text(text + "\n")
        log(f"written to {args.output}")
        update_readme(text)


def add_baseline(rev, folder):
    """The pure-Python engine (autograd and nn) as of git revision `rev`, in its own workers."""
    root = HERE.parent
    archive = subprocess.run(
        ["git", "archive", rev, "autograd", "nn"], cwd=root, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    name = f"ours @ {rev}"
    env = {**PURE, "PYTHONPATH": folder}
    ENGINES[name] = ("engine_ours", "TrainingStep", env)
    ENGINES[f"{name}, train_step"] = ("engine_ours", "LibraryTrainingStep", env)
    for names in (GRAPH_ENGINES, WIDE_ENGINES, OP_BY_OP_ENGINES):
        names.insert(names.index("ours, pure Python") + 1, name)


def update_readme(text):
    """Put the results into benchmarks/README.md, between its two markers."""
    readme = HERE / "README.md"
    begin, end = "<!-- results: written by bench.py -->", "<!-- end of results -->"
    old = readme.read_text()
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1]
        body = text.replace("# Benchmark results", "## Latest results", 1).replace(
            "\n## ", "\n### "
        )
        readme.write_text(f"{head}{begin}\n{body}\n{end}{tail}")


if __name__ == "__main__":
    main()

"""One engine in its own process, driven by bench.py: a JSON request per line on stdin, a JSON
reply per line on stdout. Each engine runs in a fresh interpreter with only its own imports, so
one engine's heap (NumPy, a retained graph, uncollected cycles) never slows another's garbage
collector. The collector keeps the interpreter's default settings throughout.

    python worker.py engine_ours TrainingStep [module to import first ...]

Every time is measured twice: CPU time of this process (time.process_time: what the machine's
other load disturbs least) and wall-clock time (time.perf_counter).
"""

import gc
import importlib
import json
import sys
import time

import common


def clocks():
    return time.process_time(), time.perf_counter()


def since(start):
    cpu, wall = clocks()
    return [cpu - start[0], wall - start[1]]


class Worker:
    def __init__(self, module_name, step_class):
        self.engine = importlib.import_module(module_name)
        self.step_class = getattr(self.engine, step_class, None)
        self.step = None

    # ---- workload 1: the training step ----

    def setup_step(self):
        X, y = common.moons()
        W, b = common.mlp_weights()
        try:
            self.step = self.step_class(W, b, X, y)
        except ImportError as error:  # e.g. no nn.train.train_step in this checkout
            return {"unavailable": str(error)}
        return {}

    def check_step(self):
        """One step from the common weights: the loss and every gradient (before the update)."""
        self.step.reset()
        loss = getattr(self.step, "check", self.step)()
        reply = {"loss": loss, "gradients": self.step.gradients()}
        if hasattr(self.step, "graph_size"):
            reply["graph_size"] = self.step.graph_size()
        return reply

    def time_step(self, reps):
        times = []
        for _ in range(reps):
            self.step.reset()  # every timed step starts from the same weights (not timed)
            start = clocks()
            self.step()
            times.append(since(start))
        return {"times": times}

    def engine_info(self):
        """Which build of this repository's engine the worker runs (autograd.ENGINE), if any."""
        autograd = sys.modules.get("autograd")
        return {"engine": getattr(autograd, "ENGINE", None) if autograd else None}

    # ---- workload 5: op by op (attention.py) ----

    def setup_attention(self):
        step_class = getattr(self.engine, "AttentionStep", None)
        if step_class is None:
            return {"unavailable": f"{self.engine.__name__} has no AttentionStep"}
        self.attention = step_class(common.attention_inputs())
        return {}

    def check_attention(self):
        """The first few steps from the common weights: every loss, then every gradient."""
        self.attention.reset()
        losses = self.attention()
        reply = {"losses": losses, "gradients": self.attention.gradients()}
        size = self.attention.graph_size()
        if size is not None:
            reply["graph_size"] = size
        return reply

    def time_attention(self, reps):
        """CPU and wall time per training step (each run is ATTENTION_STEPS steps)."""
        times = []
        for _ in range(reps):
            self.attention.reset()  # every run starts from the same weights (not timed)
            start = clocks()
            self.attention()
            times.append([t / common.ATTENTION_STEPS for t in since(start)])
        return {"times": times}

    # ---- workload 2: the wide graph ----

    def check_wide(self):
        xs = common.wide_inputs()
        graph = self.engine.wide_build(xs, common.WIDE_W)
        gradients = self.engine.wide_backward(graph)
        root, dw, dxs = self.engine.wide_result(graph, gradients)
        return {"root": root, "dw": dw, "dxs": dxs}

    def time_wide(self):
        """build, backward, and free: `del`, then gc.collect() (micrograd's cycles need it)."""
        xs = common.wide_inputs()
        start = clocks()
        graph = self.engine.wide_build(xs, common.WIDE_W)
        build = since(start)
        start = clocks()
        gradients = self.engine.wide_backward(graph)
        backward = since(start)
        start = clocks()
        del graph, gradients
        collected = gc.collect()
        free = since(start)
        return {"build": build, "backward": backward, "free": free, "collected": collected}

    # ---- workload 3: memory ----

    def memory_wide(self):
        """Bytes allocated for the graph while it is held, the extra peak during backward, and
        what the cyclic collector finds once the graph is dropped."""
        import tracemalloc

        xs = common.wide_inputs()
        gc.collect()
        tracked_before = len(gc.get_objects())
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        graph = self.engine.wide_build(xs, common.WIDE_W)
        built = tracemalloc.get_traced_memory()[0]
        tracked = len(gc.get_objects()) - tracked_before  # objects the collector must walk
        tracemalloc.reset_peak()
        gradients = self.engine.wide_backward(graph)
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del graph, gradients
        return {
            "graph_bytes": built - before,
            "backward_peak_bytes": peak - built,
            "after_backward_bytes": after - before,
            "tracked_objects": tracked,
            "collected": gc.collect(),
        }

    # ---- workload 4: depth ----

    def time_chain(self, n):
        start = clocks()
        chain = self.engine.chain_build(n)
        build = since(start)
        start = clocks()
        try:
            self.engine.chain_backward(chain)
        except RecursionError:
            return {"error": "RecursionError"}
        backward = since(start)
        result = self.engine.chain_result(chain)
        start = clocks()
        del chain
        free = since(start)
        return {"build": build, "backward": backward, "free": free, "result": result}

    def deepest_chain(self, high):
        """The longest chain whose backward() works at the default recursion limit (bisection
        between 1, which works, and `high`, which does not)."""
        low = 1
        while high - low > 1:
            mid = (low + high) // 2
            try:
                self.engine.chain_backward(self.engine.chain_build(mid))
                low = mid
            except RecursionError:
                high = mid
        return {"deepest": low, "recursion_limit": sys.getrecursionlimit()}


def main():
    module_name, step_class, *preload = sys.argv[1:]
    for name in preload:  # e.g. numpy, matplotlib.pyplot: a heap like micrograd's demo notebook
        importlib.import_module(name)
    worker = Worker(module_name, step_class)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = getattr(worker, request["cmd"])(**request.get("args", {}))
        except Exception as error:  # reported to bench.py, which stops with the message
            reply = {"failed": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

"""The op-by-op workload (attention.py) on this engine's Value, in a process that imports
autograd alone, as code written against the micrograd-style API does: nn, and NumPy with it,
stay out of the heap that the garbage collector walks (the micrograd-style Value's worker
imports nothing either)."""

import attention

from autograd import Value, topological_order


class AttentionStep(attention.Step):
    """The op-by-op workload on this engine's Value."""

    def __init__(self, inputs):
        super().__init__(Value, inputs)

    def graph_size(self):
        return super().graph_size(topological_order)

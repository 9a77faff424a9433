"""Memory budget for real runs, decided from the analysis before anything is allocated.

The analysis works on meta tensors, so even a `Linear(100000, 100000)` (40 GB of weights) costs
nothing to look at; this module turns its per-node bytes into an estimate of what a worker would
allocate and refuses the job (422, naming the node that weighs most) when the estimate is over
`TORCHCANVAS_MEASURE_MEMORY_MB`. The estimate per node is its parameter bytes (twice when gradients
are made: the gradients are the same size) plus its output bytes, scaled by the largest batch of a
sweep; graph inputs are counted too. It is a lower bound (a layer's temporaries are not counted),
so the worker's time limit and process isolation remain the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from server.analysis import Analysis, analyze
from server.errors import InvalidDesign, LimitExceeded
from server.graph import DType, GraphIn, check_size
from server.settings import Settings

MIB = 1024 * 1024


@dataclass(frozen=True)
class Cost:
    node: str
    op: str
    param_bytes: int
    activation_bytes: int

    @property
    def total(self) -> int:
        return self.param_bytes + self.activation_bytes


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TB"


def batch_scale(graph: GraphIn, batch_sizes: list[int] | None) -> float:
    """How much larger activations get at the largest batch of a sweep (they grow with the batch)."""
    firsts = [i.shape[0] for i in graph.inputs if i.shape]
    if not batch_sizes or not firsts:
        return 1.0
    return max(1.0, max(batch_sizes) / min(firsts))


def costs(analysis: Analysis, *, gradients: bool, scale: float) -> list[Cost]:
    out = []
    for node_id, result in analysis.nodes.items():
        facts = result.facts
        if facts is None:
            continue
        grads = gradients and result.trainable
        out.append(Cost(node_id, result.op, facts.param_bytes * (2 if grads else 1),
                        int(facts.activation_bytes * scale)))
    return out


def check(graph: GraphIn, settings: Settings, *, gradients: bool = False,
          batch_sizes: list[int] | None = None) -> Analysis:
    """The analysis of a design that fits the budget; InvalidDesign or LimitExceeded otherwise."""
    check_size(graph, settings.max_nodes)
    analysis = analyze(graph)
    if not analysis.ok:
        raise InvalidDesign(analysis.errors)
    scale = batch_scale(graph, batch_sizes)
    per_node = costs(analysis, gradients=gradients, scale=scale)
    inputs = int(sum(prod(m.shape) * DType(m.dtype).torch.itemsize for m in analysis.inputs.values()) * scale)
    total = inputs + sum(c.total for c in per_node)
    budget = settings.measure_memory_mb * MIB
    if total <= budget or not per_node:
        return analysis
    worst = max(per_node, key=lambda c: c.total)
    grads = " and their gradients" if gradients else ""
    raise LimitExceeded(
        f"node {worst.node!r} ({worst.op}) alone needs about {human(worst.total)} "
        f"({human(worst.param_bytes)} of parameters{grads}, {human(worst.activation_bytes)} of output), "
        f"and the whole run about {human(total)}: over the measuring budget of {human(budget)} "
        "(TORCHCANVAS_MEASURE_MEMORY_MB). Make that layer smaller or lower the batch size; "
        "nothing was allocated.",
        details=[{"node": worst.node, "bytes": worst.total, "total_bytes": total, "budget_bytes": budget}],
    )


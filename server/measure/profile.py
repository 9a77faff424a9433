"""The profile job: how fast the real network runs, per node, and across batch sizes.

Forward (and backward) times come from `server.measure.timing` (the torch.utils.benchmark method).
Per-node times come from one instrumented pass (`DesignModule.run` with a clock observer that
charges each node the time since the previous one), repeated `INSTRUMENTED_PASSES` times for a
median; each instrumented pass is paired with a plain forward, and the difference of their medians
is reported as the instrumentation's overhead rather than hidden in the node times. With
`reference: true` the same forward is also timed by `torch.utils.benchmark.Timer.blocked_autorange`
in the same process, and both figures are answered, so a reader can check the method.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch.utils.benchmark import Timer

from server.builder import example_inputs
from server.graph import GraphIn
from server.measure import timing
from server.measure.network import InvalidRequest, Network, floats, load, mode, sync

INSTRUMENTED_PASSES = 5
CPU_PEAK_METHOD = (
    "parameters + buffers + inputs + every node output the forward holds until it ends "
    "(temporaries inside a layer and tensors autograd saves for backward are not counted)"
)


class NodeClock:
    """An observer for `DesignModule.run`: charges the time since the previous step to each node,
    and counts the activation bytes the forward holds (distinct storages, in-place ops counted once).
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.times: dict[str, float] = {}
        self.held_bytes = 0
        self._storages: set[int] = set()
        self.last = time.perf_counter()

    def __call__(self, node_id: str, outputs: list[Any]) -> None:
        sync(self.device)
        now = time.perf_counter()
        self.times[node_id] = now - self.last
        for t in outputs:
            if isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() not in self._storages:
                self._storages.add(t.untyped_storage().data_ptr())
                self.held_bytes += t.untyped_storage().nbytes()
        self.last = time.perf_counter()


def _forward_fn(net: Network, grad: bool) -> Any:
    model, inputs = net.model, net.inputs

    def forward() -> Any:
        with torch.set_grad_enabled(grad):
            return model(*inputs)

    return forward


def _loss(outputs: Any) -> torch.Tensor:
    return sum((t.float().sum() for t in floats(outputs)), torch.zeros((), device=floats(outputs)[0].device))


def _backward(net: Network, min_time_s: float, warmup: int) -> timing.Timing:
    """Backward alone: each sample runs a fresh forward untimed, then times `loss.backward()`."""
    if not any(p.requires_grad for p in net.model.parameters()):
        raise InvalidRequest("backward was asked for but the design has no trainable parameters (no layer "
                             "with weights, or every such node is frozen): nothing to time")
    forward = _forward_fn(net, True)

    def prepare() -> torch.Tensor:
        net.model.zero_grad(set_to_none=True)
        return _loss(forward())

    def backward(loss: torch.Tensor) -> None:
        loss.backward()  # type: ignore[no-untyped-call]

    return timing.each(prepare, backward, min_time_s=min_time_s, warmup=warmup, device=net.device)


def _per_node(net: Network, grad: bool) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Per-node medians from instrumented passes, each paired with a plain pass to price the clock."""
    per_pass: list[dict[str, float]] = []
    plain: list[float] = []
    timed: list[float] = []
    held = 0
    with torch.set_grad_enabled(grad):
        for _ in range(INSTRUMENTED_PASSES):
            start = time.perf_counter()
            net.model(*net.inputs)
            sync(net.device)
            plain.append(time.perf_counter() - start)
            clock = NodeClock(net.device)
            start = clock.last = time.perf_counter()
            net.model.run(*net.inputs, observe=clock)
            timed.append(time.perf_counter() - start)
            per_pass.append(clock.times)
            held = max(held, clock.held_bytes)
    medians = {nid: float(np.median([p[nid] for p in per_pass])) * 1e3 for nid in per_pass[0]}
    whole = sum(medians.values()) or 1.0
    nodes = {nid: {"median_ms": round(ms, 4), "share": round(ms / whole, 4)} for nid, ms in medians.items()}
    timed_ms, plain_ms = float(np.median(timed)) * 1e3, float(np.median(plain)) * 1e3
    instrumented = {
        "passes": INSTRUMENTED_PASSES, "total_median_ms": round(timed_ms, 4),
        "plain_median_ms": round(plain_ms, 4), "overhead_ms": round(timed_ms - plain_ms, 4),
    }
    return nodes, instrumented, held


def _peak_memory(net: Network, live_peak: int, grad: bool, backward: bool) -> tuple[int, str]:
    if net.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(net.device)
        out = _forward_fn(net, grad or backward)()
        if backward:
            _loss(out).backward()  # type: ignore[no-untyped-call]
        sync(net.device)
        return int(torch.cuda.max_memory_allocated(net.device)), "torch.cuda.max_memory_allocated"
    fixed = sum(t.nbytes for t in [*net.model.parameters(), *net.model.buffers(), *net.inputs])
    return fixed + live_peak, CPU_PEAK_METHOD


def _with_batch(graph: GraphIn, batch: int) -> GraphIn:
    """The same graph with the first dimension of every input replaced by `batch`."""
    copy = graph.model_copy(deep=True)
    for inp in copy.inputs:
        if inp.shape:
            inp.shape = [batch, *inp.shape[1:]]
    return copy


def _sweep(
    net: Network, sizes: list[int], grad: bool, min_time_s: float, warmup: int
) -> list[dict[str, Any]]:
    """Forward medians with the inputs' first dimension replaced by each batch size."""
    out = []
    for batch in sizes:
        inputs = example_inputs(_with_batch(net.graph, batch), device=str(net.device), seed=net.seed)
        swept = Network(net.graph, net.model, inputs, net.device, net.seed)
        try:
            t = timing.blocked(_forward_fn(swept, grad), min_time_s=min_time_s, warmup=warmup,
                               device=net.device)
        except RuntimeError as e:
            raise InvalidRequest(f"batch size {batch} does not run on this design: {str(e)[:300]}") from e
        out.append({"batch_size": batch, "median_ms": round(t.median_ms, 4),
                    "samples_per_s": round(batch / (t.median_ms / 1e3), 2)})
    return out


def _reference(net: Network, grad: bool, min_time_s: float, ours: timing.Timing) -> dict[str, Any]:
    """torch.utils.benchmark's own figure for the same forward, in the same process, to check ours."""
    forward = _forward_fn(net, grad)
    timer = Timer("forward()", globals={"forward": forward}, num_threads=torch.get_num_threads())
    m = timer.blocked_autorange(min_run_time=min_time_s)
    median_ms = float(m.median) * 1e3
    return {
        "method": "torch.utils.benchmark.Timer.blocked_autorange", "median_ms": round(median_ms, 4),
        "iqr_ms": round(float(m.iqr) * 1e3, 4), "forward_ratio": round(ours.median_ms / median_ms, 4),
    }


def run(payload: dict[str, Any]) -> dict[str, Any]:
    """Time the network as the request asks; see the module docstring for the method."""
    net = load(payload)
    threads = int(payload.get("threads") or torch.get_num_threads())
    torch.set_num_threads(threads)
    train = payload.get("mode", "eval") == "train"
    backward = bool(payload.get("backward", False))
    min_time_s, warmup = float(payload.get("min_time_s", 0.5)), int(payload.get("warmup", 3))
    with mode(net.model, train):
        forward = timing.blocked(_forward_fn(net, train), min_time_s=min_time_s, warmup=warmup,
                                 device=net.device)
        reference = _reference(net, train, min_time_s, forward) if payload.get("reference") else None
        back = _backward(net, min_time_s, warmup) if backward else None
        nodes, instrumented, live_peak = _per_node(net, train)
        peak, peak_method = _peak_memory(net, live_peak, train, backward)
        sizes = payload.get("batch_sizes")
        sweep = _sweep(net, sizes, train, min_time_s, warmup) if sizes else None
    return {
        "device": str(net.device), "threads": threads, "mode": "train" if train else "eval",
        "grad_enabled": train, "method": "blocked runs after warm-up, median and IQR (torch.utils.benchmark)",
        "forward": forward.to_json(), "reference": reference, "backward": back.to_json() if back else None,
        "nodes": nodes, "instrumented": instrumented,
        "peak_memory_bytes": peak, "peak_memory_method": peak_method, "sweep": sweep,
    }

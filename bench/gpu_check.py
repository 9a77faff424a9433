"""GPU check for measuring (under 2 minutes): profile, weights, gradients and activations with
device "cuda", through the core job functions and once through a worker process; prints results.

Run on a machine with a GPU: .venv/bin/python bench/gpu_check.py
Exits non-zero when something disagrees: gradient norms on the GPU must match the CPU's
(rel 1e-2: cuDNN may use TF32), and pictures must be byte-identical across devices (weights are
made on the CPU whatever the device).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from measure_zoo import image_classifier  # noqa: E402

from server.measure import activations, gradients, profile, stats  # noqa: E402
from server.workers import WorkerPool  # noqa: E402


def show(title: str, value: Any) -> None:
    print(f"== {title}\n{json.dumps(value, indent=1, default=str)[:1500]}")


def check_profile(graph: dict[str, Any]) -> None:
    start = time.perf_counter()
    body = {"graph": graph, "device": "cuda", "backward": True, "min_time_s": 0.3, "batch_sizes": [1, 32, 256]}
    result = profile.run(body)
    show(f"profile on cuda ({time.perf_counter() - start:.1f} s)", {k: v for k, v in result.items() if k != "nodes"})
    assert result["device"].startswith("cuda") and result["peak_memory_method"] == "torch.cuda.max_memory_allocated"
    assert result["forward"]["median_ms"] > 0 and result["backward"]["median_ms"] > 0


def check_gradients(graph: dict[str, Any]) -> None:
    """Dropout off: its masks come from each device's own generator, so they differ across devices."""
    graph = {**graph, "nodes": [{**n, "args": {**n["args"], "p": 0.0}} if n["op"] == "Dropout" else n
                                for n in graph["nodes"]]}
    cpu = gradients.run({"graph": graph, "loss": "cross_entropy", "seed": 3})
    gpu = gradients.run({"graph": graph, "loss": "cross_entropy", "seed": 3, "device": "cuda"})
    # A conv bias in front of batch norm gets a gradient that is zero up to rounding (about 1e-9):
    # relative differences of such norms are noise, hence the floor of 1e-4 under the divisor.
    diffs = {}
    for node_id, node in cpu["nodes"].items():
        for name, p in node["params"].items():
            a, b = p["grad_norm"], gpu["nodes"][node_id]["params"][name]["grad_norm"]
            diffs[f"{node_id}.{name}"] = (a, b, abs(a - b) / max(abs(a), 1e-4))
    worst = max(diffs, key=lambda k: diffs[k][2])
    show("gradients cuda vs cpu", {"loss_cpu": cpu["loss"]["value"], "loss_cuda": gpu["loss"]["value"],
                                   "worst (cpu norm, cuda norm, relative difference)": {worst: diffs[worst]}})
    assert diffs[worst][2] < 1e-2, diffs[worst]


def check_pictures(graph: dict[str, Any]) -> None:
    for view, node in (("filters", "conv1"), ("matrix", "fc1"), ("histogram", "conv2")):
        body = {"graph": graph, "node": node, "view": view, "seed": 1}
        cpu, gpu = stats.image(body), stats.image({**body, "device": "cuda"})
        same = cpu["png"] == gpu["png"]
        print(f"weights image {node} {view}: {gpu['width']}x{gpu['height']}, same bytes as cpu: {same}")
        assert cpu["png"] == gpu["png"]
    s = stats.run({"graph": graph, "device": "cuda"})
    show("weight stats conv1 (cuda)", {k: v for k, v in s["nodes"]["conv1"]["params"]["weight"].items()
                                       if k != "histogram"})
    a = activations.run({"graph": graph, "device": "cuda"})
    show("activations relu1..relu3 (cuda)", {k: a["nodes"][k] for k in ("relu1", "relu2", "relu3")})
    img = activations.image({"graph": graph, "node": "relu2", "device": "cuda"})
    print(f"activation image relu2: {img['width']}x{img['height']} ({img['note']})")


def check_worker(graph: dict[str, Any]) -> None:
    pool = WorkerPool(workers=1, threads=1, queue_size=1, timeout_s=90)
    try:
        start = time.perf_counter()
        result = asyncio.run(pool.run("profile", {"graph": graph, "device": "cuda", "min_time_s": 0.2}))
        print(f"worker process profile on {result['device']}: forward {result['forward']['median_ms']} ms "
              f"({time.perf_counter() - start:.1f} s with worker start)")
    finally:
        pool.close()


def main() -> None:
    if not torch.cuda.is_available():
        sys.exit("no GPU here: run this on a machine with CUDA")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    graph = image_classifier(batch=32)
    check_profile(graph)
    check_gradients(graph)
    check_pictures(graph)
    check_worker(graph)
    print("gpu check passed")


if __name__ == "__main__":
    main()

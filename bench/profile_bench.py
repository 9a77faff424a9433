"""Timing fidelity and speed of the profile job on the tutorial's ImageClassifier (batch 32, eval,
one thread).

Run: .venv/bin/python bench/profile_bench.py [--no-http]

1. Fidelity: the profile job runs in a worker process (`WorkerPool`, exactly as the API runs it)
   with `reference: true`, so the same worker times the same model and inputs right after with
   `torch.utils.benchmark.Timer(...).blocked_autorange()`, one thread: the reported forward median
   against Timer's, same process, same run.
2. Across processes: the worker's forward median against Timer in this process on the same model
   (built by `server.builder.build`, same seed, same inputs), rounds alternating.
3. (Skipped with --no-http.) `POST /api/v1/profile` through the in-process client: the first
   request (worker start included) and warm requests, with the default `min_time_s` of 0.5 s.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch.utils.benchmark import Timer

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from measure_zoo import image_classifier  # noqa: E402

from server.builder import build, example_inputs  # noqa: E402
from server.graph import GraphIn  # noqa: E402
from server.measure import profile  # noqa: E402
from server.workers import WorkerPool  # noqa: E402

ROUNDS = 5
MIN_TIME_S = 0.5


def torch_timer_ms(design: dict[str, Any]) -> float:
    graph = GraphIn.model_validate(design)
    model = build(graph).eval()
    inputs = example_inputs(graph, seed=graph.seed)
    with torch.no_grad():
        for _ in range(3):  # the same warm-up the profile job does
            model(*inputs)
        m = Timer("model(*inputs)", globals={"model": model, "inputs": inputs}, num_threads=1)
        return float(m.blocked_autorange(min_run_time=MIN_TIME_S).median * 1e3)


def table(title: str, rounds: list[tuple[float, float]]) -> None:
    print(f"\n{title}\n\n| Round | reported forward median | Timer.blocked_autorange median | ratio |")
    print("|---|---|---|---|")
    for i, (ours, theirs) in enumerate(rounds, 1):
        print(f"| {i} | {ours:.2f} ms | {theirs:.2f} ms | {ours / theirs:.3f} |")
    print(f"| median | | | **{statistics.median(o / t for o, t in rounds):.3f}** |")


def worker_rounds(payload: dict[str, Any]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(forward, Timer in the worker) and (forward, Timer in this process) per round."""
    pool = WorkerPool(workers=1, threads=1, queue_size=0, timeout_s=120)
    same, across = [], []
    try:
        asyncio.run(pool.run("profile", {**payload, "min_time_s": 0.05}))  # start the worker
        for _ in range(ROUNDS):
            result = asyncio.run(pool.run("profile", {**payload, "reference": True}))
            ours = result["forward"]["median_ms"]
            same.append((ours, result["reference"]["median_ms"]))
            across.append((ours, torch_timer_ms(payload["graph"])))
        return same, across
    finally:
        pool.close()


def http_requests(payload: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from server.api.app import create_app
    from server.settings import Settings

    with TestClient(create_app(Settings(data_dir=Path(tempfile.mkdtemp()), workers=1))) as client:
        times = []
        for _ in range(ROUNDS + 1):
            start = time.perf_counter()
            assert client.post("/api/v1/profile", json=payload).status_code == 200
            times.append(time.perf_counter() - start)
    print(f"\nPOST /api/v1/profile: first {times[0]:.2f} s (worker start included), "
          f"then median {statistics.median(times[1:]):.2f} s, max {max(times[1:]):.2f} s")


def main() -> None:
    torch.set_num_threads(1)
    payload = {"graph": image_classifier(batch=32), "mode": "eval", "threads": 1, "min_time_s": MIN_TIME_S}
    same, across = worker_rounds(payload)
    table("Reported forward median vs Timer in the same worker process, same run", same)
    table("Reported forward median (worker) vs Timer in this process", across)
    instrumented = profile.run(payload)["instrumented"]
    print(f"\ninstrumented per-node pass: {instrumented}")
    if "--no-http" not in sys.argv:
        http_requests(payload)


if __name__ == "__main__":
    main()

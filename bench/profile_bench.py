"""Timing fidelity and speed of the profile job on the tutorial's ImageClassifier (batch 32, eval,
one thread).

Run: .venv/bin/python bench/profile_bench.py [--no-http]

1. Fidelity: the profile job runs in a worker process (`WorkerPool`, exactly as the API runs it);
   in the same run the same model (built by `server.builder.build`, same seed, same inputs) is
   timed in this process with `torch.utils.benchmark.Timer(...).blocked_autorange()`, one thread.
   Rounds alternate so that machine noise hits both.
2. The same comparison with the job's timing called in this process (no process boundary).
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


def worker_rounds(payload: dict[str, Any]) -> list[tuple[float, float]]:
    pool = WorkerPool(workers=1, threads=1, queue_size=0, timeout_s=120)
    try:
        asyncio.run(pool.run("profile", {**payload, "min_time_s": 0.05}))  # start the worker
        out = []
        for _ in range(ROUNDS):
            ours = asyncio.run(pool.run("profile", payload))["forward"]["median_ms"]
            out.append((ours, torch_timer_ms(payload["graph"])))
        return out
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
    table("Worker process (as the API runs it) vs Timer in this process", worker_rounds(payload))
    local = [(profile.run(payload)["forward"]["median_ms"], torch_timer_ms(payload["graph"])) for _ in range(ROUNDS)]
    table("Job timing in this process vs Timer in this process", local)
    instrumented = profile.run(payload)["instrumented"]
    print(f"\ninstrumented per-node pass: {instrumented}")
    if "--no-http" not in sys.argv:
        http_requests(payload)


if __name__ == "__main__":
    main()

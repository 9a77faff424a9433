"""Timing fidelity and speed of `POST /api/v1/profile` on the tutorial's ImageClassifier.

Run: .venv/bin/python bench/profile_bench.py

The ImageClassifier (batch 32, eval, 1 thread) is profiled through the API (in-process client, one
worker process). In the same run, the same model (built by `server.builder.build` with the same
seed, on the same inputs) is timed in this process with
`torch.utils.benchmark.Timer(...).blocked_autorange()`, one thread. Rounds alternate between the
two so that machine noise hits both; the table gives each round and the median ratio.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from fastapi.testclient import TestClient
from torch.utils.benchmark import Timer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from measure_zoo import image_classifier

from server.api.app import create_app
from server.builder import build, example_inputs
from server.graph import GraphIn
from server.measure import profile
from server.settings import Settings

ROUNDS = 5
MIN_TIME_S = 0.5


def torch_timer_ms(graph: GraphIn) -> float:
    model = build(graph).eval()
    inputs = example_inputs(graph, seed=graph.seed)
    with torch.no_grad():
        m = Timer("model(*inputs)", globals={"model": model, "inputs": inputs}, num_threads=1)
        return float(m.blocked_autorange(min_run_time=MIN_TIME_S).median * 1e3)


def in_process_rounds(design: dict[str, object]) -> list[tuple[float, float]]:
    """The profile job's own timing called in this process, next to Timer in this process."""
    out = []
    for _ in range(ROUNDS):
        ours = profile.run({"graph": design, "threads": 1, "min_time_s": MIN_TIME_S})["forward"]["median_ms"]
        out.append((ours, torch_timer_ms(GraphIn.model_validate(design))))
    return out


def main() -> None:
    torch.set_num_threads(1)
    design = image_classifier(batch=32)
    body = {"graph": design, "mode": "eval", "threads": 1, "min_time_s": MIN_TIME_S}
    with TestClient(create_app(Settings(data_dir=Path(tempfile.mkdtemp()), workers=1))) as client:
        start = time.perf_counter()
        first = client.post("/api/v1/profile", json=body)
        first_s = time.perf_counter() - start
        assert first.status_code == 200, first.text
        print("| Round | profile request | reported forward median (worker) | Timer.blocked_autorange | ratio |")
        print("|---|---|---|---|---|")
        ratios, requests = [], []
        for i in range(ROUNDS):
            start = time.perf_counter()
            result = client.post("/api/v1/profile", json=body).json()
            requests.append(time.perf_counter() - start)
            ours = result["forward"]["median_ms"]
            theirs = torch_timer_ms(GraphIn.model_validate(design))
            ratios.append(ours / theirs)
            print(f"| {i + 1} | {requests[-1]:.2f} s | {ours:.2f} ms (IQR {result['forward']['iqr_ms']:.2f}) "
                  f"| {theirs:.2f} ms | {ours / theirs:.3f} |")
    local = in_process_rounds(design)
    local_ratio = statistics.median(o / t for o, t in local)
    print(f"\nworker vs this process: median ratio {statistics.median(ratios):.3f}")
    print(f"same process (job timing vs Timer): median ratio {local_ratio:.3f} over {local}")
    print(f"profile request median {statistics.median(requests):.2f} s; first request (worker start included) "
          f"{first_s:.2f} s")
    print(f"instrumented pass: {result['instrumented']}")


if __name__ == "__main__":
    main()

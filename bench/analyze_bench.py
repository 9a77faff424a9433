"""Analysis speed over HTTP, side by side with torchinfo.summary on the same networks.

    .venv/bin/python bench/analyze_bench.py            # everything (torchinfo on GPT-2 takes ~1 min)
    .venv/bin/python bench/analyze_bench.py --quick    # skip torchinfo on GPT-2-medium

Starts `python -m server` on a free loopback port, measures what a person editing would feel
(wall time per POST /api/v1/analyze, cold and warm) and how much the server grows, then runs
torchinfo.summary on the same designs built in plain torch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.designs import chain, gpt2_medium, image_classifier  # noqa: E402
from bench.harness import call, server  # noqa: E402


def post(url: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    ms, data = call("POST", url, body)
    return ms, json.loads(data)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ours() -> list[tuple[str, str]]:
    rows = []
    with server() as (proc, url):
        analyze = url + "/api/v1/analyze"
        before = rss_mb(proc.pid)
        cold, answer = post(analyze, gpt2_medium())
        assert answer["totals"]["params"] == 405_285_969, answer["totals"]
        warm = statistics.median(post(analyze, gpt2_medium())[0] for _ in range(5))
        grew = rss_mb(proc.pid) - before
        rows += [("GPT-2-medium (405,285,969 params), first request", f"{cold:.0f} ms"),
                 ("GPT-2-medium, again (cached nodes)", f"{warm:.0f} ms"),
                 ("server RSS growth after GPT-2-medium", f"{grew:.0f} MB")]
        times = [post(analyze, image_classifier())[0] for _ in range(200)]
        times.sort()
        rows += [("ImageClassifier (batch 32), warm, median of 200", f"{statistics.median(times):.1f} ms"),
                 ("ImageClassifier, warm, p99", f"{times[197]:.1f} ms")]
        cold_chain, answer = post(analyze, chain(1000))
        assert answer["ok"]
        edited = chain(1000)
        edited["nodes"][500]["args"] = {"out_features": 99}
        edit_ms, _ = post(analyze, edited)
        rows += [("1000-node chain, first request", f"{cold_chain:.0f} ms"),
                 ("1000-node chain, after editing node 500", f"{edit_ms:.0f} ms")]
    return rows


def torchinfo_rows(quick: bool) -> list[tuple[str, str]]:
    import torch
    import torchinfo
    from torch import nn

    rows = []
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
    times = []
    for _ in range(20):
        t = time.perf_counter()
        torchinfo.summary(model, input_size=(32, 3, 32, 32), verbose=0)
        times.append((time.perf_counter() - t) * 1000)
    rows.append(("torchinfo.summary ImageClassifier, median of 20", f"{statistics.median(times):.1f} ms"))
    if quick:
        return rows
    t = time.perf_counter()
    layers = [nn.Embedding(50257, 1024)]
    layers += [nn.TransformerEncoderLayer(1024, 16, 4096, batch_first=True) for _ in range(24)]
    layers.append(nn.Linear(1024, 50257))
    gpt = nn.Sequential(*layers)
    built = time.perf_counter() - t
    t = time.perf_counter()
    stats = torchinfo.summary(gpt, input_data=torch.randint(0, 50257, (8, 512)), verbose=0)
    rows.append((f"torchinfo.summary GPT-2-medium ({stats.total_params:,} params), "
                 f"+ {built:.1f} s to build it", f"{time.perf_counter() - t:.1f} s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    print(f"machine: {os.cpu_count()} cores, torch threads default; {time.strftime('%Y-%m-%d')}")
    for name, value in ours() + torchinfo_rows(quick):
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()

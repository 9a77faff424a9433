"""Wall-clock timing the way `torch.utils.benchmark.Timer.blocked_autorange` does it.

Warm-up calls first; then a block size (calls per timed block) large enough that the timer's own
cost is negligible; then blocks until `min_time_s` has passed. The per-call time of each block is
one sample; the answer is their median and interquartile range. On a GPU every block ends with
`torch.cuda.synchronize` so that queued kernels are counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from server.measure.network import sync

MIN_BLOCKS = 3
MAX_BLOCK = 10_000


@dataclass(frozen=True)
class Timing:
    median_ms: float
    iqr_ms: float
    min_ms: float
    runs: int
    samples: int

    def to_json(self) -> dict[str, Any]:
        return {
            "median_ms": round(self.median_ms, 4), "iqr_ms": round(self.iqr_ms, 4),
            "min_ms": round(self.min_ms, 4), "runs": self.runs, "samples": self.samples,
        }


def summarize(per_call_s: list[float], runs: int) -> Timing:
    arr = np.asarray(per_call_s) * 1e3
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return Timing(float(med), float(q3 - q1), float(arr.min()), runs, len(per_call_s))


def _block(fn: Callable[[], Any], number: int, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    for _ in range(number):
        fn()
    sync(device)
    return time.perf_counter() - start


def block_size(fn: Callable[[], Any], min_time_s: float, device: torch.device) -> int:
    """Grow the block tenfold until one block takes at least a thousandth of `min_time_s` (and 1 ms)."""
    number = 1
    while number < MAX_BLOCK:
        if _block(fn, number, device) >= max(min_time_s / 1000, 1e-3):
            break
        number *= 10
    return number


def blocked(fn: Callable[[], Any], *, min_time_s: float, warmup: int, device: torch.device) -> Timing:
    """Median and IQR of per-call time over blocks of calls, at least `min_time_s` in all."""
    for _ in range(warmup):
        fn()
    number = block_size(fn, min_time_s, device)
    samples: list[float] = []
    total = 0.0
    while total < min_time_s or len(samples) < MIN_BLOCKS:
        took = _block(fn, number, device)
        samples.append(took / number)
        total += took
    return summarize(samples, number * len(samples))


def each(prepare: Callable[[], Any], timed: Callable[[Any], Any], *, min_time_s: float, warmup: int,
         device: torch.device) -> Timing:
    """Time `timed(prepare())` one call at a time, `prepare` untimed (a backward needs a fresh forward)."""
    for _ in range(warmup):
        timed(prepare())
    samples: list[float] = []
    total = 0.0
    while total < min_time_s or len(samples) < MIN_BLOCKS:
        state = prepare()
        sync(device)
        start = time.perf_counter()
        timed(state)
        sync(device)
        samples.append(time.perf_counter() - start)
        total += samples[-1]
    return summarize(samples, len(samples))

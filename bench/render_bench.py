"""Rendering speed: Torchcanvas's pictures vs matplotlib's imshow + savefig on the same tensors.

Run: .venv/bin/python bench/render_bench.py   (needs matplotlib: the `bench` extra)

Tensors: the weight of a `Linear(4096, 4096)` (a 4096x4096 heatmap) and of a `Conv2d(256, 256, 3)`
(a filter grid of 256 x 256 kernels), made by torch after `manual_seed(0)`. Each figure is the
median of REPEATS renders to PNG bytes in memory, one thread.
matplotlib draws the heatmap from the full matrix (imshow resamples it) and the filter grid from
the already tiled array (one subplot per kernel would be 65,536 axes), each with a colorbar, at the
same pixel size as ours.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import torch

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import matplotlib.pyplot as plt

from server import render

REPEATS = 7


def median_ms(fn: Callable[[], object]) -> float:
    fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def matplotlib_png(data: np.ndarray, width: int, height: int) -> bytes:
    vmax = float(np.abs(data).max())
    fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    image = ax.imshow(data, cmap="coolwarm", vmin=-vmax, vmax=vmax, interpolation="nearest")
    fig.colorbar(image, ax=ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def tiled(weight: np.ndarray) -> np.ndarray:
    """The kernels laid out as ours are (rows: filters, columns: input channels, 1 px gaps)."""
    out_c, in_c, kh, kw = weight.shape
    grid = np.zeros((out_c * (kh + 1) - 1, in_c * (kw + 1) - 1), dtype=np.float32)
    for r in range(out_c):
        for c in range(in_c):
            grid[r * (kh + 1) : r * (kh + 1) + kh, c * (kw + 1) : c * (kw + 1) + kw] = weight[r, c]
    return grid


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    linear = torch.nn.Linear(4096, 4096).weight.detach().numpy()
    conv = torch.nn.Conv2d(256, 256, 3).weight.detach().numpy()
    rows = []
    heat = render.heatmap(linear, "fc.weight")
    ours = median_ms(lambda: render.heatmap(linear, "fc.weight"))
    theirs = median_ms(lambda: matplotlib_png(linear, heat.width, heat.height))
    rows.append(("Linear(4096, 4096) heatmap", heat, ours, theirs))
    grid = render.filters(conv, "conv.weight")
    ours = median_ms(lambda: render.filters(conv, "conv.weight"))
    tiles = tiled(conv)
    theirs = median_ms(lambda: matplotlib_png(tiles, grid.width, grid.height))
    rows.append(("Conv2d(256, 256, 3) filter grid", grid, ours, theirs))
    print("| Picture | PNG size | Torchcanvas | matplotlib imshow+savefig | Speed-up |")
    print("|---|---|---|---|---|")
    for name, pic, ours, theirs in rows:
        print(f"| {name} | {pic.width}x{pic.height}, {len(pic.png) // 1024} KB | {ours:.0f} ms "
              f"| {theirs:.0f} ms | {theirs / ours:.0f}x |")


if __name__ == "__main__":
    main()

"""Canvas speed in real Chromium, side by side with torchinfo.summary on the same network.

    .venv/bin/python bench/canvas_bench.py [--repeat 7]

Starts `python -m server` on a free loopback port and drives the built page with Debian's Chromium.
Times come from performance marks inside the page:
- open: `tc:open` (a 200-node design file chosen in Open...) to `tc:painted` (the frame after the
  analysis of that design has been rendered: every node and edge shows its shape);
- cold load: navigation start to the first `tc:painted`, with the 200-node design kept in storage;
- edit: `tc:edit` (out_features of node n99 committed in the inspector) to `tc:painted`
  (debounce, request, analysis of the 100 nodes downstream, re-render).
What a person would do instead: build the same network in torch and call torchinfo.summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.analyze_bench import Server  # noqa: E402
from bench.designs import chain  # noqa: E402

NODES = 200
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SINCE = """name => {
  const mark = performance.getEntriesByName(name).at(-1);
  if (!mark) return null;
  const start = mark.startTime;
  const painted = performance.getEntriesByName('tc:painted').find(e => e.startTime > start);
  return painted ? painted.startTime - start : null;
}"""


def shapes_shown(page: Any) -> int:
    return int(page.evaluate(
        "() => [...document.querySelectorAll('[data-testid^=shape-]')].filter(e => e.textContent !== '?').length"))


def wait_painted(page: Any, mark: str) -> float:
    page.wait_for_function(f"() => ({SINCE})('{mark}') !== null", timeout=30_000)
    return float(page.evaluate(SINCE, mark))


def time_open(page: Any, path: Path) -> float:
    before = page.evaluate("document.body.dataset.painted")
    page.get_by_role("button", name="New").click()
    page.wait_for_function("b => document.body.dataset.painted !== b", arg=before)  # the empty design settled
    page.evaluate("performance.clearMarks()")
    page.get_by_test_id("open-file").set_input_files(str(path))
    ms = wait_painted(page, "tc:open")
    shown = shapes_shown(page)
    assert shown == NODES + 1, f"only {shown} of {NODES + 1} shapes shown"
    return ms


def time_edit(page: Any, value: int) -> float:
    page.evaluate("performance.clearMarks()")
    field = page.get_by_test_id("arg-out_features")
    field.fill(str(value))
    field.press("Enter")
    ms = wait_painted(page, "tc:edit")
    assert page.get_by_test_id("shape-n99").inner_text() == f"[16, {value}]"
    return ms


def browser_figures(url: str, design: dict[str, Any], repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"open": [], "cold": [], "edit": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = Path(tmp) / "chain200.json"
        path.write_text(json.dumps(design))
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/")
        page.locator("body[data-painted]").wait_for()
        for _ in range(repeat):
            out["open"].append(time_open(page, path))
        page.get_by_test_id("node-n99").dispatch_event("click")
        for k in range(repeat):
            out["edit"].append(time_edit(page, 80 + k))
        for _ in range(repeat):
            page.reload()
            page.locator("body[data-painted]").wait_for()
            out["cold"].append(float(page.evaluate("performance.getEntriesByName('tc:painted')[0].startTime")))
        browser.close()
    return out


def torchinfo_figure(design: dict[str, Any], repeat: int) -> float:
    """Build the same chain in torch and summarise it, as a notebook user would."""
    import torchinfo
    from torch import nn

    def build() -> nn.Module:
        layers: list[nn.Module] = []
        width = design["inputs"][0]["shape"][-1]
        for node in design["nodes"]:
            if node["op"] == "Linear":
                layers.append(nn.Linear(width, node["args"]["out_features"]))
                width = node["args"]["out_features"]
            elif node["op"] == "LayerNorm":
                layers.append(nn.LayerNorm(width))
            else:
                layers.append(nn.GELU())
        return nn.Sequential(*layers)

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        torchinfo.summary(build(), input_size=tuple(design["inputs"][0]["shape"]), verbose=0)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    design = chain(NODES)
    server = Server()
    try:
        figures = browser_figures(server.url, design, args.repeat)
    finally:
        server.stop()
    for name, values in figures.items():
        print(f"{name:>5}: median {statistics.median(values):6.0f} ms   max {max(values):6.0f} ms   (n={len(values)})")
    print(f"torchinfo.summary on the same 200 layers (build + summary): {torchinfo_figure(design, args.repeat):.0f} ms")


if __name__ == "__main__":
    main()

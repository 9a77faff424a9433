"""Saving designs and exporting them, over HTTP, as a client sees it.

    .venv/bin/python bench/storage_bench.py                          # SQLite (WAL, synchronous=FULL)
    DATABASE_URL=$(bash scripts/postgres.sh) .venv/bin/python bench/storage_bench.py   # PostgreSQL

Starts `python -m server` on a free loopback port with a fresh data directory, saves the tutorial's
ImageClassifier 200 times in a row (each save acknowledged only once it is on disk), then times
the three exports of the same design.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.designs import image_classifier  # noqa: E402
from bench.harness import call, pct, server  # noqa: E402


def main() -> None:
    graph = image_classifier()
    with server() as (_, url):
        _, created = call("POST", url + "/api/v1/designs", {"graph": graph})
        design = json.loads(created)
        saves = []
        for version in range(1, 201):
            ms, _ = call("PUT", f"{url}/api/v1/designs/{design['id']}", {"graph": graph, "base_version": version})
            saves.append(ms)
        print(f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}")
        print(f"save (PUT), 200 in a row: median {statistics.median(saves):.1f} ms, p99 {pct(saves, 0.99):.1f} ms")
        for kind, extra in (("python", {}), ("weights", {"format": "safetensors"}), ("onnx", {})):
            times, size = [], 0
            for _ in range(5):
                ms, data = call("POST", f"{url}/api/v1/export/{kind}", {"graph": graph, **extra})
                times.append(ms)
                size = len(data)
            print(f"export {kind}: median of 5 {statistics.median(times):.0f} ms, {size:,} bytes")


if __name__ == "__main__":
    main()

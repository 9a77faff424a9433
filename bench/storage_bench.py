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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.designs import image_classifier  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(method: str, url: str, body: dict[str, Any]) -> tuple[float, bytes]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        data = r.read()
    return (time.perf_counter() - t) * 1000, data


def start(data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "TORCHCANVAS_DATA_DIR": data_dir}
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    graph = image_classifier()
    proc, url = start(tempfile.mkdtemp())
    try:
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()

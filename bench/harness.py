"""What the HTTP benchmarks share: a server process on a free loopback port and a timed call."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(data_dir: str | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m server` on 127.0.0.1 with a fresh data directory, stopped on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory() as fresh:
        env = {**os.environ, "TORCHCANVAS_DATA_DIR": data_dir or fresh}
        proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, proc)
            yield proc, url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start in 60 s")


def call(method: str, url: str, body: dict[str, Any]) -> tuple[float, bytes]:
    """Milliseconds a client waited for the whole answer, and the answer."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        data = r.read()
    return (time.perf_counter() - t) * 1000, data


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]

"""Load on POST /api/v1/analyze: 16 concurrent clients, ours vs the naive way, and under profile jobs.

    .venv/bin/python bench/load_bench.py                 # every phase, about 1 minute
    .venv/bin/python bench/load_bench.py --seconds 3     # shorter phases

Loopback only, bounded in count (--requests per phase) and time (--seconds per phase). Each phase
starts its own server process on a free 127.0.0.1 port:
1. `python -m server` with 16 clients posting the tutorial's ImageClassifier (batch 32);
2. bench/naive_app.py (a default threadpool `def` handler that builds the model with real weights
   and runs a forward to get the shapes) under the same load;
3. `python -m server` again while 4 more clients keep its worker pool full of the largest profile
   jobs it accepts for that design (train mode, backward, a batch sweep), with a prober timing
   GET /api/v1/health every 50 ms. Skipped when the server has no /api/v1/profile.
The load generator runs on the same 2 cores as the server (one asyncio process), so the figures
include its cost too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.designs import image_classifier  # noqa: E402
from bench.harness import free_port  # noqa: E402

JSON = {"content-type": "application/json"}
PROFILE = {"mode": "train", "backward": True, "min_time_s": 2.0, "warmup": 3, "batch_sizes": [8, 32, 64]}


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    refused: int = 0
    seconds: float = 0.0

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")

    def row(self, name: str) -> str:
        n = len(self.latencies_ms)
        rps = n / self.seconds if self.seconds else float("nan")
        return f"| {name} | {n} | {self.errors} | {rps:.0f} | {self.pct(50):.1f} | {self.pct(99):.1f} |"


class Process:
    """A server on a free loopback port, stopped by `close`."""

    def __init__(self, argv: list[str], port: int, data: str) -> None:
        env = {**os.environ, "TORCHCANVAS_DATA_DIR": data}
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        for _ in range(600):
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit(f"{argv} did not start")

    def close(self) -> None:
        """SIGTERM, then the whole process group (its measuring workers too) when shutdown drags on."""
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def ours(port: int, data: str) -> Process:
    return Process([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port)], port, data)


def naive(port: int, data: str) -> Process:
    argv = [sys.executable, "-m", "uvicorn", "bench.naive_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]
    return Process(argv, port, data)


class Connection:
    """One keep-alive HTTP/1.1 connection spoken by hand: a few microseconds of client CPU per request,
    so that on a 2-core machine the figures measure the server rather than the load generator."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readuntil(b"\r\n")
        headers = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _split(url: str) -> tuple[str, int, str]:
    parsed = httpx.URL(url)
    return parsed.host, parsed.port or 80, parsed.raw_path.decode()


async def clients(url: str, body: bytes, n_clients: int, requests: int, seconds: float) -> Stats:
    """`n_clients` keep-alive connections posting `body` until `requests` are done or time is up."""
    stats = Stats()
    left = [requests]
    deadline = time.perf_counter() + seconds
    host, port, path = _split(url)

    async def one() -> None:
        conn = Connection(host, port)
        try:
            while left[0] > 0 and time.perf_counter() < deadline:
                left[0] -= 1
                t = time.perf_counter()
                status, content = await conn.request("POST", path, body)
                stats.latencies_ms.append((time.perf_counter() - t) * 1000)
                if status != 200 or b'"ok":true' not in content:
                    stats.errors += 1
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n_clients)))
    stats.seconds = time.perf_counter() - start
    return stats


def _probe(url: str, seconds: float, every_s: float, out: Any) -> None:
    """GET `url` every `every_s` for `seconds` over one keep-alive connection (blocking client)."""
    import http.client

    host, port, path = _split(url)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t) * 1000)
        errors += response.status != 200
        time.sleep(every_s)
    out.put((latencies, errors))


async def prober(url: str, seconds: float, every_s: float = 0.05) -> Stats:
    """The health probe runs in a process of its own: in the load generator's busy event loop it
    would time the loop's own delays, not the server's."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_probe, args=(url, seconds, every_s, out))
    proc.start()
    latencies, errors = await asyncio.to_thread(out.get)
    proc.join()
    return Stats(latencies_ms=latencies, errors=errors, seconds=seconds)


async def profilers(url: str, body: bytes, n: int, stop: asyncio.Event, stats: Stats) -> None:
    """`n` clients keeping the worker pool busy; a 429 (queue full) is retried after a pause."""

    async def one(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            t = time.perf_counter()
            resp = await client.post(url, content=body, headers=JSON)
            if resp.status_code == 429:
                stats.refused += 1
                await asyncio.sleep(0.5)
                continue
            stats.latencies_ms.append((time.perf_counter() - t) * 1000)
            stats.errors += resp.status_code != 200

    async with httpx.AsyncClient(timeout=300) as client:
        await asyncio.gather(*(one(client) for _ in range(n)))


async def under_profiles(base: str, body: bytes, requests: int, seconds: float) -> tuple[Stats, Stats, Stats]:
    stop, jobs = asyncio.Event(), Stats()
    profile_body = json.dumps({"graph": json.loads(body), **PROFILE}).encode()
    running = asyncio.create_task(profilers(base + "/api/v1/profile", profile_body, 4, stop, jobs))
    await asyncio.sleep(5.0)  # the worker starts (spawn, import torch) and the first job is running
    health = asyncio.create_task(prober(base + "/api/v1/health", seconds))
    analyze = await clients(base + "/api/v1/analyze", body, 16, requests, seconds)
    stop.set()
    running.cancel()  # jobs still running are abandoned with the server
    await asyncio.gather(running, return_exceptions=True)
    return analyze, await health, jobs


def warm(url: str, body: bytes, n: int = 20) -> None:
    for _ in range(n):
        httpx.post(url, content=body, headers=JSON, timeout=120).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000, help="requests per phase (at most)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase (at most)")
    args = parser.parse_args()
    body = json.dumps(image_classifier()).encode()
    rows: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as data:
        for start, warm_n, name in ((ours, 20, "Torchcanvas `POST /api/v1/analyze`, 16 clients"),
                                    (naive, 3, "naive FastAPI `def` handler (real weights + forward), 16 clients")):
            server = start(free_port(), data)
            try:
                warm(server.url + "/api/v1/analyze", body, warm_n)
                stats = asyncio.run(clients(server.url + "/api/v1/analyze", body, 16, args.requests, args.seconds))
                rows.append(stats.row(name))
            finally:
                server.close()
        server = ours(free_port(), data)
        try:
            if "/api/v1/profile" not in httpx.get(server.url + "/openapi.json").json()["paths"]:
                print("no /api/v1/profile on this server: the phase under profile jobs is skipped")
            else:
                warm(server.url + "/api/v1/analyze", body)
                analyze, health, jobs = asyncio.run(under_profiles(server.url, body, args.requests, args.seconds))
                rows += [analyze.row("Torchcanvas analyze, 16 clients, while 4 clients run profile jobs"),
                         health.row("`GET /api/v1/health` every 50 ms meanwhile")]
                notes.append(f"profile jobs during that phase: {jobs.refused} answered 429 (queue full), "
                             f"{len(jobs.latencies_ms)} finished, {jobs.errors} failed; the rest were running "
                             "or queued")
        finally:
            server.close()
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; body {len(body)} bytes")
    print("| Load | requests | errors | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n".join(notes))


if __name__ == "__main__":
    main()

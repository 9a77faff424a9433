"""A pool of worker processes: the only place where real weights and activations are made.

A public server runs strangers' networks, so real tensors never touch the web process. Each job
runs in a separate process, a fresh interpreter (never a fork of the threaded server); a job past its
time limit has its worker killed (the only way to stop torch mid-kernel) and replaced, and jobs
wait in a bounded queue: when it is full the caller is told to come back later (429 with
Retry-After) rather than piling up.

The web side waits for a job in a small thread pool of its own, so the event loop stays free and
`/api/v1/health` keeps answering while every worker is busy. Jobs are named by the code that
submits them and looked up in a fixed table (`server.measure.JOBS`); nothing a user sends names code.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import queue
import resource
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from server.errors import Busy, JobTimeout, TorchcanvasError, WorkerFailed
from server.settings import Settings

log = logging.getLogger("torchcanvas.workers")
START_TIMEOUT_S = 120.0
OUT_OF_MEMORY = (
    "the worker ran out of memory running this network (TORCHCANVAS_WORKER_MEMORY_MB, or the machine's): "
    "lower the batch size or the layer sizes"
)


class RemoteError(TorchcanvasError):
    """A domain error raised inside a worker, carried back with its status and code."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.code = code


def _answer(job: str, payload: dict[str, Any], jobs: dict[str, Any]) -> tuple[str, Any]:
    """Run one job and turn every outcome into a picklable reply."""
    import torch

    threads = torch.get_num_threads()
    try:
        return "ok", jobs[job](payload)
    except TorchcanvasError as e:
        return "error", {"status": e.status, "code": e.code, "message": e.message, "details": e.details}
    except MemoryError:
        return "error", {"status": 422, "code": "limit_exceeded", "message": OUT_OF_MEMORY, "details": []}
    except Exception as e:  # a bug or a torch failure the analysis did not foresee: logged by the web side
        return "bug", f"{type(e).__name__}: {str(e)[:500]}"
    finally:
        torch.set_num_threads(threads)


def worker_main(conn: Connection, threads: int, memory_mb: int = 0) -> None:
    """Entry point of a worker process: import torch once, then answer jobs until the pipe closes.

    With `memory_mb`, the process's address space is capped once torch is imported, so a job that
    allocates too much fails in its own process (answered 422) instead of waking the OOM killer,
    which might pick the web process.
    """
    import torch

    from server.measure import JOBS

    torch.set_num_threads(threads)
    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    conn.send(("ready", None))
    while True:
        try:
            job, payload = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(job, payload, JOBS))


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    conn: Connection

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


def start_worker(threads: int, memory_mb: int = 0) -> Worker:
    """Start one worker (a fresh interpreter, like multiprocessing's "spawn") and wait until it is ready.

    A plain subprocess rather than `multiprocessing.Process`: spawn would re-import the parent's
    `__main__` (for `python -m server`, the server itself) in every worker.
    """
    parent, child = socket.socketpair()
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    process = subprocess.Popen(
        [sys.executable, "-m", "server.workers", str(child.fileno()), str(threads), str(memory_mb)],
        pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=env,
    )
    child.close()
    worker = Worker(process, Connection(parent.detach()))
    if not worker.conn.poll(START_TIMEOUT_S):
        worker.kill()
        raise WorkerFailed(f"a worker did not start within {START_TIMEOUT_S:.0f} s")
    try:
        worker.conn.recv()
    except (EOFError, OSError) as e:
        worker.kill()
        raise WorkerFailed(f"a worker exited while starting (exit code {worker.exitcode})") from e
    return worker


class WorkerPool:
    """`workers` processes, a queue of at most `queue_size` waiting jobs, and a time limit per job.

    Workers start on the first job (so an app that never measures never pays for them).
    """

    def __init__(self, workers: int, threads: int, queue_size: int, timeout_s: float, memory_mb: int = 0) -> None:
        self.size, self.threads, self.queue_size, self.timeout_s = workers, threads, queue_size, timeout_s
        self.memory_mb = memory_mb
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._started = False
        self._closed = False
        self._avg_s = 1.0
        self._starting = 0
        self._start_error = ""
        self._executor = ThreadPoolExecutor(workers + queue_size, thread_name_prefix="torchcanvas-wait")

    @property
    def started(self) -> bool:
        """Whether any job was ever admitted (workers start on the first one)."""
        return self._started

    @property
    def in_flight(self) -> int:
        """Jobs running or waiting for a worker."""
        return self._in_flight

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerPool:
        return cls(settings.workers, settings.worker_threads, settings.worker_queue, settings.job_timeout_s,
                   settings.worker_memory_mb)

    async def run(self, job: str, payload: dict[str, Any], timeout_s: float | None = None) -> Any:
        """Run `job` in a worker without blocking the event loop; 429 when the queue is full."""
        self._admit()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run_admitted, job, payload, timeout_s)

    def _admit(self) -> None:
        with self._lock:
            if self._closed:
                raise WorkerFailed("the server is shutting down: retry in a moment")
            if self._in_flight >= self.size + self.queue_size:
                wait = max(1, math.ceil(self._avg_s * self._in_flight / self.size))
                raise Busy(
                    f"all {self.size} worker(s) are busy and {self.queue_size} job(s) are waiting: "
                    f"retry in about {wait} s",
                    retry_after_s=wait,
                )
            self._in_flight += 1
            first = not self._started
            self._started = True
        if first:
            for _ in range(self.size):
                self._spawn_in_background()

    def _run_admitted(self, job: str, payload: dict[str, Any], timeout_s: float | None) -> Any:
        try:
            return self._run_blocking(job, payload, timeout_s or self.timeout_s)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _take(self) -> Worker:
        while True:
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                if self._closed:
                    raise WorkerFailed("the server is shutting down: retry in a moment") from None
                with self._lock:
                    stuck = not self._all and self._starting == 0 and self._start_error
                if stuck:  # every start failed: say why, and try again for the next job
                    self._spawn_in_background()
                    raise WorkerFailed(f"no worker process could start ({self._start_error}): retry later") from None

    def _run_blocking(self, job: str, payload: dict[str, Any], timeout_s: float) -> Any:
        worker = self._take()
        began = time.perf_counter()
        try:
            worker.conn.send((job, payload))
            if not worker.conn.poll(timeout_s):
                self._replace(worker)
                raise JobTimeout(
                    f"the {job} job ran past its limit of {timeout_s:g} s and was stopped: "
                    "measure a smaller network or batch (the limit is TORCHCANVAS_JOB_TIMEOUT_S)"
                )
            kind, body = worker.conn.recv()
        except (EOFError, OSError) as e:
            code = worker.exitcode
            self._replace(worker)
            raise WorkerFailed(
                f"the worker running the {job} job died (exit code {code}), most likely out of memory; "
                "it was replaced: lower the batch size or the layer sizes"
            ) from e
        self._idle.put(worker)
        self._avg_s = 0.8 * self._avg_s + 0.2 * (time.perf_counter() - began)
        return _unpack(job, kind, body)

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and start its replacement in the background (the caller answers at once)."""
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        self._spawn_in_background()

    def _spawn_in_background(self) -> None:
        with self._lock:
            self._starting += 1

        def spawn() -> None:
            try:
                worker = start_worker(self.threads, self.memory_mb)
            except Exception as e:
                log.exception("a worker failed to start")
                with self._lock:
                    self._starting -= 1
                    self._start_error = str(e)[:200] or type(e).__name__
                return
            with self._lock:
                self._starting -= 1
                if self._closed:
                    worker.kill()
                    return
                self._all.append(worker)
            self._idle.put(worker)

        threading.Thread(target=spawn, name="torchcanvas-spawn", daemon=True).start()

    def close(self) -> None:
        """Stop every worker; jobs still waiting answer 503."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _unpack(job: str, kind: str, body: Any) -> Any:
    if kind == "ok":
        return body
    if kind == "error":
        raise RemoteError(body["status"], body["code"], body["message"], body["details"])
    raise RuntimeError(f"the {job} job failed in its worker: {body}")


if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]))

"""Isolation and limits: budgets before allocation, time limits, the bounded queue, a free event loop."""

from __future__ import annotations

import asyncio
import resource
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from measure_zoo import chain, image_classifier, measuring_client

from server import workers
from server.errors import WorkerFailed

TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One worker, no waiting room: a second job while one runs is refused."""
    with measuring_client(tmp_path_factory.mktemp("data"), worker_queue=0, job_timeout_s=TIMEOUT_S) as c:
        yield c


def profile_body(min_time_s: float) -> dict[str, Any]:
    return {"graph": image_classifier(batch=2), "min_time_s": min_time_s, "warmup": 0}


def test_huge_layer_is_refused_without_allocating(tmp_path_factory: pytest.TempPathFactory) -> None:
    huge = chain("huge", [1, 100_000], [("fc", "Linear", {"out_features": 100_000})])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with measuring_client(tmp_path_factory.mktemp("huge"), measure_memory_mb=2048) as c:
        for path in ("/api/v1/weights/stats", "/api/v1/gradients", "/api/v1/profile"):
            r = c.post(path, json={"graph": huge})
            assert r.status_code == 422, path
            error = r.json()["error"]
            assert error["code"] == "limit_exceeded" and error["details"][0]["node"] == "fc"
            assert "node 'fc' (Linear)" in error["message"] and "2.0 GB" in error["message"]
        assert not c.app.state.pool.started  # no worker started, no tensor made
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: 40 GB never made


def test_a_job_past_its_limit_is_killed_and_the_next_succeeds(client: TestClient) -> None:
    client.post("/api/v1/profile", json=profile_body(0.01))  # the worker is up
    began = time.perf_counter()
    r = client.post("/api/v1/profile", json=profile_body(30))
    assert r.status_code == 504
    assert r.json()["error"]["code"] == "timeout" and "TORCHCANVAS_JOB_TIMEOUT_S" in r.json()["error"]["message"]
    assert time.perf_counter() - began < TIMEOUT_S + 2
    r = client.post("/api/v1/profile", json=profile_body(0.01))
    assert r.status_code == 200, r.text


def test_full_queue_answers_429_and_health_stays_fast(client: TestClient) -> None:
    pool = client.app.state.pool
    answers: list[int] = []
    long_job = threading.Thread(
        target=lambda: answers.append(client.post("/api/v1/profile", json=profile_body(1.5)).status_code)
    )
    long_job.start()
    deadline = time.perf_counter() + 10
    while pool.in_flight == 0 and time.perf_counter() < deadline:
        time.sleep(0.01)
    r = client.post("/api/v1/weights/stats", json={"graph": image_classifier(batch=1)})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "busy" and int(r.headers["retry-after"]) >= 1
    took = []
    for _ in range(5):
        start = time.perf_counter()
        assert client.get("/api/v1/health").status_code == 200
        took.append(time.perf_counter() - start)
    assert pool.in_flight == 1  # the worker was busy all along
    assert statistics.median(took) < 0.1 and max(took) < 0.25
    long_job.join()
    assert answers == [200]


def test_a_design_that_fails_on_real_tensors_names_the_node(client: TestClient) -> None:
    """int64 token ids straight into a Linear: whether the analysis or the real run catches it, a 422 on 'fc'."""
    graph = {"version": 1, "inputs": [{"id": "x", "shape": [2, 8], "dtype": "int64"}],
             "nodes": [{"id": "fc", "op": "Linear", "args": {"out_features": 4}, "inputs": ["x"]}],
             "outputs": ["fc"]}
    for path in ("/api/v1/profile", "/api/v1/gradients", "/api/v1/activations"):
        body = {"graph": graph, "min_time_s": 0.01} if path.endswith("profile") else {"graph": graph}
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"]["details"][0]["node"] == "fc"


def test_a_pool_whose_workers_cannot_start_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that cannot start (no memory for another interpreter, say) is a 503, not a hang."""

    def no_start(threads: int, memory_mb: int) -> None:
        raise OSError("cannot allocate memory")

    monkeypatch.setattr(workers, "start_worker", no_start)
    pool = workers.WorkerPool(workers=1, threads=1, queue_size=0, timeout_s=5)
    try:
        # A loop of its own in a thread: the browser tests' Playwright keeps one running in this thread.
        failing = r"no worker process could start \(cannot allocate memory\)"
        with pytest.raises(WorkerFailed, match=failing), ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, pool.run("weights_stats", {"graph": image_classifier(batch=1)})).result()
        assert pool.in_flight == 0
    finally:
        pool.close()


def test_a_job_over_the_worker_memory_cap_fails_alone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """With the budget out of the way, a 1 GB layer hits the worker's address-space cap: 422, and the
    worker keeps serving."""
    big = chain("big", [1, 16_000], [("fc", "Linear", {"out_features": 16_000})])
    settings = {"measure_memory_mb": 100_000, "worker_memory_mb": 1500, "worker_queue": 0}
    with measuring_client(tmp_path_factory.mktemp("cap"), **settings) as c:
        r = c.post("/api/v1/weights/stats", json={"graph": big})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "limit_exceeded"
        assert "TORCHCANVAS_WORKER_MEMORY_MB" in r.json()["error"]["message"]
        assert c.post("/api/v1/weights/stats", json={"graph": image_classifier(batch=1)}).status_code == 200

"""Saved designs: versions, optimistic concurrency, deletion, and durability under SIGKILL."""

from __future__ import annotations

import copy
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from alembic.config import Config
from alembic.script import ScriptDirectory
from export_zoo import MLP, RESIDUAL, database_params, settings_for
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.graph import GraphIn
from server.storage.db import MIGRATIONS, get_engine, migrate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=database_params())
def client(request: pytest.FixtureRequest, tmp_path: Path) -> TestClient:
    return TestClient(create_app(settings_for(tmp_path, request.param)))


def renamed(graph: dict[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(graph)
    out["name"] = name
    return out


def test_create_read_list(client: TestClient) -> None:
    r = client.post("/api/v1/designs", json={"graph": MLP})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"] == 1 and body["name"] == "mlp"
    assert len(body["id"]) >= 16
    truth = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.Linear(128, 10))
    assert body["params"] == sum(p.numel() for p in truth.parameters())
    got = client.get(f"/api/v1/designs/{body['id']}").json()
    assert GraphIn.model_validate(got["graph"]) == GraphIn.model_validate(MLP) and got["version"] == 1
    listed = {d["id"]: d for d in client.get("/api/v1/designs").json()["designs"]}
    assert listed[body["id"]]["params"] == body["params"] and "graph" not in listed[body["id"]]


def test_ids_are_unguessable_and_distinct(client: TestClient) -> None:
    ids = {client.post("/api/v1/designs", json={"graph": MLP}).json()["id"] for _ in range(5)}
    assert len(ids) == 5


def test_versions_and_stale_save(client: TestClient) -> None:
    did = client.post("/api/v1/designs", json={"graph": MLP}).json()["id"]
    r = client.put(f"/api/v1/designs/{did}", json={"graph": renamed(MLP, "v2"), "base_version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    stale = client.put(f"/api/v1/designs/{did}", json={"graph": renamed(MLP, "other tab"), "base_version": 1})
    assert stale.status_code == 409
    err = stale.json()["error"]
    assert err["code"] == "conflict" and err["details"] == [{"current_version": 2, "base_version": 1}]
    assert client.get(f"/api/v1/designs/{did}").json()["name"] == "v2"
    versions = client.get(f"/api/v1/designs/{did}/versions").json()["versions"]
    assert [(v["version"], v["name"]) for v in versions] == [(1, "mlp"), (2, "v2")]
    old = client.get(f"/api/v1/designs/{did}/versions/1").json()
    assert old["graph"]["name"] == "mlp"
    assert client.get(f"/api/v1/designs/{did}/versions/3").status_code == 404


def test_concurrent_saves_on_one_base_let_exactly_one_win(client: TestClient) -> None:
    did = client.post("/api/v1/designs", json={"graph": MLP}).json()["id"]
    codes: list[int] = []

    def save(i: int) -> None:
        body = {"graph": renamed(MLP, f"tab {i}"), "base_version": 1}
        codes.append(client.put(f"/api/v1/designs/{did}", json=body).status_code)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 5
    assert len(client.get(f"/api/v1/designs/{did}/versions").json()["versions"]) == 2


def test_design_with_errors_is_saved_without_params(client: TestClient) -> None:
    broken = renamed(MLP, "wip")
    broken["nodes"] = [*MLP["nodes"], {"id": "bad", "op": "NoSuchLayer", "inputs": ["fc2"]}]
    r = client.post("/api/v1/designs", json={"graph": broken})
    assert r.status_code == 201 and r.json()["params"] is None


def test_delete_and_missing(client: TestClient) -> None:
    did = client.post("/api/v1/designs", json={"graph": RESIDUAL}).json()["id"]
    assert client.delete(f"/api/v1/designs/{did}").status_code == 204
    for method, path in (("GET", ""), ("GET", "/versions"), ("DELETE", "")):
        r = client.request(method, f"/api/v1/designs/{did}{path}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    put = client.put(f"/api/v1/designs/{did}", json={"graph": MLP, "base_version": 1})
    assert put.status_code == 404


def test_hostile_ids_and_versions_are_4xx(client: TestClient) -> None:
    did = client.post("/api/v1/designs", json={"graph": MLP}).json()["id"]
    for path in ("/api/v1/designs/a%00b", f"/api/v1/designs/{'a' * 5000}", "/api/v1/designs/%E2%80%AE/versions",
                 f"/api/v1/designs/{did}/versions/{10**30}", f"/api/v1/designs/{did}/versions/-1",
                 "/api/v1/designs/a%00b/weights"):
        r = client.get(path)
        assert r.status_code in (404, 422) and "error" in r.json(), path
    huge = client.put(f"/api/v1/designs/{did}", json={"graph": MLP, "base_version": 10**30})
    assert huge.status_code == 422
    assert client.put("/api/v1/designs/a%00b", json={"graph": MLP, "base_version": 1}).status_code == 404


def test_bad_bodies_are_422(client: TestClient) -> None:
    assert client.post("/api/v1/designs", json={"graph": {"version": 2}}).status_code == 422
    did = client.post("/api/v1/designs", json={"graph": MLP}).json()["id"]
    r = client.put(f"/api/v1/designs/{did}", json={"graph": MLP})
    assert r.status_code == 422 and "base_version" in r.text


@pytest.mark.parametrize("database_url", database_params())
def test_startup_migrates_to_the_newest_revision(tmp_path: Path, database_url: str) -> None:
    settings = settings_for(tmp_path, database_url)
    with TestClient(create_app(settings)):
        pass
    engine = get_engine(settings)
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
    migrate(engine)  # a second start finds nothing to do
    if not database_url:
        with sqlite3.connect(settings.data_dir / "torchcanvas.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "TORCHCANVAS_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start within 60 s")


@pytest.mark.slow
def test_every_acknowledged_save_survives_sigkill(tmp_path: Path) -> None:
    proc, base = _start_server(tmp_path)
    acked: dict[str, dict[int, str]] = {}
    count = threading.Semaphore(0)  # one release per acknowledged save
    stop = threading.Event()

    def stream(worker: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            try:
                did = http.post("/api/v1/designs", json={"graph": renamed(MLP, f"w{worker} v1")}).json()["id"]
                acked[did] = {1: f"w{worker} v1"}
                count.release()
                version = 1
                while not stop.is_set():
                    name = f"w{worker} v{version + 1}"
                    r = http.put(f"/api/v1/designs/{did}", json={"graph": renamed(MLP, name),
                                                                  "base_version": version})
                    version = r.json()["version"]
                    acked[did][version] = name
                    count.release()
            except (httpx.TransportError, KeyError, ValueError):
                return  # the server died mid-request: that save was never acknowledged

    workers = [threading.Thread(target=stream, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for _ in range(60):
        assert count.acquire(timeout=60), "the saves stalled"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for w in workers:
        w.join()
    proc, base = _start_server(tmp_path)
    try:
        for did, versions in acked.items():
            history = httpx.get(f"{base}/api/v1/designs/{did}/versions").json()["versions"]
            stored = {v["version"]: v["name"] for v in history}
            assert all(stored.get(n) == name for n, name in versions.items()), (versions, stored)
            assert sorted(stored) == list(range(1, len(stored) + 1))
    finally:
        proc.kill()
        proc.wait()

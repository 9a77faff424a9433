"""A corpus of hostile and malformed requests against a real server process, each with its safe answer.

The server runs as `python -m server` (uvicorn, real sockets), so bodies really stream and its
memory is that of one process: after the corpus it must still answer /api/v1/health and have grown
by less than 100 MB. Every answer is a 4xx in the one error shape, or 200 with `ok: false` naming
the node; never a 5xx, never a traceback.
"""

from __future__ import annotations

import ast
import io
import json
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "corpus-token-5b1f"
AUTH = {"authorization": f"Bearer {TOKEN}"}
OCTET = {"content-type": "application/octet-stream"}
JSON = {"content-type": "application/json"}
MB = 1024 * 1024

pytestmark = pytest.mark.slow


def graph(nodes: list[dict[str, Any]], shape: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"version": 1, "inputs": [{"id": "x", "shape": shape or [2, 8]}], "nodes": nodes,
            "outputs": [nodes[-1]["id"]] if nodes else ["x"], **extra}


def node(op: str, args: dict[str, Any] | None = None, nid: str = "a", inputs: list[str] | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"id": nid, "op": op, "args": args or {}, "inputs": inputs or ["x"], **extra}


def linear(out: Any = 3, **extra: Any) -> dict[str, Any]:
    return graph([node("Linear", {"out_features": out})], **extra)


def chain(n: int, op: str = "ReLU", args: dict[str, Any] | None = None) -> dict[str, Any]:
    nodes = [node(op, args, f"n{i}", [f"n{i - 1}" if i else "x"]) for i in range(n)]
    return graph(nodes, shape=[2, 4096] if args else None)


class Evil:
    """Unpickling this runs a shell command: the canary file appears if any loader trusts pickles."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.canary}",))


def evil_pt(canary: Path) -> bytes:
    buf = io.BytesIO()
    torch.save({"a.weight": Evil(canary), "a.bias": torch.zeros(3)}, buf)
    return buf.getvalue()


def safetensors_file(header: dict[str, Any], data: bytes = b"", length: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def streamed(total: int, chunk: int = MB) -> Iterator[bytes]:
    """A body without Content-Length (chunked): only counting it as it arrives can stop it."""
    for _ in range(total // chunk):
        yield b" " * chunk


@dataclass
class Case:
    name: str
    method: str
    path: str
    status: int
    says: str
    json: Any = None
    content: bytes | Callable[[], Iterator[bytes]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    node: str | None = None  # for 200 answers: the node the error must name


def corpus(canary: Path) -> list[Case]:
    A = "/api/v1/analyze"
    ops = [
        Case("op os.system", "POST", A, 200, "unknown op 'os.system'", graph([node("os.system")]), node="a"),
        Case("op __import__", "POST", A, 200, "unknown op '__import__'", graph([node("__import__")]), node="a"),
        Case("op dotted path", "POST", A, 200, "unknown op 'torch.nn.Linear'",
             graph([node("torch.nn.Linear", {"in_features": 8, "out_features": 3})]), node="a"),
        Case("op subprocess with a command", "POST", A, 200, "unknown op",
             graph([node("subprocess.Popen", {"args": f"touch {canary}", "shell": True})]), node="a"),
        Case("op builtins.eval", "POST", A, 200, "unknown op", graph([node("eval", {"source": "1"})]), node="a"),
        Case("dunder argument", "POST", A, 200, "no argument '__class__'",
             graph([node("Linear", {"out_features": 3, "__class__": "os"})]), node="a"),
        Case("private argument", "POST", A, 200, "no argument '_parameters'",
             graph([node("Linear", {"out_features": 3, "_parameters": {}})]), node="a"),
        Case("init names a function outside torch.nn.init", "POST", A, 200, "unknown init 'os.system'",
             graph([node("Linear", {"out_features": 3}, init={"weight": "os.system"})]), node="a"),
    ]
    numbers = [
        Case("string where a number belongs", "POST", A, 200, "must be an integer", linear("3"), node="a"),
        Case("boolean where a number belongs", "POST", A, 200, "must be an integer", linear(True), node="a"),
        Case("fractional features", "POST", A, 200, "must be an integer", linear(2.5), node="a"),
        Case("negative features", "POST", A, 200, "at least 1", linear(-5), node="a"),
        Case("zero features", "POST", A, 200, "at least 1", linear(0), node="a"),
        Case("huge features", "POST", A, 200, "at most", linear(2**62), node="a"),
        Case("kernel size 10^5", "POST", A, 200, "Kernel size can't be greater",
             graph([node("Conv2d", {"out_channels": 4, "kernel_size": 10**5})], shape=[1, 3, 8, 8]), node="a"),
        Case("pool kernel 10^5", "POST", A, 200, "MaxPool2d",
             graph([node("MaxPool2d", {"kernel_size": 10**5})], shape=[1, 3, 8, 8]), node="a"),
        Case("negative dim", "POST", A, 422, "shape", linear(shape=[-1, 8])),
        Case("zero dim", "POST", A, 422, "shape", linear(shape=[0, 8])),
        Case("huge dim", "POST", A, 422, "shape", linear(shape=[2**40, 8])),
        Case("fractional dim", "POST", A, 422, "shape", linear(shape=[2.5, 8])),
        Case("boolean dim", "POST", A, 422, "shape", linear(shape=[True, 8])),
        Case("string dim", "POST", A, 422, "shape", linear(shape=["2", 8])),
        Case("dtype with a command", "POST", A, 422, "dtype",
             {**linear(), "inputs": [{"id": "x", "shape": [2, 8], "dtype": "float64; rm -rf /"}]}),
    ]
    structure = [
        Case("cycle", "POST", A, 200, "cycle",
             graph([node("ReLU", nid="a", inputs=["b"]), node("ReLU", nid="b", inputs=["a"])]), node="a"),
        Case("self loop", "POST", A, 200, "its own output", graph([node("ReLU", inputs=["a"])]), node="a"),
        Case("dangling reference", "POST", A, 200, "refers to nothing",
             graph([node("ReLU", inputs=["ghost"])]), node="a"),
        Case("duplicate ids", "POST", A, 200, "used twice",
             graph([node("ReLU", nid="a"), node("ReLU", nid="a")]), node="a"),
        Case("port out of range", "POST", A, 200, "port 999", graph([node("ReLU", inputs=["x:999"])]), node="a"),
        Case("id that is code", "POST", A, 200, "invalid id",
             graph([node("ReLU", nid="a;__import__('os')")]), node="a;__import__('os')"),
        Case("100k-node chain", "POST", A, 422, "TORCHCANVAS_MAX_NODES", chain(100_000)),
        Case("65 inputs on one node", "POST", A, 422, "inputs", graph([node("cat", {"dim": 0}, inputs=["x"] * 65)])),
    ]
    bodies = [
        Case("JSON nested 100k deep", "POST", A, 400, "nested 100000 levels",
             content=b"[" * 100_000 + b"]" * 100_000, headers=JSON),
        Case("100 MB body", "POST", A, 413, "TORCHCANVAS_MAX_BODY_BYTES", content=b" " * (100 * MB), headers=JSON),
        Case("100 MB body streamed without length", "POST", A, 413, "TORCHCANVAS_MAX_BODY_BYTES",
             content=lambda: streamed(100 * MB), headers=JSON),
        Case("NaN", "POST", A, 400, "NaN, Infinity", content=b'{"version": 1, "seed": NaN}', headers=JSON),
        Case("1e400 (Python reads it as inf)", "POST", A, 400, "too large to be finite",
             content=json.dumps(graph([node("Dropout", {"p": 0.5})])).encode().replace(b"0.5", b"1e400"),
             headers=JSON),
        Case("5000-digit int", "POST", A, 400, "5000 digits",
             content=b'{"version": 1, "seed": ' + b"7" * 5000 + b"}", headers=JSON),
        Case("NUL in a design name (PostgreSQL cannot store it)", "POST", "/api/v1/designs", 400, "NUL character",
             {"graph": linear(name="a\u0000b")}, headers=AUTH),
        Case("not JSON", "POST", A, 422, "body", content=b"import os; os.system('id')", headers=JSON),
        Case("empty body", "POST", A, 422, "body", content=b"", headers=JSON),
        Case("JSON but not a graph", "POST", A, 422, "dictionary", json=[1, 2, 3]),
    ]
    return ops + numbers + structure + bodies


def design_cases(design: str, canary: Path) -> list[Case]:
    """Cases against a saved design (created with the token by the fixture)."""
    W, D = f"/api/v1/designs/{design}/weights", f"/api/v1/designs/{design}"
    header = {"a.weight": {"dtype": "F32", "shape": [3, 8], "data_offsets": [0, 96]},
              "a.bias": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}
    return [
        Case("pickle with __reduce__ as .pt", "PUT", W + "?format=pt", 422, "not a readable pt",
             content=evil_pt(canary), headers={**OCTET, **AUTH}),
        Case("bare pickle as .pt", "PUT", W + "?format=pt", 422, "not a readable pt",
             content=pickle.dumps(Evil(canary)), headers={**OCTET, **AUTH}),
        Case("pickle sent as safetensors", "PUT", W, 422, "not a readable safetensors",
             content=evil_pt(canary), headers={**OCTET, **AUTH}),
        Case("safetensors header length 2^62", "PUT", W, 422, "header too large",
             content=safetensors_file({}, length=2**62), headers={**OCTET, **AUTH}),
        Case("safetensors overlapping offsets", "PUT", W, 422, "invalid offset",
             content=safetensors_file(header, b"\0" * 96), headers={**OCTET, **AUTH}),
        Case("weights upload without the token", "PUT", W, 401, "requires a token",
             content=safetensors_file(header, b"\0" * 108), headers=OCTET),
        Case("another design's id without its token", "PUT", D, 401, "requires a token",
             json={"graph": linear(name="taken over"), "base_version": 1}),
        Case("delete without the token", "DELETE", D, 401, "requires a token"),
        Case("a wrong token", "DELETE", D, 401, "token is wrong", headers={"authorization": "Bearer guess"}),
        Case("design id with path traversal", "GET", "/api/v1/designs/..%2F..%2Fetc%2Fpasswd", 404, "Not Found"),
        Case("design id that is SQL", "GET", "/api/v1/designs/' OR '1'='1", 404, "no design"),
        Case("static path traversal", "GET", "/static/..%2F..%2F..%2Fetc%2Fpasswd", 404, "Not Found"),
        Case("static dot-dot", "GET", "/static/../../pyproject.toml", 404, "Not Found"),
    ]


# --- the server --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    http: httpx.Client
    canary: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("hostile")
    port = _free_port()
    env = {**os.environ, "TORCHCANVAS_DATA_DIR": str(data), "TORCHCANVAS_TOKEN": TOKEN}
    env.pop("DATABASE_URL", None)
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        for _ in range(240):
            try:
                if http.get("/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert proc.poll() is None, log.read_text()[-2000:]
                time.sleep(0.25)
        yield Server(proc, http, data / "canary")
    finally:
        http.close()
        proc.terminate()
        proc.wait(timeout=30)


def send(http: httpx.Client, case: Case) -> httpx.Response:
    content = case.content() if callable(case.content) else case.content
    return http.request(case.method, case.path, json=case.json, content=content, headers=case.headers)


def check(case: Case, resp: httpx.Response) -> None:
    assert resp.status_code == case.status, f"{case.name}: {resp.status_code} {resp.text[:300]}"
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    if case.status == 200:
        answer = resp.json()
        assert answer["ok"] is False
        named = [e for e in answer["errors"] if e["node"] == case.node]
        assert named and any(case.says in e["message"] for e in named), f"{case.name}: {answer['errors']}"
    else:
        err = resp.json()["error"]
        assert set(err) == {"code", "message", "details"}
        assert case.says in err["message"], f"{case.name}: {err['message']}"


def test_the_corpus_is_answered_safely_and_the_server_stays_small(server: Server) -> None:
    http = server.http
    made = http.post("/api/v1/designs", json={"graph": linear(name="victim")}, headers=AUTH)
    assert made.status_code == 201, made.text
    design = made.json()["id"]
    for warm in corpus(server.canary)[:3]:  # first answers load what every later one shares
        send(http, warm)
    before = rss_mb(server.proc.pid)
    cases = corpus(server.canary) + design_cases(design, server.canary)
    assert len(cases) >= 35
    failures = []
    for case in cases:
        try:
            check(case, send(http, case))
        except AssertionError as e:
            failures.append(str(e).splitlines()[0])
    grown = rss_mb(server.proc.pid) - before
    assert not failures, "\n".join(failures)
    assert not server.canary.exists(), "a pickle ran code on the server"
    assert http.get("/api/v1/health").json()["status"] == "ok"
    assert http.get(f"/api/v1/designs/{design}").json()["name"] == "victim"  # nobody took it over
    assert grown < 100, f"the server grew by {grown:.0f} MB over the corpus"


def test_big_designs_are_analysed_on_meta_tensors_and_refused_where_real(server: Server) -> None:
    huge = graph([node("Linear", {"out_features": 10**6})], shape=[2, 10**6])
    answer = server.http.post("/api/v1/analyze", json=huge).json()
    assert answer["ok"] is True and answer["totals"]["params"] == 10**12 + 10**6
    thousand = chain(1000, "Linear", {"out_features": 4096})
    assert server.http.post("/api/v1/analyze", json=thousand).json()["ok"] is True
    refused = server.http.post("/api/v1/export/weights", json={"graph": thousand})
    assert refused.status_code == 422 and "TORCHCANVAS_MAX_EXPORT_BYTES" in refused.json()["error"]["message"]
    paths = server.http.get("/openapi.json").json()["paths"]
    if "/api/v1/profile" not in paths:
        pytest.skip("the measuring endpoints are not served by this build")
    measured = server.http.post("/api/v1/profile", json={"graph": huge})
    assert measured.status_code == 422, measured.text
    assert "TORCHCANVAS_MEASURE_MEMORY_MB" in measured.json()["error"]["message"]
    assert "'a'" in measured.json()["error"]["message"]


def test_code_injection_in_names_stays_out_of_exported_code(server: Server) -> None:
    name = '"""; import os; os.system("touch pwned") #'
    resp = server.http.post("/api/v1/export/python", json={"graph": linear(name=name)})
    assert resp.status_code == 200, resp.text
    tree = ast.parse(resp.text)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "os" not in imported
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not any("system" in c for c in calls)
    disposition = resp.headers["content-disposition"]
    assert "/" not in disposition and '"' not in disposition.split('filename="', 1)[1].rstrip('"')
    bad_id = server.http.post("/api/v1/export/python", json={"graph": graph([node("ReLU", nid="a)\nimport os#")])})
    assert bad_id.status_code == 422 and "invalid id" in bad_id.text


def test_user_text_is_escaped_where_shown(server: Server) -> None:
    page = server.http.get('/d/"><svg onload=alert(1)>')
    assert "<svg onload" not in page.text and "&lt;svg onload=alert(1)&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    summary = server.http.post("/api/v1/summary", json=linear(name="<script>alert(1)</script>"))
    assert summary.headers["content-type"].startswith("text/plain")
    assert summary.headers["x-content-type-options"] == "nosniff"
    sql = "'; DROP TABLE designs; --"
    made = server.http.post("/api/v1/designs", json={"graph": linear(name=sql)}, headers=AUTH).json()
    assert server.http.get(f"/api/v1/designs/{made['id']}").json()["name"] == sql
    assert server.http.get("/api/v1/designs").status_code == 200  # the table is still there

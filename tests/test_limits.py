"""Request limits, security headers, CORS and the write token: each setting enforced at its edge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from server.api.app import create_app
from server.api.errors import install_error_handlers
from server.api.limits import CSP, LimitsMiddleware, _depth, json_depth
from server.settings import Settings

JSON = {"content-type": "application/json"}
UPLOAD = "/api/v1/designs/d1/weights"


def tiny(**extra: Any) -> dict[str, Any]:
    graph = {"version": 1, "name": "tiny", "inputs": [{"id": "x", "shape": [2, 4]}],
             "nodes": [{"id": "fc", "op": "Linear", "args": {"out_features": 3}, "inputs": ["x"]}],
             "outputs": ["fc"]}
    return {**graph, **extra}


def nested(depth: int) -> Any:
    """A value that adds `depth` levels of nesting."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("locked"), token="s3cret-token",
                        cors_origins="https://school.example")
    with TestClient(create_app(settings)) as c:
        yield c


def assert_error(resp: Any, status: int, code: str, words: str) -> None:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code
    assert words in err["message"]


# --- size ------------------------------------------------------------------------------------------

def test_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    body = b" " * (Settings().max_body_bytes + 1)
    assert_error(client.post("/api/v1/analyze", content=body, headers=JSON), 413, "too_large",
                 "TORCHCANVAS_MAX_BODY_BYTES")


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: only counting can stop it
        for _ in range(64):
            yield b" " * (1024 * 1024)

    resp = client.post("/api/v1/analyze", content=chunks(), headers=JSON)
    assert_error(resp, 413, "too_large", "limit")


def _upload_app(limit: int) -> tuple[FastAPI, dict[str, int]]:
    """An app whose route streams a raw upload, as a weights upload does; records what it read."""
    app = FastAPI()
    install_error_handlers(app)
    read = {"bytes": 0}

    @app.put("/api/v1/designs/d1/weights")
    async def upload(request: Request) -> dict[str, int]:
        async for chunk in request.stream():
            read["bytes"] += len(chunk)
        return read

    app.add_middleware(LimitsMiddleware, settings=Settings(max_upload_bytes=limit))
    return app, read


def test_an_upload_streams_under_its_own_limit_and_is_cut_off_over_it() -> None:
    mib = 1024 * 1024
    app, read = _upload_app(limit=mib)
    with TestClient(app) as c:
        ok = c.put(UPLOAD, content=b"x" * (mib // 2), headers={"content-type": "application/octet-stream"})
        assert ok.status_code == 200 and ok.json() == {"bytes": mib // 2}

        def chunks() -> Iterator[bytes]:
            for _ in range(8):
                yield b"x" * (mib // 2)

        read["bytes"] = 0
        resp = c.put(UPLOAD, content=chunks(), headers={"content-type": "application/octet-stream"})
    assert_error(resp, 413, "too_large", "TORCHCANVAS_MAX_UPLOAD_BYTES")
    assert read["bytes"] <= mib  # the app never saw the bytes past the limit


def test_other_routes_hold_any_body_type_to_the_json_limit(client: TestClient) -> None:
    """Only the weights upload takes big raw bodies; elsewhere a route would read one before refusing it."""
    body = b"x" * (Settings().max_body_bytes + 1)
    resp = client.post("/api/v1/analyze", content=body, headers={"content-type": "application/octet-stream"})
    assert_error(resp, 413, "too_large", "TORCHCANVAS_MAX_BODY_BYTES")


# --- JSON shape --------------------------------------------------------------------------------------

def test_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[{{\\"[["}') == 1
    assert json_depth(b"0") == 0


@pytest.mark.parametrize("depth", [1, 2, 7, 64, 500])
def test_depth_is_the_same_whatever_the_chunking(depth: int) -> None:
    text = json.dumps({"a": [1, nested(depth)], "b": {}}).encode()
    assert {_depth(text, chunk) for chunk in (1, 3, 64, 1 << 20)} == {depth + 2}


def test_json_nested_past_the_limit_is_refused(client: TestClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_error(client.post("/api/v1/analyze", content=deep, headers=JSON), 400, "bad_json",
                 "nested 100000 levels")


def test_json_at_the_depth_limit_and_brackets_in_strings_pass(client: TestClient) -> None:
    limit = Settings().max_json_depth
    # graph object (1) > inputs list (2) > input object (3) > ui (4) > ...: fill up to the limit exactly.
    ui = {"deep": nested(limit - 4), "note": "[[[[{{{{" * 200}
    graph = tiny(inputs=[{"id": "x", "shape": [2, 4], "ui": ui}])
    resp = client.post("/api/v1/analyze", content=json.dumps(graph), headers=JSON)
    assert resp.status_code == 200 and resp.json()["ok"] is True, resp.text
    ui["deep"] = nested(limit - 3)
    assert client.post("/api/v1/analyze", content=json.dumps(graph), headers=JSON).status_code == 400


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-2.5E+0308"])
def test_nan_and_infinity_are_refused(client: TestClient, literal: bytes) -> None:
    body = json.dumps(tiny(seed=0)).encode().replace(b'"seed": 0', b'"seed": ' + literal)
    assert_error(client.post("/api/v1/analyze", content=body, headers=JSON), 400, "bad_json", "NaN, Infinity")


def test_nan_inside_a_string_and_ordinary_exponents_pass(client: TestClient) -> None:
    resp = client.post("/api/v1/analyze", json=tiny(name="NaN Infinity 1e400"))
    assert resp.status_code == 200 and resp.json()["ok"] is True
    dropout = {**tiny(), "nodes": [{"id": "d", "op": "Dropout", "args": {"p": 1}, "inputs": ["x"]}], "outputs": ["d"]}
    body = json.dumps(dropout).encode().replace(b'"p": 1', b'"p": 2.5e-1')
    resp = client.post("/api/v1/analyze", content=body, headers=JSON)
    assert resp.status_code == 200 and resp.json()["nodes"]["d"]["args"]["p"] == 0.25


def test_a_nul_character_is_refused_but_an_escaped_backslash_before_u0000_is_text(client: TestClient) -> None:
    """PostgreSQL text cannot hold NUL: a design name with one would fail in the database, not here."""
    refused = client.post("/api/v1/designs", json={"graph": tiny(name="a\u0000b")})
    assert_error(refused, 400, "bad_json", "NUL character")
    assert_error(client.post("/api/v1/analyze", json=tiny(inputs=[{"id": "x", "shape": [2, 4], "ui": {"\u0000": 1}}])),
                 400, "bad_json", "NUL")
    resp = client.post("/api/v1/analyze", json=tiny(name="C:\\u0000dir"))
    assert resp.status_code == 200 and resp.json()["ok"] is True


def test_a_5000_digit_int_is_refused_before_parsing(client: TestClient) -> None:
    body = json.dumps(tiny(seed=0)).encode().replace(b'"seed": 0', b'"seed": ' + b"9" * 5000)
    assert_error(client.post("/api/v1/analyze", content=body, headers=JSON), 400, "bad_json", "5000 digits")


def test_a_long_but_allowed_number_reaches_validation(client: TestClient) -> None:
    body = json.dumps(tiny(seed=0)).encode().replace(b'"seed": 0', b'"seed": ' + b"9" * 60)
    assert_error(client.post("/api/v1/analyze", content=body, headers=JSON), 422, "invalid_body", "seed")


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"MAX_BODY_BYTES": "1000", "MAX_JSON_DEPTH": "5", "MAX_NUMBER_DIGITS": "7",
           "CORS_ORIGINS": "https://a.example", "TOKEN": "t"}
    for name, value in env.items():
        monkeypatch.setenv(f"TORCHCANVAS_{name}", value)
    s = Settings.from_env()
    assert (s.max_body_bytes, s.max_json_depth, s.max_number_digits) == (1000, 5, 7)
    assert (s.cors_origins, s.token) == ("https://a.example", "t")


def test_small_limits_apply(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_body_bytes=300, max_json_depth=5, max_number_digits=3)
    with TestClient(create_app(settings)) as c:
        assert_error(c.post("/api/v1/analyze", json=tiny(name="n" * 400)), 413, "too_large", "300 bytes")
        assert_error(c.post("/api/v1/analyze", json=tiny(seed=1234)), 400, "bad_json", "4 digits")
        deep = tiny(inputs=[{"id": "x", "shape": [2, 4], "ui": {"a": [[0]]}}])
        assert_error(c.post("/api/v1/analyze", json=deep), 400, "bad_json", "nested 6 levels")


# --- headers and CORS ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/v1/health", "/api/v1/nothing-here", "/openapi.json"])
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_security_headers_on_refusals_too(client: TestClient) -> None:
    resp = client.post("/api/v1/analyze", content=b"[" * 1000, headers=JSON)
    assert resp.status_code == 400 and resp.headers["x-frame-options"] == "DENY"


def test_csp_names_no_external_origin_and_forbids_framing() -> None:
    assert "http" not in CSP and "*" not in CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP


def test_cors_is_closed_by_default(client: TestClient) -> None:
    origin = {"origin": "https://evil.example"}
    assert "access-control-allow-origin" not in client.get("/api/v1/health", headers=origin).headers
    pre = client.options("/api/v1/analyze", headers={**origin, "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_opens_to_listed_origins_only(locked: TestClient) -> None:
    good = locked.get("/api/v1/health", headers={"origin": "https://school.example"})
    assert good.headers["access-control-allow-origin"] == "https://school.example"
    bad = locked.get("/api/v1/health", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in bad.headers


# --- the write token ----------------------------------------------------------------------------------

def test_writes_need_the_token_when_one_is_set(locked: TestClient) -> None:
    body = {"graph": tiny()}
    missing = locked.post("/api/v1/designs", json=body)
    assert_error(missing, 401, "unauthorized", "Authorization: Bearer")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = locked.post("/api/v1/designs", json=body, headers={"authorization": "Bearer guess"})
    assert_error(wrong, 401, "unauthorized", "token is wrong")
    auth = {"authorization": "Bearer s3cret-token"}
    made = locked.post("/api/v1/designs", json=body, headers=auth)
    assert made.status_code == 201, made.text
    design_id = made.json()["id"]
    assert locked.get(f"/api/v1/designs/{design_id}").status_code == 200  # reading stays open
    update = {"graph": tiny(name="renamed"), "base_version": 1}
    assert locked.put(f"/api/v1/designs/{design_id}", json=update).status_code == 401
    assert locked.delete(f"/api/v1/designs/{design_id}").status_code == 401
    assert locked.put(f"/api/v1/designs/{design_id}", json=update, headers=auth).status_code == 200
    assert locked.delete(f"/api/v1/designs/{design_id}", headers=auth).status_code == 204


def test_no_token_set_means_writes_are_open(client: TestClient) -> None:
    made = client.post("/api/v1/designs", json={"graph": tiny()})
    assert made.status_code == 201, made.text


# --- the docs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["max_body_bytes", "max_upload_bytes", "max_json_depth", "max_number_digits",
                                  "max_nodes", "max_inputs_per_node", "measure_memory_mb", "job_timeout_s",
                                  "max_threads", "worker_queue", "max_export_bytes"])
def test_readme_states_each_limit_with_its_true_default(name: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"| `TORCHCANVAS_{name.upper()}` | {getattr(Settings(), name)} |" in readme


@pytest.mark.parametrize("host,status", [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("[::1]:8000", 200), ("LOCALHOST", 200),
    ("evil.example", 400), ("evil.example:8000", 400), ("127.0.0.1.evil.example", 400), ("", 400),
])
def test_only_listed_hosts_are_answered(tmp_path: Path, host: str, status: int) -> None:
    """DNS rebinding: a page of another site that points its name at 127.0.0.1 still sends its name."""
    settings = Settings(data_dir=tmp_path, allowed_hosts="127.0.0.1,localhost,[::1]")
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/v1/health", headers={"host": host})
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json()["error"]["code"] == "wrong_host"
        assert "TORCHCANVAS_ALLOWED_HOSTS" in r.json()["error"]["message"]


def test_a_loopback_server_answers_loopback_names_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.cli import serve_settings
    from server.settings import get_settings

    monkeypatch.delenv("TORCHCANVAS_ALLOWED_HOSTS", raising=False)
    get_settings.cache_clear()
    try:
        assert serve_settings("127.0.0.1").allowed_hosts == "127.0.0.1,localhost,[::1]"
        assert serve_settings("0.0.0.0").allowed_hosts == ""  # in a container the port mapping is the boundary
        monkeypatch.setenv("TORCHCANVAS_ALLOWED_HOSTS", "*")
        get_settings.cache_clear()
        assert serve_settings("127.0.0.1").allowed_hosts == "*"  # the variable wins
    finally:
        get_settings.cache_clear()

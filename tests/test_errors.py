"""Design mistakes answer 200 with ok false and an error naming the node and the fix; a body that
is not a graph answers 422 in the API's one error shape; nothing answers a 500 or a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.zoo import g, n

X = [("x", [4, 20])]


def errors_of(client: TestClient, graph: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = client.post("/api/v1/analyze", json=graph)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    assert "Traceback" not in r.text
    return body, body["errors"]


CASES: list[tuple[str, list[dict[str, Any]], str, str]] = [
    ("unknown op", [n("bad", "os.system", "x")], "bad", "unknown op"),
    ("case of an op", [n("bad", "linear", "x", out_features=3)], "bad", "did you mean Linear"),
    ("unknown arg", [n("fc", "Linear", "x", out_features=3, __class__=1)], "fc", "no argument '__class__'"),
    ("string for int", [n("fc", "Linear", "x", out_features="3")], "fc", "out_features must be an integer"),
    ("bool for int", [n("fc", "Linear", "x", out_features=True)], "fc", "must be an integer"),
    ("zero size", [n("fc", "Linear", "x", out_features=0)], "fc", "at least 1"),
    ("fraction", [n("fc", "Linear", "x", out_features=2.5)], "fc", "an integer"),
    ("huge int", [n("fc", "Linear", "x", out_features=10**30)], "fc", "at most"),
    ("bad choice", [n("a", "GELU", "x", approximate="fast")], "a", "one of none, tanh"),
    ("probability", [n("d", "Dropout", "x", p=1.5)], "d", "at most 1"),
    ("missing arg", [n("fc", "Linear", "x")], "fc", "needs out_features"),
    ("dangling", [n("fc", "Linear", "ghost", out_features=3)], "fc", "refers to nothing"),
    ("self loop", [n("fc", "Linear", "fc", out_features=3)], "fc", "its own output"),
    ("bad port", [n("fc", "Linear", "x", out_features=3), n("b", "ReLU", "fc:2")], "b", "output port 2"),
    ("too few inputs", [n("s", "add", "x")], "s", "takes 2 input(s)"),
    ("too many inputs", [n("r", "ReLU", "x", "x")], "r", "takes 1 input(s)"),
    ("rank", [n("c", "Conv2d", "x", out_channels=3, kernel_size=3)], "c", "needs a 3-D or 4-D input"),
    ("kernel too big", [n("u", "Unflatten", "x", dim=1, unflattened_size=[4, 5]), n("c", "Conv2d", "u",
                        out_channels=2, kernel_size=100000)], "c", "cannot take input"),
    ("heads", [n("a", "MultiheadAttention", "x", num_heads=3)], "a", "cannot be made"),
    ("bad init", [{**n("fc", "Linear", "x", out_features=3), "init": {"bias": "xavier_uniform"}}], "fc", "2-D"),
    ("unknown init", [{**n("fc", "Linear", "x", out_features=3), "init": {"weight": "os.system"}}], "fc",
     "unknown init"),
    ("duplicate id", [n("x", "ReLU", "x")], "x", "used twice"),
    ("bad id", [n("1st", "ReLU", "x")], "1st", "do not start with a digit"),
    ("reserved id", [n("forward", "ReLU", "x")], "forward", "nn.Module already uses"),
    ("lstm half state", [n("l", "LSTM", "x", hidden_size=4), n("m", "LSTM", "x", "l:1", hidden_size=4)], "m",
     "h_0 and c_0 together"),
    ("cat mismatch", [n("fc", "Linear", "x", out_features=3), n("c", "cat", "fc", "x", dim=0)], "c", "cannot take"),
]


@pytest.mark.parametrize("nodes,node,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mistake_is_pinned_to_its_node(client: TestClient, nodes: list[dict[str, Any]], node: str, words: str) -> None:
    _, errors = errors_of(client, g("broken", X, nodes, [nodes[-1]["id"]]))
    assert errors[0]["node"] == node
    assert words in errors[0]["message"]


def test_shape_mismatch_keeps_earlier_shapes_and_offers_a_fix(client: TestClient) -> None:
    graph = g("m", [("x", [4, 50])], [n("fc1", "Linear", "x", in_features=50, out_features=20),
                                        n("fc2", "Linear", "fc1", in_features=100, out_features=10),
                                        n("act", "ReLU", "fc2")], ["act"])
    body, errors = errors_of(client, graph)
    assert errors == [{"node": "fc2", "fix": {"args": {"in_features": 20}}, "message":
                       "Linear expects 100 input features but gets [4, 20]: set in_features=20 or leave it out"}]
    assert body["nodes"]["fc1"]["outputs"][0]["shape"] == [4, 20]
    assert body["nodes"]["fc2"]["status"] == "error" and body["nodes"]["act"]["status"] == "blocked"
    graph["nodes"][1]["args"] |= errors[0]["fix"]["args"]
    assert client.post("/api/v1/analyze", json=graph).json()["ok"]


def test_cycle_names_its_nodes(client: TestClient) -> None:
    graph = g("c", X, [n("a", "ReLU", "b"), n("b", "ReLU", "a"), n("c", "ReLU", "x")], ["c"])
    body, errors = errors_of(client, graph)
    assert {e["node"] for e in errors} == {"a", "b"}
    assert body["nodes"]["c"]["status"] == "ok"


def test_unknown_output_is_named(client: TestClient) -> None:
    _, errors = errors_of(client, g("o", X, [n("a", "ReLU", "x")], ["nowhere"]))
    assert errors[0]["node"] == "outputs"


@pytest.mark.parametrize("body", [
    {"nodes": []}, [], "graph", {"version": 2, "inputs": [{"id": "x", "shape": [1]}], "outputs": ["x"]},
    {"version": 1, "inputs": [{"id": "x", "shape": [0]}], "outputs": ["x"]},
    {"version": 1, "inputs": [{"id": "x", "shape": [2], "dtype": "complex64"}], "outputs": ["x"]},
    {"version": 1, "inputs": [{"id": "x", "shape": ["2"]}], "outputs": ["x"]},
])
def test_not_a_graph_is_422_in_the_one_error_shape(client: TestClient, body: Any) -> None:
    r = client.post("/api/v1/analyze", json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_body" and err["message"] and isinstance(err["details"], list)


def test_malformed_json_is_422(client: TestClient) -> None:
    r = client.post("/api/v1/analyze", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_body"


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

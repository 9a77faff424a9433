"""POST /api/v1/analyze against plain torch: every zoo design's shapes and counts, node by node."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from tests.zoo import ZOO, g, n


def analyze(client: TestClient, graph: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/v1/analyze", json=graph)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_matches_plain_torch(client: TestClient, name: str) -> None:
    graph, build_truth = ZOO[name]
    torch.manual_seed(0)
    truth = build_truth()
    got = analyze(client, graph)
    assert got["ok"], got["errors"]
    assert set(got["nodes"]) == {node["id"] for node in graph["nodes"]}
    for node_id, (shapes, params) in truth.nodes.items():
        node = got["nodes"][node_id]
        assert [o["shape"] for o in node["outputs"]] == shapes, node_id
        assert node["params"] == params, node_id
        assert node["trainable_params"] == params, node_id
    assert got["totals"]["params"] == sum(p for _, p in truth.nodes.values())


def test_outputs_follow_the_references(client: TestClient) -> None:
    graph, build_truth = ZOO["seq2seq"]
    truth = build_truth()
    got = analyze(client, graph)
    assert [o["ref"] for o in got["outputs"]] == ["head", "dec:1"]
    assert [o["shape"] for o in got["outputs"]] == [truth.nodes["head"][0][0], truth.nodes["dec"][0][1]]


def test_inferred_arguments_are_reported_resolved(client: TestClient) -> None:
    got = analyze(client, ZOO["mlp"][0])
    fc1 = got["nodes"]["fc1"]
    assert fc1["args"] == {"in_features": 784, "out_features": 128, "bias": True}
    assert fc1["inferred"] == ["in_features"]
    assert got["nodes"]["fc2"]["inferred"] == []


def test_frozen_node_counts_no_trainable_params(client: TestClient) -> None:
    graph = g("frozen", [("x", [2, 8])], [
        {**n("a", "Linear", "x", out_features=4), "trainable": False}, n("b", "Linear", "a", out_features=3)], ["b"])
    got = analyze(client, graph)
    assert got["nodes"]["a"]["params"] == 36 and got["nodes"]["a"]["trainable_params"] == 0
    assert got["totals"] | {"flops": 0} == {"params": 51, "trainable_params": 15, "flops": 0,
                                            "param_bytes": 51 * 4, "activation_bytes": (8 + 6) * 4}


@pytest.mark.parametrize("dtype,size", [("float16", 2), ("bfloat16", 2), ("float32", 4)])
def test_dtypes_flow_through_layers(client: TestClient, dtype: str, size: int) -> None:
    graph = g("half", [("x", [2, 8], dtype)], [n("fc", "Linear", "x", out_features=4)], ["fc"])
    node = analyze(client, graph)["nodes"]["fc"]
    assert node["outputs"] == [{"shape": [2, 4], "dtype": dtype}]
    assert node["param_bytes"] == 36 * size and node["activation_bytes"] == 8 * size


def test_keyword_ids_are_valid_module_names(client: TestClient) -> None:
    graph = g("kw", [("x", [1, 3, 8, 8])], [n("global", "AdaptiveAvgPool2d", "x", output_size=1)], ["global"])
    assert analyze(client, graph)["ok"]


def test_reanalysis_reuses_unchanged_nodes(client: TestClient) -> None:
    from server.analysis import shapes

    graph, _ = ZOO["cnn"]
    analyze(client, graph)
    calls: list[str] = []
    original = shapes.compute_facts

    def counting(node: Any, spec: Any, inputs: Any) -> Any:
        calls.append(node.id)
        return original(node, spec, inputs)

    shapes.compute_facts = counting
    try:
        edited = {**graph, "nodes": [dict(x) for x in graph["nodes"]]}
        edited["nodes"][-1]["args"] = {"out_features": 7}
        assert analyze(client, edited)["nodes"]["head"]["outputs"][0]["shape"] == [2, 7]
    finally:
        shapes.compute_facts = original
    assert calls == ["head"]

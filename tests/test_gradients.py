"""Gradient norms, checked against the same network built and differentiated by plain torch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from measure_zoo import (
    IMAGE_CLASSIFIER_IDS,
    chain,
    image_classifier,
    image_classifier_torch,
    inputs_for,
    measuring_client,
    mlp,
    mlp_torch,
)
from torch import nn


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with measuring_client(tmp_path_factory.mktemp("data")) as c:
        yield c


def torch_loss(kind: str, y: torch.Tensor) -> torch.Tensor:
    """The documented losses: sum; MSE against zeros; cross entropy against class i % C."""
    if kind == "sum":
        return y.sum()
    if kind == "mse":
        return F.mse_loss(y, torch.zeros_like(y))
    return F.cross_entropy(y, torch.arange(y.shape[0]) % y.shape[1])


def torch_grads(model: nn.Module, ids: list[str], graph: dict[str, Any], kind: str, seed: int
                ) -> tuple[float, dict[tuple[str, str], float | None]]:
    (x,) = inputs_for(graph, seed)
    model.train()
    torch.manual_seed(seed)
    loss = torch_loss(kind, model(x))
    loss.backward()
    norms = {}
    for node_id, layer in zip(ids, model, strict=True):
        for name, p in layer.named_parameters():
            norms[node_id, name] = None if p.grad is None else p.grad.norm().item()
    return loss.item(), norms


def measured(client: TestClient, graph: dict[str, Any], kind: str, seed: int) -> dict[str, Any]:
    r = client.post("/api/v1/gradients", json={"graph": graph, "loss": kind, "seed": seed})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


@pytest.mark.parametrize("kind", ["sum", "mse", "cross_entropy"])
def test_mlp_gradient_norms_equal_torch(client: TestClient, kind: str) -> None:
    graph = mlp()
    got = measured(client, graph, kind, seed=7)
    loss, norms = torch_grads(mlp_torch(7), ["fc1", "act", "fc2"], graph, kind, seed=7)
    assert got["loss"]["kind"] == kind
    assert got["loss"]["value"] == pytest.approx(loss, rel=1e-5)
    for (node_id, name), norm in norms.items():
        assert got["nodes"][node_id]["params"][name]["grad_norm"] == pytest.approx(norm, rel=1e-5)


def test_image_classifier_gradients_equal_torch(client: TestClient) -> None:
    """Train mode: batch norm on batch statistics, dropout drawn after manual_seed(seed)."""
    graph = image_classifier(batch=4)
    got = measured(client, graph, "cross_entropy", seed=11)
    loss, norms = torch_grads(image_classifier_torch(11), IMAGE_CLASSIFIER_IDS, graph, "cross_entropy", 11)
    assert got["loss"]["value"] == pytest.approx(loss, rel=1e-4)
    assert len(norms) == 16
    for (node_id, name), norm in norms.items():
        assert got["nodes"][node_id]["params"][name]["grad_norm"] == pytest.approx(norm, rel=1e-4, abs=1e-7)


def test_frozen_nodes_report_no_gradient(client: TestClient) -> None:
    got = measured(client, mlp(fc1={"trainable": False}), "sum", seed=0)
    fc1 = got["nodes"]["fc1"]
    assert fc1["frozen"] is True
    assert all(p["grad_norm"] is None and p["frozen"] for p in fc1["params"].values())
    model = mlp_torch(0)
    model[0].requires_grad_(False)
    _, norms = torch_grads(model, ["fc1", "act", "fc2"], mlp(), "sum", seed=0)
    assert got["nodes"]["fc2"]["params"]["weight"]["grad_norm"] == pytest.approx(norms["fc2", "weight"], rel=1e-5)


def test_flags_follow_the_stated_thresholds(client: TestClient) -> None:
    layers = [(f"fc{i}", "Linear", {"in_features": 64, "out_features": 64}) for i in range(4)]
    ones = {"init": {"weight": "ones"}}
    exploding = measured(client, chain("ones", [8, 64], layers, fc0=ones, fc1=ones, fc2=ones, fc3=ones), "sum", 0)
    zeros = {"init": {"weight": "zeros", "bias": "zeros"}}
    vanishing = measured(client, chain("zeros", [8, 64], layers, fc1=zeros, fc2=zeros), "sum", 0)
    low, high = exploding["thresholds"]["vanishing_below"], exploding["thresholds"]["exploding_above"]
    assert (low, high) == (1e-6, 1e3)
    for result in (exploding, vanishing):
        for node in result["nodes"].values():
            for p in node["params"].values():
                want = "exploding" if p["grad_norm"] > high else "vanishing" if p["grad_norm"] < low else None
                assert p["flag"] == want
    assert exploding["nodes"]["fc0"]["params"]["weight"]["flag"] == "exploding"
    # fc1 and fc2 pass nothing on: fc0's and fc1's weights get exactly zero gradient.
    assert vanishing["nodes"]["fc0"]["params"]["weight"]["grad_norm"] == 0.0
    assert vanishing["nodes"]["fc0"]["params"]["weight"]["flag"] == "vanishing"


def test_cross_entropy_needs_class_logits(client: TestClient) -> None:
    graph = chain("vector", [8, 20], [("fc", "Linear", {"out_features": 5}), ("avg", "mean", {"dim": 1})])
    r = client.post("/api/v1/gradients", json={"graph": graph, "loss": "cross_entropy"})
    assert r.status_code == 422
    assert "cross_entropy needs (N, C) logits" in r.json()["error"]["message"]

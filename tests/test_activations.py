"""Activation statistics and feature-map pictures, checked against plain torch's intermediates."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from measure_zoo import chain, inputs_for, measuring_client
from PIL import Image
from torch import nn

LAYERS = [
    ("conv", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}),
    ("relu", "ReLU", {}), ("pool", "MaxPool2d", {"kernel_size": 2}), ("flat", "Flatten", {}),
    ("fc", "Linear", {"in_features": 8 * 16 * 16, "out_features": 10}),
]
IDS = [layer[0] for layer in LAYERS]


def small_cnn(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 16 * 16, 10)).eval()


def intermediates(seed: int, graph: dict[str, Any]) -> dict[str, torch.Tensor]:
    (h,) = inputs_for(graph, seed)
    out = {}
    with torch.no_grad():
        for node_id, layer in zip(IDS, small_cnn(seed), strict=True):
            h = out[node_id] = layer(h)
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with measuring_client(tmp_path_factory.mktemp("data")) as c:
        yield c


def test_activation_stats_equal_torch(client: TestClient) -> None:
    graph = chain("cnn", [4, 3, 32, 32], LAYERS)
    r = client.post("/api/v1/activations", json={"graph": graph, "seed": 9})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "eval" and list(body["nodes"]) == IDS
    for node_id, t in intermediates(9, graph).items():
        got = body["nodes"][node_id]
        assert got["shape"] == list(t.shape)
        for key, want in (("mean", t.mean()), ("std", t.std()), ("min", t.min()), ("max", t.max())):
            assert got[key] == pytest.approx(want.item(), rel=1e-5, abs=1e-7), (node_id, key)
        assert got["zero_fraction"] == pytest.approx((t == 0).float().mean().item())
    assert 0.3 < body["nodes"]["relu"]["zero_fraction"] < 0.7


def test_dead_relus_show_as_zero_fraction_one(client: TestClient) -> None:
    """A zero-initialised layer feeds the ReLU exactly 0 everywhere: every unit is dead."""
    layers = [("fc", "Linear", {"in_features": 20, "out_features": 16}), ("relu", "ReLU", {})]
    graph = chain("dead", [8, 20], layers, fc={"init": {"weight": "zeros", "bias": "zeros"}})
    body = client.post("/api/v1/activations", json={"graph": graph}).json()
    assert body["nodes"]["relu"]["zero_fraction"] == 1.0 and body["nodes"]["relu"]["max"] == 0.0


def test_feature_map_picture(client: TestClient) -> None:
    graph = chain("cnn", [4, 3, 32, 32], LAYERS)
    r = client.post("/api/v1/activations/image", json={"graph": graph, "node": "pool", "seed": 9})
    assert r.status_code == 200, r.text
    image = Image.open(io.BytesIO(r.content))
    # 8 maps of 16x16 in a 3x3 grid at 4x with 1 px gaps: 3*65-1 = 194 px, then the 100 px scale bar.
    assert image.mode == "P" and image.size == (8 + 194 + 8 + 100, 22 + 194 + 8)
    assert r.headers["x-torchcanvas-note"].startswith("first 8 of 8 maps, 16x16 at 4x")
    maps = intermediates(9, graph)["pool"][0]
    vmax = maps.abs().max()
    # Palette index 126 is zero, 0 is -max and 252 is +max (253 levels).
    for c, (y, x) in ((0, (0, 0)), (4, (5, 9)), (7, (15, 15))):
        row, col = divmod(c, 3)
        want = int(torch.round(maps[c, y, x] / vmax * 126)) + 126
        assert image.getpixel((8 + col * 65 + x * 4, 22 + row * 65 + y * 4)) == want


def test_unknown_node_is_named(client: TestClient) -> None:
    graph = chain("cnn", [1, 3, 32, 32], LAYERS)
    r = client.post("/api/v1/activations/image", json={"graph": graph, "node": "nope"})
    assert r.status_code == 422 and "'nope'" in r.json()["error"]["message"]


def test_a_vector_activation_is_a_heatmap(client: TestClient) -> None:
    graph = chain("cnn", [4, 3, 32, 32], LAYERS)
    r = client.post("/api/v1/activations/image", json={"graph": graph, "node": "fc", "seed": 9})
    assert r.status_code == 200, r.text
    # Sample 0's 10 values as a 1x10 strip, square pixels at 256 // 10 = 25x, then the scale bar.
    assert Image.open(io.BytesIO(r.content)).size == (8 + 250 + 8 + 100, 22 + 25 + 8)
    assert r.headers["x-torchcanvas-note"] == "1x10 shown pixel for pixel"

"""The gallery: every template is a valid design whose counts equal the plain torch module it draws."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from fastapi.testclient import TestClient
from torch import nn

from server.analysis import analyze
from server.gallery import templates
from server.graph import GraphIn


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def image_classifier() -> nn.Module:
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2, 2)]

    return nn.Sequential(
        *block(3, 32), *block(32, 64), *block(64, 128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10),
    )


def residual_block() -> nn.Module:
    return nn.ModuleList([
        nn.Conv2d(64, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128),
        nn.Conv2d(128, 128, 3, 1, 1, bias=False), nn.BatchNorm2d(128),
        nn.Conv2d(64, 128, 1, 2, bias=False), nn.BatchNorm2d(128),
    ])


def transformer_block() -> nn.Module:
    return nn.ModuleList([
        nn.MultiheadAttention(256, 8, batch_first=True), nn.LayerNorm(256),
        nn.Linear(256, 1024), nn.Linear(1024, 256), nn.LayerNorm(256),
    ])


TRUTH: dict[str, Callable[[], nn.Module]] = {
    "sequential_mlp": lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                            nn.Linear(64, 10)),
    "mlp_dropout": lambda: nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 128), nn.Linear(128, 10)),
    "image_classifier": image_classifier,
    "residual_block": residual_block,
    "lstm": lambda: nn.ModuleList([nn.LSTM(100, 128, 2, batch_first=True), nn.Linear(128, 10)]),
    "seq2seq": lambda: nn.ModuleList([nn.LSTM(16, 64, 2, batch_first=True), nn.LSTM(12, 64, 2, batch_first=True),
                                      nn.Linear(64, 12)]),
    "multihead_attention": lambda: nn.MultiheadAttention(512, 8, batch_first=True),
    "transformer_encoder_block": transformer_block,
}


def test_every_template_has_a_truth() -> None:
    assert set(templates()) == set(TRUTH)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_template_analyses_and_counts_like_torch(name: str) -> None:
    result = analyze(GraphIn.model_validate(templates()[name].design)).to_json()
    assert result["ok"], result["errors"]
    assert result["totals"]["params"] == _count(TRUTH[name]())
    for item in [*templates()[name].design["inputs"], *templates()[name].design["nodes"]]:
        assert set(item["ui"]) == {"x", "y"}, f"{item['id']} has no canvas position"


def test_image_classifier_is_the_tutorials() -> None:
    assert _count(image_classifier()) == 129_290
    design = GraphIn.model_validate(templates()["image_classifier"].design)
    result = analyze(design).to_json()
    with torch.no_grad():
        expected = image_classifier()(torch.zeros(32, 3, 32, 32)).shape
    assert result["outputs"][0]["shape"] == list(expected)


def test_seq2seq_decoder_starts_from_the_encoder_state() -> None:
    nodes = {n["id"]: n for n in templates()["seq2seq"].design["nodes"]}
    assert nodes["decoder"]["inputs"] == ["tgt", "encoder:1", "encoder:2"]


def test_templates_over_http(client: TestClient) -> None:
    listing = client.get("/api/v1/templates").json()
    assert [t["name"] for t in listing] == sorted(TRUTH)
    assert all(t["title"] and t["description"] for t in listing)
    design = client.get("/api/v1/templates/image_classifier").json()
    assert client.post("/api/v1/analyze", json=design).json()["totals"]["params"] == 129_290


def test_unknown_template_is_a_404_naming_the_choices(client: TestClient) -> None:
    res = client.get("/api/v1/templates/../../etc/passwd")
    assert res.status_code == 404
    res = client.get("/api/v1/templates/nope")
    assert res.status_code == 404
    assert res.json()["error"]["code"] == "not_found"
    assert "image_classifier" in res.json()["error"]["message"]

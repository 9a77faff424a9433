"""Weights uploaded into a saved design: checked name by name and shape by shape, all or nothing,
never unpickling code; `load_state` hands them to whoever runs the design."""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from export_zoo import MLP, database_params, settings_for
from fastapi.testclient import TestClient
from safetensors.torch import load, save
from torch import nn

from server.api.app import create_app
from server.builder import build, example_inputs
from server.errors import Conflict
from server.graph import GraphIn
from server.settings import Settings
from server.weights_upload import load_state


@pytest.fixture(params=database_params())
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(tmp_path, request.param)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """Started and stopped with its lifespan: uploads are read in a worker process, which stops with it."""
    with TestClient(create_app(settings)) as c:
        yield c


def plain_mlp(seed: int) -> nn.Module:
    """The design's network written in plain torch, with its own (different) weights."""
    torch.manual_seed(seed)
    return nn.ModuleDict({"fc1": nn.Linear(784, 128), "relu1": nn.ReLU(), "drop": nn.Dropout(0.2),
                          "fc2": nn.Linear(128, 10)})


def saved(client: TestClient, design: dict[str, Any] = MLP) -> str:
    r = client.post("/api/v1/designs", json={"graph": design})
    assert r.status_code == 201
    return str(r.json()["id"])


def put(client: TestClient, did: str, data: bytes, fmt: str = "safetensors") -> Any:
    return client.put(f"/api/v1/designs/{did}/weights?format={fmt}", content=data)


def test_uploaded_weights_drive_the_design(client: TestClient, settings: Settings) -> None:
    did = saved(client)
    plain = plain_mlp(123)
    r = put(client, did, save(plain.state_dict()))
    assert r.status_code == 200, r.text
    params = sum(p.numel() for p in plain.parameters())
    assert r.json() == {"id": did, "version": 1, "tensors": 4, "params": params}
    assert client.get(f"/api/v1/designs/{did}").json()["has_weights"] is True
    state = load_state(did, settings)
    assert state is not None
    model = build(GraphIn.model_validate(MLP)).eval()
    model.load_state_dict(state, strict=True)
    x = example_inputs(GraphIn.model_validate(MLP))[0]
    with torch.no_grad():
        truth = plain["fc2"](torch.relu(plain["fc1"](x)))
        assert torch.equal(model(x), truth)
    downloaded = load(client.get(f"/api/v1/designs/{did}/weights").content)
    assert all(torch.equal(downloaded[k], v) for k, v in plain.state_dict().items())


@pytest.mark.parametrize("nest", [None, "state_dict", "model_state_dict"])
def test_pt_state_dicts_and_checkpoints(client: TestClient, settings: Settings, nest: str | None) -> None:
    did = saved(client)
    plain = plain_mlp(5)
    buf = io.BytesIO()
    torch.save(plain.state_dict() if nest is None else {nest: plain.state_dict(), "epoch": 3}, buf)
    assert put(client, did, buf.getvalue(), "pt").status_code == 200
    state = load_state(did, settings)
    assert state is not None and torch.equal(state["fc1.weight"], plain.state_dict()["fc1.weight"])


class Payload:
    """A pickle that would run code when loaded unsafely."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_pickled_code_is_refused_and_never_runs(client: TestClient, tmp_path: Path) -> None:
    did = saved(client)
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"fc1.weight": Payload(marker)}, buf)
    r = put(client, did, buf.getvalue(), "pt")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_weights"
    assert not marker.exists()
    assert put(client, did, b"not a safetensors file").status_code == 422


def test_mismatches_are_all_reported_and_nothing_is_applied(client: TestClient, settings: Settings) -> None:
    did = saved(client)
    good = plain_mlp(1).state_dict()
    assert put(client, did, save(good)).status_code == 200
    bad = {k: v for k, v in plain_mlp(2).state_dict().items() if k != "fc2.bias"}
    bad["fc1.weight"] = torch.zeros(64, 784)
    bad["fc3.weight"] = torch.zeros(1)
    r = put(client, did, save(bad))
    assert r.status_code == 422
    got = {(d["name"], d["problem"]) for d in r.json()["error"]["details"]}
    assert got == {("fc1.weight", "shape"), ("fc2.bias", "missing"), ("fc3.weight", "unexpected")}
    state = load_state(did, settings)
    assert state is not None and all(torch.equal(state[k], v) for k, v in good.items())


def test_size_limit_is_413(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path, max_upload_bytes=1000)))
    did = saved(client)
    r = put(client, did, save(plain_mlp(0).state_dict()))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_weights_follow_design_edits_only_while_they_fit(client: TestClient, settings: Settings) -> None:
    did = saved(client)
    assert put(client, did, save(plain_mlp(0).state_dict())).status_code == 200
    renamed = {**copy.deepcopy(MLP), "name": "renamed"}
    assert client.put(f"/api/v1/designs/{did}", json={"graph": renamed, "base_version": 1}).status_code == 200
    assert load_state(did, settings) is not None
    wider = copy.deepcopy(MLP)
    wider["nodes"][3]["args"]["out_features"] = 5
    assert client.put(f"/api/v1/designs/{did}", json={"graph": wider, "base_version": 2}).status_code == 200
    with pytest.raises(Conflict):
        load_state(did, settings)


def test_missing_things_are_404(client: TestClient, settings: Settings) -> None:
    did = saved(client)
    assert load_state(did, settings) is None
    assert client.get(f"/api/v1/designs/{did}/weights").status_code == 404
    assert put(client, "no-such-design", save(plain_mlp(0).state_dict())).status_code == 404
    assert put(client, did, save(plain_mlp(0).state_dict())).status_code == 200
    assert client.delete(f"/api/v1/designs/{did}/weights").status_code == 204
    assert client.get(f"/api/v1/designs/{did}/weights").status_code == 404


def test_measuring_with_design_id_uses_the_uploaded_weights(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        did = saved(client)
        state = plain_mlp(0).state_dict()
        state["fc1.weight"] = torch.full((128, 784), 0.5)
        assert put(client, did, save(state)).status_code == 200
        uploaded = client.post("/api/v1/weights/stats", json={"graph": MLP, "design_id": did})
        assert uploaded.status_code == 200, uploaded.text
        stats = uploaded.json()["nodes"]["fc1"]["params"]["weight"]
        assert stats["mean"] == 0.5 and stats["std"] == 0
        seeded = client.post("/api/v1/weights/stats", json={"graph": MLP}).json()["nodes"]["fc1"]["params"]
        assert seeded["weight"]["mean"] != 0.5
        wider = copy.deepcopy(MLP)
        wider["nodes"][3]["args"]["out_features"] = 5
        r = client.post("/api/v1/weights/stats", json={"graph": wider, "design_id": did})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["name"] == "fc2.weight"
        missing = client.post("/api/v1/weights/stats", json={"graph": MLP, "design_id": "nope"})
        assert missing.status_code == 404

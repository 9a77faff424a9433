"""Export: the generated class loads the exported weights strictly and matches the server's model
exactly; the code parses, passes ruff and runs as a script; ONNX passes onnx.checker."""

from __future__ import annotations

import ast
import importlib.util
import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from export_zoo import ATTENTION, MLP, SEQ2SEQ, ZOO, graph, n, x
from fastapi.testclient import TestClient
from onnx.reference import ReferenceEvaluator
from safetensors.torch import load
from torch import nn
from zoo import ZOO as ENGINE_ZOO

from server.api.app import create_app
from server.builder import build, example_inputs
from server.export.python_code import class_name, literal, python_module
from server.export.weights import WeightsFormat, state_dict, weights_bytes
from server.graph import GraphIn
from server.registry import REGISTRY
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RUFF_RULES = ["--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "--line-length", "110"]


def import_source(code: str, where: Path) -> ModuleType:
    path = where / "exported.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(code))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outputs(model: nn.Module, inputs: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        out = model(*inputs)
    return out if isinstance(out, tuple) else (out,)


EVERY_DESIGN = {**{f"engine zoo {k}": g for k, (g, _) in ENGINE_ZOO.items()}, **ZOO}


def test_the_designs_use_every_registered_op() -> None:
    used = {node["op"] for g in EVERY_DESIGN.values() for node in g["nodes"]}
    assert set(REGISTRY) - used == set(), "add a design using these ops to tests/export_zoo.py"


@pytest.mark.parametrize("name", list(EVERY_DESIGN))
def test_exported_class_matches_server_model(name: str, tmp_path: Path) -> None:
    design = GraphIn.model_validate(EVERY_DESIGN[name])
    code = python_module(design)
    ast.parse(code)
    module = import_source(code, tmp_path)
    assert module.__all__ == [class_name(design.name)]
    exported = getattr(module, module.__all__[0])()
    weights = weights_bytes(state_dict(design), WeightsFormat.safetensors)
    exported.load_state_dict(load(weights), strict=True)
    server = build(design).eval()
    inputs = example_inputs(design, seed=3)
    got, want = outputs(exported.eval(), inputs), outputs(server, inputs)
    assert len(got) == len(want) == len(design.outputs)
    assert all(torch.equal(a, b) for a, b in zip(got, want, strict=True))
    frozen = {k for k, p in exported.named_parameters() if not p.requires_grad}
    assert frozen == {k for k, p in server.named_parameters() if not p.requires_grad}


def test_init_and_frozen_are_written_into_the_class(tmp_path: Path) -> None:
    module = import_source(python_module(GraphIn.model_validate(ZOO["frozen head"])), tmp_path)
    model = module.FrozenHead()
    assert torch.equal(model.head.weight, torch.ones(4, 8)) and torch.equal(model.body.bias, torch.zeros(8))
    assert not model.head.weight.requires_grad and model.body.weight.requires_grad


class TutorialMLP(nn.Module):
    """The tutorial's MLP written by hand, with the design's attribute names."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.relu1 = nn.ReLU()
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.relu1(self.fc1(x))))


class TutorialSeq2Seq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.LSTM(5, 16, 2, batch_first=True)
        self.decoder = nn.LSTM(3, 16, 2, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        _, (hidden, cell) = self.encoder(src)
        out, _ = self.decoder(tgt, (hidden, cell))
        return self.head(out)


@pytest.mark.parametrize(("design", "plain"), [(MLP, TutorialMLP), (SEQ2SEQ, TutorialSeq2Seq)])
def test_weights_file_loads_into_hand_written_torch(client: TestClient, design: dict[str, Any],
                                                   plain: type[nn.Module]) -> None:
    r = client.post("/api/v1/export/weights", json={"graph": design})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    model = plain().eval()
    model.load_state_dict(load(r.content), strict=True)
    g = GraphIn.model_validate(design)
    inputs = example_inputs(g)
    assert torch.equal(outputs(model, inputs)[0], outputs(build(g).eval(), inputs)[0])


def test_generated_code_passes_ruff(tmp_path: Path) -> None:
    for i, design in enumerate(EVERY_DESIGN.values()):
        (tmp_path / f"design_{i}.py").write_text(python_module(GraphIn.model_validate(design)))
    for rules in ([], RUFF_RULES):
        ruff = subprocess.run([ROOT / ".venv/bin/ruff", "check", *rules, str(tmp_path)], capture_output=True,
                              text=True, check=False)
        assert ruff.returncode == 0, ruff.stdout


@pytest.mark.parametrize("design", [MLP, ATTENTION])
def test_running_the_module_prints_its_summary(design: dict[str, Any], tmp_path: Path) -> None:
    g = GraphIn.model_validate(design)
    path = tmp_path / "model.py"
    path.write_text(python_module(g))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True)
    model = build(g)
    total = sum(p.numel() for p in model.parameters())
    assert f"parameters: {total:,} (trainable: {total:,})" in run.stdout
    shape = tuple(outputs(model.eval(), example_inputs(g))[0].shape)
    assert f"shape: {shape}" in run.stdout
    assert f"({design['nodes'][0]['id']}): " in run.stdout  # print(model) lists the layers


def test_user_text_never_becomes_code(tmp_path: Path) -> None:
    hostile = '"""\nimport os\nos.system("echo pwned")\n"""'
    design = GraphIn.model_validate({**MLP, "name": hostile})
    code = python_module(design)
    tree = ast.parse(code)
    imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert imported == {"torch"} and "os.system" not in code
    assert class_name(hostile) == "ImportOsOsSystemEchoPwned"
    for value in ["'); import os; ('", 'a"b\\', "\n\u2028", float("inf"), -0.0, (1,), [True, None, 2.5]]:
        assert repr(eval(literal(value), {})) == repr(value)  # literals only: no names, no calls but float()


def test_python_endpoint(client: TestClient) -> None:
    r = client.post("/api/v1/export/python", json={"graph": ZOO["residual block"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/x-python")
    assert r.headers["content-disposition"] == 'attachment; filename="residual_block.py"'
    assert "class ResidualBlock(nn.Module):" in r.text


def test_broken_design_is_422_naming_the_node(client: TestClient) -> None:
    broken = {**MLP, "nodes": [*MLP["nodes"], n("extra", "Linear", ["fc2"], in_features=3, out_features=2)]}
    for kind in ("python", "weights", "onnx"):
        r = client.post(f"/api/v1/export/{kind}", json={"graph": broken})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["node"] == "extra"


def test_pt_and_seed(client: TestClient) -> None:
    pt = client.post("/api/v1/export/weights", json={"graph": MLP, "format": "pt"})
    assert pt.headers["content-disposition"].endswith('mlp.pt"')
    state = torch.load(io.BytesIO(pt.content), weights_only=True)
    st = load(client.post("/api/v1/export/weights", json={"graph": MLP}).content)
    assert state.keys() == st.keys() and all(torch.equal(state[k], st[k]) for k in st)
    other = load(client.post("/api/v1/export/weights", json={"graph": MLP, "seed": 5}).content)
    assert not torch.equal(other["fc1.weight"], st["fc1.weight"])
    assert torch.equal(other["fc1.weight"], state_dict(GraphIn.model_validate(MLP), seed=5)["fc1.weight"])


@pytest.mark.parametrize("name", ["residual block", "seq2seq", "attention", "tensor ops"])
def test_onnx_passes_the_checker_and_computes_the_same(client: TestClient, name: str) -> None:
    r = client.post("/api/v1/export/onnx", json={"graph": ZOO[name]})
    assert r.status_code == 200, r.text
    model = onnx.load_from_string(r.content)
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == [i["id"] for i in ZOO[name]["inputs"]]
    assert [o.name for o in model.graph.output] == ZOO[name]["outputs"]
    design = GraphIn.model_validate(ZOO[name])
    inputs = example_inputs(design)
    got = ReferenceEvaluator(model).run(None, {i.id: x.numpy() for i, x in zip(design.inputs, inputs, strict=True)})
    want = outputs(build(design).eval(), inputs)
    assert all(np.allclose(a, b.numpy(), rtol=1e-4, atol=1e-5) for a, b in zip(got, want, strict=True))


def test_onnx_names_the_layers_it_cannot_export(client: TestClient) -> None:
    nodes = [n("fc", "Linear", ["x"], out_features=4), n("norm", "RMSNorm", ["fc"])]
    design = graph("rms", [x([2, 8])], nodes, ["norm"])
    r = client.post("/api/v1/export/onnx", json={"graph": design})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "not_exportable" and "norm (RMSNorm)" in err["message"]
    assert [d["node"] for d in err["details"]] == ["norm"]


def test_export_size_limit(tmp_path: Path) -> None:
    small = TestClient(create_app(Settings(data_dir=tmp_path, max_export_bytes=1000)))
    for kind in ("weights", "onnx"):
        r = small.post(f"/api/v1/export/{kind}", json={"graph": MLP})
        assert r.status_code == 422 and r.json()["error"]["code"] == "limit_exceeded"
    assert small.post("/api/v1/export/python", json={"graph": MLP}).status_code == 200

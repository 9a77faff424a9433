"""The registry is the one list of ops: every tutorial layer is there, with a schema the canvas can
build forms from, and names outside it are never looked up."""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient
from torch import nn

from server.registry import REGISTRY

TUTORIAL = """Linear Conv1d Conv2d ConvTranspose2d MaxPool2d AvgPool2d AdaptiveAvgPool2d LSTM GRU RNN
MultiheadAttention ReLU LeakyReLU ELU GELU SiLU Tanh Sigmoid Softmax Dropout BatchNorm1d BatchNorm2d LayerNorm
GroupNorm InstanceNorm2d Flatten Embedding Identity Conv3d ConvTranspose1d MaxPool1d AvgPool1d AdaptiveAvgPool1d
AdaptiveMaxPool2d Upsample PixelShuffle Unflatten TransformerEncoderLayer TransformerDecoderLayer PReLU Softplus
Mish Hardswish LogSoftmax Dropout2d BatchNorm3d InstanceNorm1d RMSNorm add mul matmul cat reshape permute
transpose mean""".split()


def test_every_tutorial_layer_and_tensor_op_is_registered() -> None:
    assert set(TUTORIAL) <= set(REGISTRY)


@pytest.mark.parametrize("name", sorted(n for n, s in REGISTRY.items() if s.kind == "module"))
def test_module_args_are_the_constructor_keywords(name: str) -> None:
    spec = REGISTRY[name]
    assert spec.cls is getattr(nn, name)
    params = inspect.signature(spec.cls.__init__ if spec.cls.__init__ is not nn.Module.__init__ else spec.cls)
    names = set(params.parameters) | {"input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                                       "bidirectional", "proj_size", "nonlinearity"}
    assert {a.name for a in spec.args} <= names
    for arg in spec.args:
        if not arg.required:
            default = params.parameters.get(arg.name)
            if default is not None and isinstance(default.default, int | float | bool | str):
                assert arg.default == default.default, arg.name


def test_ops_endpoint_gives_forms_their_schema(client: TestClient) -> None:
    body = client.get("/api/v1/ops").json()
    ops = {op["name"]: op for op in body["ops"]}
    assert set(body["categories"]) >= {"linear", "convolution", "pooling", "recurrent", "attention", "activation",
                                       "normalization", "regularization", "structure", "tensor"}
    linear = {a["name"]: a for a in ops["Linear"]["args"]}
    assert linear["in_features"] | {"doc": ""} == {"name": "in_features", "type": "int", "default": None,
                                                   "required": False, "nullable": False, "choices": None, "min": 1,
                                                   "max": None, "doc": "", "inferred": True}
    assert linear["out_features"]["required"] is True
    assert linear["bias"]["type"] == "bool" and linear["bias"]["default"] is True
    conv = {a["name"]: a for a in ops["Conv2d"]["args"]}
    assert conv["padding_mode"]["choices"] == ["zeros", "reflect", "replicate", "circular"]
    assert conv["kernel_size"]["type"] == "int_or_tuple"
    assert [p["name"] for p in ops["LSTM"]["inputs"]] == ["input", "h_0", "c_0"]
    assert ops["LSTM"]["outputs"] == ["output", "h_n", "c_n"]
    assert ops["cat"]["inputs"] == [{"name": "tensors", "optional": False, "variadic": True}]
    assert all(op["doc"] for op in body["ops"])


@pytest.mark.parametrize("op", ["__import__", "os.system", "torch.nn.Linear", "nn.Linear", "Module", "Sequential",
                                "eval", "getattr", "Linear.__init__"])
def test_unregistered_names_are_design_errors(client: TestClient, op: str) -> None:
    graph = {"version": 1, "inputs": [{"id": "x", "shape": [2, 3]}],
             "nodes": [{"id": "a", "op": op, "inputs": ["x"]}], "outputs": ["a"]}
    body = client.post("/api/v1/analyze", json=graph).json()
    assert body["ok"] is False and body["errors"][0]["node"] == "a"
    assert "unknown op" in body["errors"][0]["message"]

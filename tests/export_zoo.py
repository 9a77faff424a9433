"""A zoo of small designs (graph format v1) for the export, storage and weights tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings


def graph(name: str, inputs: list[dict[str, Any]], nodes: list[dict[str, Any]], outputs: list[str],
          seed: int = 0) -> dict[str, Any]:
    return {"version": 1, "name": name, "seed": seed, "inputs": inputs, "nodes": nodes, "outputs": outputs}


def x(shape: list[int], name: str = "x", dtype: str = "float32") -> dict[str, Any]:
    return {"id": name, "shape": shape, "dtype": dtype}


def n(node_id: str, op: str, inputs: list[str], **args: Any) -> dict[str, Any]:
    return {"id": node_id, "op": op, "args": args, "inputs": inputs}


MLP = graph("mlp", [x([4, 784])], [
    n("fc1", "Linear", ["x"], out_features=128), n("relu1", "ReLU", ["fc1"]),
    n("drop", "Dropout", ["relu1"], p=0.2), n("fc2", "Linear", ["drop"], out_features=10),
], ["fc2"])

RESIDUAL = graph("residual block", [x([2, 8, 16, 16])], [
    n("conv1", "Conv2d", ["x"], out_channels=16, kernel_size=3, stride=2, padding=1, bias=False),
    n("bn1", "BatchNorm2d", ["conv1"]), n("relu1", "ReLU", ["bn1"]),
    n("conv2", "Conv2d", ["relu1"], out_channels=16, kernel_size=3, padding=1, bias=False),
    n("bn2", "BatchNorm2d", ["conv2"]),
    n("short_conv", "Conv2d", ["x"], out_channels=16, kernel_size=1, stride=2, bias=False),
    n("short_bn", "BatchNorm2d", ["short_conv"]),
    n("sum", "add", ["bn2", "short_bn"]), n("out", "ReLU", ["sum"]),
], ["out"])

SEQ2SEQ = graph("seq2seq", [x([2, 7, 5], "src"), x([2, 6, 3], "tgt")], [
    n("encoder", "LSTM", ["src"], hidden_size=16, num_layers=2, batch_first=True),
    n("decoder", "LSTM", ["tgt", "encoder:1", "encoder:2"], hidden_size=16, num_layers=2, batch_first=True),
    n("head", "Linear", ["decoder"], out_features=3),
], ["head"])

ATTENTION = graph("attention", [x([2, 6], "tokens", "int64")], [
    n("embed", "Embedding", ["tokens"], num_embeddings=50, embedding_dim=32),
    n("attn", "MultiheadAttention", ["embed"], num_heads=4, batch_first=True),
    n("norm", "LayerNorm", ["attn"]), n("pool", "mean", ["norm"], dim=1),
    n("head", "Linear", ["pool"], out_features=5),
], ["head", "attn:1"])

TENSOR_OPS = graph("tensor ops", [x([2, 3, 4, 4])], [
    n("flat", "Flatten", ["x"]), n("fc", "Linear", ["flat"], out_features=12),
    n("shaped", "reshape", ["fc"], shape=[2, 3, 4]), n("swap", "transpose", ["shaped"], dim0=1, dim1=2),
    n("perm", "permute", ["swap"], dims=[0, 2, 1]), n("prod", "mul", ["perm", "shaped"]),
    n("both", "cat", ["prod", "shaped", "perm"], dim=1),
    n("gru", "GRU", ["both"], hidden_size=6, batch_first=True),
    n("gru_t", "transpose", ["gru"], dim0=1, dim1=2), n("mm", "matmul", ["gru", "gru_t"]),
    n("last", "mean", ["gru:1"]),
], ["mm", "both", "last"])

FROZEN = graph("frozen head", [x([3, 10])], [
    {**n("body", "Linear", ["x"], out_features=8), "init": {"weight": "xavier_uniform", "bias": "zeros"}},
    n("act", "GELU", ["body"]),
    {**n("head", "Linear", ["act"], out_features=4), "trainable": False, "init": {"weight": "ones"}},
], ["head"], seed=7)

# Ids that would shadow the names generated code relies on (torch, nn, builtins).
SHADOWING = graph("shadowing names", [x([2, 6], "nn")], [
    n("torch", "Linear", ["nn"], out_features=6), n("sum", "add", ["torch", "nn"]),
    n("print", "Tanh", ["sum"]), n("unused", "Linear", ["nn"], out_features=3),
], ["print"])

SMALL_LAYERS = graph("small layers", [x([2, 3, 8, 8])], [
    n("pool", "AvgPool2d", ["x"], kernel_size=2), n("elu", "ELU", ["pool"], alpha=0.5),
    n("same", "Identity", ["elu"]), n("silu", "SiLU", ["same"]), n("gate", "Sigmoid", ["silu"]),
    n("probs", "Softmax", ["gate"], dim=1),
], ["probs"])

ZOO = {g["name"]: g for g in (MLP, RESIDUAL, SEQ2SEQ, ATTENTION, TENSOR_OPS, FROZEN, SHADOWING, SMALL_LAYERS)}


def database_params() -> list[Any]:
    """SQLite always; PostgreSQL too when TORCHCANVAS_TEST_DATABASE_URL names one."""
    params: list[Any] = [pytest.param("", id="sqlite")]
    url = os.environ.get("TORCHCANVAS_TEST_DATABASE_URL")
    if url:
        params.append(pytest.param(url, id="postgresql"))
    return params


def settings_for(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)

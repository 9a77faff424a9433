"""Designs the benchmarks share: built as graph format v1 dicts, sized like real networks."""

from __future__ import annotations

from typing import Any


def gpt2_medium(batch: int = 8, seq: int = 512, layers: int = 24) -> dict[str, Any]:
    """Embedding 50257x1024, 24 encoder layers (1024, 16 heads, 4096), Linear 1024->50257."""
    nodes: list[dict[str, Any]] = [
        {"id": "tok", "op": "Embedding", "args": {"num_embeddings": 50257, "embedding_dim": 1024}, "inputs": ["ids"]}
    ]
    prev = "tok"
    for i in range(layers):
        nodes.append({"id": f"block{i}", "op": "TransformerEncoderLayer", "inputs": [prev],
                      "args": {"nhead": 16, "dim_feedforward": 4096, "batch_first": True}})
        prev = f"block{i}"
    nodes.append({"id": "lm_head", "op": "Linear", "args": {"out_features": 50257}, "inputs": [prev]})
    return {"version": 1, "name": "gpt2_medium", "inputs": [{"id": "ids", "shape": [batch, seq], "dtype": "int64"}],
            "nodes": nodes, "outputs": ["lm_head"]}


def chain(length: int = 1000, width: int = 64) -> dict[str, Any]:
    """A long chain alternating Linear, LayerNorm and GELU, every layer distinct in size."""
    nodes: list[dict[str, Any]] = []
    prev = "x"
    for i in range(length):
        kind = i % 3
        if kind == 0:
            node = {"op": "Linear", "args": {"out_features": width + (i % 7)}}
        elif kind == 1:
            node = {"op": "LayerNorm", "args": {}}
        else:
            node = {"op": "GELU", "args": {}}
        nodes.append({"id": f"n{i}", "inputs": [prev], **node})
        prev = f"n{i}"
    return {"version": 1, "name": "chain", "inputs": [{"id": "x", "shape": [16, width], "dtype": "float32"}],
            "nodes": nodes, "outputs": [prev]}


def image_classifier(batch: int = 32) -> dict[str, Any]:
    """The tutorial's ImageClassifier: three conv blocks, global pooling, a two-layer head."""
    nodes: list[dict[str, Any]] = []
    prev = "x"
    for i, out in enumerate((32, 64, 128), start=1):
        nodes += [
            {"id": f"conv{i}", "op": "Conv2d", "args": {"out_channels": out, "kernel_size": 3, "padding": 1},
             "inputs": [prev]},
            {"id": f"bn{i}", "op": "BatchNorm2d", "inputs": [f"conv{i}"]},
            {"id": f"relu{i}", "op": "ReLU", "inputs": [f"bn{i}"]},
            {"id": f"pool{i}", "op": "MaxPool2d", "args": {"kernel_size": 2}, "inputs": [f"relu{i}"]},
        ]
        prev = f"pool{i}"
    nodes += [
        {"id": "gap", "op": "AdaptiveAvgPool2d", "args": {"output_size": 1}, "inputs": [prev]},
        {"id": "flatten", "op": "Flatten", "inputs": ["gap"]},
        {"id": "fc1", "op": "Linear", "args": {"out_features": 256}, "inputs": ["flatten"]},
        {"id": "relu_fc", "op": "ReLU", "inputs": ["fc1"]},
        {"id": "dropout", "op": "Dropout", "args": {"p": 0.5}, "inputs": ["relu_fc"]},
        {"id": "fc2", "op": "Linear", "args": {"out_features": 10}, "inputs": ["dropout"]},
    ]
    return {"version": 1, "name": "image_classifier", "inputs": [{"id": "x", "shape": [batch, 3, 32, 32]}],
            "nodes": nodes, "outputs": ["fc2"]}

"""Designs for the measuring tests, each next to the same network built by hand in plain torch.

A hand-built network makes its layers in the design's node order right after
`torch.manual_seed(seed)`, so its weights equal the server's; its inputs follow the documented
convention (N(0, 1) from `torch.Generator().manual_seed(seed)`, one input after another).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn


def node(node_id: str, op: str, src: str, trainable: bool = True, init: dict[str, str] | None = None,
         **args: Any) -> dict[str, Any]:
    return {"id": node_id, "op": op, "inputs": [src], "args": args, "trainable": trainable, "init": init or {}}


def design(name: str, shape: list[int], nodes: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    return {"version": 1, "name": name, "seed": seed, "inputs": [{"id": "x", "shape": shape}],
            "nodes": nodes, "outputs": [nodes[-1]["id"]]}


def chain(name: str, shape: list[int], layers: list[tuple[str, str, dict[str, Any]]], seed: int = 0,
          **per_node: dict[str, Any]) -> dict[str, Any]:
    """A straight chain; `per_node[id]` adds fields (trainable, init) to one node."""
    nodes, src = [], "x"
    for node_id, op, args in layers:
        nodes.append({**node(node_id, op, src, **args), **per_node.get(node_id, {})})
        src = node_id
    return design(name, shape, nodes, seed)


IMAGE_CLASSIFIER = [
    ("conv1", "Conv2d", {"in_channels": 3, "out_channels": 32, "kernel_size": 3, "padding": 1}),
    ("bn1", "BatchNorm2d", {"num_features": 32}), ("relu1", "ReLU", {"inplace": True}),
    ("pool1", "MaxPool2d", {"kernel_size": 2, "stride": 2}),
    ("conv2", "Conv2d", {"in_channels": 32, "out_channels": 64, "kernel_size": 3, "padding": 1}),
    ("bn2", "BatchNorm2d", {"num_features": 64}), ("relu2", "ReLU", {"inplace": True}),
    ("pool2", "MaxPool2d", {"kernel_size": 2, "stride": 2}),
    ("conv3", "Conv2d", {"in_channels": 64, "out_channels": 128, "kernel_size": 3, "padding": 1}),
    ("bn3", "BatchNorm2d", {"num_features": 128}), ("relu3", "ReLU", {"inplace": True}),
    ("pool3", "MaxPool2d", {"kernel_size": 2, "stride": 2}),
    ("gap", "AdaptiveAvgPool2d", {"output_size": [1, 1]}), ("flatten", "Flatten", {}),
    ("fc1", "Linear", {"in_features": 128, "out_features": 256}), ("relu_fc", "ReLU", {"inplace": True}),
    ("dropout", "Dropout", {"p": 0.5}), ("fc2", "Linear", {"in_features": 256, "out_features": 10}),
]
IMAGE_CLASSIFIER_IDS = [layer[0] for layer in IMAGE_CLASSIFIER]


def image_classifier(batch: int = 32, seed: int = 0) -> dict[str, Any]:
    """The tutorial's ImageClassifier as a design."""
    return chain("image_classifier", [batch, 3, 32, 32], IMAGE_CLASSIFIER, seed)


def image_classifier_torch(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(128, 256), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(256, 10),
    )


def mlp(batch: int = 8, seed: int = 0, **per_node: dict[str, Any]) -> dict[str, Any]:
    layers = [("fc1", "Linear", {"in_features": 20, "out_features": 64}), ("act", "ReLU", {}),
              ("fc2", "Linear", {"in_features": 64, "out_features": 10})]
    return chain("mlp", [batch, 20], layers, seed, **per_node)


def mlp_torch(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))


def inputs_for(graph: dict[str, Any], seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(tuple(i["shape"]), generator=gen) for i in graph["inputs"]]


@contextmanager
def measuring_client(data_dir: Path, **settings: Any) -> Iterator[Any]:
    """An app with one worker (cheap to start) unless told otherwise."""
    from fastapi.testclient import TestClient  # here, so that bench/gpu_check.py needs no FastAPI

    from server.api.app import create_app
    from server.settings import Settings

    values = {"data_dir": data_dir, "workers": 1, "worker_threads": 1, **settings}
    with TestClient(create_app(Settings(**values))) as client:
        yield client

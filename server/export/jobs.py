"""Export jobs for the worker processes: building weights (and tracing ONNX) makes real tensors,
which the web process never does."""

from __future__ import annotations

from typing import Any

from server.export.onnx import onnx_bytes
from server.export.weights import WeightsFormat, weights_file
from server.graph import GraphIn


def weights_job(payload: dict[str, Any]) -> bytes:
    graph = GraphIn.model_validate(payload["graph"])
    return weights_file(graph, WeightsFormat(payload["format"]), payload["seed"], payload["limit"])


def onnx_job(payload: dict[str, Any]) -> bytes:
    return onnx_bytes(GraphIn.model_validate(payload["graph"]), payload["limit"])

"""The state_dict of the server-built model as a file: safetensors (no code inside) or torch's .pt."""

from __future__ import annotations

import io
from enum import StrEnum

import torch
from safetensors.torch import save

from server.analysis import Analysis
from server.builder import build
from server.graph import GraphIn


class WeightsFormat(StrEnum):
    safetensors = "safetensors"
    pt = "pt"


def state_dict(
    graph: GraphIn, seed: int | None = None, analysis: Analysis | None = None
) -> dict[str, torch.Tensor]:
    """Parameters and buffers, keyed as the exported class names them (`conv1.weight`, ...)."""
    model = build(graph, seed=seed, analysis=analysis)
    return {k: v.detach().contiguous() for k, v in model.state_dict().items()}


def weights_bytes(state: dict[str, torch.Tensor], fmt: WeightsFormat) -> bytes:
    if fmt is WeightsFormat.safetensors:
        return save(state, metadata={"format": "pt"})
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()

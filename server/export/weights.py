"""The state_dict of the server-built model as a file: safetensors (no code inside) or torch's .pt."""

from __future__ import annotations

import io
from enum import StrEnum

import torch
from safetensors.torch import save

from server.analysis import Analysis, analyze
from server.builder import build
from server.errors import InvalidDesign, LimitExceeded
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


def check_size(analysis: Analysis, limit_bytes: int) -> None:
    """Refuses, before allocating anything, a design whose real weights would pass the limit."""
    if not analysis.ok:
        raise InvalidDesign(analysis.errors)
    if analysis.totals.param_bytes > limit_bytes:
        raise LimitExceeded(
            f"the weights would take {analysis.totals.param_bytes:,} bytes; exports here stop at "
            f"{limit_bytes:,} (TORCHCANVAS_MAX_EXPORT_BYTES): export Python code and build it yourself"
        )


def weights_file(graph: GraphIn, fmt: WeightsFormat, seed: int | None, limit_bytes: int) -> bytes:
    analysis = analyze(graph)
    check_size(analysis, limit_bytes)
    return weights_bytes(state_dict(graph, seed, analysis), fmt)

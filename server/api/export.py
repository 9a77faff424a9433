"""Export: a design as Python source, as a weights file, or as ONNX (each a file download)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from server.api.deps import SettingsDep
from server.export.onnx import onnx_bytes
from server.export.python_code import class_name, python_module
from server.export.weights import WeightsFormat, weights_file
from server.graph import GraphIn

router = APIRouter(prefix="/api/v1/export", tags=["export"])


class ExportIn(BaseModel):
    graph: GraphIn


class WeightsExportIn(ExportIn):
    format: WeightsFormat = WeightsFormat.safetensors
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="overrides the design's seed")


def _download(data: bytes | str, design: GraphIn, suffix: str, media_type: str) -> Response:
    """A file named after the design's class (`ResidualBlock` -> residual_block.py); never user text."""
    stem = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name(design.name)).lower()
    headers = {"Content-Disposition": f'attachment; filename="{stem}{suffix}"'}
    return Response(data, media_type=media_type, headers=headers)


@router.post("/python", response_class=Response)
async def export_python(body: ExportIn) -> Response:
    code = await run_in_threadpool(python_module, body.graph)
    return _download(code, body.graph, ".py", "text/x-python; charset=utf-8")


@router.post("/weights", response_class=Response)
async def export_weights(body: WeightsExportIn, settings: SettingsDep) -> Response:
    limit = settings.max_export_bytes
    data = await run_in_threadpool(weights_file, body.graph, body.format, body.seed, limit)
    return _download(data, body.graph, f".{body.format.value}", "application/octet-stream")


@router.post("/onnx", response_class=Response)
async def export_onnx(body: ExportIn, settings: SettingsDep) -> Response:
    data = await run_in_threadpool(onnx_bytes, body.graph, settings.max_export_bytes)
    return _download(data, body.graph, ".onnx", "application/octet-stream")

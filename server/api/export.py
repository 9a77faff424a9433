"""Export: a design as Python source, as a weights file, or as ONNX (each a file download)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from server.analysis import analyze
from server.api.deps import PoolDep, SettingsDep
from server.export.python_code import class_name, python_module
from server.export.weights import WeightsFormat, check_size
from server.graph import GraphIn
from server.workers import WorkerPool

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


async def _in_worker(pool: WorkerPool, job: str, body: ExportIn, limit: int, **extra: Any) -> bytes:
    """The size limit on the analysis first (meta tensors, nothing allocated), then the job."""
    await run_in_threadpool(lambda: check_size(analyze(body.graph), limit))
    data: bytes = await pool.run(job, {"graph": body.graph.model_dump(mode="json"), "limit": limit, **extra})
    return data


@router.post("/weights", response_class=Response)
async def export_weights(body: WeightsExportIn, settings: SettingsDep, pool: PoolDep) -> Response:
    data = await _in_worker(pool, "export_weights", body, settings.max_export_bytes, format=body.format.value,
                            seed=body.seed)
    return _download(data, body.graph, f".{body.format.value}", "application/octet-stream")


@router.post("/onnx", response_class=Response)
async def export_onnx(body: ExportIn, settings: SettingsDep, pool: PoolDep) -> Response:
    data = await _in_worker(pool, "export_onnx", body, settings.max_export_bytes)
    return _download(data, body.graph, ".onnx", "application/octet-stream")

"""Saved designs: create, list, read, save on a base version (409 when stale), history, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from server import storage
from server.api.deps import PoolDep, SettingsDep, WriteAccess
from server.errors import NotFound
from server.export.weights import WeightsFormat
from server.graph import GraphIn
from server.storage.saving import save_new, save_next
from server.storage.weights import delete_weights, get_weights
from server.weights_upload import store_upload, too_large, upload_plan

router = APIRouter(prefix="/api/v1/designs", tags=["designs"])


class DesignIn(BaseModel):
    graph: GraphIn


class DesignUpdateIn(BaseModel):
    graph: GraphIn
    # The next version (base + 1) must still fit a 32-bit INTEGER column.
    base_version: int = Field(ge=1, le=2**31 - 2, description="the version this edit started from")


class DesignSummaryOut(BaseModel):
    """A design as listed (and as answered to a save): no graph."""

    id: str
    name: str
    version: int
    params: int | None
    created: datetime
    updated: datetime


class DesignOut(DesignSummaryOut):
    has_weights: bool
    graph: dict[str, Any]


class DesignsOut(BaseModel):
    designs: list[DesignSummaryOut]


class VersionOut(BaseModel):
    version: int
    name: str
    params: int | None
    created: datetime
    graph: dict[str, Any] | None = None


class VersionsOut(BaseModel):
    id: str
    versions: list[VersionOut]


def _summary(rec: storage.DesignRecord) -> DesignSummaryOut:
    return DesignSummaryOut(id=rec.id, name=rec.name, version=rec.version, params=rec.params,
                            created=rec.created, updated=rec.updated)


def _version_out(rec: storage.VersionRecord) -> VersionOut:
    return VersionOut(version=rec.version, name=rec.name, params=rec.params, created=rec.created,
                      graph=rec.graph)


@router.post("", status_code=201, dependencies=[WriteAccess])
async def create_design(body: DesignIn, settings: SettingsDep) -> DesignSummaryOut:
    return _summary(await run_in_threadpool(save_new, settings, body.graph))


@router.get("")
async def list_designs(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DesignsOut:
    records = await run_in_threadpool(storage.list_designs, settings, limit, offset)
    return DesignsOut(designs=[_summary(r) for r in records])


@router.get("/{design_id}")
async def get_design(design_id: str, settings: SettingsDep) -> DesignOut:
    record, graph = await run_in_threadpool(storage.get_design, settings, design_id)
    return DesignOut(**_summary(record).model_dump(), has_weights=record.has_weights, graph=graph)


@router.put("/{design_id}", dependencies=[WriteAccess])
async def update_design(design_id: str, body: DesignUpdateIn, settings: SettingsDep) -> DesignSummaryOut:
    return _summary(await run_in_threadpool(save_next, settings, design_id, body.graph, body.base_version))


@router.delete("/{design_id}", status_code=204, dependencies=[WriteAccess])
async def delete_design(design_id: str, settings: SettingsDep) -> Response:
    await run_in_threadpool(storage.delete_design, settings, design_id)
    return Response(status_code=204)


@router.get("/{design_id}/versions", response_model_exclude_none=True)
async def list_versions(design_id: str, settings: SettingsDep) -> VersionsOut:
    records = await run_in_threadpool(storage.list_versions, settings, design_id)
    return VersionsOut(id=design_id, versions=[_version_out(r) for r in records])


@router.get("/{design_id}/versions/{version}")
async def get_version(
    design_id: str, version: Annotated[int, Path(ge=1, le=2**31 - 1)], settings: SettingsDep
) -> VersionOut:
    return _version_out(await run_in_threadpool(storage.get_version, settings, design_id, version))


class WeightsOut(BaseModel):
    id: str
    version: int = Field(description="the design version the weights were checked against")
    tensors: int
    params: int


async def _body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it passes `limit` (before it is all in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.put("/{design_id}/weights", dependencies=[WriteAccess])
async def upload_design_weights(
    design_id: str, request: Request, settings: SettingsDep, pool: PoolDep,
    format: WeightsFormat = WeightsFormat.safetensors,
) -> WeightsOut:
    """The body is the file itself (safetensors, or a .pt state_dict with `?format=pt`)."""
    data = await _body(request, settings.max_upload_bytes)
    plan = await run_in_threadpool(upload_plan, settings, design_id, data, format)
    fitted = await pool.run("weights_fit", plan)  # the file is read in a worker: no tensor here
    return WeightsOut(**await run_in_threadpool(store_upload, settings, design_id, plan["version"], fitted))


@router.get("/{design_id}/weights", response_class=Response)
async def download_design_weights(design_id: str, settings: SettingsDep) -> Response:
    stored = await run_in_threadpool(get_weights, settings, design_id)
    if stored is None:
        raise NotFound(f"design {design_id[:64]!r} has no uploaded weights (or does not exist)")
    headers = {"Content-Disposition": 'attachment; filename="weights.safetensors"'}
    return Response(stored[1], media_type="application/octet-stream", headers=headers)


@router.delete("/{design_id}/weights", status_code=204, dependencies=[WriteAccess])
async def delete_design_weights(design_id: str, settings: SettingsDep) -> Response:
    if not await run_in_threadpool(delete_weights, settings, design_id):
        raise NotFound(f"design {design_id[:64]!r} has no uploaded weights (or does not exist)")
    return Response(status_code=204)

"""Saved designs: create, list, read, save on a base version (409 when stale), history, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from server import storage
from server.api.deps import SettingsDep
from server.graph import GraphIn
from server.storage.saving import save_new, save_next

router = APIRouter(prefix="/api/v1/designs", tags=["designs"])


class DesignIn(BaseModel):
    graph: GraphIn


class DesignUpdateIn(BaseModel):
    graph: GraphIn
    base_version: int = Field(ge=1, description="the version this edit started from")


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


@router.post("", status_code=201)
async def create_design(body: DesignIn, settings: SettingsDep) -> DesignSummaryOut:
    return _summary(await run_in_threadpool(save_new, settings, body.graph))


@router.get("")
async def list_designs(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DesignsOut:
    records = await run_in_threadpool(storage.list_designs, settings, limit, offset)
    return DesignsOut(designs=[_summary(r) for r in records])


@router.get("/{design_id}")
async def get_design(design_id: str, settings: SettingsDep) -> DesignOut:
    record, graph = await run_in_threadpool(storage.get_design, settings, design_id)
    return DesignOut(**_summary(record).model_dump(), has_weights=record.has_weights, graph=graph)


@router.put("/{design_id}")
async def update_design(design_id: str, body: DesignUpdateIn, settings: SettingsDep) -> DesignSummaryOut:
    return _summary(await run_in_threadpool(save_next, settings, design_id, body.graph, body.base_version))


@router.delete("/{design_id}", status_code=204)
async def delete_design(design_id: str, settings: SettingsDep) -> Response:
    await run_in_threadpool(storage.delete_design, settings, design_id)
    return Response(status_code=204)


@router.get("/{design_id}/versions", response_model_exclude_none=True)
async def list_versions(design_id: str, settings: SettingsDep) -> VersionsOut:
    records = await run_in_threadpool(storage.list_versions, settings, design_id)
    return VersionsOut(id=design_id, versions=[_version_out(r) for r in records])


@router.get("/{design_id}/versions/{version}")
async def get_version(design_id: str, version: int, settings: SettingsDep) -> VersionOut:
    return _version_out(await run_in_threadpool(storage.get_version, settings, design_id, version))

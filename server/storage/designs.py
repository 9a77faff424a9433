"""Designs and their versions: create, list, read, save on a base version, delete.

A save names the version it was based on; when another save got there first the answer is a
`Conflict`, so two tabs never overwrite each other silently. Ids are unguessable
(`secrets.token_urlsafe`), which makes a design's link its share link.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from server.errors import Conflict, NotFound
from server.settings import Settings
from server.storage.db import session
from server.storage.models import Design, DesignVersion, DesignWeights

ID_BYTES = 12  # 96 random bits, 16 URL-safe characters
ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class DesignRecord:
    id: str
    name: str
    version: int
    params: int | None
    created: datetime
    updated: datetime
    has_weights: bool = False


@dataclass(frozen=True)
class VersionRecord:
    design_id: str
    version: int
    name: str
    params: int | None
    created: datetime
    graph: dict[str, Any] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record(row: Design, has_weights: bool = False) -> DesignRecord:
    return DesignRecord(
        row.id, row.name, row.version, row.params, _utc(row.created), _utc(row.updated), has_weights
    )


def _missing(design_id: str) -> NotFound:
    return NotFound(f"no design {design_id[:64]!r}: it was deleted or the link is wrong")


def checked_id(design_id: str) -> str:
    """An id of the shape we make; anything else (a NUL byte, 10 kB of text) is simply not found."""
    if not ID_SHAPE.fullmatch(design_id):
        raise _missing(design_id)
    return design_id


def create_design(settings: Settings, graph: dict[str, Any], params: int | None) -> DesignRecord:
    """Stores `graph` as version 1 of a new design."""
    now = _now()
    name = str(graph.get("name", "design"))[:200]
    row = Design(id=secrets.token_urlsafe(ID_BYTES), name=name, version=1, params=params,
                 created=now, updated=now)
    with session(settings) as s:
        s.add(row)
        s.flush()
        s.add(DesignVersion(design_id=row.id, version=1, name=name, params=params, graph=graph, created=now))
    return _record(row)


def update_design(
    settings: Settings, design_id: str, graph: dict[str, Any], params: int | None, base_version: int
) -> DesignRecord:
    """Saves `graph` as the next version, only when the head is still `base_version`."""
    checked_id(design_id)
    now = _now()
    name = str(graph.get("name", "design"))[:200]
    with session(settings) as s:
        moved = s.execute(
            update(Design)
            .where(Design.id == design_id, Design.version == base_version)
            .values(version=base_version + 1, name=name, params=params, updated=now)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            head = s.scalar(select(Design.version).where(Design.id == design_id))
            if head is None:
                raise _missing(design_id)
            raise Conflict(
                f"version {base_version} is stale: the design is at version {head} (saved elsewhere); "
                "reload it, or save with base_version set to the current version to overwrite",
                details=[{"current_version": head, "base_version": base_version}],
            )
        s.add(DesignVersion(design_id=design_id, version=base_version + 1, name=name, params=params,
                            graph=graph, created=now))
        row = s.get_one(Design, design_id)
    return _record(row)


def get_design(settings: Settings, design_id: str) -> tuple[DesignRecord, dict[str, Any]]:
    """The head record and its graph."""
    checked_id(design_id)
    with session(settings) as s:
        row = s.get(Design, design_id)
        if row is None:
            raise _missing(design_id)
        graph = s.scalar(select(DesignVersion.graph).where(
            DesignVersion.design_id == design_id, DesignVersion.version == row.version))
        weights = s.scalar(select(func.count()).where(DesignWeights.design_id == design_id))
    assert graph is not None
    return _record(row, bool(weights)), graph


def list_designs(settings: Settings, limit: int = 100, offset: int = 0) -> list[DesignRecord]:
    """Designs, most recently saved first."""
    with session(settings) as s:
        newest = select(Design).order_by(Design.updated.desc(), Design.id)
        rows = s.scalars(newest.limit(limit).offset(offset))
        return [_record(r) for r in rows]


def list_versions(settings: Settings, design_id: str) -> list[VersionRecord]:
    """Every saved version of a design, oldest first, without the graphs."""
    checked_id(design_id)
    with session(settings) as s:
        if s.get(Design, design_id) is None:
            raise _missing(design_id)
        rows = s.execute(
            select(DesignVersion.version, DesignVersion.name, DesignVersion.params, DesignVersion.created)
            .where(DesignVersion.design_id == design_id).order_by(DesignVersion.version)
        )
        return [VersionRecord(design_id, v, n, p, _utc(c)) for v, n, p, c in rows]


def get_version(settings: Settings, design_id: str, version: int) -> VersionRecord:
    checked_id(design_id)
    with session(settings) as s:
        row = s.get(DesignVersion, (design_id, version))
        if row is None:
            if s.get(Design, design_id) is None:
                raise _missing(design_id)
            raise NotFound(f"design {design_id!r} has no version {version}: list them at .../versions")
        return VersionRecord(design_id, row.version, row.name, row.params, _utc(row.created), row.graph)


def delete_design(settings: Settings, design_id: str) -> None:
    """Removes a design with its versions and weights."""
    checked_id(design_id)
    with session(settings) as s:
        for table in (DesignWeights, DesignVersion):
            s.execute(delete(table).where(table.design_id == design_id))
        gone = s.execute(delete(Design).where(Design.id == design_id))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise _missing(design_id)

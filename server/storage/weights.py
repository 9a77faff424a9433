"""Uploaded weights kept with their design: one safetensors blob per design, replaced whole."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from server.errors import Conflict, NotFound
from server.settings import Settings
from server.storage.db import session
from server.storage.designs import checked_id
from server.storage.models import Design, DesignWeights


def put_weights(settings: Settings, design_id: str, version: int, data: bytes, tensors: int) -> None:
    """Stores `data` as the design's weights, only while its head is still `version` (checked)."""
    checked_id(design_id)
    with session(settings) as s:
        head = s.scalar(select(Design.version).where(Design.id == design_id))
        if head is None:
            raise NotFound(f"no design {design_id[:64]!r}: it was deleted or the link is wrong")
        if head != version:
            raise Conflict(f"the design moved to version {head} while the weights were checked: upload again",
                           details=[{"current_version": head, "base_version": version}])
        s.execute(delete(DesignWeights).where(DesignWeights.design_id == design_id))
        s.add(DesignWeights(design_id=design_id, version=version, data=data, tensors=tensors,
                            created=datetime.now(UTC)))


def get_weights(settings: Settings, design_id: str) -> tuple[int, bytes] | None:
    """The design version the weights were checked against, and the safetensors bytes."""
    checked_id(design_id)
    with session(settings) as s:
        row = s.get(DesignWeights, design_id)
        return None if row is None else (row.version, row.data)


def delete_weights(settings: Settings, design_id: str) -> bool:
    checked_id(design_id)
    with session(settings) as s:
        gone = s.execute(delete(DesignWeights).where(DesignWeights.design_id == design_id))
        return bool(gone.rowcount)  # type: ignore[attr-defined]

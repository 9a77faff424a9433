"""Health and the op registry: what the canvas reads before anything else."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server import __version__
from server.registry import registry_json

router = APIRouter(prefix="/api/v1", tags=["meta"])


@router.get("/health")
async def get_health() -> dict[str, str]:
    """Answers on the event loop itself, so a full thread pool or busy workers never delay it."""
    return {"status": "ok", "version": __version__}


@router.get("/ops")
async def list_ops() -> dict[str, Any]:
    """The registry: categories, ports and argument schemas of every op."""
    return registry_json()

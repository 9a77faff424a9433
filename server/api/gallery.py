"""Routes of the template gallery: list the tutorial's networks and hand one out as a design."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.gallery import get_template, templates

router = APIRouter(prefix="/api/v1/templates", tags=["gallery"])


@router.get("")
def list_templates() -> list[dict[str, str]]:
    """Name, title and description of every template, for the gallery menu."""
    return [t.summary() for t in templates().values()]


@router.get("/{name}")
def get_design(name: str) -> dict[str, Any]:
    """The template's design in graph format v1, ready to open on the canvas."""
    return get_template(name).design

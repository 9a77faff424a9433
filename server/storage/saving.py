"""Saving a design: the limits a saved graph must meet and the figures listed with it."""

from __future__ import annotations

from typing import Any

from server.errors import LimitExceeded
from server.graph import GraphIn
from server.settings import Settings
from server.storage.designs import DesignRecord, create_design, update_design


def _checked(settings: Settings, graph: GraphIn) -> tuple[dict[str, Any], int | None]:
    """The graph as stored JSON, and its parameter count when the design is valid.

    A design with errors is still saved (work in progress is worth keeping); it is listed
    without a parameter count.
    """
    if len(graph.nodes) > settings.max_nodes:
        raise LimitExceeded(
            f"the design has {len(graph.nodes)} nodes; a saved design has at most {settings.max_nodes}"
        )
    from server.analysis import analyze

    result = analyze(graph)
    params = result.totals.params if result.ok else None
    return graph.model_dump(mode="json", exclude_none=True), params


def save_new(settings: Settings, graph: GraphIn) -> DesignRecord:
    data, params = _checked(settings, graph)
    return create_design(settings, data, params)


def save_next(settings: Settings, design_id: str, graph: GraphIn, base_version: int) -> DesignRecord:
    data, params = _checked(settings, graph)
    return update_design(settings, design_id, data, params, base_version)

"""Analysis routes: the live answer the canvas asks for on every edit, and the text summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from server.analysis import analyze
from server.api.deps import SettingsDep
from server.graph import GraphIn, check_size
from server.summary import summary_text

router = APIRouter(prefix="/api/v1", tags=["analysis"])


@router.post("/analyze")
async def analyze_graph(graph: GraphIn, settings: SettingsDep) -> dict[str, Any]:
    """Shapes, params, FLOPs and memory per node; design mistakes answer 200 with ok false."""
    check_size(graph, settings.max_nodes, settings.max_inputs_per_node)
    result = await run_in_threadpool(analyze, graph)
    return result.to_json()


@router.post("/summary", response_class=PlainTextResponse)
async def summarize_graph(graph: GraphIn, settings: SettingsDep) -> str:
    """The torchinfo-style table of a design, as text."""
    check_size(graph, settings.max_nodes, settings.max_inputs_per_node)
    result = await run_in_threadpool(analyze, graph)
    return summary_text(result, graph.name)

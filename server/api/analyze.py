"""Analysis routes: the live answer the canvas asks for on every edit, and the text summary.

Analyses run on two threads of their own rather than Starlette's shared pool of 40: an analysis
is short and holds the GIL, and dozens of threads taking turns with the event loop stretch every
request's tail (p99 200 ms at 16 clients; see bench/README.md). Exports and saves keep the
shared pool, so they never queue behind live analysis or the other way round.
"""

from __future__ import annotations

import json

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from server.analysis import Analysis, analyze
from server.api.deps import SettingsDep
from server.graph import GraphIn, check_size
from server.summary import summary_text

router = APIRouter(prefix="/api/v1", tags=["analysis"])
LIMITER = CapacityLimiter(2)

ANALYSIS_EXAMPLE = {
    "ok": True,
    "nodes": {"fc": {"op": "Linear", "args": {"in_features": 8, "out_features": 4, "bias": True},
                     "inferred": ["in_features"], "outputs": [{"shape": [2, 4], "dtype": "float32"}], "params": 36,
                     "trainable_params": 36, "flops": 128, "activation_bytes": 32, "param_bytes": 144,
                     "status": "ok", "error": None}},
    "outputs": [{"ref": "fc", "shape": [2, 4], "dtype": "float32"}],
    "totals": {"params": 36, "trainable_params": 36, "flops": 128, "param_bytes": 144, "activation_bytes": 32},
    "errors": [],
}


async def _analysis(graph: GraphIn, settings: SettingsDep) -> Analysis:
    check_size(graph, settings.max_nodes, settings.max_inputs_per_node)
    return await to_thread.run_sync(analyze, graph, limiter=LIMITER)


@router.post("/analyze", responses={200: {"content": {"application/json": {"example": ANALYSIS_EXAMPLE}}}})
async def analyze_graph(graph: GraphIn, settings: SettingsDep) -> Response:
    """Shapes, params, FLOPs and memory per node; design mistakes answer 200 with ok false."""
    result = await _analysis(graph, settings)
    # The answer is plain JSON already: skip FastAPI's generic encoder (half the request's CPU).
    return Response(json.dumps(result.to_json(), separators=(",", ":")), media_type="application/json")


@router.post("/summary", response_class=PlainTextResponse)
async def summarize_graph(graph: GraphIn, settings: SettingsDep) -> str:
    """The torchinfo-style table of a design, as text."""
    return summary_text(await _analysis(graph, settings), graph.name)

"""The baseline for load_bench.py: the same answer (shapes and parameter counts) made the naive way.

A bare FastAPI app with a default threadpool `def` handler that builds the design with real
weights and runs a real forward pass on real inputs to read the shapes, as a first version of
such a service would. Loopback only; never part of the product.

    .venv/bin/python -m uvicorn bench.naive_app:app --host 127.0.0.1 --port 8100
"""

from __future__ import annotations

from typing import Any

import torch
from fastapi import FastAPI

from server.builder import build, example_inputs
from server.graph import GraphIn

app = FastAPI()


@app.get("/api/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/analyze")
def analyze(graph: GraphIn) -> dict[str, Any]:
    model = build(graph)
    shapes: dict[str, list[int]] = {}
    hooks = [module.register_forward_hook(
        lambda _m, _i, out, name=name: shapes.__setitem__(name, list(out.shape)))
        for name, module in model.named_children()]
    try:
        with torch.no_grad():
            model(*example_inputs(graph))
    finally:
        for hook in hooks:
            hook.remove()
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_children()}
    return {"ok": True, "nodes": {n: {"shape": s, "params": params.get(n, 0)} for n, s in shapes.items()},
            "totals": {"params": sum(params.values())}}

"""The activations job: what each node's output looks like on the example inputs.

One pass of the seeded network in eval mode under `no_grad` (train mode on request), node by node
(`DesignModule.run` with an observer), so each output is measured the moment it exists: a later
in-place op cannot change what is reported. Statistics are of output port 0 of each node.
"""

from __future__ import annotations

from typing import Any

import torch

from server import render
from server.measure.network import InvalidRequest, first_tensor, load, mode
from server.measure.stats import summary


def run(payload: dict[str, Any]) -> dict[str, Any]:
    """Per node: statistics of output port 0, in the order the nodes run."""
    net = load(payload)
    train = payload.get("mode", "eval") == "train"
    ops = {n.id: n.op for n in net.graph.nodes}
    nodes: dict[str, Any] = {}

    def visit(node_id: str, outputs: list[Any]) -> None:
        t = first_tensor(outputs)
        if t is not None and t.numel():
            nodes[node_id] = {"op": ops[node_id], **summary(t)}

    with mode(net.model, train), torch.set_grad_enabled(False):
        torch.manual_seed(net.seed)
        net.model.run(*net.inputs, observe=visit)
    return {"mode": "train" if train else "eval", "seed": net.seed, "port": 0, "nodes": nodes}


def image(payload: dict[str, Any]) -> dict[str, Any]:
    """The first sample of one node's output: feature maps when it has channels, else a heatmap."""
    net = load(payload)
    wanted = payload["node"]
    if wanted not in {n.id for n in net.graph.nodes}:
        raise InvalidRequest(f"there is no node {wanted[:64]!r} in this design")
    captured: list[torch.Tensor] = []

    def visit(node_id: str, outputs: list[Any]) -> None:
        t = first_tensor(outputs)
        if node_id == wanted and t is not None:
            captured.append(t.detach().float().cpu().clone())

    with mode(net.model, False), torch.set_grad_enabled(False):
        torch.manual_seed(net.seed)
        net.model.run(*net.inputs, observe=visit)
    if not captured or captured[0].ndim == 0:
        raise InvalidRequest(f"node {wanted!r} has no tensor output to show")
    sample = captured[0][0] if captured[0].ndim > 1 else captured[0]
    picture = render.feature_maps(sample.numpy(), f"{wanted} (sample 0)")
    return {"png": picture.png, "width": picture.width, "height": picture.height, "note": picture.note}

"""Weight statistics and weight pictures of the real, seeded network.

Statistics are torch's own (`std` is the sample standard deviation, torch's default
`correction=1`); histograms are `torch.histogram` over [min, max] with `HIST_BINS` bins.
"""

from __future__ import annotations

from typing import Any

import torch

from server import render
from server.measure.network import InvalidRequest, children, load

HIST_BINS = 32


def summary(t: torch.Tensor) -> dict[str, Any]:
    """Shape, mean, std, min, max and fraction of zeros of a non-empty tensor (on its own device)."""
    x = t.detach().float()
    return {
        "shape": list(t.shape),
        "mean": x.mean().item(),
        "std": x.std().item() if x.numel() > 1 else None,
        "min": x.min().item(),
        "max": x.max().item(),
        "zero_fraction": (x == 0).float().mean().item(),
    }


def tensor_stats(t: torch.Tensor, bins: int = HIST_BINS) -> dict[str, Any]:
    """`summary` plus the element count and a histogram over [min, max]."""
    if t.numel() == 0:
        return {"shape": list(t.shape), "numel": 0}
    counts, edges = torch.histogram(t.detach().float().cpu().flatten(), bins=bins)
    histogram = {"edges": edges.tolist(), "counts": [int(c) for c in counts.tolist()]}
    return {**summary(t), "numel": t.numel(), "histogram": histogram}


def run(payload: dict[str, Any]) -> dict[str, Any]:
    """Per node, per parameter: statistics of the weights the seed makes."""
    net = load(payload)
    nodes: dict[str, Any] = {}
    for node_id, layer in children(net.model).items():
        params = {name: tensor_stats(p) for name, p in layer.named_parameters()}
        if params:
            nodes[node_id] = {"trainable": any(p.requires_grad for p in layer.parameters()), "params": params}
    return {"seed": net.seed, "histogram_bins": HIST_BINS, "std_correction": 1, "nodes": nodes}


def parameter(payload: dict[str, Any]) -> torch.Tensor:
    """The asked node's asked parameter, looked up in dicts; a miss says what exists."""
    net = load(payload)
    layers = children(net.model)
    node_id, name = payload["node"], payload.get("param", "weight")
    with_params = [nid for nid, m in layers.items() if any(True for _ in m.parameters())]
    if node_id not in layers or node_id not in with_params:
        raise InvalidRequest(
            f"node {node_id[:64]!r} has no parameters to show: "
            f"pick one of {', '.join(with_params[:20]) or 'none'}"
        )
    params = dict(layers[node_id].named_parameters())
    if name not in params:
        raise InvalidRequest(f"node {node_id!r} has no parameter {name[:64]!r}: it has {', '.join(params)}")
    return params[name].detach().float().cpu()


def image(payload: dict[str, Any]) -> dict[str, Any]:
    """One parameter as a picture: conv filters, a matrix heatmap or a histogram."""
    weight = parameter(payload)
    view, title = payload.get("view", "matrix"), f"{payload['node']}.{payload.get('param', 'weight')}"
    if view == "filters":
        if weight.ndim not in (3, 4, 5):
            raise InvalidRequest(
                f"{title[:80]} has shape {list(weight.shape)}: filters need a conv weight; "
                "use view matrix or histogram"
            )
        picture = render.filters(weight.numpy(), title)
    elif view == "histogram":
        picture = render.histogram(weight.numpy(), title)
    else:
        matrix = weight.reshape(weight.shape[0], -1) if weight.ndim > 2 else weight
        picture = render.heatmap(matrix.numpy(), title)
        if weight.ndim > 2:
            note = f"{list(weight.shape)} shown as {list(matrix.shape)}; {picture.note}"
            picture = render.Picture(picture.png, picture.width, picture.height, note)
    return {"png": picture.png, "width": picture.width, "height": picture.height, "note": picture.note}

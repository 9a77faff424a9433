"""The gradients job: one forward and backward of the seeded network, gradient norm per parameter.

The network runs in train mode (as in training) with `torch.manual_seed(seed)` right before the
forward, so dropout is reproducible (on one device type: CPU and CUDA draw masks from different
generators). The loss is taken on the first graph output:
- `sum`: the sum of its elements;
- `mse`: mean squared error against a zero target (`mean(output**2)`);
- `cross_entropy`: `output` is (N, C[, ...]) logits, the target class of sample i is `i % C`.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from server.measure.network import InvalidRequest, children, floats, load, mode

VANISHING_BELOW = 1e-6
EXPLODING_ABOVE = 1e3


def loss_of(kind: str, outputs: Any) -> tuple[torch.Tensor, str]:
    """The loss and a sentence saying what it was computed against."""
    out = floats(outputs)
    if not out:
        raise InvalidRequest("the first output is not a float tensor: a loss needs one")
    y = out[0].float()
    if kind == "sum":
        return y.sum(), "sum of the first output's elements"
    if kind == "mse":
        return F.mse_loss(y, torch.zeros_like(y)), "mean squared error against a zero target"
    if y.ndim < 2:
        shape = list(y.shape)
        raise InvalidRequest(f"cross_entropy needs (N, C) logits but the first output has shape {shape}")
    target = (torch.arange(y.shape[0], device=y.device) % y.shape[1]).view(-1, *[1] * (y.ndim - 2))
    target = target.expand(y.shape[0], *y.shape[2:])
    return F.cross_entropy(y, target), "cross entropy against class i % C for sample i"


def flag(norm: float) -> str | None:
    if norm != norm or norm > EXPLODING_ABOVE:  # NaN counts as exploded
        return "exploding"
    return "vanishing" if norm < VANISHING_BELOW else None


def _report(layer: torch.nn.Module) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, p in layer.named_parameters():
        if not p.requires_grad:
            params[name] = {"shape": list(p.shape), "frozen": True, "grad_norm": None, "flag": None}
        elif p.grad is None:
            params[name] = {"shape": list(p.shape), "frozen": False, "grad_norm": None, "flag": "unused"}
        else:
            norm = p.grad.detach().float().norm().item()
            params[name] = {"shape": list(p.shape), "frozen": False, "grad_norm": norm, "flag": flag(norm)}
    return params


def run(payload: dict[str, Any]) -> dict[str, Any]:
    net = load(payload)
    kind = payload.get("loss", "sum")
    if not any(p.requires_grad for p in net.model.parameters()):
        raise InvalidRequest("the design has no trainable parameters (no layer with weights, or every such "
                             "node is frozen with trainable: false): there is no gradient to measure")
    with mode(net.model, True):
        torch.manual_seed(net.seed)
        loss, against = loss_of(kind, net.model(*net.inputs))
        loss.backward()  # type: ignore[no-untyped-call]
    nodes = {}
    for node_id, layer in children(net.model).items():
        params = _report(layer)
        if params:
            nodes[node_id] = {"frozen": all(p["frozen"] for p in params.values()), "params": params}
    return {
        "loss": {"kind": kind, "value": loss.item(), "against": against},
        "mode": "train", "seed": net.seed,
        "thresholds": {"vanishing_below": VANISHING_BELOW, "exploding_above": EXPLODING_ABOVE, "norm": "L2"},
        "nodes": nodes,
    }

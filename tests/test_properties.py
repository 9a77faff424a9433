"""Property: any valid random chain analyses to the shapes and counts torch gives when the same
chain is run directly, and the built module computes exactly what the hand-built one does."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from server.analysis import analyze
from server.builder import build
from server.graph import GraphIn

Layer = tuple[dict[str, Any], nn.Module]


@st.composite
def flat_layer(draw: st.DrawFn, features: int) -> tuple[Layer, int]:
    kind = draw(st.sampled_from(["Linear", "ReLU", "GELU", "Tanh", "LayerNorm", "BatchNorm1d", "Dropout"]))
    if kind == "Linear":
        out, bias = draw(st.integers(1, 24)), draw(st.booleans())
        return ({"op": kind, "args": {"out_features": out, "bias": bias}}, nn.Linear(features, out, bias=bias)), out
    if kind in ("LayerNorm", "BatchNorm1d"):
        return ({"op": kind, "args": {}}, getattr(nn, kind)(features)), features
    return ({"op": kind, "args": {}}, getattr(nn, kind)()), features


@st.composite
def image_layer(draw: st.DrawFn, c: int, hw: int) -> tuple[Layer, int, int]:
    kind = draw(st.sampled_from(["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]))
    if kind == "Conv2d":
        out, k = draw(st.integers(1, 8)), draw(st.integers(1, min(3, hw)))
        pad = draw(st.integers(0, k // 2))
        return ({"op": kind, "args": {"out_channels": out, "kernel_size": k, "padding": pad}},
                nn.Conv2d(c, out, k, padding=pad)), out, hw - k + 1 + 2 * pad
    if kind == "MaxPool2d" and hw >= 2:
        return ({"op": kind, "args": {"kernel_size": 2}}, nn.MaxPool2d(2)), c, hw // 2
    if kind == "BatchNorm2d":
        return ({"op": kind, "args": {}}, nn.BatchNorm2d(c)), c, hw
    return ({"op": "ReLU", "args": {}}, nn.ReLU()), c, hw


@st.composite
def chains(draw: st.DrawFn) -> tuple[dict[str, Any], nn.Sequential, list[int]]:
    batch, c, hw = draw(st.integers(2, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 9))
    shape = [batch, c, hw, hw]
    layers: list[Layer] = []
    for _ in range(draw(st.integers(0, 4))):
        layer, c, hw = draw(image_layer(c, hw))
        layers.append(layer)
    layers.append(({"op": "Flatten", "args": {}}, nn.Flatten()))
    features = c * hw * hw
    for _ in range(draw(st.integers(1, 5))):
        layer, features = draw(flat_layer(features))
        layers.append(layer)
    nodes, prev = [], "x"
    for i, (spec, _) in enumerate(layers):
        nodes.append({"id": f"l{i}", "inputs": [prev], **spec})
        prev = f"l{i}"
    graph = {"version": 1, "name": "chain", "inputs": [{"id": "x", "shape": shape}], "nodes": nodes, "outputs": [prev]}
    return graph, nn.Sequential(*(m for _, m in layers)), shape


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_chain_matches_direct_torch(case: tuple[dict[str, Any], nn.Sequential, list[int]]) -> None:
    graph_dict, reference, _ = case
    design = GraphIn.model_validate(graph_dict)
    result = analyze(design)
    assert result.ok, result.errors
    x = torch.randn(graph_dict["inputs"][0]["shape"])
    h = x
    for i, layer in enumerate(reference):
        h = layer(h)
        node = result.nodes[f"l{i}"]
        assert list(node.outputs[0].shape) == list(h.shape)
        assert node.params == sum(p.numel() for p in layer.parameters())
    model = build(design, seed=3).eval()
    torch.manual_seed(3)
    fresh = type(reference)(*(_remake(m) for m in reference)).eval()
    with torch.no_grad():
        assert torch.equal(model(x), fresh(x))


def _remake(m: nn.Module) -> nn.Module:
    """The same layer made again, so its weights come from the seed just set."""
    if isinstance(m, nn.Linear):
        return nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.Conv2d):
        return nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, padding=m.padding)
    if isinstance(m, nn.LayerNorm):
        return nn.LayerNorm(m.normalized_shape)
    if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
        return type(m)(m.num_features)
    return m

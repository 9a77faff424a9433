"""Graph -> a real `nn.Module`: every layer is the plain torch.nn class registered under its node
id (so the state_dict reads `conv1.weight`), and `forward` runs the steps in topological order.

A small interpreter rather than torch.fx code generation: graph format v1 admits ids such as
`global` that fx would write into generated source as `self.global`, which does not parse.

Weights are made on the CPU in topological order right after `torch.manual_seed(seed)`, each
layer's `init` applied as soon as it is made, so the same design and seed give the same weights on
any device, and a hand-built model making the same layers in the same order matches them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from server.analysis import Analysis, analyze
from server.errors import GraphError, InvalidDesign
from server.graph import DType, GraphIn, parse_ref
from server.ops.init import apply_init
from server.ops.make import call, instantiate
from server.registry import REGISTRY, OpSpec


@dataclass(frozen=True)
class Step:
    """One node of the plan: which op, which (node, port) pairs feed it, its resolved args."""

    node: str
    spec: OpSpec
    sources: tuple[tuple[str, int], ...]
    args: dict[str, Any]


Observer = Callable[[str, list[Any]], None]


class DesignModule(nn.Module):
    """The built network. `forward(*inputs)` returns one tensor, or a tuple for several outputs."""

    def __init__(self, name: str, inputs: list[str], steps: list[Step], outputs: list[tuple[str, int]]) -> None:
        super().__init__()
        self.design_name = name
        self.input_ids = inputs
        self.steps = steps
        self.output_refs = outputs

    def run(self, *inputs: torch.Tensor, observe: Observer | None = None) -> Any:
        """`forward`, calling `observe(node_id, outputs)` after each step (stats, timing)."""
        values: dict[str, list[Any]] = {i: [x] for i, x in zip(self.input_ids, inputs, strict=True)}
        for step in self.steps:
            args = [values[n][p] for n, p in step.sources]
            layer = self._modules.get(step.node)
            values[step.node] = call(step.spec, layer, args, step.args)
            if observe is not None:
                observe(step.node, values[step.node])
        results = [values[n][p] for n, p in self.output_refs]
        return results[0] if len(results) == 1 else tuple(results)

    def forward(self, *inputs: torch.Tensor) -> Any:
        return self.run(*inputs)


def _make_layer(step: Step, init: dict[str, str], trainable: bool, dtype: str | None) -> nn.Module:
    """Made in float32 (so the seed gives the same weights), init applied, then cast if the
    layer is fed half precision."""
    layer = instantiate(step.spec, step.args)
    problem = apply_init(layer, init)
    if problem:
        raise GraphError(step.node, problem)
    if dtype is not None:
        layer = layer.to(DType(dtype).torch)
    return layer.requires_grad_(trainable)


def _refs(texts: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple((r.node, r.port) for r in map(parse_ref, texts) if r is not None)


def build(
    graph: GraphIn, *, device: str = "cpu", seed: int | None = None, analysis: Analysis | None = None
) -> DesignModule:
    """A runnable module with real weights (train mode); raises InvalidDesign when the design has errors."""
    analysis = analysis or analyze(graph)
    if not analysis.ok:
        raise InvalidDesign(analysis.errors)
    by_id = {n.id: n for n in graph.nodes}
    steps = []
    for node_id, result in analysis.nodes.items():
        assert result.facts is not None
        steps.append(Step(node_id, REGISTRY[result.op], _refs(by_id[node_id].inputs), result.facts.args))
    model = DesignModule(graph.name, [i.id for i in graph.inputs], steps, list(_refs(graph.outputs)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(graph.seed if seed is None else seed)
        for step in steps:
            if step.spec.kind == "module":
                node = by_id[step.node]
                facts = analysis.nodes[step.node].facts
                dtype = facts.layer_dtype if facts is not None else None
                model.add_module(step.node, _make_layer(step, node.init, node.trainable, dtype))
    return model.to(device)


def example_inputs(graph: GraphIn, *, device: str = "cpu", seed: int = 0) -> list[torch.Tensor]:
    """Inputs of the graph's shapes: N(0, 1) floats; int64 token ids valid for every Embedding fed."""
    gen = torch.Generator().manual_seed(seed)
    vocab = _vocab_sizes(graph)
    out = []
    for inp in graph.inputs:
        if inp.dtype.value == "int64":
            t = torch.randint(0, vocab.get(inp.id, 2), tuple(inp.shape), generator=gen)
        else:
            t = torch.randn(tuple(inp.shape), generator=gen).to(inp.dtype.torch)
        out.append(t.to(device))
    return out


def _vocab_sizes(graph: GraphIn) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for node in graph.nodes:
        n = node.args.get("num_embeddings")
        if node.op == "Embedding" and isinstance(n, int) and node.inputs:
            ref = parse_ref(node.inputs[0])
            if ref is not None:
                sizes[ref.node] = min(sizes.get(ref.node, n), n)
    return sizes

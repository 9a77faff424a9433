"""The server-built model as an ONNX file (torch's TorchScript-based exporter, opset 17).

A layer the exporter cannot write is found by exporting each layer on its own, so the answer
names the nodes to change instead of an aten operator the person never wrote.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import onnx
import torch
from torch import nn

from server.analysis import analyze
from server.builder import DesignModule, build, example_inputs
from server.errors import TorchcanvasError
from server.export.weights import check_size
from server.graph import GraphIn
from server.ops.make import call
from server.registry import OpSpec

OPSET = 17


class Unexportable(TorchcanvasError):
    """Some layers of a valid design have no ONNX equivalent in this exporter."""

    status = 422
    code = "not_exportable"


class _OneNode(nn.Module):
    """One node as a module of its own, for finding which layers cannot be exported."""

    def __init__(self, spec: OpSpec, layer: nn.Module | None, args: dict[str, Any]) -> None:
        super().__init__()
        self.spec, self.layer, self.args = spec, layer, args

    def forward(self, *inputs: Any) -> Any:
        return tuple(call(self.spec, self.layer, list(inputs), self.args))


def _export(model: nn.Module, inputs: tuple[Any, ...], names: list[str], outputs: list[str]) -> bytes:
    """Exports with attention's fused fast path off: the exporter has no equivalent for it."""
    buf = io.BytesIO()
    fastpath = torch.backends.mha.get_fastpath_enabled()
    try:
        torch.backends.mha.set_fastpath_enabled(False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The TorchScript exporter writes to a buffer too, whatever the annotation says.
            torch.onnx.export(model, inputs, buf, dynamo=False, opset_version=OPSET,  # type: ignore[arg-type]
                              input_names=names,
                              output_names=outputs, do_constant_folding=True)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return buf.getvalue()


def _culprits(model: DesignModule, inputs: list[torch.Tensor]) -> list[dict[str, str]]:
    """Exports each node alone on the tensors it really receives; answers the ones that fail."""
    seen: dict[str, list[Any]] = dict(zip(model.input_ids, ([x] for x in inputs), strict=True))
    model.run(*inputs, observe=lambda node, values: seen.__setitem__(node, values))
    bad = []
    for step in model.steps:
        one = _OneNode(step.spec, model._modules.get(step.node), step.args).eval()
        args = tuple(seen[n][p] for n, p in step.sources)
        try:
            _export(one, args, [f"in{i}" for i in range(len(args))], [])
        except Exception as e:  # the exporter raises many types; each one means "cannot export"
            reason = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
            bad.append({"node": step.node, "op": step.spec.name, "message": reason})
    return bad


def onnx_bytes(graph: GraphIn, limit_bytes: int) -> bytes:
    """An ONNX model checked by `onnx.checker`; raises Unexportable naming the layers at fault."""
    analysis = analyze(graph)
    check_size(analysis, limit_bytes)
    model = build(graph, analysis=analysis).eval()
    inputs = example_inputs(graph)
    try:
        data = _export(model, tuple(inputs), [i.id for i in graph.inputs], list(graph.outputs))
    except Exception as e:  # see _culprits
        bad = _culprits(model, inputs)
        where = ", ".join(f"{b['node']} ({b['op']})" for b in bad) or "no single layer"
        raise Unexportable(
            f"ONNX export fails at {where}: replace those layers or export Python code instead",
            details=bad or [{"node": "", "message": str(e).splitlines()[0][:300]}],
        ) from e
    onnx.checker.check_model(onnx.load_from_string(data))
    return data

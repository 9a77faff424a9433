"""Analysis: one structural check, then passes over the nodes in topological order.

`analyze` never raises for a design mistake: every mistake becomes an error on the node that
causes it, nodes before it keep their results, and nodes after it are marked blocked.
"""

from __future__ import annotations

from server.analysis.results import Analysis, NodeResult, Status, TensorMeta, Totals
from server.analysis.shapes import node_facts
from server.errors import GraphError
from server.graph import GraphIn, Ref, check_structure, parse_ref

__all__ = ["Analysis", "NodeResult", "Status", "TensorMeta", "analyze"]


def _input_metas(graph: GraphIn) -> dict[str, TensorMeta]:
    return {i.id: TensorMeta(tuple(i.shape), i.dtype.value) for i in graph.inputs}


def _sources(node_id: str, refs: list[Ref], analysis: Analysis) -> list[TensorMeta] | None:
    """The tensors a node consumes; None when an upstream node failed (the node is blocked).
    A port the upstream node does not have is this node's own error."""
    metas = []
    for ref in refs:
        upstream = analysis.nodes.get(ref.node)
        if upstream is not None and upstream.status is not Status.ok:
            return None
        meta = analysis.meta(str(ref))
        if meta is None:
            count = len(upstream.outputs) if upstream else 1
            raise GraphError(node_id, f"input {ref} names output port {ref.port} but {ref.node} has "
                             f"{count} output(s): use a port from 0 to {count - 1}")
        metas.append(meta)
    return metas


def _shape_pass(graph: GraphIn, analysis: Analysis) -> None:
    structure = check_structure(graph)
    for node in structure.order:
        result = NodeResult(op=node.op, status=Status.ok, trainable=node.trainable)
        analysis.nodes[node.id] = result
        if node.id in structure.broken:
            result.status = Status.error
            continue
        try:
            sources = _sources(node.id, structure.refs[node.id], analysis)
            if sources is None:
                result.status = Status.blocked
                continue
            result.facts = node_facts(node, sources)
        except GraphError as e:
            result.status, result.error = Status.error, e
            analysis.errors.append(e)
    for problem in structure.errors:
        if problem.node in analysis.nodes:
            analysis.nodes[problem.node].error = analysis.nodes[problem.node].error or problem
    analysis.errors[:0] = structure.errors


def _totals(analysis: Analysis) -> Totals:
    t = Totals()
    for n in analysis.nodes.values():
        if n.facts is None:
            continue
        t.params += n.params
        t.trainable_params += n.trainable_params
        t.flops += n.facts.flops
        t.param_bytes += n.facts.param_bytes
        t.activation_bytes += n.facts.activation_bytes
    return t


def analyze(graph: GraphIn) -> Analysis:
    """Shapes, parameters, FLOPs and memory of every node, on meta tensors (nothing allocated)."""
    analysis = Analysis(nodes={}, inputs=_input_metas(graph), outputs=[], errors=[])
    _shape_pass(graph, analysis)
    analysis.outputs = [(ref, analysis.meta(ref)) for ref in graph.outputs]
    for ref, meta in analysis.outputs:
        r = parse_ref(ref)
        node = analysis.nodes.get(r.node) if r else None
        if meta is None and node is not None and node.status is Status.ok:
            analysis.errors.append(GraphError("outputs", f"output {ref!r}: {r.node if r else ref} has no port "
                                              f"{r.port if r else '?'} (it has {len(node.outputs)})"))
    analysis.totals = _totals(analysis)
    return analysis


def warm_up() -> None:
    """Runs each kind of meta kernel once, so a server's first answer is as fast as its later ones."""
    from server.graph import GraphIn

    analyze(GraphIn.model_validate({
        "version": 1, "name": "warm_up", "inputs": [{"id": "x", "shape": [2, 3, 8, 8]}],
        "nodes": [
            {"id": "conv", "op": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3}, "inputs": ["x"]},
            {"id": "flat", "op": "Flatten", "args": {"start_dim": 2}, "inputs": ["conv"]},
            {"id": "fc", "op": "Linear", "args": {"out_features": 8}, "inputs": ["flat"]},
            {"id": "lstm", "op": "LSTM", "args": {"hidden_size": 8, "batch_first": True}, "inputs": ["fc"]},
            {"id": "gru", "op": "GRU", "args": {"hidden_size": 8}, "inputs": ["lstm"]},
            {"id": "attn", "op": "TransformerEncoderLayer", "args": {"nhead": 2, "dim_feedforward": 16},
             "inputs": ["gru"]},
        ],
        "outputs": ["attn"],
    }))

"""What the passes compute, per node and in total, kept apart from how it is presented."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.errors import GraphError


class Status(StrEnum):
    ok = "ok"
    error = "error"
    blocked = "blocked"  # an input failed, so this node could not be analysed


@dataclass(frozen=True)
class TensorMeta:
    shape: tuple[int, ...]
    dtype: str

    def to_json(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class NodeFacts:
    """Everything about a node that follows from its op, args and input tensors (cacheable)."""

    args: dict[str, Any]
    inferred: tuple[str, ...]
    outputs: tuple[TensorMeta, ...]
    params: int
    param_bytes: int
    flops: int
    activation_bytes: int
    # Set when the layer runs in another precision than float32 (half-precision inputs).
    layer_dtype: str | None = None


@dataclass
class NodeResult:
    op: str
    status: Status
    facts: NodeFacts | None = None
    trainable: bool = True
    error: GraphError | None = None

    @property
    def outputs(self) -> tuple[TensorMeta, ...]:
        return self.facts.outputs if self.facts else ()

    @property
    def params(self) -> int:
        return self.facts.params if self.facts else 0

    @property
    def trainable_params(self) -> int:
        return self.params if self.trainable else 0

    def to_json(self) -> dict[str, Any]:
        f = self.facts
        return {
            "op": self.op,
            "args": _jsonable(f.args) if f else {},
            "inferred": list(f.inferred) if f else [],
            "outputs": [o.to_json() for o in self.outputs],
            "params": self.params,
            "trainable_params": self.trainable_params,
            "flops": f.flops if f else 0,
            "activation_bytes": f.activation_bytes if f else 0,
            "param_bytes": f.param_bytes if f else 0,
            "status": self.status.value,
            "error": self.error.message if self.error else None,
        }


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}


@dataclass
class Totals:
    params: int = 0
    trainable_params: int = 0
    flops: int = 0
    param_bytes: int = 0
    activation_bytes: int = 0


@dataclass
class Analysis:
    """The answer of one analysis: per node results in topological order, totals and errors."""

    nodes: dict[str, NodeResult]
    inputs: dict[str, TensorMeta]
    outputs: list[tuple[str, TensorMeta | None]]
    errors: list[GraphError]
    totals: Totals = field(default_factory=Totals)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def order(self) -> list[str]:
        return list(self.nodes)

    def meta(self, ref: str) -> TensorMeta | None:
        """The tensor a reference names, when it was analysed."""
        from server.graph import parse_ref

        r = parse_ref(ref)
        if r is None:
            return None
        if r.node in self.inputs:
            return self.inputs[r.node] if r.port == 0 else None
        node = self.nodes.get(r.node)
        return node.outputs[r.port] if node and r.port < len(node.outputs) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "nodes": {nid: n.to_json() for nid, n in self.nodes.items()},
            "outputs": [
                {"ref": ref, "shape": list(m.shape) if m else None, "dtype": m.dtype if m else None}
                for ref, m in self.outputs
            ],
            "totals": vars(self.totals).copy(),
            "errors": [e.to_dict() for e in self.errors],
        }

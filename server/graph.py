"""Graph format v1: the wire models and the structural checks (ids, references, cycles).

The pydantic models accept anything shaped like a graph, so that a design mistake (a bad id, a
dangling reference, a cycle) is answered as an error on a node rather than a 422 on the body;
`check_structure` finds those mistakes and orders the nodes for the passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from server.errors import GraphError, LimitExceeded

MAX_ID_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names nn.Module already owns: a node called `forward` or `training` would shadow them.
RESERVED_IDS = frozenset(n for n in dir(torch.nn.Module) if not n.startswith("__")) | {"self"}


class DType(StrEnum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int64 = "int64"

    @property
    def torch(self) -> torch.dtype:
        return TORCH_DTYPES[self]


TORCH_DTYPES = {
    DType.float32: torch.float32,
    DType.float16: torch.float16,
    DType.bfloat16: torch.bfloat16,
    DType.int64: torch.int64,
}
DTYPE_NAMES = {v: k.value for k, v in TORCH_DTYPES.items()}

Dim = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
ShortText = Annotated[str, Field(max_length=200)]


class InputIn(BaseModel):
    """A graph input: a tensor of fixed shape fed to the network."""

    model_config = ConfigDict(extra="forbid")
    id: ShortText
    shape: list[Dim] = Field(min_length=0, max_length=8)
    dtype: DType = DType.float32
    ui: dict[str, Any] | None = None


class NodeIn(BaseModel):
    """One layer or tensor op; `inputs` are references `id` or `id:N`."""

    model_config = ConfigDict(extra="forbid")
    id: ShortText
    op: ShortText
    args: dict[ShortText, Any] = Field(default_factory=dict)
    inputs: list[ShortText] = Field(default_factory=list, max_length=64)
    trainable: bool = True
    init: dict[ShortText, ShortText] = Field(default_factory=dict)
    ui: dict[str, Any] | None = None


class GraphIn(BaseModel):
    """A design in graph format v1."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    name: Annotated[str, Field(max_length=200)] = "design"
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] = 0
    inputs: list[InputIn] = Field(min_length=1, max_length=16)
    nodes: list[NodeIn] = Field(default_factory=list)
    outputs: list[ShortText] = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class Ref:
    """A parsed reference to output `port` of `node`."""

    node: str
    port: int

    def __str__(self) -> str:
        return self.node if self.port == 0 else f"{self.node}:{self.port}"


def parse_ref(text: str) -> Ref | None:
    """`"id"` -> port 0, `"id:N"` -> port N; None when the text is not a reference at all."""
    name, sep, port = text.partition(":")
    if not sep:
        return Ref(name, 0)
    if port.isdigit() and len(port) <= 3:
        return Ref(name, int(port))
    return None


def id_problem(node_id: str) -> str | None:
    """Why `node_id` cannot name a module attribute, or None when it can."""
    if not ID_PATTERN.fullmatch(node_id):
        return "ids use ASCII letters, digits and '_' and do not start with a digit"
    if len(node_id) > MAX_ID_LENGTH:
        return f"ids are at most {MAX_ID_LENGTH} characters"
    if node_id in RESERVED_IDS:
        return f"{node_id!r} is a name nn.Module already uses"
    return None


def _safe_id(text: str) -> str:
    """An id as it may appear in an error: shortened, so a hostile id cannot flood the answer."""
    return text if len(text) <= MAX_ID_LENGTH else text[:MAX_ID_LENGTH] + "..."


@dataclass
class Structure:
    """What the structural checks learned: node order and the errors found on the way."""

    order: list[NodeIn]
    refs: dict[str, list[Ref]]
    errors: list[GraphError]
    broken: set[str]


def _check_ids(graph: GraphIn) -> tuple[list[GraphError], set[str]]:
    errors: list[GraphError] = []
    broken: set[str] = set()
    seen: set[str] = set()
    items: list[InputIn | NodeIn] = [*graph.inputs, *graph.nodes]
    for item in items:
        problem = id_problem(item.id)
        if problem is None and item.id in seen:
            problem = "this id is used twice: ids are unique across inputs and nodes"
        if problem is not None:
            errors.append(GraphError(_safe_id(item.id), f"invalid id {_safe_id(item.id)!r}: {problem}"))
            broken.add(item.id)
        seen.add(item.id)
    return errors, broken


def _check_refs(graph: GraphIn, known: set[str]) -> tuple[dict[str, list[Ref]], list[GraphError]]:
    refs: dict[str, list[Ref]] = {}
    errors: list[GraphError] = []
    for node in graph.nodes:
        parsed: list[Ref] = []
        for text in node.inputs:
            ref = parse_ref(text)
            if ref is None or ref.node not in known:
                errors.append(
                    GraphError(
                        _safe_id(node.id),
                        f"input {_safe_id(text)!r} refers to nothing: connect it to an input or a node "
                        f"(known ids: {', '.join(sorted(known)[:12])})",
                    )
                )
                continue
            if ref.node == node.id:
                errors.append(GraphError(node.id, "a node cannot take its own output as input"))
                continue
            parsed.append(ref)
        refs[node.id] = parsed
    return refs, errors


def _order(graph: GraphIn, refs: dict[str, list[Ref]]) -> tuple[list[NodeIn], list[GraphError]]:
    """Kahn's algorithm; nodes left over sit on (or behind) a cycle."""
    by_id = {n.id: n for n in graph.nodes}
    pending = {n.id: {r.node for r in refs.get(n.id, []) if r.node in by_id} for n in graph.nodes}
    users: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for nid, deps in pending.items():
        for dep in deps:
            users[dep].append(nid)
    ready = [n.id for n in graph.nodes if not pending[n.id]]
    order: list[NodeIn] = []
    while ready:
        nid = ready.pop(0)
        order.append(by_id[nid])
        for user in users[nid]:
            pending[user].discard(nid)
            if not pending[user]:
                ready.append(user)
    left = [n.id for n in graph.nodes if pending[n.id]]
    if not left:
        return order, []
    cycle = ", ".join(left[:10])
    return order, [
        GraphError(nid, f"{nid} is part of a cycle ({cycle}): remove one of the connections") for nid in left
    ]


def check_structure(graph: GraphIn) -> Structure:
    """Ids, references and cycles; returns the nodes in an order where inputs come first."""
    errors, broken = _check_ids(graph)
    known = {i.id for i in graph.inputs} | {n.id for n in graph.nodes}
    refs, ref_errors = _check_refs(graph, known)
    errors += ref_errors
    broken |= {e.node for e in ref_errors}
    order, cycle_errors = _order(graph, refs)
    errors += cycle_errors
    broken |= {e.node for e in cycle_errors}
    for text in graph.outputs:
        ref = parse_ref(text)
        if ref is None or ref.node not in known:
            errors.append(
                GraphError("outputs", f"output {_safe_id(text)!r} refers to nothing: name a node or input")
            )
    return Structure(order=order, refs=refs, errors=errors, broken=broken)


def check_size(graph: GraphIn, max_nodes: int, max_inputs: int = 64) -> None:
    """Refuses a design over the size limits before any work is done on it."""
    if len(graph.nodes) > max_nodes:
        raise LimitExceeded(
            f"the design has {len(graph.nodes)} nodes; this server analyses at most {max_nodes} "
            "(TORCHCANVAS_MAX_NODES)"
        )
    for node in graph.nodes:
        if len(node.inputs) > max_inputs:
            raise LimitExceeded(
                f"node {node.id[:64]!r} has {len(node.inputs)} inputs; at most {max_inputs} are allowed "
                "(TORCHCANVAS_MAX_INPUTS_PER_NODE)"
            )

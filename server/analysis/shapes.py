"""The shape pass: each node made on the meta device and run on meta tensors, in topological
order, like torch.fx's ShapeProp. Nothing is allocated, so a 400M-parameter design costs what a
tiny one does. What a node learns depends only on its op, args, init and input tensors, so it is
cached: re-analysing after one edit reuses every node the edit did not reach."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from math import prod
from typing import Any

import torch

from server.analysis.resolve import check_ports, lookup, resolve_args
from server.analysis.results import NodeFacts, TensorMeta
from server.errors import GraphError
from server.graph import DTYPE_NAMES, NodeIn
from server.ops.init import apply_init
from server.ops.make import call, instantiate
from server.registry import OpSpec

CacheKey = tuple[str, str, str, tuple[TensorMeta, ...]]


class FactsCache:
    """A small thread-safe LRU of node facts (or the error a node gave)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[CacheKey, NodeFacts | tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> NodeFacts | tuple[str, Any] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: CacheKey, value: NodeFacts | tuple[str, Any]) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


CACHE = FactsCache(4096)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def _meta_tensor(m: TensorMeta) -> torch.Tensor:
    return torch.empty(m.shape, dtype=_TORCH[m.dtype], device="meta")


_TORCH = {name: dtype for dtype, name in DTYPE_NAMES.items()}


def _to_meta(value: Any) -> TensorMeta:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"produced {type(value).__name__}, not a tensor")
    name = DTYPE_NAMES.get(value.dtype)
    if name is None:
        raise TypeError(f"produced a {value.dtype} tensor, which graph format v1 cannot carry")
    return TensorMeta(tuple(value.shape), name)


def _module_dtype(inputs: list[TensorMeta]) -> torch.dtype | None:
    """Half-precision inputs make the layer half precision too; int64 ids leave it float32."""
    for m in inputs:
        if m.dtype in ("float16", "bfloat16"):
            return _TORCH[m.dtype]
    return None


def _run(node: NodeIn, spec: OpSpec, args: dict[str, Any], inputs: list[TensorMeta]) -> tuple[list[Any], int, int]:
    module = None
    params = param_bytes = 0
    if spec.kind == "module":
        try:
            module = instantiate(spec, args, "meta")
            if (dtype := _module_dtype(inputs)) is not None:
                module = module.to(dtype)
        except Exception as e:
            raise GraphError(node.id, f"{spec.name} cannot be made with these arguments: {_first_line(e)}") from e
        if node.init and (problem := apply_init(module, node.init)):
            raise GraphError(node.id, problem)
        for p in module.parameters():
            params += p.numel()
            param_bytes += p.numel() * p.element_size()
    shapes = [list(m.shape) for m in inputs]
    tensors = [_meta_tensor(m) for m in inputs]
    steps = None
    if spec.time_dim is not None:
        t = spec.time_dim(args, len(shapes[0]))
        steps, tensors[0] = shapes[0][t], tensors[0].narrow(t, 0, min(1, shapes[0][t]))
    try:
        with torch.no_grad():
            outputs = call(spec, module, tensors, args)
    except Exception as e:
        raise GraphError(node.id, f"{spec.name} cannot take input {_shapes_text(shapes)}: {_first_line(e)}") from e
    if steps is not None and spec.time_dim is not None:
        shape = list(outputs[0].shape)
        shape[spec.time_dim(args, len(shape))] = steps
        outputs[0] = outputs[0].new_empty(shape)
    return outputs, params, param_bytes


def _shapes_text(shapes: list[list[int]]) -> str:
    return ", ".join(str(s) for s in shapes)


def compute_facts(node: NodeIn, spec: OpSpec, inputs: list[TensorMeta]) -> NodeFacts:
    """Resolves, makes and runs one node on meta tensors; raises GraphError naming it."""
    check_ports(node, spec)
    shapes = [list(m.shape) for m in inputs]
    try:
        args, inferred = resolve_args(node, spec, shapes)
    except (IndexError, TypeError) as e:
        raise GraphError(node.id, f"{spec.name} cannot take input {_shapes_text(shapes)}: wrong rank") from e
    raw, params, param_bytes = _run(node, spec, args, inputs)
    try:
        outputs = tuple(_to_meta(v) for v in raw)
    except TypeError as e:
        raise GraphError(node.id, f"{spec.name} {e}") from e
    out_shapes = [list(o.shape) for o in outputs]
    flops = spec.flops(args, shapes, out_shapes) if spec.flops else 0
    activation_bytes = sum(prod(o.shape) * _TORCH[o.dtype].itemsize for o in outputs)
    layer_dtype = _module_dtype(inputs) if spec.kind == "module" else None
    return NodeFacts(args, inferred, outputs, params, param_bytes, flops, activation_bytes,
                     DTYPE_NAMES[layer_dtype] if layer_dtype is not None else None)


def node_facts(node: NodeIn, inputs: list[TensorMeta], cache: FactsCache = CACHE) -> NodeFacts:
    """`compute_facts` through the cache; a cached failure is raised again for this node."""
    spec = lookup(node)
    key: CacheKey = (node.op, json.dumps(node.args, sort_keys=True, default=str),
                     json.dumps(node.init, sort_keys=True), tuple(inputs))
    hit = cache.get(key)
    if isinstance(hit, NodeFacts):
        return hit
    if hit is not None:
        raise GraphError(node.id, hit[0], hit[1])
    try:
        facts = compute_facts(node, spec, inputs)
    except GraphError as e:
        cache.put(key, (e.message, e.fix))
        raise
    cache.put(key, facts)
    return facts

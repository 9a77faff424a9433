"""The op registry: one data entry per op, the single source the palette, forms, validation,
analysis, building and code export read. Only names registered here are ever looked up.

Module ops take their argument names and defaults from torch's own constructor signatures and
their types, ranges and docs from `server.ops.args` (curated where a signature says too little);
an argument the curated table does not know is a registration error, not a silent guess.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import torch
from torch import nn

from server.ops.args import ARG_TYPES, ArgKind, ArgType

Tensors = Sequence[torch.Tensor]
ShapeFn = Callable[[list[list[int]]], Any]
FlopFn = Callable[[dict[str, Any], list[list[int]], list[list[int]]], int]


class Category(StrEnum):
    linear = "linear"
    convolution = "convolution"
    pooling = "pooling"
    recurrent = "recurrent"
    attention = "attention"
    transformer = "transformer"
    activation = "activation"
    normalization = "normalization"
    regularization = "regularization"
    structure = "structure"
    tensor = "tensor"


@dataclass(frozen=True)
class Port:
    name: str
    optional: bool = False
    variadic: bool = False


@dataclass(frozen=True)
class Inference:
    """How an argument follows from the incoming tensor(s), and what to call it in a message."""

    infer: ShapeFn
    phrase: str
    consistent: Callable[[Any, list[list[int]]], bool] | None = None


@dataclass(frozen=True)
class ArgSpec:
    name: str
    type: ArgType
    default: Any
    required: bool
    doc: str
    inferred: Inference | None = None

    def to_json(self) -> dict[str, Any]:
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name, "type": self.type.kind.value, "default": None if self.required else default,
            "required": self.required and self.inferred is None, "nullable": self.type.nullable,
            "choices": list(self.type.choices) if self.type.choices else None,
            "min": self.type.min, "max": self.type.max, "doc": self.doc, "inferred": self.inferred is not None,
        }


def _single(result: Any) -> list[torch.Tensor]:
    return [result]


@dataclass(frozen=True)
class OpSpec:
    """One registered op. `build` makes the nn.Module (module ops); `fn` computes (tensor ops)."""

    name: str
    category: Category
    doc: str
    kind: str
    args: tuple[ArgSpec, ...]
    inputs: tuple[Port, ...] = (Port("input"),)
    outputs: tuple[str, ...] = ("output",)
    cls: type[nn.Module] | None = None
    fn: Callable[..., torch.Tensor] | None = None
    code: str = ""
    flops: FlopFn | None = None
    # How the flat input ports become call arguments, and where each output port sits in the result.
    pack: Callable[[list[Any]], tuple[Any, ...]] = tuple
    out_paths: tuple[tuple[int, ...], ...] = ((),)
    check: Callable[[dict[str, Any], list[list[int]]], str | None] | None = None
    # Recurrent ops: which dim of input 0 (and output 0) is time. The shape pass runs them on one
    # step, since torch runs recurrences on meta tensors step by step in Python (slow for long
    # sequences) and no shape but the time dim of output 0 depends on the length.
    time_dim: Callable[[dict[str, Any], int], int] | None = None

    @property
    def arg_names(self) -> dict[str, ArgSpec]:
        return {a.name: a for a in self.args}

    def port_range(self) -> tuple[int, int | None]:
        """How many inputs the op accepts: (at least, at most or None for any number)."""
        low = sum(1 for p in self.inputs if not p.optional and not p.variadic)
        if any(p.variadic for p in self.inputs):
            return max(low, 1), None
        return low, len(self.inputs)

    def unpack(self, result: Any) -> list[Any]:
        out = []
        for path in self.out_paths:
            value = result
            for i in path:
                value = value[i]
            out.append(value)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "category": self.category.value, "kind": self.kind, "doc": self.doc,
            "inputs": [{"name": p.name, "optional": p.optional, "variadic": p.variadic} for p in self.inputs],
            "outputs": list(self.outputs), "args": [a.to_json() for a in self.args],
        }


REGISTRY: dict[str, OpSpec] = {}

# Constructor parameters that are never a user's to set: placement and dtype are the engine's,
# private ones are torch's own, and return_indices would change the op's outputs.
NEVER_ARGS = frozenset({"self", "device", "dtype", "return_indices", "_weight", "_freeze"})


def register(spec: OpSpec) -> OpSpec:
    if spec.name in REGISTRY:
        raise ValueError(f"op {spec.name} registered twice")
    REGISTRY[spec.name] = spec
    return spec


def _signature_args(
    signature: inspect.Signature, inferred: dict[str, Inference], skip: set[str], docs: dict[str, str],
    defaults: dict[str, Any],
) -> list[ArgSpec]:
    out = []
    for p in signature.parameters.values():
        if p.name in NEVER_ARGS or p.name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name not in ARG_TYPES:
            raise ValueError(f"argument {p.name!r} has no curated type in server.ops.args")
        kind, doc = ARG_TYPES[p.name]
        default = defaults.get(p.name, p.default)
        required = default is inspect.Parameter.empty
        out.append(ArgSpec(p.name, kind, None if required else default, required, docs.get(p.name, doc),
                           inferred.get(p.name)))
    return out


def module_op(
    cls: type[nn.Module],
    category: Category,
    doc: str,
    *,
    inferred: dict[str, Inference] | None = None,
    exclude: Sequence[str] = (),
    docs: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    signature_of: Callable[..., Any] | None = None,
    added: Sequence[tuple[str, Any]] = (),
    **extra: Any,
) -> OpSpec:
    """Registers a torch.nn class; its arguments come from the constructor's signature
    (`signature_of` names another callable when the class only forwards *args, as LSTM does)."""
    signature = inspect.signature(signature_of or cls.__init__)
    args = _signature_args(signature, inferred or {}, {"mode", *exclude}, docs or {}, defaults or {})
    args += [ArgSpec(n, ARG_TYPES[n][0], d, False, ARG_TYPES[n][1]) for n, d in added]
    return register(OpSpec(name=cls.__name__, category=category, doc=doc, kind="module", args=tuple(args),
                           cls=cls, **extra))


def function_op(
    name: str, fn: Callable[..., torch.Tensor], doc: str, code: str, args: Sequence[tuple[str, Any, bool]],
    **extra: Any,
) -> OpSpec:
    """Registers a tensor op; `args` are (name, default, required) with types from the curated table."""
    specs = tuple(ArgSpec(n, ARG_TYPES[n][0], d, r, ARG_TYPES[n][1]) for n, d, r in args)
    return register(OpSpec(name=name, category=Category.tensor, doc=doc, kind="function", args=specs, fn=fn,
                           code=code, **extra))


@cache
def registry_json() -> dict[str, Any]:
    """The registry as the canvas reads it; made once, since ops register at import."""
    return {
        "categories": [c.value for c in Category if any(s.category == c for s in REGISTRY.values())],
        "arg_kinds": [k.value for k in ArgKind],
        "ops": [spec.to_json() for spec in REGISTRY.values()],
    }


def _load() -> None:
    # Built-ins register through the same public `register` an extension would use.
    from server.ops import layers, tensor_ops  # noqa: F401


_load()

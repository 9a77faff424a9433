"""Turns a node's JSON args into the constructor keywords torch gets: names checked against the
registry, values against their types, and the arguments the input tensor decides inferred."""

from __future__ import annotations

from typing import Any

from server.errors import GraphError
from server.graph import NodeIn
from server.ops.args import convert
from server.registry import REGISTRY, OpSpec


def lookup(node: NodeIn) -> OpSpec:
    spec = REGISTRY.get(node.op)
    if spec is not None:
        return spec
    near = [name for name in REGISTRY if name.lower() == node.op.lower()]
    hint = f"did you mean {near[0]}?" if near else "pick an op from GET /api/v1/ops"
    raise GraphError(node.id, f"unknown op {node.op[:64]!r}: {hint}", {"op": near[0]} if near else None)


def check_ports(node: NodeIn, spec: OpSpec) -> None:
    low, high = spec.port_range()
    n = len(node.inputs)
    if n < low or (high is not None and n > high):
        ports = ", ".join(p.name + ("?" if p.optional else "") + ("..." if p.variadic else "") for p in spec.inputs)
        want = f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
        raise GraphError(node.id, f"{spec.name} takes {want} input(s) ({ports}) but has {n}: connect them in order")


def _converted(node: NodeIn, spec: OpSpec) -> dict[str, Any]:
    known = spec.arg_names
    out: dict[str, Any] = {}
    for name, value in node.args.items():
        arg = known.get(name)
        if arg is None:
            listed = ", ".join(known) or "none"
            raise GraphError(node.id, f"{spec.name} has no argument {name[:64]!r} (its arguments: {listed}): remove it",
                             {"args": {name: None}})
        converted, problem = convert(arg.type, value)
        if problem is not None:
            fix = {"args": {name: arg.default}} if not arg.required else None
            raise GraphError(node.id, f"{spec.name} argument {name} must be {problem}, got {str(value)[:40]}", fix)
        out[name] = converted
    return out


def resolve_args(node: NodeIn, spec: OpSpec, shapes: list[list[int]]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The full keyword set (defaults included) and which of them were inferred from the input."""
    given = _converted(node, spec)
    if spec.check is not None and (problem := spec.check(given, shapes)):
        raise GraphError(node.id, problem)
    args: dict[str, Any] = {}
    inferred: list[str] = []
    for arg in spec.args:
        if arg.inferred is not None:
            value = arg.inferred.infer(shapes)
            if arg.name not in given:
                args[arg.name] = value
                inferred.append(arg.name)
                continue
            consistent = arg.inferred.consistent
            same = consistent(given[arg.name], shapes) if consistent else given[arg.name] == value
            if not same:
                raise GraphError(
                    node.id,
                    f"{spec.name} expects {_show(given[arg.name])} {arg.inferred.phrase} but gets {shapes[0]}: "
                    f"set {arg.name}={_show(value)} or leave it out",
                    {"args": {arg.name: value}},
                )
            args[arg.name] = given[arg.name]
        elif arg.name in given:
            args[arg.name] = given[arg.name]
        elif arg.required:
            raise GraphError(node.id, f"{spec.name} needs {arg.name} ({arg.doc}): set it")
        else:
            args[arg.name] = arg.default
    return args, tuple(inferred)


def _show(value: Any) -> str:
    return str(list(value)) if isinstance(value, tuple) else str(value)

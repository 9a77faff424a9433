"""A design as a standalone Python module: one `nn.Module` subclass that reads like hand-written code.

Safety: user text never becomes code. Names come from ids that passed `id_problem` (checked again
here), layer classes from the registry, init functions from the init allowlist, and every
argument value is written through `literal`, which accepts only plain constants.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from server.analysis import Analysis, analyze
from server.errors import GraphError, InvalidDesign
from server.graph import GraphIn, NodeIn, id_problem, parse_ref
from server.ops.init import INIT_FUNCTIONS, matches
from server.ops.make import instantiate
from server.registry import REGISTRY, OpSpec

# Names the module itself uses: a node called `torch` must not shadow the import in forward.
# `_` marks unused outputs; keywords (ids may be keywords) get a trailing `_` like any taken name.
TAKEN = frozenset({"torch", "nn", "self", "super", "model", "_", *dir(builtins), *keyword.kwlist})


class Unwritable(GraphError):
    """An argument value that has no plain Python literal (it cannot have come from JSON)."""


def literal(value: Any, node: str = "") -> str:
    """Python source for a constant: bools, numbers, strings, None, and lists/tuples of them."""
    if isinstance(value, str) and value.isascii() and value.isprintable() and not set(value) & {'"', "\\"}:
        return f'"{value}"'  # the quotes a person (and ruff format) would use
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, list | tuple):
        items = [literal(v, node) for v in value]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    raise Unwritable(node, f"an argument of type {type(value).__name__} cannot be written as code")


def class_name(design_name: str) -> str:
    """CamelCase from the design's name ('residual block' -> 'ResidualBlock'); ASCII only."""
    words = re.findall(r"[A-Za-z0-9]+", design_name)
    name = "".join(w[0].upper() + w[1:] for w in words)[:64]
    if not name or not name[0].isalpha() or name in TAKEN or keyword.iskeyword(name):
        name = "Design" + name
    return name


def _identifier(text: str) -> str:
    """A node or input id, verified once more right before it is written into source."""
    if id_problem(text) is not None or not text.isidentifier():
        raise GraphError(text[:64], "this id cannot be written as a Python name")
    return text


@dataclass
class Names:
    """Local variable names for (node, port) values: ids where possible, never shadowing."""

    used: set[str] = field(default_factory=lambda: set(TAKEN))
    of: dict[tuple[str, int], str] = field(default_factory=dict)

    def bind(self, node: str, port: int, hint: str) -> str:
        name = hint
        while name in self.used:
            name += "_"
        self.used.add(name)
        self.of[(node, port)] = name
        return name

    def ref(self, text: str) -> str:
        r = parse_ref(text)
        assert r is not None
        return self.of[(r.node, r.port)]


def _constructor(spec: OpSpec, args: dict[str, Any], node: str) -> list[str]:
    """The arguments of `nn.Conv2d(3, 16, 3, padding=1)`: leading required ones by position,
    others only when they differ from their defaults."""
    if spec.cls is None or getattr(nn, spec.name, None) is not spec.cls:
        raise GraphError(node, f"{spec.name} is not a torch.nn class and cannot be exported")
    parts: list[str] = []
    positional = True
    for arg in spec.args:
        if arg.name not in args:
            positional = False
            continue
        value = args[arg.name]
        positional = positional and arg.required
        if positional:
            parts.append(literal(value, node))
        elif arg.required or not (type(value) is type(arg.default) and value == arg.default):
            parts.append(f"{_identifier(arg.name)}={literal(value, node)}")
    return parts


def _init_lines(spec: OpSpec, node: NodeIn, args: dict[str, Any]) -> list[str]:
    """`nn.init.xavier_uniform_(self.fc.weight)` for each parameter an `init` entry names."""
    if not node.init:
        return []
    params = [name for name, _ in instantiate(spec, args, "meta").named_parameters()]
    lines = []
    for key, choice in node.init.items():
        fn = INIT_FUNCTIONS[choice]  # the analysis has rejected anything off the allowlist
        for name in params:
            if matches(key, name):
                path = ".".join(_identifier_part(p) for p in name.split("."))
                lines.append(f"nn.init.{fn.__name__}({_layer(node.id)}.{path})")
    return lines


def _layer(node_id: str) -> str:
    """How forward reaches a layer: `self.conv1`, or `getattr(self, "global")` when the id is a
    Python keyword (graph format v1 allows those; `self.global` would not parse)."""
    return f"getattr(self, {node_id!r})" if keyword.iskeyword(node_id) else f"self.{node_id}"


def _identifier_part(text: str) -> str:
    if not text.isidentifier():
        raise GraphError("", f"parameter path {text!r} is not a Python name")
    return text


def _live(graph: GraphIn) -> set[str]:
    """Nodes some output depends on; the others keep their layers (so weights load) but do not run."""
    by_id = {n.id: n for n in graph.nodes}
    todo = [r.node for r in map(parse_ref, graph.outputs) if r is not None]
    live: set[str] = set()
    while todo:
        nid = todo.pop()
        if nid in by_id and nid not in live:
            live.add(nid)
            todo += [r.node for r in map(parse_ref, by_id[nid].inputs) if r is not None]
    return live


def _pattern(paths: tuple[tuple[int, ...], ...], names: list[str]) -> str:
    """The assignment target that unpacks a call's result, e.g. `out, (h_n, c_n)`; `_` where unused."""
    tree: dict[int, Any] = {}
    for path, name in zip(paths, names, strict=True):
        if not path:
            return name
        here = tree
        for i in path[:-1]:
            here = here.setdefault(i, {})
        here[path[-1]] = name

    def render(t: dict[int, Any] | str, top: bool) -> str:
        if isinstance(t, str):
            return t
        parts = [render(t[i], False) for i in sorted(t)]
        if all(p == "_" for p in parts):
            return "_"
        return ", ".join(parts) if top else "(" + ", ".join(parts) + ")"

    return render(tree, True)


def _call_args(packed: tuple[Any, ...]) -> str:
    return ", ".join(p if isinstance(p, str) else "(" + _call_args(p) + ")" for p in packed)


def _port_name(node: str, port: int, name: str) -> str:
    """`encoder_h_n` for port h_n of node encoder; `attn_weights`, not `attn_attn_weights`."""
    return node if port == 0 else name if name.startswith(node + "_") else f"{node}_{name}"


def _forward_lines(spec: OpSpec, node: NodeIn, args: dict[str, Any], names: Names, wanted: set[int]) -> list[str]:
    inputs = [names.ref(t) for t in node.inputs]
    if spec.kind == "module":
        outs = [names.bind(node.id, i, _port_name(node.id, i, port)) if i in wanted else "_"
                for i, port in enumerate(spec.outputs)]
        parts = [_call_args((p,)) for p in spec.pack(inputs)]
        return _call_lines(_pattern(spec.out_paths, outs), _layer(node.id), parts)
    values = {k: literal(v, node.id) for k, v in args.items()}
    call = spec.code.format(*inputs, inputs=", ".join(inputs), **values)
    return [f"{names.bind(node.id, 0, node.id)} = {call}"]


def _wanted_ports(graph: GraphIn, live: set[str]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for text in [*graph.outputs, *(t for n in graph.nodes if n.id in live for t in n.inputs)]:
        r = parse_ref(text)
        if r is not None:
            wanted.setdefault(r.node, set()).add(r.port)
    return wanted


def _example(graph: GraphIn, analysis: Analysis) -> list[str]:
    """Source for one example input per graph input (token ids stay below every vocabulary fed)."""
    vocab: dict[str, int] = {}
    for node in graph.nodes:
        result = analysis.nodes[node.id]
        ref = parse_ref(node.inputs[0]) if node.inputs else None
        if result.op == "Embedding" and result.facts and ref is not None:
            n = int(result.facts.args["num_embeddings"])
            vocab[ref.node] = min(vocab.get(ref.node, n), n)
    out = []
    for inp in graph.inputs:
        shape = ", ".join(str(int(d)) for d in inp.shape)
        if inp.dtype.value == "int64":
            out.append(f"torch.randint(0, {vocab.get(inp.id, 2)}, {literal(tuple(inp.shape))})")
        elif inp.dtype.value == "float32":
            out.append(f"torch.randn({shape})")
        else:
            out.append(f"torch.randn({shape}, dtype=torch.{inp.dtype.value})")
    return out


def _in_order(graph: GraphIn, analysis: Analysis) -> list[NodeIn]:
    """The nodes as the person listed them when that order already runs, else topologically."""
    seen = {i.id for i in graph.inputs}
    for node in graph.nodes:
        if any((r := parse_ref(t)) is None or r.node not in seen for t in node.inputs):
            by_id = {n.id: n for n in graph.nodes}
            return [by_id[nid] for nid in analysis.order]
        seen.add(_identifier(node.id))
    return list(graph.nodes)


def _class_source(graph: GraphIn, analysis: Analysis, name: str) -> list[str]:
    inits: list[str] = []
    extras: list[str] = []
    forward: list[str] = []
    names = Names()
    params = [names.bind(i.id, 0, _identifier(i.id)) for i in graph.inputs]
    live = _live(graph)
    wanted = _wanted_ports(graph, live)
    for node in _in_order(graph, analysis):
        spec = REGISTRY[analysis.nodes[node.id].op]
        facts = analysis.nodes[node.id].facts
        assert facts is not None
        if spec.kind == "module":
            parts = _constructor(spec, facts.args, node.id)
            cast = f".to(torch.{facts.layer_dtype})" if facts.layer_dtype else ""
            if keyword.iskeyword(node.id):
                made = f"nn.{spec.name}({', '.join(parts)}){cast}"
                inits += _call_lines("", "self.add_module", [repr(node.id), made])
            else:
                inits += _call_lines(f"self.{node.id}", f"nn.{spec.name}", parts, suffix=cast)
            extras += _init_lines(spec, node, facts.args)
            if not node.trainable:
                extras.append(f"{_layer(node.id)}.requires_grad_(False)")
        if node.id in live:
            forward += _forward_lines(spec, node, facts.args, names, wanted.get(node.id, set()))
    forward = _with_return(forward, [names.ref(t) for t in graph.outputs])
    totals = analysis.totals
    return [
        f"class {name}(nn.Module):",
        f'    """{totals.params:,} parameters, {totals.trainable_params:,} trainable."""',
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        *(f"        {line}" for line in inits + extras),
        "",
        *(f"    {line}" for line in _signature(params, len(graph.outputs))),
        *(f"        {line}" for line in forward),
    ]


def _with_return(lines: list[str], results: list[str]) -> list[str]:
    """`return self.fc2(x)` rather than `fc2 = self.fc2(x)` then `return fc2`, as people write it."""
    if len(results) == 1 and lines and lines[-1].startswith(f"{results[0]} = "):
        return [*lines[:-1], "return " + lines[-1].removeprefix(f"{results[0]} = ")]
    return [*lines, *_call_lines("", "return ", results, bare=True)]


def _signature(params: list[str], outputs: int) -> list[str]:
    """`def forward(self, x: torch.Tensor) -> torch.Tensor:`, one parameter per line when long."""
    returns = ("torch.Tensor" if outputs == 1 else "tuple[torch.Tensor, ...]" if outputs > 3
               else f"tuple[{', '.join(['torch.Tensor'] * outputs)}]")
    typed = [f"{p}: torch.Tensor" for p in params]
    return _call_lines("", "def forward", ["self", *typed], suffix=f" -> {returns}:")


def _call_lines(target: str, callee: str, parts: list[str], *, suffix: str = "", bare: bool = False,
                width: int = 100) -> list[str]:
    """`target = callee(parts)`, one argument per line when that is too long (as ruff format would);
    `bare` writes `return a, b` rather than a call."""
    head = f"{target} = {callee}" if target and target != "_" else callee
    opening, closing = ("", "") if bare else ("(", ")")
    line = f"{head}{opening}{', '.join(parts)}{closing}{suffix}"
    if len(line) <= width or not parts or (bare and len(parts) == 1):  # `return (x,)` would be a tuple
        return [line]
    return [f"{head}(", *(f"    {p}," for p in parts), f"){suffix}"]


def _main_source(name: str, example: list[str], outputs: int) -> list[str]:
    call = f"model({', '.join(example)})"
    shown = ('    print("output shape:", tuple(out.shape))' if outputs == 1 else
             "    for i, out in enumerate(outs):\n"
             '        print(f"output {i} shape:", tuple(out.shape))')
    return [
        'if __name__ == "__main__":',
        f"    model = {name}().eval()",
        "    print(model)",
        "    total = sum(p.numel() for p in model.parameters())",
        "    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)",
        '    print(f"parameters: {total:,} (trainable: {trainable:,})")',
        "    with torch.no_grad():",
        f"        {'out' if outputs == 1 else 'outs'} = {call}",
        shown,
    ]


def python_module(graph: GraphIn, analysis: Analysis | None = None) -> str:
    """The source of a module defining the design's class; raises InvalidDesign on a broken design."""
    analysis = analysis or analyze(graph)
    if not analysis.ok:
        raise InvalidDesign(analysis.errors)
    name = class_name(graph.name)
    body = _class_source(graph, analysis, name)
    lines = [
        f'"""{name}: a network designed in Torchcanvas.',
        "",
        "Inputs:",
        *(f"    {i.id}: {list(i.shape)} {i.dtype.value}" for i in graph.inputs),
        "",
        "Load trained weights with `model.load_state_dict(...)`; run it as a script for a summary.",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        f'__all__ = ["{name}"]',
        "",
        "",
        *body,
        "",
        "",
        *_main_source(name, _example(graph, analysis), len(graph.outputs)),
    ]
    return "\n".join(lines) + "\n"


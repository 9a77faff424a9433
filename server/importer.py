"""Import: a person's own `nn.Module`, traced with torch.fx, as a design in graph format v1.

This runs the person's code, so it only ever runs on their machine, through the CLI
(`python -m server import model.py:Net --input-shape 1,3,224,224`); no route of the server
imports this module. Modules map to registered ops, tensor functions and methods to ours;
anything else is reported with the source line that uses it. The design is then built and run
against the module on the same input with the module's own weights, so what is written is known
to compute the same thing.
"""

from __future__ import annotations

import importlib.util
import operator
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from server.graph import DType, id_problem
from server.registry import REGISTRY, OpSpec

TORCH_DIR = str(Path(torch.__file__).parent)


class Blocked(ValueError):
    """A value that an earlier, already reported problem kept from being made."""


class ImportFailed(Exception):
    """The module cannot become a design; `problems` say where and why, one per line of code."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_class(target: str) -> type[nn.Module]:
    """`path/to/model.py:ClassName` -> the class (running the file, as `python model.py` would)."""
    path_text, sep, name = target.rpartition(":")
    path = Path(path_text)
    if not sep or not name.isidentifier() or path.suffix != ".py" or not path.is_file():
        raise ImportFailed([f"{target}: expected path/to/file.py:ClassName"])
    spec = importlib.util.spec_from_file_location(f"torchcanvas_import_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ImportFailed([f"{target}: {name} is not an nn.Module subclass in {path}"])
    return cls


@dataclass(frozen=True)
class Multi:
    """A value still inside a multi-output layer's result: LSTM's `out[1]` is `(h_n, c_n)`."""

    node: str
    spec: OpSpec
    path: tuple[int, ...]


def _where(node: fx.Node) -> str:
    """`model.py:42: x = x.view(x.size(0), -1)` from the trace's record of the user's code."""
    trace = node.stack_trace or ""
    frames = [f for f in re.findall(r'File "([^"]+)", line (\d+), in \w+\n\s*(.*)', trace)
              if not f[0].startswith(TORCH_DIR)]
    if not frames:
        return f"{node.name}"
    file, line, code = frames[-1]
    return f"{Path(file).name}:{line}: {code.strip()}"


def _plain(value: Any) -> Any:
    """A JSON value, or a ValueError for what a design cannot hold (a function, a tensor)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, bool | int | float | str) for v in value):
        return list(value)
    raise ValueError(type(value).__name__)


def _transformer_args(layer: Any) -> dict[str, Any]:
    activation = {F.relu: "relu", F.gelu: "gelu"}.get(layer.activation)
    if activation is None:
        raise ValueError("an activation other than relu or gelu")
    return {"d_model": layer.self_attn.embed_dim, "nhead": layer.self_attn.num_heads,
            "dim_feedforward": layer.linear1.out_features, "dropout": layer.dropout.p, "activation": activation,
            "layer_norm_eps": layer.norm1.eps, "batch_first": layer.self_attn.batch_first,
            "norm_first": layer.norm_first, "bias": layer.linear1.bias is not None}


def _attention_args(layer: Any) -> dict[str, Any]:
    return {"embed_dim": layer.embed_dim, "num_heads": layer.num_heads, "dropout": layer.dropout,
            "bias": layer.in_proj_bias is not None, "add_bias_kv": layer.bias_k is not None,
            "add_zero_attn": layer.add_zero_attn,
            "kdim": None if layer.kdim == layer.embed_dim else layer.kdim,
            "vdim": None if layer.vdim == layer.embed_dim else layer.vdim,
            "batch_first": layer.batch_first}


# Layers that do not keep their constructor arguments under the same names.
READERS: dict[type[nn.Module], Callable[[Any], dict[str, Any]]] = {
    nn.TransformerEncoderLayer: _transformer_args, nn.TransformerDecoderLayer: _transformer_args,
    nn.MultiheadAttention: _attention_args,
}


def module_args(spec: OpSpec, layer: nn.Module) -> dict[str, Any]:
    """The constructor arguments a layer was made with, as far as it keeps them; defaults left out."""
    assert spec.cls is not None
    reader = READERS.get(spec.cls)
    found = reader(layer) if reader else {a.name: getattr(layer, a.name) for a in spec.args if hasattr(layer, a.name)}
    out = {}
    for arg in spec.args:
        if arg.name not in found:
            continue
        value = found[arg.name]
        if isinstance(arg.default, bool) and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None  # `bias` is kept as the parameter itself, or None
        value = _plain(value)
        default = list(arg.default) if isinstance(arg.default, tuple) else arg.default
        if isinstance(value, list) and not isinstance(default, list) and all(v == default for v in value):
            continue  # dilation=(1, 1) is the default dilation=1
        if arg.required or value != default or type(value) is not type(default):
            out[arg.name] = value
    return out


@dataclass(frozen=True)
class Rule:
    """How a tensor function or method call becomes one of our ops."""

    op: str
    tensors: int  # leading tensor arguments; -1: one list of tensors (cat)
    params: tuple[tuple[str, Any], ...] = ()
    varargs: str = ""  # collects trailing ints (`x.view(2, -1)` or `x.view((2, -1))`)


ADD, MUL, MATMUL = Rule("add", 2), Rule("mul", 2), Rule("matmul", 2)
RESHAPE, PERMUTE = Rule("reshape", 1, varargs="shape"), Rule("permute", 1, varargs="dims")
TRANSPOSE = Rule("transpose", 1, (("dim0", None), ("dim1", None)))
MEAN = Rule("mean", 1, (("dim", None), ("keepdim", False)))
FLATTEN = Rule("Flatten", 1, (("start_dim", 0), ("end_dim", -1)))
SOFTMAX = Rule("Softmax", 1, (("dim", None),))
RELU, TANH, SIGMOID = Rule("ReLU", 1), Rule("Tanh", 1), Rule("Sigmoid", 1)
FUNCTIONS: dict[Any, Rule] = {
    operator.add: ADD, operator.iadd: ADD, torch.add: ADD, operator.mul: MUL, operator.imul: MUL,
    torch.mul: MUL, operator.matmul: MATMUL, torch.matmul: MATMUL, torch.cat: Rule("cat", -1, (("dim", 0),)),
    torch.reshape: RESHAPE, torch.permute: PERMUTE, torch.transpose: TRANSPOSE, torch.mean: MEAN,
    torch.flatten: FLATTEN, F.relu: RELU, torch.relu: RELU, torch.tanh: TANH, torch.sigmoid: SIGMOID,
    F.gelu: Rule("GELU", 1, (("approximate", "none"),)), F.silu: Rule("SiLU", 1), F.softmax: SOFTMAX,
    torch.softmax: SOFTMAX, F.log_softmax: Rule("LogSoftmax", 1, (("dim", None),)),
    F.leaky_relu: Rule("LeakyReLU", 1, (("negative_slope", 0.01),)),
    F.max_pool2d: Rule("MaxPool2d", 1, (("kernel_size", None), ("stride", None), ("padding", 0), ("dilation", 1),
                                         ("ceil_mode", False))),
    F.avg_pool2d: Rule("AvgPool2d", 1, (("kernel_size", None), ("stride", None), ("padding", 0),
                                         ("ceil_mode", False), ("count_include_pad", True),
                                         ("divisor_override", None))),
    F.adaptive_avg_pool2d: Rule("AdaptiveAvgPool2d", 1, (("output_size", None),)),
}
METHODS: dict[str, Rule] = {
    "add": ADD, "mul": MUL, "matmul": MATMUL, "reshape": RESHAPE, "view": RESHAPE, "permute": PERMUTE,
    "transpose": TRANSPOSE, "mean": MEAN, "flatten": FLATTEN, "relu": RELU, "tanh": TANH, "sigmoid": SIGMOID,
    "softmax": SOFTMAX,
}
# Keywords that change nothing our ops compute (fx fills some of them in with their defaults).
ANY, MISSING = object(), object()
HARMLESS_KWARGS: dict[str, Any] = {"inplace": ANY, "_stacklevel": ANY, "return_indices": False}


def _bind(rule: Rule, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Splits a call into its tensor inputs and our op's arguments; ValueError says what does not fit."""
    if rule.tensors == -1:
        tensors, rest = list(args[0]) if args else [], list(args[1:])
    else:
        tensors, rest = list(args[: rule.tensors]), list(args[rule.tensors:])
    if rule.varargs:
        values = rest[0] if len(rest) == 1 and isinstance(rest[0], list | tuple) else rest
        bound = {rule.varargs: list(kwargs.pop(rule.varargs if rule.varargs in kwargs else "", values))}
    elif len(rest) > len(rule.params):
        raise ValueError("more arguments than the op takes")
    else:
        bound = {name: rest[i] if i < len(rest) else kwargs.pop(name, default)
                 for i, (name, default) in enumerate(rule.params)}
    extra = {k: v for k, v in kwargs.items()
             if v is not None and HARMLESS_KWARGS.get(k, MISSING) not in (ANY, v)}
    if extra:
        raise ValueError(f"argument {next(iter(extra))}= has no place in {rule.op}")
    constants = [v for v in bound.values() for v in (v if isinstance(v, list) else [v])]
    if any(isinstance(v, fx.Node) for v in constants):
        raise ValueError("an argument computed from a tensor (use constants)")
    want = len(tensors) if rule.tensors == -1 else rule.tensors
    if len(tensors) != want or not all(isinstance(t, fx.Node) for t in tensors):
        raise ValueError("a constant where a tensor goes (our ops combine two tensors)")
    return tensors, bound


class _Walk:
    """One pass over the traced graph, writing design nodes and collecting every problem."""

    def __init__(self, model: nn.Module, inputs: list[tuple[list[int], DType]]) -> None:
        self.model, self.inputs = model, inputs
        self.design_inputs: list[dict[str, Any]] = []
        self.nodes: list[dict[str, Any]] = []
        self.outputs: list[str] = []
        self.refs: dict[fx.Node, str | Multi] = {}
        self.problems: list[str] = []
        self.used: set[str] = set()
        self.rename: dict[str, str] = {}  # the module's attribute path -> design id, for its weights

    def new_id(self, name: str) -> str:
        text = re.sub(r"\W", "_", name.replace(".", "_"), flags=re.ASCII)[:60] or "node"
        text = text if text[0].isalpha() or text[0] == "_" else f"n_{text}"
        while id_problem(text) is not None or text in self.used:
            text += "_"
        self.used.add(text)
        return text

    def ref(self, value: Any) -> str:
        found = self.refs.get(value) if isinstance(value, fx.Node) else None
        if found is None and isinstance(value, fx.Node):
            raise Blocked
        if not isinstance(found, str):
            raise ValueError("a value that is not one tensor (take one output of a multi-output layer)")
        return found

    def flat(self, args: Any) -> list[Any]:
        if isinstance(args, list | tuple):
            return [x for a in args for x in self.flat(a)]
        return [args]

    def run(self, graph: fx.Graph) -> None:
        for node in graph.nodes:
            try:
                self.visit(node)
            except Blocked:
                continue
            except ValueError as e:
                self.problems.append(f"{_where(node)}\n    -> {e}")

    def visit(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            self.placeholder(node)
        elif node.op == "call_module":
            self.call_module(node)
        elif node.op == "call_function" and node.target is operator.getitem:
            self.getitem(node)
        elif node.op == "call_function" and node.target in FUNCTIONS:
            self.add_call(node, FUNCTIONS[node.target], node.args, node.kwargs)
        elif node.op == "call_method" and node.target in METHODS:
            self.add_call(node, METHODS[str(node.target)], node.args, node.kwargs)
        elif node.op == "output":
            results = node.args[0] if isinstance(node.args[0], tuple | list) else (node.args[0],)
            self.outputs = [self.ref(r) for r in results]
        else:
            what = getattr(node.target, "__name__", str(node.target))
            raise ValueError(f"{node.op} {what} has no equivalent op in Torchcanvas")

    def placeholder(self, node: fx.Node) -> None:
        index = len(self.design_inputs)
        if index >= len(self.inputs):
            raise ValueError(f"forward takes more inputs than the {len(self.inputs)} --input-shape given")
        shape, dtype = self.inputs[index]
        nid = self.new_id(str(node.target))
        self.design_inputs.append({"id": nid, "shape": shape, "dtype": dtype.value})
        self.refs[node] = nid

    def call_module(self, node: fx.Node) -> None:
        path = str(node.target)
        layer = self.model.get_submodule(path)
        spec = REGISTRY.get(type(layer).__name__)
        if spec is None or spec.cls is not type(layer):
            raise ValueError(f"layer {path} ({type(layer).__name__}) is not one Torchcanvas offers")
        if node.kwargs:
            raise ValueError(f"{path} is called with keyword arguments ({', '.join(node.kwargs)})")
        has_state = any(True for _ in layer.state_dict())
        if has_state and path in self.rename:
            raise ValueError(f"{path} is called twice: a design cannot share one layer's weights")
        try:
            args = module_args(spec, layer)
        except ValueError as e:
            raise ValueError(f"{path} ({spec.name}) holds {e}, which a design cannot express") from e
        nid = self.new_id(path)
        if has_state:
            self.rename[path] = nid
        entry: dict[str, Any] = {"id": nid, "op": spec.name, "args": args,
                                 "inputs": [self.ref(a) for a in self.flat(node.args)]}
        params = list(layer.parameters())
        if params and not any(p.requires_grad for p in params):
            entry["trainable"] = False
        self.nodes.append(entry)
        self.refs[node] = nid if len(spec.outputs) == 1 else Multi(nid, spec, ())

    def getitem(self, node: fx.Node) -> None:
        source, index = node.args
        multi = self.refs.get(source) if isinstance(source, fx.Node) else None
        if not isinstance(multi, Multi) or not isinstance(index, int):
            raise ValueError("indexing a tensor has no equivalent op (use reshape, permute or a layer)")
        path = (*multi.path, index)
        if path in multi.spec.out_paths:
            port = multi.spec.out_paths.index(path)
            self.refs[node] = multi.node if port == 0 else f"{multi.node}:{port}"
        elif any(p[: len(path)] == path for p in multi.spec.out_paths):
            self.refs[node] = Multi(multi.node, multi.spec, path)
        else:
            raise ValueError(f"{multi.spec.name} has no output at {list(path)}")

    def add_call(self, node: fx.Node, rule: Rule, args: Any, kwargs: Any) -> None:
        tensors, bound = _bind(rule, tuple(args), dict(kwargs))
        spec = REGISTRY[rule.op]
        optional = {a.name: a.default for a in spec.args if not a.required}
        kept = {k: v for k, v in bound.items() if k not in optional or v != optional[k]}
        self.nodes.append({"id": (nid := self.new_id(node.name)), "op": rule.op, "args": kept,
                           "inputs": [self.ref(t) for t in tensors]})
        self.refs[node] = nid


@dataclass
class Imported:
    """The design (graph format v1 as JSON data) and the module's weights under the design's names."""

    design: dict[str, Any]
    state: dict[str, torch.Tensor]
    max_difference: float


def trace(model: nn.Module) -> fx.Graph:
    tracer = fx.Tracer()
    tracer.record_stack_traces = True
    try:
        return tracer.trace(model)
    except Exception as e:  # fx raises many kinds (TraceError, TypeError, ...) for untraceable code
        raise ImportFailed([f"torch.fx cannot trace {type(model).__name__}: {e}".splitlines()[0],
                            "    -> data-dependent control flow (if/for on tensor values) cannot be drawn"]) from e


def _renamed(model: nn.Module, rename: dict[str, str]) -> dict[str, torch.Tensor]:
    """The module's weights keyed by design ids: `shortcut.0.weight` -> `shortcut_0.weight`."""
    return {f"{nid}.{key}": value.detach().clone().contiguous()
            for path, nid in rename.items() for key, value in model.get_submodule(path).state_dict().items()}


def import_module(model: nn.Module, inputs: list[tuple[list[int], DType]], name: str) -> Imported:
    """Traces `model` into a design, then proves it: the design built with the module's weights
    must compute what the module computes on the same input."""
    walk = _Walk(model, inputs)
    walk.run(trace(model))
    if walk.problems:
        raise ImportFailed(walk.problems)
    design = {"version": 1, "name": name, "seed": 0, "inputs": walk.design_inputs, "nodes": walk.nodes,
              "outputs": walk.outputs}
    state = _renamed(model, walk.rename)
    return Imported(design, state, _check(design, model, state))


def _check(design: dict[str, Any], model: nn.Module, state: dict[str, torch.Tensor]) -> float:
    from server.analysis import analyze
    from server.builder import build, example_inputs
    from server.graph import GraphIn

    graph = GraphIn.model_validate(design)
    analysis = analyze(graph)
    if not analysis.ok:
        raise ImportFailed([f"node {e.node}: {e.message}" for e in analysis.errors])
    built = build(graph, analysis=analysis).eval()
    built.load_state_dict(state, strict=True)
    xs = example_inputs(graph, seed=0)
    was_training = model.training
    try:
        with torch.no_grad():
            ours, theirs = built(*xs), model.eval()(*xs)
    finally:
        model.train(was_training)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple | list) else (theirs,)
    diff = max(float((a.double() - b.double()).abs().max()) for a, b in zip(ours, theirs, strict=True))
    if not all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(ours, theirs, strict=True)):
        raise ImportFailed([f"the imported design computes something else than the module "
                            f"(largest difference {diff:.3g}): please report this module"])
    return diff

"""Property: any valid ids, however they collide with the names generated code uses, give a module
that parses, loads the server's weights strictly and computes exactly what the server computes."""

from __future__ import annotations

import ast
import keyword
from typing import Any

import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.builder import build, example_inputs
from server.export.python_code import python_module
from server.export.weights import state_dict
from server.graph import GraphIn, id_problem

# Names the generated code itself uses, and builtins, are the likeliest to collide.
TRICKY = ["torch", "nn", "model", "print", "sum", "super", "x", "x_", "out", "outs", "total", "self_", "_"]
IDS = st.one_of(st.sampled_from(TRICKY), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)).filter(
    lambda s: id_problem(s) is None and not keyword.iskeyword(s))


@st.composite
def designs(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(IDS, min_size=2, max_size=7, unique=True))
    nodes: list[dict[str, Any]] = []
    refs = [ids[0]]
    for node_id in ids[1:]:
        kind = draw(st.sampled_from(["Linear", "Tanh", "add", "mul"]))
        if kind == "Linear":
            nodes.append({"id": node_id, "op": "Linear", "args": {"out_features": 6}, "inputs": [refs[-1]]})
        elif kind == "Tanh":
            nodes.append({"id": node_id, "op": "Tanh", "inputs": [refs[-1]]})
        else:
            nodes.append({"id": node_id, "op": kind, "inputs": [refs[-1], draw(st.sampled_from(refs))]})
        refs.append(node_id)
    outputs = draw(st.lists(st.sampled_from(refs[1:]), min_size=1, max_size=3, unique=True))
    return {"version": 1, "name": draw(st.text(max_size=30)), "inputs": [{"id": ids[0], "shape": [3, 6]}],
            "nodes": nodes, "outputs": outputs}


UNDERSCORE = {"version": 1, "name": "", "inputs": [{"id": "x", "shape": [3, 6]}], "outputs": ["torch"], "nodes": [
    {"id": "_", "op": "Linear", "args": {"out_features": 6}, "inputs": ["x"]},
    {"id": "torch", "op": "add", "inputs": ["_", "x"]}]}


@settings(max_examples=40, deadline=None)
@example(UNDERSCORE)  # `_` also marks unused outputs in the generated code
@given(designs())
def test_any_valid_ids_export_to_an_equal_module(data: dict[str, Any]) -> None:
    design = GraphIn.model_validate(data)
    code = python_module(design)
    ast.parse(code)
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(code, "exported.py", "exec"), namespace)  # our generated code, not user input
    exported = namespace[namespace["__all__"][0]]().eval()
    exported.load_state_dict(state_dict(design), strict=True)
    inputs = example_inputs(design)
    with torch.no_grad():
        got, want = exported(*inputs), build(design).eval()(*inputs)
    got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
    assert len(got) == len(design.outputs)
    assert all(torch.equal(a, b) for a, b in zip(got, want, strict=True))

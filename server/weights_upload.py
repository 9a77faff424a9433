"""Weights uploaded into a saved design: read without pickles, checked tensor by tensor, all or nothing.

safetensors files hold only tensors; a `.pt` file is read through `torch.load(weights_only=True)`,
which refuses anything but tensors and plain containers. Every name and shape is checked against
the design before anything is stored, and a mismatch answers the full list of what does not fit.
"""

from __future__ import annotations

import io
import json
import pickle
from dataclasses import dataclass
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from server.analysis import analyze
from server.errors import Conflict, InvalidDesign, NotFound, TooLarge, TorchcanvasError
from server.export.weights import WeightsFormat
from server.graph import GraphIn
from server.ops.make import instantiate
from server.registry import REGISTRY
from server.settings import Settings
from server.storage import get_design
from server.storage.weights import get_weights, put_weights

# Keys under which training scripts commonly nest the state_dict in a checkpoint.
NESTED_KEYS = ("state_dict", "model_state_dict", "model")


class BadWeights(TorchcanvasError):
    """The upload is not a weights file, or its tensors do not fit the design."""

    status = 422
    code = "invalid_weights"


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"the weights file is over the {limit:,} bytes uploads may have "
                    "(TORCHCANVAS_MAX_UPLOAD_BYTES)")


@dataclass(frozen=True)
class Expected:
    """What a state_dict entry must be: its shape and its dtype's name (`float32`, `int64`, ...)."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def floating(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def to_json(self) -> list[Any]:
        return [list(self.shape), self.dtype]


FLOAT_DTYPES = frozenset({"float64", "float32", "float16", "bfloat16", "F64", "F32", "F16", "BF16"})
_DTYPES = {str(t).removeprefix("torch."): t for t in (torch.float32, torch.float16, torch.bfloat16, torch.int64)}


def expected_state(graph: GraphIn) -> dict[str, Expected]:
    """Every parameter and buffer the design's model has, made on the meta device (no memory)."""
    analysis = analyze(graph)
    if not analysis.ok:
        raise InvalidDesign(analysis.errors)
    out: dict[str, Expected] = {}
    for node_id, result in analysis.nodes.items():
        spec = REGISTRY[result.op]
        if spec.kind != "module" or result.facts is None:
            continue
        layer = instantiate(spec, result.facts.args, "meta")
        if result.facts.layer_dtype:
            layer = layer.to(_DTYPES[result.facts.layer_dtype])
        for name, t in layer.state_dict().items():
            out[f"{node_id}.{name}"] = Expected(tuple(t.shape), str(t.dtype).removeprefix("torch."))
    return out


def _tensor_dict(obj: Any) -> dict[str, torch.Tensor] | None:
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                             for k, v in obj.items()):
        return obj
    return None


def parse(data: bytes, fmt: WeightsFormat) -> dict[str, torch.Tensor]:
    """Tensors by name from a safetensors or weights-only .pt file; no code runs while reading.
    Only ever called in a worker process: the web process makes no tensor of a stranger's file."""
    try:
        if fmt is WeightsFormat.safetensors:
            return load(data)
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (SafetensorError, pickle.UnpicklingError, RuntimeError, ValueError, EOFError, OSError) as e:
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise BadWeights(f"not a readable {fmt.value} weights file ({reason}); send a state_dict") from e
    found = _tensor_dict(obj)
    for key in NESTED_KEYS:
        found = found or (_tensor_dict(obj.get(key)) if isinstance(obj, dict) else None)
    if found is None:
        raise BadWeights("the .pt file holds no state_dict (name -> tensor); save model.state_dict()")
    return found


def header(data: bytes) -> dict[str, Expected]:
    """Names, shapes and dtypes of a safetensors file from its JSON header alone (no tensor made)."""
    size = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    try:
        if not 2 <= size <= len(data) - 8:
            raise ValueError("header length out of range")
        entries = json.loads(data[8:8 + size])
        return {name: Expected(tuple(int(d) for d in e["shape"]), str(e["dtype"]))
                for name, e in entries.items() if name != "__metadata__"}
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise BadWeights(f"the stored weights are not a readable safetensors file ({e})") from e


def mismatches(found: dict[str, Expected], expected: dict[str, Expected]) -> list[dict[str, Any]]:
    """Every tensor that is missing, unexpected, of another shape, or of another kind of dtype."""
    out: list[dict[str, Any]] = []
    for name, want in expected.items():
        got = found.get(name)
        if got is None:
            out.append({"name": name, "problem": "missing", "expected": list(want.shape)})
        elif got.shape != want.shape:
            out.append({"name": name, "problem": "shape", "expected": list(want.shape), "got": list(got.shape)})
        elif got.floating != want.floating:
            out.append({"name": name, "problem": "dtype", "expected": want.dtype, "got": got.dtype})
    out += [{"name": name[:200], "problem": "unexpected", "got": list(found[name].shape)}
            for name in found if name not in expected]
    return out


def _described(state: dict[str, torch.Tensor]) -> dict[str, Expected]:
    return {k: Expected(tuple(t.shape), str(t.dtype).removeprefix("torch.")) for k, t in state.items()}


def fit_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Worker job: read an uploaded file, check it against the design, answer it as safetensors
    in the design's dtypes; raises BadWeights listing every tensor that does not fit."""
    expected = {k: Expected(tuple(shape), dtype) for k, (shape, dtype) in payload["expected"].items()}
    state = parse(payload["data"], WeightsFormat(payload["format"]))
    problems = mismatches(_described(state), expected)
    if problems:
        first = problems[0]
        raise BadWeights(
            f"{len(problems)} tensor(s) do not fit design version {payload['version']} (first: "
            f"{first['name']} is {first['problem']}); nothing was applied: export the design's weights "
            "for the expected names",
            details=problems[:200],
        )
    fitted = {k: state[k].to(_DTYPES[want.dtype]).contiguous() for k, want in expected.items()}
    return {"data": save(fitted), "tensors": len(fitted), "params": sum(t.numel() for t in fitted.values())}


def upload_plan(settings: Settings, design_id: str, data: bytes, fmt: WeightsFormat) -> dict[str, Any]:
    """The worker job's payload for an upload: the file and what the design's head version expects."""
    if len(data) > settings.max_upload_bytes:
        raise too_large(settings.max_upload_bytes)
    record, graph = get_design(settings, design_id)
    expected = expected_state(GraphIn.model_validate(graph))
    return {"data": data, "format": fmt.value, "version": record.version,
            "expected": {k: e.to_json() for k, e in expected.items()}}


def store_upload(settings: Settings, design_id: str, version: int, fitted: dict[str, Any]) -> dict[str, Any]:
    """Keeps what the worker fitted, against the version it was checked with (409 if it moved on)."""
    put_weights(settings, design_id, version, fitted["data"], fitted["tensors"])
    return {"id": design_id, "version": version, "tensors": fitted["tensors"], "params": fitted["params"]}


def load_state(design_id: str, settings: Settings | None = None) -> dict[str, torch.Tensor] | None:
    """The uploaded weights of a design, or None when it has none.

    Raises Conflict when the design has changed since the upload so that they no longer fit.
    """
    from server.settings import get_settings

    settings = settings or get_settings()
    stored = get_weights(settings, design_id)
    if stored is None:
        get_design(settings, design_id)  # NotFound for a design that does not exist
        return None
    version, data = stored
    record, graph = get_design(settings, design_id)
    state = load(data)
    if record.version != version and mismatches(_described(state), expected_state(GraphIn.model_validate(graph))):
        raise Conflict(f"design {design_id!r} changed since its weights were uploaded (version {version}, "
                       f"now {record.version}) and they no longer fit: upload weights again")
    return state



def weights_for(settings: Settings, design_id: str, graph: GraphIn) -> bytes:
    """A saved design's uploaded weights as safetensors bytes, checked against `graph` (the one a
    measuring request sends, which may hold edits not saved yet)."""
    stored = get_weights(settings, design_id)
    if stored is None:
        raise NotFound(f"design {design_id[:64]!r} has no uploaded weights: upload them first "
                       "(PUT /api/v1/designs/{id}/weights) or leave design_id out")
    problems = mismatches(header(stored[1]), expected_state(graph))
    if problems:
        raise BadWeights(f"the uploaded weights of design {design_id[:64]!r} do not fit this graph "
                         f"(first: {problems[0]['name']} is {problems[0]['problem']}): save the design "
                         "and upload matching weights, or leave design_id out", details=problems[:200])
    return stored[1]

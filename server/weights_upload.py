"""Weights uploaded into a saved design: read without pickles, checked tensor by tensor, all or nothing.

safetensors files hold only tensors; a `.pt` file is read through `torch.load(weights_only=True)`,
which refuses anything but tensors and plain containers. Every name and shape is checked against
the design before anything is stored, and a mismatch answers the full list of what does not fit.
"""

from __future__ import annotations

import io
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
    shape: tuple[int, ...]
    dtype: torch.dtype


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
        for name, t in instantiate(spec, result.facts.args, "meta").state_dict().items():
            out[f"{node_id}.{name}"] = Expected(tuple(t.shape), t.dtype)
    return out


def _tensor_dict(obj: Any) -> dict[str, torch.Tensor] | None:
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                             for k, v in obj.items()):
        return obj
    return None


def parse(data: bytes, fmt: WeightsFormat, limit: int) -> dict[str, torch.Tensor]:
    """Tensors by name from a safetensors or weights-only .pt file; no code runs while reading."""
    if len(data) > limit:
        raise too_large(limit)
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


def mismatches(state: dict[str, torch.Tensor], expected: dict[str, Expected]) -> list[dict[str, Any]]:
    """Every tensor that is missing, unexpected, of another shape, or of another kind of dtype."""
    out: list[dict[str, Any]] = []
    for name, want in expected.items():
        got = state.get(name)
        if got is None:
            out.append({"name": name, "problem": "missing", "expected": list(want.shape)})
        elif tuple(got.shape) != want.shape:
            out.append({"name": name, "problem": "shape", "expected": list(want.shape),
                        "got": list(got.shape)})
        elif got.dtype.is_floating_point != want.dtype.is_floating_point:
            out.append({"name": name, "problem": "dtype", "expected": str(want.dtype), "got": str(got.dtype)})
    out += [{"name": name[:200], "problem": "unexpected", "got": list(state[name].shape)}
            for name in state if name not in expected]
    return out


def upload_weights(settings: Settings, design_id: str, data: bytes, fmt: WeightsFormat) -> dict[str, Any]:
    """Checks the file against the design's head version and stores it, or stores nothing."""
    state = parse(data, fmt, settings.max_upload_bytes)
    record, graph = get_design(settings, design_id)
    expected = expected_state(GraphIn.model_validate(graph))
    problems = mismatches(state, expected)
    if problems:
        first = problems[0]
        raise BadWeights(
            f"{len(problems)} tensor(s) do not fit design version {record.version} (first: "
            f"{first['name']} is {first['problem']}); nothing was applied: export the design's weights "
            "for the expected names",
            details=problems[:200],
        )
    fitted = {k: state[k].to(expected[k].dtype).contiguous() for k in expected}
    put_weights(settings, design_id, record.version, save(fitted), len(fitted))
    return {"id": design_id, "version": record.version, "tensors": len(fitted),
            "params": sum(t.numel() for t in fitted.values())}


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
    if record.version != version and mismatches(state, expected_state(GraphIn.model_validate(graph))):
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
    problems = mismatches(load(stored[1]), expected_state(graph))
    if problems:
        raise BadWeights(f"the uploaded weights of design {design_id[:64]!r} do not fit this graph "
                         f"(first: {problems[0]['name']} is {problems[0]['problem']}): save the design "
                         "and upload matching weights, or leave design_id out", details=problems[:200])
    return stored[1]

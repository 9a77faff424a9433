"""Making and calling one registered op: shared by the analysis (on meta) and the builder (real)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from server.registry import OpSpec


def instantiate(spec: OpSpec, args: dict[str, Any], device: str | torch.device = "cpu") -> nn.Module:
    """The torch.nn layer of a module op; on `meta` it has shapes but no storage."""
    assert spec.cls is not None, f"{spec.name} is not a module op"
    with torch.device(device):
        return spec.cls(**args)


def call(spec: OpSpec, target: nn.Module | None, inputs: list[Any], args: dict[str, Any]) -> list[Any]:
    """Runs one op on its flat input ports and answers its flat output ports."""
    if spec.kind == "module":
        assert target is not None
        return spec.unpack(target(*spec.pack(inputs)))
    assert spec.fn is not None
    return [spec.fn(*inputs, **args)]

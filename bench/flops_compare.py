"""Our FLOPs next to torch's FlopCounterMode, torchinfo's mult-adds and fvcore, on the same models.

    .venv/bin/python bench/flops_compare.py

Each network is built once in plain torch and once as a design; the counters run on the torch
model, ours on the design. Conventions differ, and the table shows where.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.analysis import analyze
from server.graph import GraphIn


def design(name: str, shape: list[int], nodes: list[dict[str, Any]]) -> GraphIn:
    return GraphIn.model_validate({"version": 1, "name": name, "inputs": [{"id": "x", "shape": shape}],
                                   "nodes": nodes, "outputs": [nodes[-1]["id"]]})


class Unpack(nn.Module):
    """Keeps only the first output of a layer that answers a tuple."""

    def __init__(self, layer: nn.Module, self_attention: bool = False) -> None:
        super().__init__()
        self.layer, self.sa = layer, self_attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layer(x, x, x) if self.sa else self.layer(x)
        return out[0] if isinstance(out, tuple) else out


CASES: list[tuple[str, nn.Module, list[int], list[dict[str, Any]]]] = [
    ("Linear 512->256, batch 64", nn.Linear(512, 256), [64, 512],
     [{"id": "a", "op": "Linear", "args": {"out_features": 256}, "inputs": ["x"]}]),
    ("Conv2d 64->128 k3, 32x32, batch 8", nn.Conv2d(64, 128, 3, padding=1), [8, 64, 32, 32],
     [{"id": "a", "op": "Conv2d", "args": {"out_channels": 128, "kernel_size": 3, "padding": 1}, "inputs": ["x"]}]),
    ("MultiheadAttention 256, 8 heads, L=128, batch 4", Unpack(nn.MultiheadAttention(256, 8, batch_first=True), True),
     [4, 128, 256], [{"id": "a", "op": "MultiheadAttention", "args": {"num_heads": 8, "batch_first": True},
                      "inputs": ["x"]}]),
    ("LSTM 128->256, 2 layers, L=50, batch 16", Unpack(nn.LSTM(128, 256, 2, batch_first=True)), [16, 50, 128],
     [{"id": "a", "op": "LSTM", "args": {"hidden_size": 256, "num_layers": 2, "batch_first": True},
       "inputs": ["x"]}]),
    ("TransformerEncoderLayer 256/8/1024, L=128, batch 4",
     nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True), [4, 128, 256],
     [{"id": "a", "op": "TransformerEncoderLayer", "args": {"nhead": 8, "dim_feedforward": 1024,
                                                             "batch_first": True}, "inputs": ["x"]}]),
]


def counts(model: nn.Module, shape: list[int]) -> tuple[int, int, str]:
    import torchinfo

    x = torch.randn(shape)
    # Train mode: in eval mode attention takes a fused fast path that FlopCounterMode counts as 0.
    model.train()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    model.eval()
    info = torchinfo.summary(model, input_data=[x], verbose=0)
    try:
        from fvcore.nn import FlopCountAnalysis

        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        fv = f"{2 * analysis.total():,}"
    except Exception as e:  # fvcore traces with TorchScript, which some layers refuse
        fv = f"fails ({type(e).__name__})"
    return counter.get_total_flops(), 2 * info.total_mult_adds, fv


def main() -> None:
    print("| Network | Torchcanvas | FlopCounterMode | torchinfo (2 x mult-adds) | fvcore (2 x its count) |")
    print("|---|---|---|---|---|")
    for name, model, shape, nodes in CASES:
        result = analyze(design(name, shape, nodes))
        assert result.ok, result.errors
        fcm, ti, fv = counts(model, shape)
        print(f"| {name} | {result.totals.flops:,} | {fcm:,} | {ti:,} | {fv} |")


if __name__ == "__main__":
    main()

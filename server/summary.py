"""The text summary (torchinfo's layout): presents an `Analysis`, computes nothing of its own."""

from __future__ import annotations

from math import prod

from server.analysis import Analysis
from server.graph import TORCH_DTYPES, DType

WIDTHS = (28, 18, 26, 14, 16)
MB = 1024**2


def _row(*cells: str) -> str:
    left, op, *rest = cells
    cells_text = "".join(f"{c:>{w}}" for c, w in zip(rest, WIDTHS[2:], strict=True))
    return f"{left:<{WIDTHS[0]}}{op:<{WIDTHS[1]}}{cells_text}".rstrip()


def summary_text(analysis: Analysis, name: str = "") -> str:
    """A per-node table (id, op, output shapes, params, FLOPs), totals and sizes in MB."""
    line, thick = "-" * sum(WIDTHS), "=" * sum(WIDTHS)
    out = [thick, _row("Node (id)", "Op", "Output shape", "Param #", "FLOPs"), thick]
    for node_id, node in analysis.nodes.items():
        shapes = [list(o.shape) for o in node.outputs]
        flops = f"{node.facts.flops:,}" if node.facts else "-"
        mark = "" if node.trainable or not node.params else " (frozen)"
        first, *more = [str(s) for s in shapes] or ["-"]
        out.append(_row(node_id[:27], node.op[:17], first[:25], f"{node.params:,}{mark}", flops))
        out += [_row("", "", shape[:25], "", "") for shape in more]
        if node.error is not None:
            out.append(f"  ! {node.error.message}")
        elif node.status.value == "blocked":
            out.append("  ! not analysed: an input failed")
    t = analysis.totals
    input_bytes = sum(prod(m.shape) * TORCH_DTYPES[DType(m.dtype)].itemsize for m in analysis.inputs.values())
    out += [
        thick,
        f"Total params: {t.params:,}",
        f"Trainable params: {t.trainable_params:,}",
        f"Non-trainable params: {t.params - t.trainable_params:,}",
        f"Total FLOPs (2 x multiply-adds): {t.flops:,}",
        line,
        f"Input size (MB): {input_bytes / MB:.2f}",
        f"Forward activations size (MB): {t.activation_bytes / MB:.2f}",
        f"Params size (MB): {t.param_bytes / MB:.2f}",
        f"Estimated Total Size (MB): {(input_bytes + t.activation_bytes + t.param_bytes) / MB:.2f}",
        thick,
    ]
    if analysis.errors:
        out.append(f"{len(analysis.errors)} error(s):")
        out += [f"  {e.node}: {e.message}" for e in analysis.errors]
    if name:
        out.insert(0, name)
    return "\n".join(out)

"""FLOP counts per op. Convention: FLOPs = 2 x multiply-adds of the matmuls and convolutions an op
performs (attention's projections, scores and weighted sums; every gate of a recurrent cell at
every step). Elementwise work (activations, norms, pooling, softmax, biases) counts 0, as in
torch's FlopCounterMode and fvcore; `bench/README.md` compares the three."""

from __future__ import annotations

from math import prod
from typing import Any

Shapes = list[list[int]]


def linear(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
    return 2 * prod(outs[0]) * int(args["in_features"])


def conv_nd(nd: int, transposed: bool = False) -> Any:
    """Each output element sums (in_channels / groups) x window products; a transposed convolution
    is the same arithmetic the other way round: each input element scatters a window into
    out_channels / groups output channels."""

    def count(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
        k = args["kernel_size"]
        window = prod(k) if isinstance(k, tuple | list) else k**nd
        elements, channels = (ins[0], "out_channels") if transposed else (outs[0], "in_channels")
        return 2 * prod(elements) * (int(args[channels]) // int(args["groups"])) * window

    return count


def _seq_batch(shape: list[int], batch_first: bool) -> tuple[int, int]:
    if len(shape) == 2:  # unbatched (L, H)
        return shape[0], 1
    return (shape[1], shape[0]) if batch_first else (shape[0], shape[1])


def recurrent(gates: int) -> Any:
    """Each step of each layer and direction: gates x hidden outputs from input and hidden state."""

    def count(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
        steps, batch = _seq_batch(ins[0], bool(args["batch_first"]))
        hidden, dirs = int(args["hidden_size"]), 2 if args["bidirectional"] else 1
        proj = int(args.get("proj_size") or 0)
        rec = proj or hidden
        total = 0
        for layer in range(int(args["num_layers"])):
            width = int(args["input_size"]) if layer == 0 else rec * dirs
            total += gates * hidden * (width + rec) + (hidden * proj)
        return 2 * steps * batch * dirs * total

    return count


def attention_macs(e: int, heads_dim: int, lq: int, lk: int, batch: int, kdim: int, vdim: int) -> int:
    projections = lq * e * e + lk * kdim * e + lk * vdim * e + lq * e * e
    return batch * (projections + 2 * lq * lk * heads_dim)


def multihead_attention(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
    bf = bool(args["batch_first"])
    q = ins[0]
    k = ins[1] if len(ins) > 1 else q
    lq, batch = _seq_batch(q, bf)
    lk, _ = _seq_batch(k, bf)
    e = int(args["embed_dim"])
    kdim, vdim = int(args.get("kdim") or e), int(args.get("vdim") or e)
    return 2 * attention_macs(e, e, lq, lk, batch, kdim, vdim)


def encoder_layer(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
    length, batch = _seq_batch(ins[0], bool(args["batch_first"]))
    e, f = int(args["d_model"]), int(args["dim_feedforward"])
    return 2 * (attention_macs(e, e, length, length, batch, e, e) + 2 * batch * length * e * f)


def decoder_layer(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
    bf = bool(args["batch_first"])
    lt, batch = _seq_batch(ins[0], bf)
    lm, _ = _seq_batch(ins[1], bf)
    e, f = int(args["d_model"]), int(args["dim_feedforward"])
    macs = attention_macs(e, e, lt, lt, batch, e, e) + attention_macs(e, e, lt, lm, batch, e, e)
    return 2 * (macs + 2 * batch * lt * e * f)


def matmul(args: dict[str, Any], ins: Shapes, outs: Shapes) -> int:
    a = ins[0]
    return 2 * prod(outs[0]) * (a[-1] if a else 1)

"""Argument types: the curated table of every constructor argument the registry exposes, and the
one function that checks a user's value against it (JSON in, a value torch accepts out)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_INT = 2**31 - 1


class ArgKind(StrEnum):
    int = "int"
    float = "float"
    bool = "bool"
    str = "str"
    int_or_tuple = "int_or_tuple"
    float_or_tuple = "float_or_tuple"
    int_list = "int_list"


@dataclass(frozen=True)
class ArgType:
    kind: ArgKind
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _number(x: Any) -> bool:
    return (isinstance(x, int | float) and not isinstance(x, bool)) and math.isfinite(x)


def _in_range(t: ArgType, x: float) -> str | None:
    if t.min is not None and x < t.min:
        return f"at least {t.min:g}"
    upper = t.max if t.max is not None else (MAX_INT if _int(x) else None)
    if upper is not None and x > upper:
        return f"at most {upper:g}"
    return None


def _scalar(t: ArgType, x: Any, want_int: bool) -> tuple[Any, str | None]:
    if not (_int(x) if want_int else _number(x)):
        return None, "an integer" if want_int else "a finite number"
    bound = _in_range(t, x)
    return (None, bound) if bound else ((x if want_int else float(x)), None)


def _sequence(t: ArgType, value: Any, want_int: bool, max_len: int) -> tuple[Any, str | None]:
    if not isinstance(value, list) or not 1 <= len(value) <= max_len:
        return None, f"a list of 1 to {max_len} {'integers' if want_int else 'numbers'}"
    out = []
    for item in value:
        v, problem = _scalar(t, item, want_int)
        if problem:
            return None, f"a list whose items are each {problem}"
        out.append(v)
    return out, None


def convert(t: ArgType, value: Any) -> tuple[Any, str | None]:
    """(converted value, None) when `value` fits `t`, else (None, 'what it must be')."""
    if value is None:
        return (None, None) if t.nullable else (None, "set (null is not allowed)")
    if isinstance(value, str) and t.choices:
        return (value, None) if value in t.choices else (None, f"one of {', '.join(t.choices)}")
    k = t.kind
    if k is ArgKind.bool:
        return (value, None) if isinstance(value, bool) else (None, "true or false")
    if k is ArgKind.str:
        return None, f"one of {', '.join(t.choices or ())}"
    if k in (ArgKind.int, ArgKind.float):
        return _scalar(t, value, k is ArgKind.int)
    if k is ArgKind.int_list:
        return _sequence(t, value, True, 8)
    want_int = k is ArgKind.int_or_tuple
    if isinstance(value, list):
        seq, problem = _sequence(t, value, want_int, 3)
        return (tuple(seq), None) if seq is not None else (None, problem)
    v, problem = _scalar(t, value, want_int)
    return (None, f"{problem} or a list of them") if problem else (v, None)


def _t(kind: ArgKind, **kw: Any) -> ArgType:
    return ArgType(kind, **kw)


SIZE = _t(ArgKind.int, min=1)
OPT_SIZE = _t(ArgKind.int, min=1, nullable=True)
SIZES = _t(ArgKind.int_or_tuple, min=1)
NONNEG = _t(ArgKind.int_or_tuple, min=0)
BOOL = _t(ArgKind.bool)
PROB = _t(ArgKind.float, min=0.0, max=1.0)
POS_FLOAT = _t(ArgKind.float, min=1e-30)
FLOAT = _t(ArgKind.float)
DIM = _t(ArgKind.int, min=-8, max=7)

ARG_TYPES: dict[str, tuple[ArgType, str]] = {
    "in_features": (SIZE, "size of each input sample (last dim)"),
    "out_features": (SIZE, "size of each output sample"),
    "bias": (BOOL, "learn an additive bias"),
    "in_channels": (SIZE, "channels of the input"),
    "out_channels": (SIZE, "channels the layer produces"),
    "kernel_size": (SIZES, "size of the window"),
    "stride": (_t(ArgKind.int_or_tuple, min=1, nullable=True), "step of the window (pooling: defaults to kernel_size)"),
    "padding": (_t(ArgKind.int_or_tuple, min=0, choices=("same", "valid")), "zero padding added to both sides"),
    "output_padding": (NONNEG, "extra size added to one side of the output"),
    "dilation": (SIZES, "spacing between kernel elements"),
    "groups": (SIZE, "blocked connections from input to output channels"),
    "padding_mode": (_t(ArgKind.str, choices=("zeros", "reflect", "replicate", "circular")), "how to pad"),
    "ceil_mode": (BOOL, "use ceil instead of floor for the output size"),
    "count_include_pad": (BOOL, "include the zero padding in the average"),
    "divisor_override": (OPT_SIZE, "divide by this instead of the window size"),
    "output_size": (_t(ArgKind.int_or_tuple, min=1), "target output size"),
    "input_size": (SIZE, "features of each input step (last dim)"),
    "hidden_size": (SIZE, "features of the hidden state"),
    "num_layers": (_t(ArgKind.int, min=1, max=64), "stacked recurrent layers"),
    "nonlinearity": (_t(ArgKind.str, choices=("tanh", "relu")), "the RNN's activation"),
    "batch_first": (BOOL, "inputs and outputs are (batch, seq, feature)"),
    "dropout": (PROB, "dropout probability between layers"),
    "bidirectional": (BOOL, "run forwards and backwards"),
    "proj_size": (_t(ArgKind.int, min=0), "project the hidden state to this size (0: no projection)"),
    "embed_dim": (SIZE, "model dimension (last dim of the query)"),
    "num_heads": (SIZE, "parallel attention heads (must divide embed_dim)"),
    "add_bias_kv": (BOOL, "add a learned bias to key and value sequences"),
    "add_zero_attn": (BOOL, "add a batch of zeros to key and value sequences"),
    "kdim": (OPT_SIZE, "features of the key (default embed_dim)"),
    "vdim": (OPT_SIZE, "features of the value (default embed_dim)"),
    "d_model": (SIZE, "model dimension (last dim of the input)"),
    "nhead": (SIZE, "attention heads (must divide d_model)"),
    "dim_feedforward": (SIZE, "hidden size of the feed-forward block"),
    "activation": (_t(ArgKind.str, choices=("relu", "gelu")), "activation of the feed-forward block"),
    "layer_norm_eps": (POS_FLOAT, "epsilon of the layer norms"),
    "norm_first": (BOOL, "pre-norm (LayerNorm before attention and feed-forward)"),
    "num_embeddings": (SIZE, "size of the vocabulary"),
    "embedding_dim": (SIZE, "size of each embedding vector"),
    "padding_idx": (_t(ArgKind.int, min=0, nullable=True), "index whose embedding stays zero"),
    "max_norm": (_t(ArgKind.float, min=0.0, nullable=True), "renormalise embeddings above this norm"),
    "norm_type": (POS_FLOAT, "p of the p-norm for max_norm"),
    "scale_grad_by_freq": (BOOL, "scale gradients by inverse word frequency"),
    "sparse": (BOOL, "sparse gradients for the weight"),
    "num_features": (SIZE, "channels C of the input"),
    "num_channels": (SIZE, "channels of the input"),
    "num_groups": (SIZE, "groups to separate the channels into"),
    "normalized_shape": (SIZES, "trailing dims to normalise over"),
    "eps": (_t(ArgKind.float, min=1e-30, nullable=True), "added to the variance for stability"),
    "momentum": (_t(ArgKind.float, min=0.0, max=1.0, nullable=True), "running-stats momentum"),
    "affine": (BOOL, "learn a per-channel scale and shift"),
    "track_running_stats": (BOOL, "keep running mean and variance"),
    "elementwise_affine": (BOOL, "learn a per-element scale (and shift)"),
    "p": (PROB, "probability of an element to be zeroed"),
    "inplace": (BOOL, "modify the input in place"),
    "negative_slope": (FLOAT, "slope for negative inputs"),
    "alpha": (FLOAT, "scale of the negative part"),
    "approximate": (_t(ArgKind.str, choices=("none", "tanh")), "tanh approximation of GELU"),
    "dim": (_t(ArgKind.int, min=-8, max=7, nullable=True), "dimension to apply over"),
    "start_dim": (DIM, "first dim to flatten"),
    "end_dim": (DIM, "last dim to flatten"),
    "unflattened_size": (_t(ArgKind.int_list, min=1), "new shape of the unflattened dim"),
    "size": (_t(ArgKind.int_or_tuple, min=1, nullable=True), "output spatial size"),
    "scale_factor": (_t(ArgKind.float_or_tuple, min=1e-6, nullable=True), "multiplier for the spatial size"),
    "mode": (_t(ArgKind.str, choices=("nearest", "linear", "bilinear", "bicubic", "trilinear")), "interpolation"),
    "align_corners": (_t(ArgKind.bool, nullable=True), "align corner pixels (linear modes)"),
    "recompute_scale_factor": (_t(ArgKind.bool, nullable=True), "recompute the scale for the interpolation"),
    "upscale_factor": (_t(ArgKind.int, min=1, max=64), "factor to increase spatial resolution by"),
    "num_parameters": (SIZE, "learned slopes: 1 or the number of channels"),
    "init": (FLOAT, "initial slope"),
    "beta": (POS_FLOAT, "sharpness of the soft plus"),
    "threshold": (FLOAT, "above this the op is linear"),
    "keepdim": (BOOL, "keep the reduced dimension with size 1"),
    "shape": (_t(ArgKind.int_list, min=-1), "the new shape (one -1 is inferred)"),
    "dims": (_t(ArgKind.int_list, min=-8, max=7), "the new order of the dimensions"),
    "dim0": (DIM, "first dimension to swap"),
    "dim1": (DIM, "second dimension to swap"),
}

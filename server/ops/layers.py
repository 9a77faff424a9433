"""The torch.nn layers Torchcanvas offers, as registry entries (the tutorial's layers and more)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from server.ops import flops
from server.registry import Category, Inference, Port, module_op

C = Category
cls: type[nn.Module]  # the loop variable of the tables below
Check = Callable[[dict[str, Any], list[list[int]]], str | None]


def ranks(name: str, *allowed: int) -> Check:
    """The input ranks an op accepts, with a message that says which and what came in."""

    def check(args: dict[str, Any], shapes: list[list[int]]) -> str | None:
        if len(shapes[0]) in allowed:
            return None
        want = " or ".join(f"{r}-D" for r in allowed)
        return f"{name} needs a {want} input but gets {shapes[0]}: add a reshape, Flatten or Unflatten before it"

    return check


def last_dim(phrase: str) -> Inference:
    return Inference(lambda s: s[0][-1], phrase)


def dim_at(index: int, phrase: str) -> Inference:
    return Inference(lambda s: s[0][index], phrase)


def _trailing(given: Any, shapes: list[list[int]]) -> bool:
    dims = list(given) if isinstance(given, tuple | list) else [given]
    return shapes[0][-len(dims):] == dims


NORMALIZED_SHAPE = Inference(lambda s: [s[0][-1]], "as normalized_shape (trailing dims)", _trailing)
IN_FEATURES = last_dim("input features")
INPUT_SIZE = last_dim("input features (input_size)")

# Linear
module_op(nn.Linear, C.linear, "y = x W^T + b over the last dimension", inferred={"in_features": IN_FEATURES},
          flops=flops.linear)
module_op(nn.Identity, C.structure, "passes its input through unchanged")
module_op(nn.Flatten, C.structure, "flattens a range of dims into one (default: all but the batch)")
module_op(nn.Unflatten, C.structure, "splits one dim into the given shape")
module_op(nn.Embedding, C.linear, "looks up a learned vector for each int64 token id",
          check=ranks("Embedding", 1, 2, 3))

# Convolution: channels sit right before the spatial dims, batched or not.
for cls, nd in ((nn.Conv1d, 1), (nn.Conv2d, 2), (nn.Conv3d, 3)):
    module_op(cls, C.convolution, f"{nd}-D convolution over (N, C, {'DHW'[3 - nd:]})",
              inferred={"in_channels": dim_at(-(nd + 1), "input channels")},
              check=ranks(cls.__name__, nd + 1, nd + 2), flops=flops.conv_nd(nd))
for cls, nd in ((nn.ConvTranspose1d, 1), (nn.ConvTranspose2d, 2)):
    module_op(cls, C.convolution, f"{nd}-D transposed convolution (learned upsampling)",
              inferred={"in_channels": dim_at(-(nd + 1), "input channels")},
              check=ranks(cls.__name__, nd + 1, nd + 2), flops=flops.conv_nd(nd, transposed=True))

# Pooling
for cls, nd, what in ((nn.MaxPool1d, 1, "max"), (nn.MaxPool2d, 2, "max"), (nn.AvgPool1d, 1, "average"),
                      (nn.AvgPool2d, 2, "average")):
    module_op(cls, C.pooling, f"{nd}-D {what} pooling over a sliding window",
              check=ranks(cls.__name__, nd + 1, nd + 2))
for cls, nd, what in ((nn.AdaptiveAvgPool1d, 1, "average"), (nn.AdaptiveAvgPool2d, 2, "average"),
                      (nn.AdaptiveMaxPool2d, 2, "max")):
    module_op(cls, C.pooling, f"{nd}-D {what} pooling to a fixed output size",
              check=ranks(cls.__name__, nd + 1, nd + 2))
module_op(nn.Upsample, C.pooling, "upsamples by a scale factor or to a size (nearest, linear, ...)")
module_op(nn.PixelShuffle, C.pooling, "rearranges (C*r^2, H, W) into (C, H*r, W*r)")

# Recurrent: flat ports; LSTM is called as lstm(x, (h_0, c_0)) and answers output, (h_n, c_n).


def _time_dim(args: dict[str, Any], rank: int) -> int:
    return 1 if rank == 3 and args["batch_first"] else 0


def _lstm_pack(xs: list[Any]) -> tuple[Any, ...]:
    return (xs[0],) if len(xs) == 1 else (xs[0], (xs[1], xs[2]))


def _lstm_check(args: dict[str, Any], shapes: list[list[int]]) -> str | None:
    if len(shapes) == 2:
        return "LSTM takes h_0 and c_0 together: connect both (ports 1 and 2) or neither"
    return ranks("LSTM", 2, 3)(args, shapes)


module_op(nn.LSTM, C.recurrent, "long short-term memory: outputs output, h_n, c_n",
          inferred={"input_size": INPUT_SIZE}, inputs=(Port("input"), Port("h_0", True), Port("c_0", True)),
          signature_of=nn.RNNBase.__init__, outputs=("output", "h_n", "c_n"), pack=_lstm_pack,
          out_paths=((0,), (1, 0), (1, 1)), check=_lstm_check, flops=flops.recurrent(4), time_dim=_time_dim)
for cls in (nn.GRU, nn.RNN):
    module_op(cls, C.recurrent, f"{'gated recurrent unit' if cls is nn.GRU else 'Elman RNN'}: outputs output, h_n",
              inferred={"input_size": INPUT_SIZE}, inputs=(Port("input"), Port("h_0", True)),
              outputs=("output", "h_n"), out_paths=((0,), (1,)), check=ranks(cls.__name__, 2, 3),
              signature_of=nn.RNNBase.__init__, exclude=("proj_size",), time_dim=_time_dim,
              added=(("nonlinearity", "tanh"),) if cls is nn.RNN else (),
              flops=flops.recurrent(3 if cls is nn.GRU else 1))


# Attention
def _qkv(xs: list[Any]) -> tuple[Any, ...]:
    """One input is self-attention; two are query and key=value; three are query, key, value."""
    return (xs[0], xs[0], xs[0]) if len(xs) == 1 else (xs[0], xs[1], xs[-1])


module_op(nn.MultiheadAttention, C.attention, "scaled dot-product attention over num_heads heads",
          inferred={"embed_dim": last_dim("embedding features (embed_dim)")},
          inputs=(Port("query"), Port("key", True), Port("value", True)), outputs=("attn_output", "attn_weights"),
          pack=_qkv, out_paths=((0,), (1,)), check=ranks("MultiheadAttention", 2, 3),
          flops=flops.multihead_attention)
module_op(nn.TransformerEncoderLayer, C.transformer, "self-attention + feed-forward block (one encoder layer)",
          inferred={"d_model": last_dim("model features (d_model)")}, inputs=(Port("src"),),
          defaults={"activation": "relu"},
          check=ranks("TransformerEncoderLayer", 2, 3), flops=flops.encoder_layer)
module_op(nn.TransformerDecoderLayer, C.transformer, "self-attention, cross-attention on memory, feed-forward",
          inferred={"d_model": last_dim("model features (d_model)")}, inputs=(Port("tgt"), Port("memory")),
          defaults={"activation": "relu"},
          check=ranks("TransformerDecoderLayer", 2, 3), flops=flops.decoder_layer)

# Activations
for cls, doc in (
    (nn.ReLU, "max(0, x)"), (nn.LeakyReLU, "x, or negative_slope * x below 0"), (nn.ELU, "exponential linear unit"),
    (nn.GELU, "Gaussian error linear unit"), (nn.SiLU, "x * sigmoid(x) (swish)"), (nn.Tanh, "hyperbolic tangent"),
    (nn.Sigmoid, "1 / (1 + exp(-x))"), (nn.Softmax, "normalises to probabilities along dim"),
    (nn.LogSoftmax, "log of softmax along dim"), (nn.PReLU, "leaky ReLU with a learned slope"),
    (nn.Softplus, "smooth ReLU: log(1 + exp(beta x)) / beta"), (nn.Mish, "x * tanh(softplus(x))"),
    (nn.Hardswish, "piecewise-linear swish"),
):
    module_op(cls, C.activation, doc)

# Normalisation
for cls, nd in ((nn.BatchNorm1d, 1), (nn.BatchNorm2d, 2), (nn.BatchNorm3d, 3)):
    allowed = (2, 3) if nd == 1 else (nd + 2,)
    module_op(cls, C.normalization, f"normalises each channel over the batch ({nd}-D features)",
              inferred={"num_features": dim_at(1, "channels (num_features)")},
              check=ranks(cls.__name__, *allowed))
for cls, nd in ((nn.InstanceNorm1d, 1), (nn.InstanceNorm2d, 2)):
    module_op(cls, C.normalization, "normalises each channel of each sample",
              inferred={"num_features": dim_at(-(nd + 1), "channels (num_features)")},
              check=ranks(cls.__name__, nd + 1, nd + 2))
module_op(nn.LayerNorm, C.normalization, "normalises over the trailing dims of each sample",
          inferred={"normalized_shape": NORMALIZED_SHAPE})
module_op(nn.RMSNorm, C.normalization, "root-mean-square norm over the trailing dims",
          inferred={"normalized_shape": NORMALIZED_SHAPE})
module_op(nn.GroupNorm, C.normalization, "normalises groups of channels of each sample",
          inferred={"num_channels": dim_at(1, "channels (num_channels)")}, check=ranks("GroupNorm", 2, 3, 4, 5))

# Regularisation
module_op(nn.Dropout, C.regularization, "zeroes elements with probability p while training")
module_op(nn.Dropout2d, C.regularization, "zeroes whole channels with probability p while training")

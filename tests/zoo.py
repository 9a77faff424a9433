"""A zoo of designs with their truth: each design is paired with the same network built by hand
in plain torch, run on real tensors, recording every node's output shapes and parameter count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


def g(name: str, inputs: list[tuple[str, list[int]] | tuple[str, list[int], str]], nodes: list[dict[str, Any]],
      outputs: list[str]) -> dict[str, Any]:
    ins = [{"id": i[0], "shape": i[1], "dtype": i[2] if len(i) > 2 else "float32"} for i in inputs]
    return {"version": 1, "name": name, "seed": 0, "inputs": ins, "nodes": nodes, "outputs": outputs}


def n(node_id: str, op: str, *inputs: str, **args: Any) -> dict[str, Any]:
    return {"id": node_id, "op": op, "inputs": list(inputs), "args": args}


def _flat(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for item in out for t in _flat(item)]


@dataclass
class Truth:
    """Records what plain torch says about each hand-built layer."""

    nodes: dict[str, tuple[list[list[int]], int]] = field(default_factory=dict)

    def run(self, node_id: str, layer: nn.Module | Callable[..., Any], *args: Any) -> Any:
        out = layer(*args)
        params = sum(p.numel() for p in layer.parameters()) if isinstance(layer, nn.Module) else 0
        self.nodes[node_id] = ([list(t.shape) for t in _flat(out)], params)
        return out


def mlp() -> Truth:
    t, x = Truth(), torch.randn(4, 784)
    h = t.run("relu1", nn.ReLU(), t.run("fc1", nn.Linear(784, 128), x))
    t.run("fc2", nn.Linear(128, 10), t.run("drop", nn.Dropout(0.2), h))
    return t


def cnn() -> Truth:
    t, x = Truth(), torch.randn(2, 3, 32, 32)
    h = t.run("pool1", nn.MaxPool2d(2), t.run("relu1", nn.ReLU(), t.run("bn1", nn.BatchNorm2d(8),
              t.run("conv1", nn.Conv2d(3, 8, 3, padding=1), x))))
    h = t.run("gap", nn.AdaptiveAvgPool2d(1), t.run("conv2", nn.Conv2d(8, 16, 3, stride=2, groups=2), h))
    t.run("head", nn.Linear(16, 5), t.run("flat", nn.Flatten(), h))
    return t


def residual() -> Truth:
    t, x = Truth(), torch.randn(2, 8, 16, 16)
    a = t.run("bn1", nn.BatchNorm2d(16), t.run("conv1", nn.Conv2d(8, 16, 3, 2, 1, bias=False), x))
    b = t.run("short", nn.Conv2d(8, 16, 1, 2), x)
    t.run("out", nn.ReLU(), t.run("sum", torch.add, a, b))
    return t


def seq2seq() -> Truth:
    t, src, tgt = Truth(), torch.randn(3, 7, 5), torch.randn(3, 6, 4)
    _, (h, c) = t.run("enc", nn.LSTM(5, 16, 2, batch_first=True), src)
    out, _ = t.run("dec", nn.LSTM(4, 16, 2, batch_first=True), tgt, (h, c))
    t.run("head", nn.Linear(16, 4), out)
    return t


def recurrent() -> Truth:
    t, x = Truth(), torch.randn(9, 2, 6)  # (seq, batch, features)
    t.run("gru", nn.GRU(6, 10, bidirectional=True), x)
    t.run("rnn", nn.RNN(6, 10, num_layers=3, nonlinearity="relu"), x)
    t.run("lstm", nn.LSTM(6, 12, proj_size=4), x)
    return t


def attention() -> Truth:
    t, ids, mem = Truth(), torch.randint(0, 50, (2, 6)), torch.randn(2, 9, 20)
    e = t.run("embed", nn.Embedding(50, 32), ids)
    a, _ = t.run("sa", nn.MultiheadAttention(32, 4, batch_first=True), e, e, e)
    t.run("cross", nn.MultiheadAttention(32, 2, kdim=20, vdim=20, batch_first=True), a, mem, mem)
    enc = t.run("enc", nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, norm_first=True), a)
    t.run("dec", nn.TransformerDecoderLayer(32, 4, 64, activation="gelu", batch_first=True), a, enc)
    return t


def norms_and_activations() -> Truth:
    t, x = Truth(), torch.randn(4, 6, 5, 5)
    h = t.run("gn", nn.GroupNorm(3, 6), x)
    h = t.run("inorm", nn.InstanceNorm2d(6, affine=True), t.run("prelu", nn.PReLU(6), h))
    h = t.run("drop2d", nn.Dropout2d(0.1), t.run("mish", nn.Mish(), h))
    h = t.run("ln", nn.LayerNorm([5, 5]), t.run("hswish", nn.Hardswish(), h))
    h = t.run("flat", nn.Flatten(2), t.run("rms", nn.RMSNorm(5), h))
    h = t.run("bn1d", nn.BatchNorm1d(6), h)
    h = t.run("in1d", nn.InstanceNorm1d(6), t.run("softplus", nn.Softplus(2.0), h))
    t.run("logsm", nn.LogSoftmax(dim=1), t.run("leaky", nn.LeakyReLU(0.2), h))
    return t


def spatial() -> Truth:
    t, x1, x3 = Truth(), torch.randn(2, 4, 20), torch.randn(1, 2, 6, 8, 8)
    h = t.run("c1", nn.Conv1d(4, 6, 5, padding="same"), x1)
    h = t.run("mp1", nn.MaxPool1d(2), t.run("ct1", nn.ConvTranspose1d(6, 3, 4, stride=2), h))
    t.run("ap1", nn.AdaptiveAvgPool1d(3), t.run("avg1", nn.AvgPool1d(3, ceil_mode=True), h))
    v = t.run("bn3", nn.BatchNorm3d(4), t.run("c3", nn.Conv3d(2, 4, 3), x3))
    f = t.run("c3flat", nn.Flatten(1, 2), v)
    t.run("unflat", nn.Unflatten(1, (2, 8)), f)
    p = t.run("ps", nn.PixelShuffle(2), t.run("up", nn.Upsample(scale_factor=2), f))
    t.run("amp", nn.AdaptiveMaxPool2d((3, 2)), t.run("ct2", nn.ConvTranspose2d(4, 3, 3, output_padding=1, stride=2), p))
    return t


def tensor_ops() -> Truth:
    t, a, b = Truth(), torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    c = t.run("cat", lambda *xs: torch.cat(xs, dim=1), a, b, a)
    m = t.run("mm", torch.matmul, t.run("tr", lambda x: x.transpose(1, 2), c), c)
    r = t.run("rs", lambda x: x.reshape(2, -1), t.run("pm", lambda x: x.permute(0, 2, 1), m))
    t.run("avg", lambda x: x.mean(dim=1, keepdim=True), t.run("prod", torch.mul, r, r))
    return t


def keywords() -> Truth:
    t, x = Truth(), torch.randn(2, 3, 8, 8)
    h = t.run("global", nn.AdaptiveAvgPool2d(2), t.run("class", nn.Conv2d(3, 4, 3), x))
    t.run("lambda", nn.Linear(4, 3), t.run("def", nn.Flatten(2), h).transpose(1, 2))
    return t


def half() -> Truth:
    t, x = Truth(), torch.randn(4, 8, dtype=torch.float16)
    t.run("norm", nn.LayerNorm(16, dtype=torch.float16), t.run("fc", nn.Linear(8, 16, dtype=torch.float16), x))
    return t


ZOO: dict[str, tuple[dict[str, Any], Callable[[], Truth]]] = {
    "keywords": (g("keywords", [("x", [2, 3, 8, 8])], [
        n("class", "Conv2d", "x", out_channels=4, kernel_size=3), n("global", "AdaptiveAvgPool2d", "class",
                                                                       output_size=2),
        n("def", "Flatten", "global", start_dim=2), n("t", "transpose", "def", dim0=1, dim1=2),
        n("lambda", "Linear", "t", out_features=3)], ["lambda"]), keywords),
    "half": (g("half", [("x", [4, 8], "float16")], [
        n("fc", "Linear", "x", out_features=16), n("norm", "LayerNorm", "fc")], ["norm"]), half),
    "mlp": (g("mlp", [("x", [4, 784])], [
        n("fc1", "Linear", "x", out_features=128), n("relu1", "ReLU", "fc1"), n("drop", "Dropout", "relu1", p=0.2),
        n("fc2", "Linear", "drop", in_features=128, out_features=10)], ["fc2"]), mlp),
    "cnn": (g("cnn", [("x", [2, 3, 32, 32])], [
        n("conv1", "Conv2d", "x", out_channels=8, kernel_size=3, padding=1), n("bn1", "BatchNorm2d", "conv1"),
        n("relu1", "ReLU", "bn1", inplace=True), n("pool1", "MaxPool2d", "relu1", kernel_size=2),
        n("conv2", "Conv2d", "pool1", out_channels=16, kernel_size=3, stride=2, groups=2),
        n("gap", "AdaptiveAvgPool2d", "conv2", output_size=1), n("flat", "Flatten", "gap"),
        n("head", "Linear", "flat", out_features=5)], ["head"]), cnn),
    "residual": (g("residual", [("x", [2, 8, 16, 16])], [
        n("conv1", "Conv2d", "x", out_channels=16, kernel_size=3, stride=2, padding=1, bias=False),
        n("bn1", "BatchNorm2d", "conv1"), n("short", "Conv2d", "x", out_channels=16, kernel_size=1, stride=2),
        n("sum", "add", "bn1", "short"), n("out", "ReLU", "sum")], ["out"]), residual),
    "seq2seq": (g("seq2seq", [("src", [3, 7, 5]), ("tgt", [3, 6, 4])], [
        n("enc", "LSTM", "src", hidden_size=16, num_layers=2, batch_first=True),
        n("dec", "LSTM", "tgt", "enc:1", "enc:2", hidden_size=16, num_layers=2, batch_first=True),
        n("head", "Linear", "dec:0", out_features=4)], ["head", "dec:1"]), seq2seq),
    "recurrent": (g("recurrent", [("x", [9, 2, 6])], [
        n("gru", "GRU", "x", hidden_size=10, bidirectional=True),
        n("rnn", "RNN", "x", hidden_size=10, num_layers=3, nonlinearity="relu"),
        n("lstm", "LSTM", "x", hidden_size=12, proj_size=4)], ["gru", "rnn:1", "lstm:2"]), recurrent),
    "attention": (g("attention", [("ids", [2, 6], "int64"), ("mem", [2, 9, 20])], [
        n("embed", "Embedding", "ids", num_embeddings=50, embedding_dim=32),
        n("sa", "MultiheadAttention", "embed", num_heads=4, batch_first=True),
        n("cross", "MultiheadAttention", "sa", "mem", "mem", num_heads=2, kdim=20, vdim=20, batch_first=True),
        n("enc", "TransformerEncoderLayer", "sa", nhead=4, dim_feedforward=64, batch_first=True, norm_first=True),
        n("dec", "TransformerDecoderLayer", "sa", "enc", nhead=4, dim_feedforward=64, activation="gelu",
          batch_first=True)], ["cross", "cross:1", "dec"]), attention),
    "norms_and_activations": (g("norms", [("x", [4, 6, 5, 5])], [
        n("gn", "GroupNorm", "x", num_groups=3), n("prelu", "PReLU", "gn", num_parameters=6),
        n("inorm", "InstanceNorm2d", "prelu", affine=True), n("mish", "Mish", "inorm"),
        n("drop2d", "Dropout2d", "mish", p=0.1), n("hswish", "Hardswish", "drop2d"),
        n("ln", "LayerNorm", "hswish", normalized_shape=[5, 5]), n("rms", "RMSNorm", "ln"),
        n("flat", "Flatten", "rms", start_dim=2), n("bn1d", "BatchNorm1d", "flat"),
        n("softplus", "Softplus", "bn1d", beta=2.0), n("in1d", "InstanceNorm1d", "softplus"),
        n("leaky", "LeakyReLU", "in1d", negative_slope=0.2), n("logsm", "LogSoftmax", "leaky", dim=1)],
        ["logsm"]), norms_and_activations),
    "spatial": (g("spatial", [("x1", [2, 4, 20]), ("x3", [1, 2, 6, 8, 8])], [
        n("c1", "Conv1d", "x1", out_channels=6, kernel_size=5, padding="same"),
        n("ct1", "ConvTranspose1d", "c1", out_channels=3, kernel_size=4, stride=2), n("mp1", "MaxPool1d", "ct1",
                                                                                         kernel_size=2),
        n("avg1", "AvgPool1d", "mp1", kernel_size=3, ceil_mode=True), n("ap1", "AdaptiveAvgPool1d", "avg1",
                                                                           output_size=3),
        n("c3", "Conv3d", "x3", out_channels=4, kernel_size=3), n("bn3", "BatchNorm3d", "c3"),
        n("c3flat", "Flatten", "bn3", start_dim=1, end_dim=2), n("unflat", "Unflatten", "c3flat", dim=1,
                                                                  unflattened_size=[2, 8]),
        n("up", "Upsample", "c3flat", scale_factor=2.0), n("ps", "PixelShuffle", "up", upscale_factor=2),
        n("ct2", "ConvTranspose2d", "ps", out_channels=3, kernel_size=3, stride=2, output_padding=1),
        n("amp", "AdaptiveMaxPool2d", "ct2", output_size=[3, 2])], ["ap1", "amp", "unflat"]), spatial),
    "tensor_ops": (g("tensor_ops", [("a", [2, 3, 4]), ("b", [2, 3, 4])], [
        n("cat", "cat", "a", "b", "a", dim=1), n("tr", "transpose", "cat", dim0=1, dim1=2),
        n("mm", "matmul", "tr", "cat"), n("pm", "permute", "mm", dims=[0, 2, 1]),
        n("rs", "reshape", "pm", shape=[2, -1]), n("prod", "mul", "rs", "rs"),
        n("avg", "mean", "prod", dim=1, keepdim=True)], ["avg"]), tensor_ops),
}

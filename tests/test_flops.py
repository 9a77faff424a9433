"""FLOPs (= 2 x multiply-adds) against counts worked out by hand for each kind of layer."""

from __future__ import annotations

from typing import Any

import pytest

from server.analysis import analyze
from server.graph import GraphIn
from tests.zoo import g, n


def flops(inputs: list[Any], node: dict[str, Any]) -> int:
    result = analyze(GraphIn.model_validate(g("f", inputs, [node], [node["id"]])))
    assert result.ok, result.errors
    return result.nodes[node["id"]].facts.flops  # type: ignore[union-attr]


def test_linear() -> None:
    # 32 rows, each output: 128 multiply-adds, 10 outputs.
    assert flops([("x", [32, 128])], n("a", "Linear", "x", out_features=10)) == 2 * 32 * 10 * 128


def test_conv2d_with_groups_and_stride() -> None:
    # out 8x8 (stride 2 on 16x16, pad 1), 16 channels, each sums 8/2 in-channels x 3x3.
    got = flops([("x", [2, 8, 16, 16])], n("a", "Conv2d", "x", out_channels=16, kernel_size=3, stride=2,
                                             padding=1, groups=2))
    assert got == 2 * (2 * 16 * 8 * 8) * (4 * 9)


def test_conv_transpose() -> None:
    # every input element scatters a 4-tap kernel into 6 output channels
    assert flops([("x", [1, 3, 10])], n("a", "ConvTranspose1d", "x", out_channels=6, kernel_size=4)) == 2 * 30 * 6 * 4


def test_lstm_counts_every_gate_of_every_step() -> None:
    # layer 0: 4 gates x 20 hidden x (8 input + 20 hidden); layer 1 has 20 inputs; 5 steps, batch 3.
    got = flops([("x", [3, 5, 8])], n("a", "LSTM", "x", hidden_size=20, num_layers=2, batch_first=True))
    assert got == 2 * 5 * 3 * (4 * 20 * (8 + 20) + 4 * 20 * (20 + 20))


@pytest.mark.parametrize("op,gates", [("GRU", 3), ("RNN", 1)])
def test_gru_and_rnn_bidirectional(op: str, gates: int) -> None:
    got = flops([("x", [7, 2, 4])], n("a", op, "x", hidden_size=6, bidirectional=True))
    assert got == 2 * 7 * 2 * 2 * gates * 6 * (4 + 6)


def test_multihead_attention() -> None:
    # q, k, v and out projections (4 x L x E x E) + scores and weighted sum (2 x L x L x E), batch 2.
    e, length, batch = 16, 10, 2
    got = flops([("x", [batch, length, e])], n("a", "MultiheadAttention", "x", num_heads=4, batch_first=True))
    assert got == 2 * batch * (4 * length * e * e + 2 * length * length * e)


def test_encoder_layer_is_attention_plus_feed_forward() -> None:
    e, f, length, batch = 16, 32, 10, 2
    got = flops([("x", [batch, length, e])], n("a", "TransformerEncoderLayer", "x", nhead=4, dim_feedforward=f,
                                               batch_first=True))
    assert got == 2 * batch * (4 * length * e * e + 2 * length * length * e + 2 * length * e * f)


def test_matmul() -> None:
    assert flops([("a", [4, 5, 6]), ("b", [4, 6, 7])], n("m", "matmul", "a", "b")) == 2 * 4 * 5 * 7 * 6


def test_elementwise_ops_count_zero() -> None:
    assert flops([("x", [4, 8])], n("a", "GELU", "x")) == 0

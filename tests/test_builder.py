"""The built module is the network a person would write: same weights for the same seed and
construction order, init and freezing applied, outputs in the graph's order."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from server.builder import build, example_inputs
from server.errors import InvalidDesign
from server.graph import GraphIn
from tests.zoo import ZOO, g, n


def test_weights_match_a_hand_built_model_with_the_same_seed() -> None:
    design = GraphIn.model_validate(ZOO["mlp"][0])
    model = build(design, seed=7)
    torch.manual_seed(7)
    reference = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    ours = model.state_dict()
    for (name, tensor), ref in zip(ours.items(), reference.state_dict().values(), strict=True):
        assert torch.equal(tensor, ref), name
    model.eval()
    reference.eval()
    x = example_inputs(design)[0]
    assert torch.equal(model(x), reference(x))


def test_state_dict_keys_are_node_ids() -> None:
    model = build(GraphIn.model_validate(ZOO["seq2seq"][0]))
    assert list(model.state_dict())[:2] == ["enc.weight_ih_l0", "enc.weight_hh_l0"]
    assert isinstance(model.enc, nn.LSTM)


def test_init_and_freezing_are_applied() -> None:
    design = GraphIn.model_validate(g("init", [("x", [2, 6])], [
        {**n("fc", "Linear", "x", out_features=4), "init": {"weight": "ones", "bias": "zeros"}, "trainable": False},
        {**n("lstm", "LSTM", "fc", hidden_size=3), "init": {"weight": "orthogonal"}}], ["lstm"]))
    model = build(design)
    assert torch.equal(model.fc.weight, torch.ones(4, 6)) and not model.fc.weight.requires_grad
    w = model.lstm.weight_hh_l0.detach()
    assert torch.allclose(w.T @ w, torch.eye(3), atol=1e-5)  # orthogonal columns
    assert model.lstm.weight_hh_l0.requires_grad


def test_several_outputs_come_back_in_graph_order() -> None:
    design = GraphIn.model_validate(ZOO["recurrent"][0])
    model = build(design).eval()
    with torch.no_grad():
        out = model(*example_inputs(design))
    assert [tuple(t.shape) for t in out] == [(9, 2, 20), (3, 2, 10), (1, 2, 12)]


def test_token_inputs_are_valid_ids() -> None:
    design = GraphIn.model_validate(ZOO["attention"][0])
    ids = example_inputs(design)[0]
    assert ids.dtype == torch.int64 and int(ids.max()) < 50
    build(design).eval()(*example_inputs(design))


def test_a_broken_design_is_not_built() -> None:
    with pytest.raises(InvalidDesign) as e:
        build(GraphIn.model_validate(g("b", [("x", [2, 3])], [n("fc", "Linear", "x")], ["fc"])))
    assert e.value.errors[0].node == "fc"

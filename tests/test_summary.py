"""The text summary against golden files; `pytest --regen-golden` rewrites them after a deliberate change."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.analysis import analyze
from server.graph import GraphIn
from server.summary import summary_text
from tests.zoo import ZOO, g, n

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", ["cnn", "seq2seq", "attention"])
def test_summary_matches_golden(name: str, request: pytest.FixtureRequest) -> None:
    text = summary_text(analyze(GraphIn.model_validate(ZOO[name][0])), name)
    path = GOLDEN / f"summary_{name}.txt"
    if request.config.getoption("--regen-golden"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()


def test_summary_shows_errors_and_frozen_layers() -> None:
    graph = g("s", [("x", [2, 8])], [{**n("a", "Linear", "x", out_features=4), "trainable": False},
                                     n("b", "Linear", "a", in_features=5, out_features=2)], ["b"])
    text = summary_text(analyze(GraphIn.model_validate(graph)))
    assert "36 (frozen)" in text
    assert "Linear expects 5 input features but gets [2, 4]" in text
    assert "Non-trainable params: 36" in text


def test_summary_endpoint_is_text(client: TestClient) -> None:
    r = client.post("/api/v1/summary", json=ZOO["mlp"][0])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "Total params: 101,770" in r.text

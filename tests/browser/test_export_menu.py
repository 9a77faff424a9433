"""The Export menu and weights loaded into a saved design, in real Chromium.

Every export downloads the server's file; a refused export shows the server's message in the notice;
a saved design takes a weights file and the weights panel then measures those weights.
"""

from __future__ import annotations

import ast
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from safetensors.numpy import load as load_safetensors

from tests.browser.conftest import ARTIFACTS, open_page
from tests.browser.test_canvas import new_design, open_template, refitted

pytestmark = pytest.mark.browser

# Linear then RMSNorm: the norm is one of the layers ONNX opset 17 cannot export (aten::rms_norm).
RMS_DESIGN = {
    "version": 1, "name": "norm_net", "seed": 0,
    "inputs": [{"id": "x", "shape": [2, 16], "ui": {"x": 0, "y": 0}}],
    "nodes": [
        {"id": "fc", "op": "Linear", "args": {"out_features": 16}, "inputs": ["x"], "ui": {"x": 0, "y": 120}},
        {"id": "norm", "op": "RMSNorm", "args": {"normalized_shape": 16}, "inputs": ["fc"], "ui": {"x": 0, "y": 240}},
    ],
    "outputs": ["norm"],
}


# Chromium logs every 4xx answer to the console; these tests expect one refusal and allow only that.
REFUSAL_LOG = "the server responded with a status of 422"


@pytest.fixture
def refused_page(browser: Any, server_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """conftest's `page`, for a test that expects the server to refuse something (422) once."""
    with open_page(browser, server_url, request.node.name, (REFUSAL_LOG,)) as pg:
        yield pg


def call(url: str, body: Any = None) -> bytes:
    """GET, or POST a JSON body, to the test server; the answer's bytes."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        out: bytes = res.read()
        return out


def open_menu(page: Any) -> None:
    page.get_by_test_id("export-menu").click()
    expect(page.get_by_test_id("export-dropdown")).to_be_visible()


def download(page: Any, kind: str, into: Path) -> Path:
    open_menu(page)
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_test_id(f"export-{kind}").click()
    path = into / dl.value.suggested_filename
    dl.value.save_as(path)
    return path


def open_json(page: Any, graph: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    path.write_text(json.dumps(graph))
    refitted(page, lambda: page.get_by_test_id("open-file").set_input_files(str(path)))


def test_export_menu_downloads_pytorch_code(page: Any, tmp_path: Path) -> None:
    open_template(page, "image_classifier")
    expect(page.get_by_test_id("total-params")).to_have_text("129,290")
    open_menu(page)
    for kind in ("json", "python", "safetensors", "pt", "onnx"):
        expect(page.get_by_test_id(f"export-{kind}")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export_menu.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("export-dropdown")).to_have_count(0)
    code_path = download(page, "python", tmp_path)
    assert code_path.suffix == ".py"
    code = code_path.read_text()
    assert "class " in code and "nn.Conv2d" in code
    ast.parse(code)


def test_export_menu_downloads_weights_named_for_the_layers(page: Any, tmp_path: Path) -> None:
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    path = download(page, "safetensors", tmp_path)
    assert path.suffix == ".safetensors"
    tensors = load_safetensors(path.read_bytes())
    assert tensors["fc1.weight"].shape == (128, 784)
    assert sum(t.size for t in tensors.values()) == 109_386
    assert download(page, "pt", tmp_path).suffix == ".pt"


def test_a_refused_onnx_export_shows_the_servers_message(refused_page: Any, tmp_path: Path) -> None:
    page = refused_page
    open_json(page, RMS_DESIGN, tmp_path)
    expect(page.get_by_test_id("status-ok")).to_be_visible()
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))
    open_menu(page)
    page.get_by_test_id("export-onnx").click()
    notice = page.get_by_test_id("notice")
    expect(notice).to_contain_text("ONNX export fails at norm (RMSNorm)", timeout=60_000)
    assert not downloads
    expect(page.get_by_test_id("export")).to_have_text("Export")  # no longer busy


def test_weights_loaded_into_a_saved_design_change_the_stats(page: Any, server_url: str, tmp_path: Path) -> None:
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    page.get_by_test_id("node-fc1").click()
    page.get_by_test_id("tab-weights").click()
    expect(page.get_by_test_id("load-weights-hint")).to_contain_text("Save the design first")
    expect(page.get_by_test_id("load-weights")).to_be_disabled()
    page.get_by_test_id("measure-run").click()
    stats = page.get_by_test_id("weights-stats")
    expect(stats).to_contain_text("[128, 784]", timeout=30_000)
    seeded = stats.text_content()

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved-as")).to_contain_text("v1")
    design_id = re.search(r"/d/([^/]+)$", page.url).group(1)  # type: ignore[union-attr]
    expect(page.get_by_test_id("load-weights-hint")).to_have_count(0)
    graph = json.loads(call(f"{server_url}/api/v1/designs/{design_id}"))["graph"]
    weights = tmp_path / "other_seed.safetensors"
    weights.write_bytes(call(f"{server_url}/api/v1/export/weights",
                             {"graph": graph, "format": "safetensors", "seed": 12345}))

    page.get_by_test_id("weights-file").set_input_files(str(weights))
    expect(page.get_by_test_id("weights-source-line")).to_contain_text("loaded into this design (6 tensors, 109,386")
    expect(stats).not_to_have_text(seeded, timeout=30_000)  # measured again, on the loaded weights
    expect(stats).to_contain_text("[128, 784]")
    loaded = stats.text_content()
    # The toggle goes back to the seed's weights, and the numbers with it.
    page.get_by_test_id("use-uploaded").uncheck()
    expect(stats).to_have_text(seeded, timeout=30_000)
    page.get_by_test_id("use-uploaded").check()
    expect(stats).to_have_text(loaded, timeout=30_000)


def test_weights_that_do_not_fit_show_the_mismatch_report(refused_page: Any, server_url: str, tmp_path: Path) -> None:
    page = refused_page
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved-as")).to_contain_text("v1")
    other = json.loads(call(f"{server_url}/api/v1/templates/residual_block"))
    weights = tmp_path / "residual.safetensors"
    weights.write_bytes(call(f"{server_url}/api/v1/export/weights", {"graph": other, "format": "safetensors"}))
    page.get_by_test_id("tab-weights").click()
    page.get_by_test_id("weights-file").set_input_files(str(weights))
    report = page.get_by_test_id("weights-report")
    expect(report).to_contain_text("fc1.weight")
    expect(report).to_contain_text("missing")
    expect(report).to_contain_text("unexpected")
    expect(page.get_by_test_id("notice")).to_contain_text("nothing was applied")
    expect(page.get_by_test_id("weights-source-line")).to_contain_text("seed")


def test_a_new_design_forgets_the_loaded_weights(page: Any) -> None:
    new_design(page)
    page.get_by_test_id("tab-weights").click()
    expect(page.get_by_test_id("load-weights")).to_be_disabled()
    expect(page.get_by_test_id("weights-source-line")).to_contain_text("seed 0")


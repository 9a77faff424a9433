"""Weight statistics and pictures, checked against the same weights made by plain torch."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from measure_zoo import IMAGE_CLASSIFIER_IDS, chain, image_classifier, image_classifier_torch, measuring_client, mlp
from PIL import Image

# Documented picture layout (README, "Measuring"): title line 14 px, padding 8 px, scale bar 100 px,
# at least 256 px wide; the data starts at x = 8, y = 22.
TOP, LEFT = 22, 8


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with measuring_client(tmp_path_factory.mktemp("data")) as c:
        yield c


def _png(client: TestClient, body: dict[str, object]) -> Image.Image:
    r = client.post("/api/v1/weights/image", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    image.load()
    assert r.headers["x-torchcanvas-size"] == f"{image.width}x{image.height}"
    return image


def test_stats_equal_torch(client: TestClient) -> None:
    r = client.post("/api/v1/weights/stats", json={"graph": image_classifier(batch=2), "seed": 3})
    assert r.status_code == 200, r.text
    nodes = r.json()["nodes"]
    truth = image_classifier_torch(3)
    layers = dict(zip(IMAGE_CLASSIFIER_IDS, truth, strict=True))
    with_params = [i for i, m in layers.items() if any(True for _ in m.parameters())]
    assert list(nodes) == with_params
    for node_id in with_params:
        for name, p in layers[node_id].named_parameters():
            got, t = nodes[node_id]["params"][name], p.detach()
            assert got["shape"] == list(t.shape)
            for key, want in (("mean", t.mean()), ("std", t.std()), ("min", t.min()), ("max", t.max())):
                assert got[key] == pytest.approx(want.item(), rel=1e-6, abs=1e-9), (node_id, name, key)
            assert got["zero_fraction"] == (t == 0).float().mean().item()
            counts, edges = torch.histogram(t.flatten(), bins=32)
            assert got["histogram"]["counts"] == [int(c) for c in counts]
            assert got["histogram"]["edges"] == pytest.approx(edges.tolist())


def test_init_choices_show_in_stats(client: TestClient) -> None:
    graph = mlp(fc1={"init": {"weight": "zeros", "bias": "ones"}})
    fc1 = client.post("/api/v1/weights/stats", json={"graph": graph}).json()["nodes"]["fc1"]["params"]
    assert fc1["weight"]["zero_fraction"] == 1.0
    assert fc1["bias"]["mean"] == 1.0 and fc1["bias"]["std"] == 0.0


def test_init_choices_show_in_pictures(client: TestClient) -> None:
    """`ones` fills the heatmap with full red; the default (kaiming uniform) is a spread of colours."""
    body = {"node": "fc1", "view": "matrix"}
    ones = _png(client, {"graph": mlp(fc1={"init": {"weight": "ones"}}), **body}).convert("RGB")
    default = _png(client, {"graph": mlp(), **body}).convert("RGB")
    rows, cols = slice(TOP, TOP + 256), slice(LEFT, LEFT + 80)  # 64x20 at 4x
    assert {tuple(c) for c in np.asarray(ones)[rows, cols].reshape(-1, 3)} == {(180, 4, 38)}
    assert len(np.unique(np.asarray(default)[rows, cols].reshape(-1, 3), axis=0)) > 20


def test_conv_filters_are_rgb_tiles_of_the_real_weights(client: TestClient) -> None:
    image = _png(client, {"graph": image_classifier(batch=2), "node": "conv1", "view": "filters", "seed": 1})
    # 32 filters of 3x3 in a 6x6 grid at 12x with 1 px gaps: 6*37-1 = 221 px; 8+221+8 < 256.
    assert image.mode == "RGB" and image.size == (256, TOP + 221 + 8)
    w = image_classifier_torch(1)[0].weight.detach()
    vmax = w.abs().max()
    for f in (0, 7, 31):
        row, col = divmod(f, 6)
        want = torch.round((w[f, :, 0, 0] / vmax + 1) * 127.5).to(torch.uint8).tolist()
        assert list(image.getpixel((LEFT + col * 37, TOP + row * 37))) == want


def test_large_matrix_is_max_abs_pooled_and_says_so(client: TestClient) -> None:
    graph = chain("wide", [1, 300], [("fc", "Linear", {"in_features": 300, "out_features": 2000})], seed=2)
    r = client.post("/api/v1/weights/image", json={"graph": graph, "node": "fc", "view": "matrix"})
    assert "signed max-abs of a 2x1 block" in r.headers["x-torchcanvas-note"]
    image = Image.open(io.BytesIO(r.content)).convert("RGB")
    # 2000x300 -> 1000x300 data area, then the 100 px scale bar.
    assert image.size == (8 + 300 + 8 + 100, TOP + 1000 + 8)
    torch.manual_seed(2)
    w = torch.nn.Linear(300, 2000).weight.detach()
    row, col = divmod(int(w.abs().argmax()), 300)
    full = (180, 4, 38) if w[row, col] > 0 else (59, 76, 192)
    assert image.getpixel((LEFT + col, TOP + row // 2)) == full


def test_histogram_size_and_determinism(client: TestClient) -> None:
    body = {"graph": image_classifier(batch=2), "node": "fc1", "view": "histogram", "seed": 5}
    first = client.post("/api/v1/weights/image", json=body).content
    assert Image.open(io.BytesIO(first)).size == (640, 320)
    assert client.post("/api/v1/weights/image", json=body).content == first
    assert client.post("/api/v1/weights/image", json={**body, "seed": 6}).content != first


def test_same_seed_same_heatmap_bytes(client: TestClient) -> None:
    body = {"graph": mlp(), "node": "fc1", "view": "matrix", "seed": 4}
    a, b = (client.post("/api/v1/weights/image", json=body).content for _ in range(2))
    assert a == b
    image = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"))
    # 64x20 weights drawn at 4x (256 px on the long side), 8+80+8+100 px rounded up to the 256 minimum.
    assert image.shape == (TOP + 256 + 8, 256, 3)
    assert len(np.unique(image[TOP : TOP + 256, LEFT : LEFT + 80].reshape(-1, 3), axis=0)) > 20


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"node": "relu1"}, "'relu1' has no parameters"),
        ({"node": "ghost"}, "'ghost' has no parameters"),
        ({"node": "conv1", "param": "gamma"}, "no parameter 'gamma'"),
        ({"node": "fc1", "view": "filters"}, "filters need a conv weight"),
    ],
)
def test_bad_requests_name_the_node_and_the_fix(client: TestClient, body: dict[str, str], needle: str) -> None:
    r = client.post("/api/v1/weights/image", json={"graph": image_classifier(batch=2), **body})
    assert r.status_code == 422
    assert needle in r.json()["error"]["message"]


def test_signed_max_abs_pooling_keeps_each_blocks_peak() -> None:
    """Against a block-by-block loop: the value of largest magnitude, its sign kept (edges padded)."""
    from server.render import signed_maxabs_pool

    m = np.random.default_rng(0).standard_normal((10, 7)).astype(np.float32)
    want = np.zeros((4, 4), dtype=np.float32)
    for i in range(4):
        for j in range(4):
            block = m[i * 3 : i * 3 + 3, j * 2 : j * 2 + 2].ravel()
            want[i, j] = block[np.abs(block).argmax()]
    assert np.array_equal(signed_maxabs_pool(m, 3, 2), want)

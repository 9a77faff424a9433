"""The profile endpoint on the tutorial's ImageClassifier: method, per-node times, memory, sweep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from measure_zoo import IMAGE_CLASSIFIER_IDS, image_classifier, image_classifier_torch, inputs_for, measuring_client

QUICK = {"min_time_s": 0.05, "warmup": 1}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with measuring_client(tmp_path_factory.mktemp("data"), max_threads=2) as c:
        yield c


def profile(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/profile", json={"graph": image_classifier(batch=8), **QUICK, **body})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def check_timing(t: dict[str, Any]) -> None:
    assert 0 < t["min_ms"] <= t["median_ms"] and t["iqr_ms"] >= 0
    assert t["samples"] >= 3 and t["runs"] >= t["samples"]


def test_eval_profile_reports_method_nodes_and_overhead(client: TestClient) -> None:
    result = profile(client, threads=1, reference=True)
    assert (result["device"], result["threads"], result["mode"], result["grad_enabled"]) == ("cpu", 1, "eval", False)
    check_timing(result["forward"])
    ref = result["reference"]
    assert ref["method"] == "torch.utils.benchmark.Timer.blocked_autorange" and ref["median_ms"] > 0
    assert ref["forward_ratio"] == pytest.approx(result["forward"]["median_ms"] / ref["median_ms"], rel=1e-3)
    assert result["backward"] is None and result["sweep"] is None and profile(client)["reference"] is None
    assert list(result["nodes"]) == IMAGE_CLASSIFIER_IDS
    assert sum(n["share"] for n in result["nodes"].values()) == pytest.approx(1.0, abs=0.01)
    convs = sum(result["nodes"][c]["median_ms"] for c in ("conv1", "conv2", "conv3"))
    assert convs > result["nodes"]["flatten"]["median_ms"]
    inst = result["instrumented"]
    assert inst["passes"] == 5
    assert inst["overhead_ms"] == pytest.approx(inst["total_median_ms"] - inst["plain_median_ms"], abs=1e-3)


def test_cpu_peak_memory_follows_the_stated_method(client: TestClient) -> None:
    """Parameters + buffers + inputs + each distinct output storage held through the forward."""
    result = profile(client)
    graph = image_classifier(batch=8)
    model = image_classifier_torch(0).eval()
    (x,) = inputs_for(graph, 0)
    total = sum(t.nbytes for t in [*model.parameters(), *model.buffers(), x])
    seen: set[int] = set()
    held = [x]  # the forward keeps every output alive until it ends, so no address is reused
    with torch.no_grad():
        for layer in model:
            h = layer(held[-1])
            held.append(h)
            if h.untyped_storage().data_ptr() not in seen:
                seen.add(h.untyped_storage().data_ptr())
                total += h.untyped_storage().nbytes()
    assert result["peak_memory_bytes"] == total
    assert "autograd" in result["peak_memory_method"]


def test_train_profile_with_backward_and_sweep(client: TestClient) -> None:
    result = profile(client, mode="train", backward=True, batch_sizes=[1, 4], threads=2)
    assert result["mode"] == "train" and result["grad_enabled"] and result["threads"] == 2
    check_timing(result["backward"])
    assert [s["batch_size"] for s in result["sweep"]] == [1, 4]
    for s in result["sweep"]:
        assert s["samples_per_s"] == pytest.approx(s["batch_size"] / (s["median_ms"] / 1e3), rel=1e-3)


def test_threads_over_the_limit_are_refused(client: TestClient) -> None:
    r = client.post("/api/v1/profile", json={"graph": image_classifier(batch=1), "threads": 3})
    assert r.status_code == 422 and "TORCHCANVAS_MAX_THREADS" in r.json()["error"]["message"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_422(client: TestClient) -> None:
    r = client.post("/api/v1/profile", json={"graph": image_classifier(batch=1), "device": "cuda", **QUICK})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == 'device "cuda" was asked for but this server has no GPU: use device "cpu"'


def test_an_invalid_design_is_answered_before_any_job(client: TestClient) -> None:
    graph = image_classifier(batch=1)
    graph["nodes"][-1]["args"]["in_features"] = 999
    r = client.post("/api/v1/profile", json={"graph": graph})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["node"] == "fc2"

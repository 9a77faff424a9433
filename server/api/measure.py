"""Measuring routes: the real network's timing, weights, gradients and activations.

Each handler checks the memory budget on the analysis (meta tensors, in the thread pool), then
hands the job to the worker pool and awaits it; no real tensor is made in this process.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server import budget
from server.api.deps import PoolDep, SettingsDep
from server.errors import LimitExceeded
from server.graph import GraphIn
from server.weights_upload import weights_for
from server.workers import WorkerPool

router = APIRouter(prefix="/api/v1", tags=["measure"])


NodeId = Annotated[str, Field(min_length=1, max_length=64)]
Seed = Annotated[int | None, Field(ge=0, le=2**63 - 1)]


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    graph: GraphIn
    seed: Seed = None
    device: Literal["cpu", "cuda"] = "cpu"
    design_id: Annotated[str | None, Field(max_length=64, description="use its uploaded weights")] = None


class ProfileIn(MeasureIn):
    mode: Literal["eval", "train"] = "eval"
    backward: bool = False
    threads: Annotated[int | None, Field(ge=1, le=256)] = None
    warmup: Annotated[int, Field(ge=0, le=100)] = 3
    min_time_s: Annotated[float, Field(gt=0, le=30)] = 0.5
    batch_sizes: Annotated[list[Annotated[int, Field(ge=1, le=65536)]] | None, Field(max_length=8)] = None
    reference: bool = False


class WeightsImageIn(MeasureIn):
    node: NodeId
    param: Annotated[str, Field(min_length=1, max_length=64)] = "weight"
    view: Literal["filters", "matrix", "histogram"] = "matrix"


class GradientsIn(MeasureIn):
    loss: Literal["sum", "mse", "cross_entropy"] = "sum"


class ActivationsIn(MeasureIn):
    mode: Literal["eval", "train"] = "eval"


class ActivationImageIn(MeasureIn):
    node: NodeId


async def _run(pool: WorkerPool, job: str, body: MeasureIn, settings: SettingsDep, *,
               gradients: bool = False, batch_sizes: list[int] | None = None) -> dict[str, Any]:
    """Budget first (nothing allocated), then the job in a worker."""
    await run_in_threadpool(budget.check, body.graph, settings, gradients=gradients, batch_sizes=batch_sizes)
    payload = body.model_dump(mode="json")
    if body.design_id is not None:
        payload["weights"] = await run_in_threadpool(weights_for, settings, body.design_id, body.graph)
    result: dict[str, Any] = await pool.run(job, payload)
    return result


def _png(result: dict[str, Any]) -> Response:
    size = f"{result['width']}x{result['height']}"
    headers = {"X-Torchcanvas-Note": result["note"], "X-Torchcanvas-Size": size}
    return Response(result["png"], media_type="image/png", headers=headers)


@router.post("/profile")
async def profile_network(body: ProfileIn, settings: SettingsDep, pool: PoolDep) -> dict[str, Any]:
    """Forward (and backward) timing, per-node times, peak memory and an optional batch sweep."""
    threads = body.threads or settings.worker_threads
    if threads > settings.max_threads:
        raise LimitExceeded(f"threads={threads} is over this server's limit of {settings.max_threads} "
                            "(TORCHCANVAS_MAX_THREADS): ask for fewer")
    body = body.model_copy(update={"threads": threads})
    return await _run(pool, "profile", body, settings, gradients=body.backward or body.mode == "train",
                      batch_sizes=body.batch_sizes)


@router.post("/weights/image", response_class=Response)
async def weights_image(body: WeightsImageIn, settings: SettingsDep, pool: PoolDep) -> Response:
    """One parameter as a PNG: conv filters, a matrix heatmap or a histogram."""
    return _png(await _run(pool, "weights_image", body, settings))


@router.post("/weights/stats")
async def weights_stats(body: MeasureIn, settings: SettingsDep, pool: PoolDep) -> dict[str, Any]:
    """Per node, per parameter: shape, mean, std, min, max, fraction of zeros, histogram."""
    return await _run(pool, "weights_stats", body, settings)


@router.post("/gradients")
async def gradients(body: GradientsIn, settings: SettingsDep, pool: PoolDep) -> dict[str, Any]:
    """The loss and each parameter's gradient norm, flagged when vanishing or exploding."""
    return await _run(pool, "gradients", body, settings, gradients=True)


@router.post("/activations")
async def activations(body: ActivationsIn, settings: SettingsDep, pool: PoolDep) -> dict[str, Any]:
    """Per node: statistics of its output on the example inputs (signal propagation, dead ReLUs)."""
    return await _run(pool, "activations", body, settings)


@router.post("/activations/image", response_class=Response)
async def activations_image(body: ActivationImageIn, settings: SettingsDep, pool: PoolDep) -> Response:
    """The first sample's output of one node as a PNG of its first feature maps."""
    return _png(await _run(pool, "activations_image", body, settings))

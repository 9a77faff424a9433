"""What every measuring job shares: a validated request turned into a real model and inputs.

Runs only inside worker processes (see `server.workers`). The model comes from
`server.builder.build` with the request's seed, the inputs from `server.builder.example_inputs`
with the same seed, so one graph and one seed always give the same numbers and pictures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import safetensors.torch
import torch
from torch import nn

from server.builder import DesignModule, build, example_inputs
from server.errors import TorchcanvasError
from server.graph import GraphIn


class InvalidRequest(TorchcanvasError):
    """A measuring request that names something the design does not have, or cannot run here."""

    status = 422
    code = "invalid_request"


@dataclass
class Network:
    graph: GraphIn
    model: DesignModule
    inputs: list[torch.Tensor]
    device: torch.device
    seed: int


def check_device(name: str) -> torch.device:
    """"cpu" or "cuda"; asking for a GPU on a machine without one is the client's mistake (422)."""
    if name == "cuda" and not torch.cuda.is_available():
        raise InvalidRequest('device "cuda" was asked for but this server has no GPU: use device "cpu"')
    return torch.device(name)


def load(payload: dict[str, Any]) -> Network:
    """Build the design with real weights on the asked device, and inputs of its shapes."""
    graph = GraphIn.model_validate(payload["graph"])
    seed = graph.seed if payload.get("seed") is None else int(payload["seed"])
    device = check_device(payload.get("device", "cpu"))
    model = build(graph, device=str(device), seed=seed)
    if payload.get("weights"):  # a saved design's uploaded weights, checked against this graph already
        model.load_state_dict(safetensors.torch.load(payload["weights"]), strict=True)
    return Network(graph, model, example_inputs(graph, device=str(device), seed=seed), device, seed)


def children(model: nn.Module) -> dict[str, nn.Module]:
    """The layers by node id (a dict lookup: a name a user sends is never passed to getattr)."""
    return dict(model.named_children())


def first_tensor(value: Any) -> torch.Tensor | None:
    """Output port 0 of a layer's result (an LSTM returns (output, (h, c)): port 0 is output)."""
    while isinstance(value, tuple | list) and value:
        value = value[0]
    return value if isinstance(value, torch.Tensor) else None


def floats(outputs: Any) -> list[torch.Tensor]:
    items = outputs if isinstance(outputs, tuple | list) else [outputs]
    return [t for t in items if isinstance(t, torch.Tensor) and t.is_floating_point()]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def mode(model: nn.Module, train: bool) -> Iterator[None]:
    """Set train/eval mode for a block and restore the previous mode afterwards."""
    before = model.training
    model.train(train)
    try:
        yield
    finally:
        model.train(before)


class RunFailed(TorchcanvasError):
    """The design passed the analysis but fails on real tensors (a dtype mix, say): the node says where."""

    status = 422
    code = "run_failed"


def _failing_node(payload: dict[str, Any]) -> str | None:
    """Run one forward node by node and return the id of the node that raises, if one does."""
    try:
        net = load(payload)
    except Exception:
        return None
    done: list[str] = []
    try:
        with torch.no_grad():
            net.model.run(*net.inputs, observe=lambda node_id, _outputs: done.append(node_id))
    except Exception:
        ran = set(done)
        return next((s.node for s in net.model.steps if s.node not in ran), None)
    return None


def guarded(job: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """Turn a torch failure inside a job into a 422 naming the node that fails, never a 500."""

    def run(payload: dict[str, Any]) -> Any:
        try:
            return job(payload)
        except TorchcanvasError:
            raise
        except (RuntimeError, ValueError, TypeError, IndexError) as e:
            if "can't allocate memory" in str(e) or "not enough memory" in str(e):
                raise MemoryError(str(e)[:300]) from e
            reason = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            node = _failing_node(payload)
            if node is None:
                raise RunFailed(f"the network fails on real tensors: {reason}") from e
            raise RunFailed(
                f"node {node!r} fails on real tensors: {reason}; check its inputs' dtypes and its arguments",
                details=[{"node": node, "message": reason}],
            ) from e

    return run

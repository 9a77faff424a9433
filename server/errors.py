"""Domain errors: every one carries what the API needs to answer without a traceback."""

from __future__ import annotations

from typing import Any


class TorchcanvasError(Exception):
    """Base of the errors the API turns into its one error shape (see `server.api.errors`)."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class GraphError(TorchcanvasError):
    """A design mistake pinned to one node (or to `outputs`), with a fix a person can apply."""

    status = 422
    code = "invalid_graph"

    def __init__(self, node: str, message: str, fix: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.fix = fix

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "message": self.message}
        if self.fix is not None:
            out["fix"] = self.fix
        return out


class InvalidDesign(TorchcanvasError):
    """A graph with errors was asked to do something only a valid graph can do (build, run, export)."""

    status = 422
    code = "invalid_graph"

    def __init__(self, errors: list[GraphError]) -> None:
        first = errors[0]
        super().__init__(
            f"the design has {len(errors)} error(s); first at node {first.node!r}: {first.message}",
            details=[e.to_dict() for e in errors],
        )
        self.errors = errors


class NotFound(TorchcanvasError):
    status = 404
    code = "not_found"


class Conflict(TorchcanvasError):
    status = 409
    code = "conflict"


class LimitExceeded(TorchcanvasError):
    """A request is over a configured budget (size, time, memory); nothing was allocated."""

    status = 422
    code = "limit_exceeded"


class TooLarge(TorchcanvasError):
    """A body or upload is over its byte limit; answered before it is parsed or stored."""

    status = 413
    code = "too_large"


class Busy(TorchcanvasError):
    """Every worker is busy and the job queue is full; `headers` carries Retry-After (seconds)."""

    status = 429
    code = "busy"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_s)}


class JobTimeout(TorchcanvasError):
    """A job ran past its time limit; its worker was killed and replaced."""

    status = 504
    code = "timeout"


class WorkerFailed(TorchcanvasError):
    """A worker process died mid-job (most often the system ran out of memory); it was replaced."""

    status = 503
    code = "worker_failed"

"""Jobs that make real tensors (measuring, exporting weights and ONNX, reading uploaded weights),
only ever inside worker processes (`server.workers`).

`JOBS` is the fixed table the workers answer from; the API names a job from this table, never
from anything a user sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server import weights_upload
from server.export import jobs as export_jobs
from server.measure import activations, gradients, profile, stats
from server.measure.network import guarded

JOBS: dict[str, Callable[[dict[str, Any]], Any]] = {
    name: guarded(job)
    for name, job in {
        "profile": profile.run,
        "weights_stats": stats.run,
        "weights_image": stats.image,
        "gradients": gradients.run,
        "activations": activations.run,
        "activations_image": activations.image,
        "export_weights": export_jobs.weights_job,
        "export_onnx": export_jobs.onnx_job,
        "weights_fit": weights_upload.fit_job,
    }.items()
}

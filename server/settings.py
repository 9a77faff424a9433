"""Settings read once from the environment (`TORCHCANVAS_*`); each one is documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Every knob of the server. Field names map to `TORCHCANVAS_<NAME>` variables."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    # Host names the server answers to (comma-separated; empty or * for any). `python -m server`
    # bound to a loopback address fills in the loopback names when this is unset.
    allowed_hosts: str = ""
    max_nodes: int = 5000
    max_inputs_per_node: int = 64
    # Request limits checked before parsing (server/api/limits.py): a JSON body's bytes, nesting
    # depth and longest number (digits); CORS origins allowed (comma-separated; empty = closed).
    max_body_bytes: int = 8 * 1024 * 1024
    max_json_depth: int = 64
    max_number_digits: int = 100
    cors_origins: str = ""
    # When set, the write endpoints for saved designs require `Authorization: Bearer <token>`.
    token: str = ""
    # The built canvas (Vite's output with .vite/manifest.json), served under /static.
    static_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parents[1] / "static" / "dist")
    # The Jinja2 pages (canvas.html); the repository's templates/ unless installed elsewhere.
    templates_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parents[1] / "templates")
    # Saved designs: empty means SQLite under data_dir; read from `DATABASE_URL` (no prefix).
    database_url: str = ""
    # The largest weights file an upload may send (safetensors or a weights_only .pt).
    max_upload_bytes: int = 512 * 1024 * 1024
    # Exports that build real weights (weights files, ONNX) refuse designs whose weights pass this.
    max_export_bytes: int = 2 * 1024**3
    # Measuring (profile, weights, gradients, activations) runs in worker processes; see README.
    workers: int = 1
    worker_threads: int = 1
    worker_queue: int = 4
    job_timeout_s: float = 60.0
    measure_memory_mb: int = 2048
    max_threads: int = 8
    worker_memory_mb: int = 0

    @classmethod
    def from_env(cls) -> Settings:
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"TORCHCANVAS_{f.name.upper()}")
            if raw is None:
                continue
            kind = type(getattr(cls(), f.name))
            values[f.name] = kind(raw) if kind is not bool else raw.lower() in {"1", "true", "yes"}
        if os.environ.get("DATABASE_URL"):
            values["database_url"] = os.environ["DATABASE_URL"]
        return cls(**values)  # type: ignore[arg-type]

@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()

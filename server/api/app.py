"""The FastAPI application: settings, error handlers and the routers, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from server import __version__
from server.api import analyze, designs, export, gallery, measure, meta, pages
from server.api.errors import install_error_handlers
from server.api.limits import install_limits
from server.settings import Settings, get_settings
from server.storage import get_engine
from server.workers import WorkerPool

ROUTERS = [
    meta.router, analyze.router, gallery.router, pages.router, designs.router, export.router, measure.router,
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The database is migrated before the first request; worker processes start on the first
    measuring job and stop with the app."""
    await run_in_threadpool(get_engine, app.state.settings)
    yield
    app.state.pool.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        # No /docs or /redoc: FastAPI's pages load Swagger UI and ReDoc from a CDN, and nothing this
        # server serves may. /openapi.json is served as usual.
        docs_url=None,
        redoc_url=None,
        title="Torchcanvas",
        version=__version__,
        description="Design PyTorch networks; get shapes, counts, FLOPs, memory and errors per node.",
    )
    app.state.settings = settings or get_settings()
    app.state.pool = WorkerPool.from_settings(app.state.settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    pages.mount_static(app, app.state.settings)
    install_limits(app, app.state.settings)
    return app

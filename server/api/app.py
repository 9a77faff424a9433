"""The FastAPI application: settings, error handlers and the routers, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from server import __version__
from server.api import analyze, designs, export, gallery, meta, pages
from server.api.errors import install_error_handlers
from server.api.limits import install_limits
from server.settings import Settings, get_settings

ROUTERS = [meta.router, analyze.router, gallery.router, pages.router, designs.router, export.router]


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Torchcanvas",
        version=__version__,
        description="Design PyTorch networks; get shapes, counts, FLOPs, memory and errors per node.",
    )
    app.state.settings = settings or get_settings()
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    pages.mount_static(app, app.state.settings)
    install_limits(app, app.state.settings)
    return app

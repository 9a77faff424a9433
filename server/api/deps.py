"""Dependencies shared by the routes."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from server.errors import TorchcanvasError
from server.settings import Settings
from server.workers import WorkerPool


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_pool(request: Request) -> WorkerPool:
    pool: WorkerPool = request.app.state.pool
    return pool


# The worker processes: every route that makes real tensors hands its job to them.
PoolDep = Annotated[WorkerPool, Depends(get_pool)]


class Unauthorized(TorchcanvasError):
    """A write without the server's token; `headers` tells the client which scheme to use."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": "Bearer"}


def require_token(request: Request, settings: SettingsDep) -> None:
    """On a shared instance (TORCHCANVAS_TOKEN set) only token holders change saved designs.

    The comparison takes the same time whatever the guess, so the token cannot be found byte by byte.
    """
    if not settings.token:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise Unauthorized("this server requires a token to change saved designs: "
                           "send `Authorization: Bearer <token>` (TORCHCANVAS_TOKEN)")
    if not hmac.compare_digest(given.strip().encode(), settings.token.encode()):
        raise Unauthorized("the token is wrong: send the one this server started with (TORCHCANVAS_TOKEN)")


WriteAccess = Depends(require_token)

"""The API's one error shape, made in one place.

Every failure answers `{"error": {"code", "message", "details"}}` with a 4xx status; a bug answers
a 500 of the same shape without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.errors import TorchcanvasError

log = logging.getLogger("torchcanvas")


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors()[:20]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        out.append({"loc": loc[:200], "message": str(err.get("msg", ""))[:300]})
    return out


async def _on_domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TorchcanvasError)
    headers = getattr(exc, "headers", None)
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = f"{details[0]['loc'] or 'body'}: {details[0]['message']}" if details else "invalid body"
    return error_response(422, "invalid_body", f"the body is not valid here ({first})", details)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _on_bug(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(500, "internal", "internal error: the server logged it")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TorchcanvasError, _on_domain)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_bug)

"""One error shape for every failure: ``{"error", "message", "field", "status"}``.

Domain errors carry their status and a safe message; anything unexpected becomes a 500 with a
generic message while the detail goes to the log.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import DomainError

log = logging.getLogger("xincheng.api")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str
    message: str
    field: str | None = None
    status: int
    request_id: str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (400, "请求有误 Bad input: the field is named"), (401, "未登录 Not logged in or token expired"),
        (403, "无权限 The role may not do this"), (404, "不存在 Not found"),
        (409, "冲突 Stale version or conflicting state"), (413, "过大 Body over the limit"),
        (422, "无效 A parameter or body field is invalid"), (429, "过于频繁 Too many requests"))
}


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, object]:
    """Return the public error body."""
    return {"error": code, "message": message, "field": field, "status": status}


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        message = f"{field or 'request'}: {first.get('msg', 'invalid value')}"
        return JSONResponse(error_body(422, "invalid_input", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(exc.status_code, code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(OverflowError)
    @app.exception_handler(sa.exc.DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        # A number or text the database cannot hold (an id beyond 64 bits, say): the caller's mistake.
        log.info("value out of the database's range: %s", type(exc).__name__)
        return JSONResponse(error_body(400, "out_of_range", "a value in the request is out of range for the database"),
                            status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(500, "internal_error", "an internal error occurred; it has been logged"),
                            status_code=500)

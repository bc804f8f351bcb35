"""Errors → HTTP: the one gRPC status → HTTP table and the handlers that render every error as
`{"error": {"code", "message", "request_id"}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dckit import context

log = logging.getLogger(__name__)

# The one table: gRPC status → HTTP status (anything else → 500).
GRPC_TO_HTTP: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

# Error code for HTTP errors raised by the framework itself (unknown route, wrong method).
HTTP_CODES: Mapping[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Transport-level failures carry addresses and library text: say what happened instead.
_GENERIC_MESSAGES: Mapping[grpc.StatusCode, str] = {
    grpc.StatusCode.UNAVAILABLE: "a backend service is unavailable; retry later",
    grpc.StatusCode.DEADLINE_EXCEEDED: "a backend service did not answer in time",
    grpc.StatusCode.UNKNOWN: "internal error",
    grpc.StatusCode.INTERNAL: "internal error",
    grpc.StatusCode.DATA_LOSS: "internal error",
}


def http_status(code: grpc.StatusCode) -> int:
    return GRPC_TO_HTTP.get(code, 500)


class ApiError(Exception):
    """An error the gateway itself reports (e.g. a malformed path parameter)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "request_id": context.current().request_id}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def internal_error_response() -> JSONResponse:
    return error_response(500, "INTERNAL", "internal error")


def validation_message(errors: Sequence[Any]) -> str:
    """`limit: Input should be less than or equal to 500; name: Field required`."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc)
        msg = str(error.get("msg", "invalid value"))
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


async def _grpc_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, grpc.aio.AioRpcError)
    code = exc.code()
    status = http_status(code)
    message = _GENERIC_MESSAGES.get(code) or exc.details() or code.name.lower()
    if status >= 500:
        log.warning(
            "backend call failed",
            extra={"grpc_code": code.name, "grpc_details": exc.details(), "path": request.url.path},
        )
    return error_response(status, code.name, message)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "INVALID_ARGUMENT", validation_message(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "INTERNAL" if exc.status_code >= 500 else "ERROR")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


def install(app: FastAPI) -> None:
    """Register the handlers. Unexpected exceptions are handled by the request-context
    middleware (so they still carry X-Request-ID)."""
    app.add_exception_handler(grpc.aio.AioRpcError, _grpc_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

"""ASGI middleware: request context (X-Request-ID, client IP, user agent, actor) and HTTP
metrics by route template. Pure ASGI, so the context variable reaches the handlers and the
gRPC client interceptor forwards it as metadata."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dckit import context
from gateway_service.config import GatewaySettings
from gateway_service.core.auth import ANONYMOUS, actor_for
from gateway_service.core.errors import error_response, internal_error_response
from gateway_service.core.routing import route_template

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's request id only if it is a reasonable token (it ends up in logs and events).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTTP_REQUESTS = Counter(
    "dc_gateway_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "dc_gateway_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
)


def request_id_from(headers: Headers) -> str:
    given = headers.get(REQUEST_ID_HEADER)
    if given and _REQUEST_ID.match(given):
        return given
    return context.new_request_id()


class RequestContextMiddleware:
    """Binds `dckit.context.RequestContext` for the request, echoes X-Request-ID on every
    response and turns unexpected exceptions into a 500 without internals."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        client = scope.get("client")
        ctx = context.RequestContext(
            request_id=request_id_from(headers),
            actor=actor_for(self.settings, headers.get("authorization")) or ANONYMOUS,
            client_ip=client[0] if client else "",
            user_agent=headers.get("user-agent", "")[:512],
        )
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = ctx.request_id
            await send(message)

        with context.bound(ctx):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                if started:
                    raise
                await internal_error_response()(scope, receive, send_with_id)


class MetricsMiddleware:
    """Counts requests and observes latency by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            labels = (scope["method"], route, str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - start)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class BodyLimitMiddleware:
    """Refuses a request body over `max_body_bytes` with 413: at once by its Content-Length,
    else (chunked) as soon as what arrived passes the limit. An HTTPException, so FastAPI's
    body reading lets it through to the error handlers instead of calling it a parse error."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app, self.limit = app, settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> ASGIApp:
    return error_response(413, "PAYLOAD_TOO_LARGE", f"request body over {limit} bytes")


class NulGuardMiddleware:
    """400 for a NUL character in the path or a query parameter (decoded): PostgreSQL cannot
    store one, and it used to come back as a 500. Request bodies are checked by their models
    (`core.models.Request`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _nul_in(scope)
            if where:
                message = f"{where} contains a NUL character"
                await error_response(400, "INVALID_ARGUMENT", message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_in(scope: Scope) -> str:
    if "\x00" in scope.get("path", ""):
        return "the path"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query parameter {name.replace(chr(0), '')!r}"
    return ""

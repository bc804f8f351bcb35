"""Operations: `GET /health` (every backend service over gRPC health, the database, NATS
JetStream) and `GET /metrics` (Prometheus). Neither needs a token.

`/health` is public, so it must not be a lever: the probe result is shared for
`health_cache_seconds` (one probe in flight at a time, whatever the request rate), and only an
authenticated admin sees the per-check details (error texts name internal addresses); everyone
else gets the overall status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg
import grpc
import nats
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import State

from dckit.settings import to_libpq_url
from gateway_service.config import GatewaySettings
from gateway_service.core.auth import authenticate, bearer_token
from gateway_service.core.errors import ApiError
from gateway_service.health import schemas

router = APIRouter(tags=["operations"])

# A probe gets the settings and the app state (which holds each backend's gRPC channel).
Probe = Callable[[GatewaySettings, State], Awaitable[None]]
BACKENDS = ("catalog", "quality", "governance", "notifier", "scheduler")


def check_backend(name: str) -> Probe:
    """Standard grpc.health.v1 check of backend `name` over the gateway's own channel."""

    async def check(settings: GatewaySettings, state: State) -> None:
        channel: grpc.aio.Channel = getattr(state, f"{name}_channel")
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""),
                timeout=settings.health_timeout_seconds,
            )
        except grpc.aio.AioRpcError as exc:
            addr = getattr(settings, f"{name}_addr")
            raise RuntimeError(f"{exc.code().name}: {name} at {addr}") from exc
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    return check


async def check_database(settings: GatewaySettings, state: State) -> None:
    timeout = settings.health_timeout_seconds
    url = to_libpq_url(settings.database_url.get_secret_value())
    conn = await asyncpg.connect(url, timeout=timeout)
    try:
        await conn.fetchval("SELECT 1", timeout=timeout)
    finally:
        await conn.close(timeout=timeout)


async def _ignore(_exc: Exception) -> None:
    return None


async def check_nats(settings: GatewaySettings, state: State) -> None:
    nc = await nats.connect(
        settings.nats_url,
        connect_timeout=settings.health_timeout_seconds,
        allow_reconnect=False,
        max_reconnect_attempts=0,
        error_cb=_ignore,
    )
    try:
        await nc.jetstream().account_info()
    finally:
        await nc.close()


CHECKS: dict[str, Probe] = {
    **{name: check_backend(name) for name in BACKENDS},
    "database": check_database,
    "nats": check_nats,
}


async def run_check(probe: Probe, settings: GatewaySettings, state: State) -> schemas.Check:
    # A little over the probe's own timeouts: a hung connect still ends.
    deadline = settings.health_timeout_seconds * 1.5 + 0.5
    try:
        await asyncio.wait_for(probe(settings, state), timeout=deadline)
    except TimeoutError:
        return schemas.Check(status="error", error=f"timed out after {deadline:g}s")
    except Exception as exc:
        return schemas.Check(status="error", error=f"{str(exc) or type(exc).__name__}")
    return schemas.Check(status="ok")


class HealthCache:
    """The last probe result, reused for `ttl` seconds; concurrent callers share one probe."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._result: schemas.Health | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, probe: Callable[[], Awaitable[schemas.Health]]) -> schemas.Health:
        async with self._lock:
            if self._result is None or self.clock() >= self._expires:
                self._result = await probe()
                self._expires = self.clock() + self.ttl
            return self._result


async def probe_all(settings: GatewaySettings, state: State) -> schemas.Health:
    results = await asyncio.gather(
        *(run_check(probe, settings, state) for probe in CHECKS.values())
    )
    checks = dict(zip(CHECKS, results, strict=True))
    ok = all(c.status == "ok" for c in checks.values())
    return schemas.Health(status="ok" if ok else "degraded", checks=checks)


async def is_admin(request: Request) -> bool:
    """Whether the caller sent a valid admin token; anything else (none, wrong, expired,
    governance down) is anonymous here, never an error: probes must keep working."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return False
    try:
        principal = await authenticate(request, token)
    except (ApiError, grpc.aio.AioRpcError):
        return False
    return principal.role == "admin"


@router.get(
    "/health",
    response_model=schemas.Health,
    responses={503: {"model": schemas.Health, "description": "A dependency is failing"}},
    summary="Health of the gateway's dependencies",
)
async def health(request: Request) -> JSONResponse:
    """Overall status for everyone; the checks (with their errors) for an admin token."""
    settings: GatewaySettings = request.app.state.settings
    state = request.app.state
    cache: HealthCache = state.health_cache
    body = await cache.get(lambda: probe_all(settings, state))
    status = 200 if body.status == "ok" else 503
    if not await is_admin(request):
        body = schemas.Health(status=body.status)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


@router.get("/livez", summary="Liveness: the gateway process answers (no dependency checks)")
async def livez() -> dict[str, str]:
    # Kubernetes liveness: restarting the gateway cannot fix a database or backend outage,
    # so this must not depend on them (readiness uses /health).
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
    summary="Prometheus metrics",
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

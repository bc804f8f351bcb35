"""gRPC client helper: every call gets a deadline and the caller's request context;
UNAVAILABLE is retried with exponential backoff (gRPC's own retry policy, which adds jitter)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from prometheus_client import Counter, Histogram

from dckit import context
from dckit.errors import DomainError, InvalidArgument, NotFound, Unavailable
from dckit.internal_auth import METADATA_KEY, internal_token

DEFAULT_TIMEOUT = 10.0

CLIENT_LATENCY = Histogram(
    "dc_grpc_client_handling_seconds", "gRPC client call latency", ["service", "method", "code"]
)
CLIENT_TOTAL = Counter(
    "dc_grpc_client_handled_total", "gRPC client calls completed", ["service", "method", "code"]
)


def _service_config(max_attempts: int) -> str:
    # Fix: gRPC rejects a retryPolicy with maxAttempts < 2 and then fails *every* call on the
    # channel ("errors validating service config"); max_attempts=1 now means "no retries".
    if max_attempts < 2:
        return json.dumps({"methodConfig": [{"name": [{}]}]})
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{}],  # every service and method on this channel
                    "retryPolicy": {
                        "maxAttempts": max_attempts,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "2s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


class _MetricsInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Latency and status code of every call as the caller saw it (retries included)."""

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        raw = details.method
        method = raw.decode() if isinstance(raw, bytes) else str(raw)
        service, _, name = method.lstrip("/").rpartition("/")
        start = time.perf_counter()
        code = "UNKNOWN"
        try:
            call = await continuation(details, request)
            code = (await call.code()).name
            return call
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            raise
        finally:
            CLIENT_TOTAL.labels(service, name, code).inc()
            CLIENT_LATENCY.labels(service, name, code).observe(time.perf_counter() - start)


class _ContextInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the deadline, the request context and the internal service credential."""

    def __init__(self, default_timeout: float, token: str) -> None:
        self.default_timeout = default_timeout
        self.token = token

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        for key, value in context.current().to_metadata():
            if key not in metadata:
                metadata.add(key, value)
        metadata[METADATA_KEY] = self.token
        details = grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self.default_timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )
        return await continuation(details, request)


def channel(
    target: str,
    *,
    default_timeout: float = DEFAULT_TIMEOUT,
    max_attempts: int = 4,
    token: str | None = None,
) -> grpc.aio.Channel:
    """A channel to one of our services; `token` defaults to this process's internal token."""
    return grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.enable_retries", 1 if max_attempts > 1 else 0),
            ("grpc.service_config", _service_config(max_attempts)),
            ("grpc.keepalive_time_ms", 30_000),
        ],
        interceptors=[
            _MetricsInterceptor(),
            *aio_client_interceptors(),
            _ContextInterceptor(default_timeout, token or internal_token()),
        ],
    )


def upstream_error(exc: grpc.aio.AioRpcError, upstream: str, not_found: str) -> DomainError:
    """Another service's answer as our caller's error: a missing (`not_found`, 404) or
    malformed (its INVALID_ARGUMENT message, 400) object is the caller's mistake; anything
    else means `upstream` cannot answer now (503), never a 500."""
    if exc.code() == grpc.StatusCode.NOT_FOUND:
        return NotFound(not_found)
    if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidArgument(exc.details() or "invalid object reference")
    return Unavailable(f"the {upstream} service is unavailable: {exc.details() or exc.code().name}")

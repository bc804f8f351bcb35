"""The internal service credential: every gRPC call between our processes carries
`x-dc-internal-token`; servers reject calls without the right one, so a caller's identity
(the actor in the request context) is trusted only when it comes from inside the stack.

The token is `DATACOMPASS_INTERNAL_TOKEN`, shared by every process of one deployment. When it is
unset, a random token is generated for this process only: in-process tests and benchmarks work,
while any other process calling this one is rejected (fail closed)."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

log = logging.getLogger(__name__)

ENV = "DATACOMPASS_INTERNAL_TOKEN"
METADATA_KEY = "x-dc-internal-token"
# Probes (kubelet gRPC probes cannot send metadata) and reflection stay open.
EXEMPT_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def internal_token() -> str:
    """This process's internal token (from the environment, or generated once)."""
    token = os.environ.get(ENV, "")
    if not token:
        token = "dc_int_" + secrets.token_urlsafe(32)
        os.environ[ENV] = token  # every later caller in this process agrees on it
        log.warning("%s is not set: generated a token valid inside this process only", ENV)
    return token


def valid(given: str | None, expected: str) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class InternalTokenInterceptor(grpc.aio.ServerInterceptor):
    """Rejects (UNAUTHENTICATED) every call that does not carry the internal token."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        if details.method.startswith(EXEMPT_PREFIXES):
            return await continuation(details)
        given = None
        for key, value in details.invocation_metadata or ():
            if key == METADATA_KEY:
                given = value.decode() if isinstance(value, bytes) else value
        if valid(given, self.token):
            return await continuation(details)
        handler = await continuation(details)
        if handler is None:
            return handler

        async def deny(request: Any, rpc: grpc.aio.ServicerContext) -> Any:
            await rpc.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid internal token")

        return grpc.unary_unary_rpc_method_handler(
            deny,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

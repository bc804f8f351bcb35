"""gRPC server bootstrap: health, reflection, request context, error mapping, tracing,
and a graceful shutdown on SIGTERM that drains RPCs and background workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from prometheus_client import Counter, Histogram

from dckit import context, internal_auth
from dckit.errors import DomainError

log = logging.getLogger(__name__)

RPC_LATENCY = Histogram(
    "dc_grpc_server_handling_seconds", "gRPC server latency", ["service", "method", "code"]
)
RPC_TOTAL = Counter(
    "dc_grpc_server_handled_total", "gRPC calls handled", ["service", "method", "code"]
)

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def status_code(error: DomainError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, error.code, grpc.StatusCode.INTERNAL)


class ContextErrorInterceptor(grpc.aio.ServerInterceptor):
    """Binds the caller's RequestContext and turns DomainErrors into status codes.

    Unexpected exceptions become INTERNAL with the request id, never a stack trace."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not handler.unary_unary:
            return handler
        method = details.method
        ctx = context.RequestContext.from_metadata(details.invocation_metadata)
        inner = handler.unary_unary

        async def behaviour(request: Any, rpc: grpc.aio.ServicerContext) -> Any:
            loop = asyncio.get_running_loop()
            start, code = loop.time(), "OK"
            service, _, name = method.rpartition("/")
            # Bound around the error handling too, so the unhandled-error log line carries
            # the request id (it used to be logged after the context was unbound).
            with context.bound(ctx):
                try:
                    return await inner(request, rpc)
                except DomainError as exc:
                    code = exc.code
                    await rpc.abort(status_code(exc), exc.message)
                except asyncio.CancelledError:
                    code = "CANCELLED"
                    raise
                except Exception as exc:
                    if isinstance(exc, grpc.aio.AbortError):
                        code = rpc.code().name if rpc.code() else "UNKNOWN"
                        raise
                    code = "INTERNAL"
                    log.exception("unhandled error in %s", method)
                    await rpc.abort(
                        grpc.StatusCode.INTERNAL, f"internal error (request {ctx.request_id})"
                    )
                finally:
                    RPC_TOTAL.labels(service.lstrip("/"), name, code).inc()
                    RPC_LATENCY.labels(service.lstrip("/"), name, code).observe(loop.time() - start)

        return grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcApp:
    """Runs one service: its servicers, health, reflection and background workers."""

    readiness_interval = 5.0  # seconds between readiness checks while serving

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        service_names: Sequence[str],
        register: Callable[[grpc.aio.Server], None],
        workers: Sequence[Worker] = (),
        readiness: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
        grace_seconds: float = 10.0,
        internal_token: str | None = None,
    ) -> None:
        self.name = name
        # Calls without this credential are rejected (dckit.internal_auth).
        self.internal_token = internal_token or internal_auth.internal_token()
        self.address = f"{host}:{port}"
        self.service_names = list(service_names)
        self.register = register
        self.workers = list(workers)
        self.readiness = readiness
        self.on_shutdown = list(on_shutdown)
        self.grace_seconds = grace_seconds
        self.stop = asyncio.Event()
        self.bound_port = 0
        self.health = health_aio.HealthServicer()
        self._server: grpc.aio.Server | None = None

    async def start(self) -> None:
        server = grpc.aio.server(
            interceptors=[
                aio_server_interceptor(),
                internal_auth.InternalTokenInterceptor(self.internal_token),
                ContextErrorInterceptor(),
            ]
        )
        self.register(server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [
                *self.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            server,
        )
        self.bound_port = server.add_insecure_port(self.address)
        await server.start()
        self._server = server
        # Fix: this reported SERVING unconditionally, before readiness had ever been checked.
        await self._set_health(await self._ready())
        log.info(
            "%s listening on %s", self.name, self.address.rsplit(":", 1)[0] + f":{self.bound_port}"
        )

    async def serve(self) -> None:
        """Start, run until SIGTERM/SIGINT (or `stop` is set), then shut down gracefully."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        await self.start()
        tasks: list[asyncio.Task[None]] = [asyncio.create_task(w(self.stop)) for w in self.workers]
        tasks.append(asyncio.create_task(self._watch_readiness()))
        await self.stop.wait()
        await self.shutdown(tasks)

    async def shutdown(self, tasks: Sequence[asyncio.Task[None]] = ()) -> None:
        log.info("%s shutting down", self.name)
        self.stop.set()
        await self.health.enter_graceful_shutdown()  # readiness fails first: LB stops routing
        if self._server is not None:
            await self._server.stop(self.grace_seconds)  # in-flight RPCs finish
        # Workers see `stop` and finish the message in hand; cancel what overstays the grace.
        if not tasks:
            tasks = []
        _done, pending = (
            await asyncio.wait(tasks, timeout=self.grace_seconds) if tasks else (set(), set())
        )
        for task in pending:
            task.cancel()
        # Let cancelled workers unwind before the hooks close the DB/NATS they are using.
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for hook in self.on_shutdown:
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook failed")
        log.info("%s stopped", self.name)

    async def _ready(self) -> bool:
        if self.readiness is None:
            return True
        try:
            await asyncio.wait_for(self.readiness(), timeout=3)
        except Exception as exc:
            log.warning("%s not ready: %s", self.name, exc)
            return False
        return True

    async def _watch_readiness(self) -> None:
        while not self.stop.is_set():
            await self._set_health(await self._ready())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=self.readiness_interval)

    async def _set_health(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

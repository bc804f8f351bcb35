from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from dckit import context, errors, grpc_client
from dckit.grpc_server import GrpcApp

pytestmark = pytest.mark.stack  # starts services or servers in its tests


SERVICE = "kittest.Kit"


class KitServicer:
    """A tiny bytes-in/bytes-out service registered through a generic handler."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.fail_first = 0
        self.finished: list[str] = []

    def _count(self, name: str) -> int:
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.calls[name]

    async def whoami(self, request: bytes, rpc: grpc.aio.ServicerContext) -> bytes:
        ctx = context.current()
        return json.dumps(
            {"request_id": ctx.request_id, "actor": ctx.actor, "client_ip": ctx.client_ip}
        ).encode()

    async def fail(self, request: bytes, rpc: grpc.aio.ServicerContext) -> bytes:
        name = request.decode()
        if name == "boom":
            raise ValueError("secret internal detail")
        if name == "abort":
            await rpc.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
        raise getattr(errors, name)(f"{name} happened")

    async def slow(self, request: bytes, rpc: grpc.aio.ServicerContext) -> bytes:
        self._count("slow")
        await asyncio.sleep(float(request.decode()))
        self.finished.append("slow")
        return b"done"

    async def flaky(self, request: bytes, rpc: grpc.aio.ServicerContext) -> bytes:
        if self._count("flaky") <= self.fail_first:
            raise errors.Unavailable("try again")
        return b"ok"

    def register(self, server: grpc.aio.Server) -> None:
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(getattr(self, name.lower()))
            for name in ("Whoami", "Fail", "Slow", "Flaky")
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


@pytest.fixture
def servicer() -> KitServicer:
    return KitServicer()


AppFactory = Callable[..., Awaitable[GrpcApp]]


@pytest.fixture
async def make_app(servicer: KitServicer) -> AsyncIterator[AppFactory]:
    apps: list[GrpcApp] = []

    async def make(**kwargs: Any) -> GrpcApp:
        app = GrpcApp(
            "kittest",
            host="127.0.0.1",
            port=0,
            service_names=[SERVICE],
            register=servicer.register,
            grace_seconds=kwargs.pop("grace_seconds", 5.0),
            **kwargs,
        )
        apps.append(app)
        await app.start()
        return app

    yield make
    for app in apps:
        if not app.stop.is_set():
            await app.shutdown()


def _target(app: GrpcApp) -> str:
    return f"127.0.0.1:{app.bound_port}"


def _call(ch: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return ch.unary_unary(f"/{SERVICE}/{method}")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("InvalidArgument", grpc.StatusCode.INVALID_ARGUMENT),
        ("NotFound", grpc.StatusCode.NOT_FOUND),
        ("AlreadyExists", grpc.StatusCode.ALREADY_EXISTS),
        ("FailedPrecondition", grpc.StatusCode.FAILED_PRECONDITION),
        ("Conflict", grpc.StatusCode.ABORTED),
        ("PermissionDenied", grpc.StatusCode.PERMISSION_DENIED),
        ("Unauthenticated", grpc.StatusCode.UNAUTHENTICATED),
        ("Unavailable", grpc.StatusCode.UNAVAILABLE),
        ("DeadlineExceeded", grpc.StatusCode.DEADLINE_EXCEEDED),
        ("DomainError", grpc.StatusCode.INTERNAL),
    ],
)
async def test_domain_errors_map_to_status_codes(
    make_app: AppFactory, error: str, code: grpc.StatusCode
) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app), max_attempts=1) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Fail")(error.encode())
    assert info.value.code() == code
    assert info.value.details() == f"{error} happened"


class _ContextCapture(logging.Handler):
    """Records the request id bound while each log record is emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), context.current().request_id))


async def test_unexpected_exception_is_internal_with_request_id(make_app: AppFactory) -> None:
    app = await make_app()
    capture = _ContextCapture()
    logger = logging.getLogger("dckit.grpc_server")
    logger.addHandler(capture)
    try:
        async with grpc_client.channel(_target(app)) as ch:
            with (
                context.bound(context.RequestContext(request_id="rid-777", actor="eve")),
                pytest.raises(grpc.aio.AioRpcError) as info,
            ):
                await _call(ch, "Fail")(b"boom")
    finally:
        logger.removeHandler(capture)
    # The server logs the failure (with the stack trace) under the caller's request id.
    assert (f"unhandled error in /{SERVICE}/Fail", "rid-777") in capture.seen
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert "rid-777" in (info.value.details() or "")
    assert "secret" not in (info.value.details() or "")
    assert "ValueError" not in (info.value.details() or "")


async def test_handler_abort_keeps_its_code(make_app: AppFactory) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app)) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Fail")(b"abort")
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert info.value.details() == "slow down"


async def test_request_context_reaches_handler(make_app: AppFactory) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app)) as ch:
        ctx = context.RequestContext(request_id="rid-1", actor="alice", client_ip="10.1.2.3")
        with context.bound(ctx):
            seen = json.loads(await _call(ch, "Whoami")(b""))
            # Explicit metadata on the call wins over the bound context.
            explicit = json.loads(await _call(ch, "Whoami")(b"", metadata=(("x-dc-actor", "bob"),)))
        unbound = json.loads(await _call(ch, "Whoami")(b""))
    assert seen == {"request_id": "rid-1", "actor": "alice", "client_ip": "10.1.2.3"}
    assert explicit["actor"] == "bob" and explicit["request_id"] == "rid-1"
    assert unbound["request_id"] and unbound["request_id"] != "rid-1"  # server generates one


async def _health(ch: grpc.aio.Channel, service: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(ch)
    response = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
    return int(response.status)


async def test_health_follows_readiness(
    make_app: AppFactory, wait_until: Callable[..., Awaitable[None]]
) -> None:
    ready = {"ok": False}

    async def readiness() -> None:
        if not ready["ok"]:
            raise ConnectionError("database down")

    app = await make_app(readiness=readiness)
    app.readiness_interval = 0.1
    watcher = asyncio.create_task(app._watch_readiness())
    serving, not_serving = (
        health_pb2.HealthCheckResponse.SERVING,
        (health_pb2.HealthCheckResponse.NOT_SERVING),
    )
    try:
        async with grpc_client.channel(_target(app)) as ch:
            # Not ready from the start: never reported SERVING before the first check.
            assert await _health(ch) == not_serving
            assert await _health(ch, SERVICE) == not_serving

            def reports(status: int, service: str = "") -> Callable[[], Awaitable[bool]]:
                async def check() -> bool:
                    return bool(await _health(ch, service) == status)

                return check

            ready["ok"] = True
            await wait_until(reports(serving))
            assert await _health(ch, SERVICE) == serving
            ready["ok"] = False
            await wait_until(reports(not_serving, SERVICE))
            ready["ok"] = True
            await wait_until(reports(serving, SERVICE))
            await app.shutdown([watcher])
    finally:
        app.stop.set()
        await asyncio.wait_for(watcher, 2)


async def test_health_serving_without_readiness_probe(make_app: AppFactory) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app)) as ch:
        assert await _health(ch) == health_pb2.HealthCheckResponse.SERVING
        assert await _health(ch, SERVICE) == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_services(make_app: AppFactory) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app)) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        names: set[str] = set()
        async for response in stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=2
        ):
            names |= {s.name for s in response.list_services_response.service}
    assert SERVICE in names
    assert "grpc.health.v1.Health" in names
    assert "grpc.reflection.v1alpha.ServerReflection" in names


async def test_graceful_shutdown_drains_rpcs_and_workers(
    make_app: AppFactory, servicer: KitServicer, wait_until: Callable[..., Awaitable[None]]
) -> None:
    order: list[str] = []

    async def worker(stop: asyncio.Event) -> None:
        await stop.wait()
        await asyncio.sleep(0.3)  # finishing the message in hand
        order.append("worker")

    async def hook() -> None:
        order.append("hook")

    app = await make_app(on_shutdown=[hook])
    worker_task = asyncio.create_task(worker(app.stop))
    async with grpc_client.channel(_target(app), max_attempts=1) as ch:
        in_flight = asyncio.ensure_future(_call(ch, "Slow")(b"0.6"))

        async def started() -> bool:
            return servicer.calls.get("slow", 0) == 1

        await wait_until(started)  # the call is in the server when the shutdown begins
        await app.shutdown([worker_task])
        assert await in_flight == b"done"
        # Health reports NOT_SERVING / new calls are refused once shut down.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Whoami")(b"", timeout=1)
        assert info.value.code() in (
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
        )
    assert servicer.finished == ["slow"]
    assert order == ["worker", "hook"]


async def test_shutdown_cancels_workers_overstaying_the_grace(make_app: AppFactory) -> None:
    cancelled = asyncio.Event()
    order: list[str] = []

    async def stubborn(stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.1)  # cleanup that must finish before the hooks run
            cancelled.set()
            order.append("worker")
            raise

    async def hook() -> None:
        order.append("hook")

    app = await make_app(on_shutdown=[hook], grace_seconds=0.3)
    task = asyncio.create_task(stubborn(app.stop))
    await asyncio.sleep(0)
    await app.shutdown([task])
    assert cancelled.is_set()
    assert order == ["worker", "hook"]


async def test_client_retries_unavailable(make_app: AppFactory, servicer: KitServicer) -> None:
    app = await make_app()
    servicer.fail_first = 3
    async with grpc_client.channel(_target(app), max_attempts=4) as ch:
        assert await _call(ch, "Flaky")(b"") == b"ok"
    assert servicer.calls["flaky"] == 4


async def test_client_gives_up_after_max_attempts(
    make_app: AppFactory, servicer: KitServicer
) -> None:
    app = await make_app()
    servicer.fail_first = 100
    async with grpc_client.channel(_target(app), max_attempts=3) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Flaky")(b"")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert servicer.calls["flaky"] == 3


async def test_client_does_not_retry_other_codes(
    make_app: AppFactory, servicer: KitServicer
) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app), max_attempts=4) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Fail")(b"Conflict")
    assert info.value.code() == grpc.StatusCode.ABORTED


async def test_client_default_deadline(make_app: AppFactory) -> None:
    app = await make_app()
    async with grpc_client.channel(_target(app), default_timeout=0.3) as ch:
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(ch, "Slow")(b"3")
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert loop.time() - start < 2.0
        # An explicit timeout wins over the default.
        assert await _call(ch, "Slow")(b"0.5", timeout=3) == b"done"


async def test_client_wait_for_ready_survives_late_server(
    free_port: int, servicer: KitServicer
) -> None:
    """wait_for_ready passes through the context interceptor: a call made before the server
    listens completes once it does."""
    app = GrpcApp(
        "kittest",
        host="127.0.0.1",
        port=free_port,
        service_names=[SERVICE],
        register=servicer.register,
    )
    async with grpc_client.channel(f"127.0.0.1:{free_port}", max_attempts=5) as ch:
        call = asyncio.ensure_future(_call(ch, "Whoami")(b"", timeout=5, wait_for_ready=True))
        await asyncio.sleep(0.3)
        await app.start()
        try:
            assert json.loads(await call)["actor"] == "system"
        finally:
            await app.shutdown()


def _client_count(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "dc_grpc_client_handled_total", {"service": SERVICE, "method": method, "code": code}
    )
    return value or 0.0


async def test_client_metrics_count_calls_by_code(make_app: AppFactory) -> None:
    app = await make_app()
    ok_before, err_before = _client_count("Slow", "OK"), _client_count("Fail", "ABORTED")
    async with grpc_client.channel(_target(app)) as ch:
        await _call(ch, "Slow")(b"0")
        with pytest.raises(grpc.aio.AioRpcError):
            await _call(ch, "Fail")(b"Conflict")
    assert _client_count("Slow", "OK") == ok_before + 1
    assert _client_count("Fail", "ABORTED") == err_before + 1


def test_grpc_app_reports_every_proto_service_a_process_serves() -> None:
    from sqlalchemy import MetaData

    from dckit.outbox import outbox_table
    from dckit.service import foundation, grpc_app
    from dckit.settings import BackendSettings

    settings = BackendSettings(database_url="postgresql://127.0.0.1:1/none")
    base = foundation(settings, "kittest", outbox_table(MetaData()))
    one = grpc_app(base, "a.v1.AService", lambda server: None)
    two = grpc_app(base, ["a.v1.AService", "a.v1.BService"], lambda server: None)
    assert one.service_names == ["a.v1.AService"]
    assert two.service_names == ["a.v1.AService", "a.v1.BService"]

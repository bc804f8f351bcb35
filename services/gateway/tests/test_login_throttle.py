"""Login is rate-limited per client IP and backs off repeated failures per user (issue 20:
~15 bad logins/s used to starve governance). 429 with Retry-After, before governance is
called."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devstack.embedded import free_port
from devstack.testing import serve_asgi, unreachable
from gateway_service.app import create_app
from gateway_service.config import GatewaySettings
from gateway_service.core.errors import ApiError
from gateway_service.core.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _settings(**overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "catalog_addr": unreachable(),
        "quality_addr": unreachable(),
        "governance_addr": unreachable(),
        "scheduler_addr": unreachable(),
        "notifier_addr": unreachable(),
        "database_url": f"postgresql://nobody@{unreachable()}/none",
        "nats_url": f"nats://{unreachable()}",
        **overrides,
    }
    return GatewaySettings(**values)  # type: ignore[arg-type]


def _retry_after(exc: pytest.ExceptionInfo[ApiError]) -> int:
    assert exc.value.status == 429 and exc.value.code == "RESOURCE_EXHAUSTED"
    return int(exc.value.headers["Retry-After"])


def test_per_ip_bucket_refills_over_time() -> None:
    clock = Clock()
    throttle = LoginThrottle(_settings(login_attempts_per_minute=6), clock)
    for i in range(6):
        throttle.check("10.0.0.1", f"user{i}")
    with pytest.raises(ApiError) as exc:
        throttle.check("10.0.0.1", "someone")
    assert _retry_after(exc) == 10  # one attempt back every 10 s
    throttle.check("10.0.0.2", "someone")  # another client is not affected
    clock.now += 10
    throttle.check("10.0.0.1", "someone")


def test_repeated_failures_of_one_user_back_off_and_a_success_clears_them() -> None:
    clock = Clock()
    settings = _settings(
        login_attempts_per_minute=1000, login_failures_before_backoff=3, login_backoff_max_seconds=8
    )
    throttle = LoginThrottle(settings, clock)
    for _ in range(3):
        throttle.check("10.0.0.1", "Alice")
        throttle.failed("alice")
    waits = []
    for _ in range(5):
        with pytest.raises(ApiError) as exc:
            throttle.check("10.0.0.9", " ALICE ")  # any IP, any spelling of the name
        waits.append(_retry_after(exc))
        clock.now += waits[-1]
        throttle.check("10.0.0.9", "alice")
        throttle.failed("alice")
    assert waits == [1, 2, 4, 8, 8]  # doubling, capped
    throttle.check("10.0.0.1", "bob")  # other users are not affected
    clock.now += 8
    throttle.check("10.0.0.1", "alice")
    throttle.succeeded("alice")
    throttle.check("10.0.0.1", "alice")
    throttle.failed("alice")
    throttle.check("10.0.0.1", "alice")  # starts over: below the free failures again


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    settings = _settings(login_attempts_per_minute=3)
    async with (
        serve_asgi(create_app(settings), settings.host, settings.port) as url,
        httpx.AsyncClient(base_url=f"{url}/api/v1") as client,
    ):
        yield client


async def test_the_login_route_answers_429_with_retry_after(gateway: httpx.AsyncClient) -> None:
    body = {"username": "alice", "password": "whatever-it-is"}
    for _ in range(3):  # governance is down here: 503, but each attempt counts
        assert (await gateway.post("/auth/login", json=body)).status_code == 503
    resp = await gateway.post("/auth/login", json=body)
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    assert 1 <= int(resp.headers["Retry-After"]) <= 20  # one attempt back every 20 s

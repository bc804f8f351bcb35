"""Login throttling (issue 20): a token bucket per client IP, and per username a backoff after
repeated failures (1 s, doubling to `login_backoff_max_seconds`, counted from the last
failure; a success clears it). Refused attempts are 429 RESOURCE_EXHAUSTED with Retry-After,
before governance is called. The state lives in this process: each gateway replica counts on
its own (behind N replicas, an IP gets N times the rate)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from gateway_service.config import GatewaySettings
from gateway_service.core.errors import ApiError

T = TypeVar("T")

# Clients and usernames remembered at most (the least recently seen are forgotten first).
MAX_ENTRIES = 50_000


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(self, settings: GatewaySettings, clock: Callable[[], float] = time.monotonic):
        self.rate = settings.login_attempts_per_minute / 60.0  # tokens per second
        self.burst = float(settings.login_attempts_per_minute)
        self.free_failures = settings.login_failures_before_backoff
        self.max_backoff = settings.login_backoff_max_seconds
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def check(self, client_ip: str, username: str) -> None:
        """Take one attempt from the client's bucket, or raise 429."""
        now = self.clock()
        user = _user(username)
        failures = self._failures.get(user)
        if failures is not None and failures.count >= self.free_failures:
            backoff = min(self.max_backoff, 2.0 ** (failures.count - self.free_failures))
            wait = failures.last + backoff - now
            if wait > 0:
                raise _refused(f"too many failed logins for {user!r}", wait)
        if self.rate <= 0:
            return
        bucket = self._buckets.pop(client_ip, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        _remember(self._buckets, client_ip, bucket)
        if bucket.tokens < 1:
            raise _refused(
                "too many login attempts from this address", (1 - bucket.tokens) / self.rate
            )
        bucket.tokens -= 1

    def failed(self, username: str) -> None:
        user = _user(username)
        previous = self._failures.pop(user, None)
        _remember(
            self._failures, user, _Failures((previous.count if previous else 0) + 1, self.clock())
        )

    def succeeded(self, username: str) -> None:
        self._failures.pop(_user(username), None)

    async def guard(self, client_ip: str, username: str, login: Callable[[], Awaitable[T]]) -> T:
        """`login()` if the attempt is allowed, its outcome recorded (a wrong password or
        unknown user — UNAUTHENTICATED — counts as a failure)."""
        self.check(client_ip, username)
        try:
            result = await login()
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.failed(username)
            raise
        self.succeeded(username)
        return result


def _user(username: str) -> str:
    return username.strip().lower()


def _remember(entries: OrderedDict[str, T], key: str, value: T) -> None:
    entries[key] = value
    while len(entries) > MAX_ENTRIES:
        entries.popitem(last=False)


def _refused(message: str, wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait - 1e-9))
    return ApiError(
        429,
        "RESOURCE_EXHAUSTED",
        f"{message}; retry in {seconds}s",
        {"Retry-After": str(seconds)},
    )

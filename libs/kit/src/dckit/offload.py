"""Blocking, CPU-heavy calls (password hashing) in worker threads, off the event loop, so one
kind of work cannot stall every other call a service answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from dckit.errors import ResourceExhausted

T = TypeVar("T")


class Offload:
    """Runs `fn(*args)` in a worker thread, at most `limit` at once; at most `queue` more
    wait for a slot, beyond that the call fails at once with ResourceExhausted (HTTP 429)
    instead of piling up."""

    def __init__(self, limit: int, queue: int, what: str) -> None:
        self.limit, self.queue, self.what = limit, queue, what
        self._slots = asyncio.Semaphore(limit)
        self._in_flight = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._in_flight >= self.limit + self.queue:
            raise ResourceExhausted(f"too many {self.what} in progress; retry shortly")
        self._in_flight += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(fn, *args)
        finally:
            self._in_flight -= 1

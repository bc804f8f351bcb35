"""A small, bounded cache whose entries expire after a fixed number of seconds (by an injected
`Clock`, so tests drive expiry). For lookups another service answers, read often and changed
rarely, where a few seconds of staleness are acceptable."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from dckit.clock import Clock, utc_now

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Keeps at most `max_size` entries (the oldest written goes first), each for `ttl_seconds`;
    `ttl_seconds <= 0` keeps nothing."""

    def __init__(self, ttl_seconds: float, max_size: int = 1024, clock: Clock = utc_now) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.ttl = timedelta(seconds=ttl_seconds)
        self.max_size = max_size
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[datetime, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, value: V, *keys: Hashable) -> None:
        """Stores `value` under every key given (an object known by its URN and its ref)."""
        if self.ttl <= timedelta(0):
            return
        expires = self.clock() + self.ttl
        for key in keys:
            self._entries.pop(key, None)
            self._entries[key] = (expires, value)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

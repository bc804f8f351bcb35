from __future__ import annotations

import pytest

from dckit.clock import ManualClock
from dckit.ttl_cache import TtlCache


def test_an_entry_is_served_until_it_expires_by_the_clock() -> None:
    clock = ManualClock()
    cache: TtlCache[str] = TtlCache(2.0, clock=clock)
    cache.put("orders", "urn:orders", "demo.public.orders")
    clock.advance(1.9)
    assert cache.get("urn:orders") == "orders"
    assert cache.get("demo.public.orders") == "orders"
    clock.advance(0.1)
    assert cache.get("urn:orders") is None
    assert cache.get("demo.public.orders") is None
    assert len(cache) == 0


def test_a_rewrite_restarts_the_entry_life() -> None:
    clock = ManualClock()
    cache: TtlCache[int] = TtlCache(2.0, clock=clock)
    cache.put(1, "k")
    clock.advance(1.5)
    cache.put(2, "k")
    clock.advance(1.5)
    assert cache.get("k") == 2


def test_the_oldest_entries_go_when_the_cache_is_full() -> None:
    cache: TtlCache[int] = TtlCache(60.0, max_size=2, clock=ManualClock())
    cache.put(1, "a")
    cache.put(2, "b")
    cache.put(3, "c")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)


def test_discard_and_clear_forget_entries() -> None:
    cache: TtlCache[int] = TtlCache(60.0, clock=ManualClock())
    cache.put(1, "a", "b")
    cache.discard("a")
    assert cache.get("a") is None and cache.get("b") == 1
    cache.clear()
    assert cache.get("b") is None


def test_zero_seconds_keeps_nothing() -> None:
    cache: TtlCache[int] = TtlCache(0.0, clock=ManualClock())
    cache.put(1, "a")
    assert cache.get("a") is None


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="max_size"):
        TtlCache(1.0, max_size=0)

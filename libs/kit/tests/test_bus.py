"""EventBus stream set-up: replicas are requested as configured, and a stream NATS refuses
to create is a clear error instead of a silent "already exists"."""

from __future__ import annotations

import pytest

from dckit.bus import EventBus
from dckit.errors import Unavailable


async def test_stream_created_with_configured_replicas(
    nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    bus = EventBus(nats_url, nats_stream, event_subject_prefix, "test", replicas=1)
    await bus.connect()
    try:
        js = await bus.jetstream()
        info = await js.stream_info(nats_stream)
        assert info.config.num_replicas == 1
        assert info.config.subjects == [f"{event_subject_prefix}.>"]
    finally:
        await bus.close()


async def test_refused_stream_is_a_clear_error(
    nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    # A single NATS server cannot hold 3 replicas.
    bus = EventBus(nats_url, nats_stream, event_subject_prefix, "test", replicas=3)
    await bus.connect()
    try:
        with pytest.raises(Unavailable, match=f"cannot create stream {nats_stream}"):
            await bus.jetstream()
    finally:
        await bus.close()


async def test_stream_has_limits_and_an_unlimited_one_gets_them(
    nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    """Without max_age / max_bytes the stream grows forever; a stream created before the
    limits existed gets them, one tuned by operators keeps its own."""
    old = EventBus(nats_url, nats_stream, event_subject_prefix, "test")
    await old.connect()
    try:
        js = await old.jetstream()
        info = await js.stream_info(nats_stream)
        assert not info.config.max_age and (info.config.max_bytes or -1) < 0  # unlimited
    finally:
        await old.close()
    week = 7 * 86400.0
    bus = EventBus(
        nats_url, nats_stream, event_subject_prefix, "test", max_age_seconds=week, max_bytes=2**24
    )
    await bus.connect()
    try:
        js = await bus.jetstream()
        info = await js.stream_info(nats_stream)
        assert info.config.max_age == week and info.config.max_bytes == 2**24
    finally:
        await bus.close()
    tuned = EventBus(
        nats_url, nats_stream, event_subject_prefix, "test", max_age_seconds=60, max_bytes=2**20
    )
    await tuned.connect()
    try:
        info = await (await tuned.jetstream()).stream_info(nats_stream)
        assert info.config.max_age == week  # left alone: it has limits already
    finally:
        await tuned.close()

"""`python -m bench.notify_latency [--events N] [--interval-ms MS] [--poll-seconds S]`: end-to-end
latency of the notifier, one JSON line.

In one run, on the same NATS server:
- baseline: a bare JetStream publish → pull-subscriber receive (fetch like dckit's consumer),
  the floor of any event-driven pipeline;
- ours: a `datacompass.quality.breach.detected` envelope published as the outbox relay does →
  the notifier in-process (consumer, planner, sender) → a signed POST to a local webhook
  receiver (stdlib HTTP server in a thread) that checks the HMAC and records the receive time.

Events are published at a fixed pace (open loop) so the numbers are latency, not the drain
time of a burst. Every event has its own id, breach id and object, and the rule has no rate
limit, so each must arrive exactly once: `delivered` counts distinct event ids received,
`duplicates` repeated ones. Latency = receive wall clock - envelope `time` (same host clock).

Only settings the notifier exposes are changed: `poll_seconds` (default 1.0; the sender's
fallback poll when a wake-up races the planner's commit) — the defaults give other numbers."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from google.protobuf import struct_pb2
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench.servers import Servers, servers
from datacompass.notifier.v1 import notifier_pb2 as pb
from datacompass.notifier.v1 import notifier_pb2_grpc
from datacompass.quality.v1 import dq_pb2 as qpb
from dckit import event_catalogue
from dckit.bus import EventBus
from dckit.crypto import SecretBox
from dckit.events import make_envelope, nats_subject
from dckit.grpc_client import channel
from devstack.embedded import free_port
from devstack.http_sink import Request, Sink, running_sink, signature_ok
from devstack.urls import with_database
from notifier_service.app import running
from notifier_service.config import NotifierSettings

BREACH_DETECTED = event_catalogue.BREACH_DETECTED.name
WARMUP_ID = "00000000-0000-4000-8000-000000000000"
DEADLINE_S = 60.0  # after the last publish, how long every event may take to arrive
GRACE_S = 2.0  # after the last arrival, how long we keep listening for duplicates


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def _until(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.005)
    return check()


async def _paced(count: int, interval_s: float, send: Callable[[int], Awaitable[None]]) -> None:
    start = time.monotonic()
    for i in range(count):
        delay = start + i * interval_s - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(i)


# --- the webhook receiver ----------------------------------------------------------------------
@dataclass
class Receiver:
    """The shared test sink, read as a receiver that only accepts valid signatures."""

    sink: Sink
    secret: str
    path: str = "/hook"

    @property
    def url(self) -> str:
        return self.sink.url(self.path)

    def accepted(self) -> list[Request]:
        return [r for r in self.sink.received(self.path) if signature_ok(r, self.secret)]

    def count(self) -> int:
        return len(self.accepted())

    def ids(self) -> set[str]:
        return {r.json()["event_id"] for r in self.accepted()}

    def bad_signatures(self) -> int:
        return len(self.sink.received(self.path)) - self.count()


@contextmanager
def _receiver() -> Iterator[Receiver]:
    with running_sink() as sink:
        yield Receiver(sink, secrets.token_urlsafe(32))


# --- baseline: bare JetStream publish → pull-subscriber receive -------------------------------
async def _baseline(srv: Servers, tag: str, events: int, interval_s: float) -> list[float]:
    bus = EventBus(srv.nats_url, f"BENCHNB{tag.upper()}", f"benchnb{tag}", "bench-baseline")
    await bus.connect()
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    stop = asyncio.Event()
    try:
        js = await bus.jetstream()
        subject = f"benchnb{tag}.ping"
        # Same pull shape as dckit's IdempotentConsumer: durable, explicit ack, fetch(20, 1 s).
        sub = await js.pull_subscribe(
            subject,
            durable="bench-baseline",
            stream=bus.stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
        )

        async def pull() -> None:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(20, timeout=1.0)
                except NatsTimeout:
                    continue
                at = time.time()
                for msg in messages:
                    got.setdefault(msg.data.decode(), at)
                    await msg.ack()

        puller = asyncio.create_task(pull())

        async def send(i: int) -> None:
            key = str(i)
            sent[key] = time.time()
            await js.publish(subject, key.encode(), stream=bus.stream, headers={"Nats-Msg-Id": key})

        await send(-1)  # warm-up: subscription and connection paths are hot before timing
        await _until(lambda: "-1" in got, 10.0)
        await _paced(events, interval_s, send)
        await _until(lambda: len(got) >= events + 1, DEADLINE_S)
        stop.set()
        await puller
        await sub.unsubscribe()
        await js.delete_stream(bus.stream)
    finally:
        stop.set()
        await bus.close()
    missing = events + 1 - len(got)
    if missing:
        raise RuntimeError(f"baseline: {missing} NATS messages never arrived")
    return [(got[k] - sent[k]) * 1000 for k in sent if k != "-1"]


# --- ours: breach event → notifier → webhook --------------------------------------------------
def _breach(i: int) -> qpb.BreachDetected:
    return qpb.BreachDetected(
        breach=qpb.Breach(
            id=i + 1, object_ref=f"bench.public.table_{i}", metric_type="row_count",
            priority="high", bucket="2026-01-01", value=3.0, threshold_low=40.0,
            direction="below", deviation=0.925, run_id=1,
        )
    )  # fmt: skip


async def _notifier(
    srv: Servers, tag: str, url: str, events: int, interval_s: float, poll_seconds: float
) -> tuple[list[float], int, int, int]:
    settings = NotifierSettings(
        database_url=url,
        nats_url=srv.nats_url,
        nats_stream=f"BENCHN{tag.upper()}",
        event_subject_prefix=f"benchn{tag}",
        grpc_port=free_port(),
        metrics_port=0,
        encryption_key=SecretBox.generate_key(),
        poll_seconds=poll_seconds,
        allow_loopback_targets=True,  # the webhook sink listens on 127.0.0.1
    )
    publisher = EventBus(srv.nats_url, settings.nats_stream, settings.event_subject_prefix, "bench")
    await publisher.connect()
    sent: dict[str, float] = {}
    try:
        with _receiver() as receiver:
            async with running(settings):
                chan = channel(f"127.0.0.1:{settings.grpc_port}", default_timeout=30)
                stub = notifier_pb2_grpc.NotifierServiceStub(chan)
                config = struct_pb2.Struct()
                config.update({"url": receiver.url, "secret": receiver.secret})
                created = await stub.CreateChannel(
                    pb.CreateChannelRequest(name="bench", channel_type="webhook", config=config)
                )
                await stub.CreateRule(
                    pb.CreateRuleRequest(
                        name="bench", event_types=["breach_detected"],
                        channel_ids=[created.channel.id], rate_limit_seconds=0,
                    )
                )  # fmt: skip
                await chan.close()
                js = await publisher.jetstream()
                subject = nats_subject(BREACH_DETECTED, settings.event_subject_prefix)

                async def send(i: int) -> None:
                    # As the outbox relay publishes: Nats-Msg-Id = event id.
                    envelope = make_envelope(
                        BREACH_DETECTED, "/bench", f"breach/{i + 1}", _breach(i)
                    )
                    if i < 0:
                        envelope.id = WARMUP_ID
                    sent[envelope.id] = envelope.time.ToNanoseconds() / 1e9
                    await js.publish(
                        subject, envelope.SerializeToString(), stream=publisher.stream,
                        headers={"Nats-Msg-Id": envelope.id, "Ce-Type": envelope.type},
                    )  # fmt: skip

                # Warm-up (not timed): the durable consumer exists, pools and HTTP are hot.
                await send(-1)
                if not await _until(lambda: WARMUP_ID in receiver.ids(), 30.0):
                    raise RuntimeError("the warm-up event was never delivered")
                await _paced(events, interval_s, send)
                await _until(lambda: len(receiver.ids()) >= events + 1, DEADLINE_S)
                # Keep listening a little: a duplicate would arrive after its original.
                settled = receiver.count()
                while True:
                    await asyncio.sleep(GRACE_S)
                    if receiver.count() == settled:
                        break
                    settled = receiver.count()
            arrivals = [(r.json()["event_id"], r.at) for r in receiver.accepted()]
            bad = receiver.bad_signatures()
        js = await publisher.jetstream()
        await js.delete_stream(publisher.stream)
    finally:
        await publisher.close()
    counts = Counter(event_id for event_id, _ in arrivals)
    first: dict[str, float] = {}
    for event_id, at in arrivals:
        first.setdefault(event_id, at)
    timed = [k for k in sent if k != WARMUP_ID]
    latencies = [(first[k] - sent[k]) * 1000 for k in timed if k in first]
    delivered = sum(1 for k in timed if k in counts)
    duplicates = sum(n - 1 for n in counts.values()) + sum(1 for k in counts if k not in sent)
    return latencies, delivered, duplicates, bad


# --- the benchmark ---------------------------------------------------------------------------
async def run(
    srv: Servers, *, events: int = 200, interval_ms: float = 20.0, poll_seconds: float = 0.1
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    name = f"bench_notify_{tag}"
    interval_s = interval_ms / 1000
    baseline = await _baseline(srv, tag, events, interval_s)
    admin = await asyncpg.connect(srv.database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        url = with_database(srv.database_url, name)
        latencies, delivered, duplicates, bad = await _notifier(
            srv, tag, url, events, interval_s, poll_seconds
        )
    finally:
        admin = await asyncpg.connect(srv.database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    if not latencies:
        raise RuntimeError("no event was delivered")
    p50, p95 = _pct(latencies, 50), _pct(latencies, 95)
    b50, b95 = _pct(baseline, 50), _pct(baseline, 95)
    return {
        "benchmark": "notify_latency",
        "events": events,
        "delivered": delivered,
        "duplicates": duplicates,
        "bad_signatures": bad,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(_pct(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "baseline_nats_p50_ms": round(b50, 3),
        "baseline_nats_p95_ms": round(b95, 3),
        "ratio_p50": round(p50 / b50, 1) if b50 > 0 else None,
        "ratio_p95": round(p95 / b95, 1) if b95 > 0 else None,
        "publish_interval_ms": interval_ms,
        "settings": {"poll_seconds": poll_seconds},
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.notify_latency")
    parser.add_argument("--events", type=int, default=200, help="breach events to deliver")
    parser.add_argument(
        "--interval-ms", type=float, default=20.0, help="pause between publishes (open loop)"
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=0.1, help="notifier poll_seconds (default 1.0)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with servers() as srv:
        result = asyncio.run(
            run(
                srv,
                events=args.events,
                interval_ms=args.interval_ms,
                poll_seconds=args.poll_seconds,
            )
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

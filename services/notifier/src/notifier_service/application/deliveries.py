"""Deliveries: the sender worker, and the log of attempts.

The sender claims due deliveries and sends them, at most one process per delivery. Claiming
sets `sending` with a lease and commits *before* the network call, with
`FOR UPDATE SKIP LOCKED` so replicas never claim the same delivery. The outcome is recorded
in a second transaction. If the process dies between the two, the lease expires and the
outcome is unknown (the receiver may or may not have the message): by default such a
delivery is dead-lettered as "unknown outcome" (at-most-once: never a duplicate, rarely a
loss); with `resend_unknown_outcome` it is sent again (at-least-once: never a loss, rarely a
duplicate, which webhook receivers can drop by X-DataCompass-Delivery).

These leases are not dckit.leases: a send is bounded by its timeout, so a delivery's lease
is a fixed deadline set when it is claimed (no heartbeat), and a lost one is not "failed"
but dead-lettered or claimed again, per the delivery guarantee chosen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dckit.clock import Clock
from dckit.paging import paginate
from notifier_service.application.channels import ChannelUseCases
from notifier_service.application.ports import DeliveryMetrics, Transactions
from notifier_service.domain import deliveries as policy
from notifier_service.domain.channels import Channel
from notifier_service.domain.deliveries import AttemptStatus, Delivery, LogEntry, Outcome
from notifier_service.domain.notices import Notice, digest

log = logging.getLogger(__name__)
UNKNOWN = "unknown outcome: the sending process stopped before recording the result"


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0
    lease_seconds: float = 120.0
    resend_unknown_outcome: bool = False
    poll_seconds: float = 1.0
    batch: int = 20
    concurrency: int = 8


class DeliveryLog:
    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    async def page(
        self,
        *,
        channel_id: int,
        status: str,
        event_type: str,
        delivery_id: int,
        limit: int,
        cursor: str,
    ) -> tuple[list[LogEntry], str]:
        """Newest first; 0 / "" filters mean all."""
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.deliveries.page_log(
                    channel_id=channel_id,
                    status=status,
                    event_type=event_type,
                    delivery_id=delivery_id,
                    offset=offset,
                    limit=count,
                ),
            )


class Sender:
    def __init__(
        self,
        tx: Transactions,
        channels: ChannelUseCases,
        metrics: DeliveryMetrics,
        policy: SendPolicy,
        wake: asyncio.Event,
        clock: Clock,
    ) -> None:
        self.tx, self.channels, self.metrics, self.policy = tx, channels, metrics, policy
        self.wake, self.clock = wake, clock
        self.rng = random.Random()
        self.slots = asyncio.Semaphore(max(1, policy.concurrency))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if not self.policy.resend_unknown_outcome:
                    await self.expire_unknown()
                claimed = await self.claim()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not kill the worker
                log.exception("claiming deliveries failed")
                claimed = []
            if claimed:
                # Sends already claimed are finished even when stopping: their leases are ours.
                await asyncio.gather(*(self.process(d, c) for d, c in claimed))
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self.wake.wait()),
                ]
                try:
                    await asyncio.wait_for(
                        asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED),
                        self.policy.poll_seconds,
                    )
                finally:
                    for w in waiters:
                        w.cancel()

    async def claim(self) -> list[tuple[Delivery, Channel | None]]:
        async with self.tx() as uow:
            claimed = await uow.deliveries.claim(
                limit=self.policy.batch,
                lease_seconds=self.policy.lease_seconds,
                include_expired=self.policy.resend_unknown_outcome,
            )
            by_id = await uow.channels.by_id([d.channel_id for d in claimed]) if claimed else {}
        return [(d, by_id.get(d.channel_id)) for d in claimed]

    async def expire_unknown(self) -> None:
        async with self.tx() as uow:
            expired = await uow.deliveries.claim_expired(self.policy.batch)
            by_id = await uow.channels.by_id([d.channel_id for d in expired]) if expired else {}
            for delivery in expired:
                channel_type = by_id[delivery.channel_id].channel_type
                if await uow.deliveries.finish(delivery, AttemptStatus.DEAD, error=UNKNOWN):
                    outcome = Outcome(False, "", UNKNOWN)
                    await uow.deliveries.log(
                        _log(delivery, channel_type, AttemptStatus.DEAD, outcome, 0)
                    )
                    self.metrics.failed(channel_type, reason="unknown_outcome", dead=True)
                    log.warning("delivery %s dead-lettered: %s", delivery.id, UNKNOWN)

    async def process(self, delivery: Delivery, channel: Channel | None) -> None:
        async with self.slots:
            try:
                await self._process(delivery, channel)
            except Exception:
                # Left `sending`: the lease expires and the delivery counts as unknown outcome.
                log.exception("delivery %s: recording the outcome failed", delivery.id)

    async def _process(self, delivery: Delivery, channel: Channel | None) -> None:
        channel_type = channel.channel_type if channel else "unknown"
        started = time.monotonic()
        if channel is None or not channel.enabled:
            outcome = Outcome(False, "", "channel disabled", "disabled", False)
        else:
            notice = await self._notice(delivery)
            if notice is None:
                outcome = Outcome(False, "", "rule or window deleted", "gone", False)
            else:
                outcome = await self.channels.send(
                    channel, notice, event_id=delivery.event_id, delivery_id=delivery.id
                )
        latency = int((time.monotonic() - started) * 1000)
        await self._record(delivery, channel_type, outcome, latency)

    async def _notice(self, delivery: Delivery) -> Notice | None:
        if delivery.window_id is None:
            return Notice.from_json(delivery.notice)
        async with self.tx() as uow:
            window = await uow.windows.get(delivery.window_id)
            rule = await uow.rules.get(delivery.rule_id)
        if window is None or rule is None or not window.folded:
            return None
        first = Notice.from_json(window.folded[0])
        return digest(rule.name, window.object_key, window.folded, first.link)

    async def _record(
        self, delivery: Delivery, channel_type: str, outcome: Outcome, ms: int
    ) -> None:
        attempts = delivery.attempts
        retry_at: datetime | None = None
        if outcome.ok:
            status = AttemptStatus.SENT
        elif outcome.retryable and attempts < self.policy.max_attempts:
            status = AttemptStatus.RETRYING
            wait = policy.delay(
                attempts, self.policy.retry_base_seconds, self.policy.retry_max_seconds,
                outcome.retry_after, self.rng,
            )  # fmt: skip
            retry_at = self.clock() + timedelta(seconds=wait)
        else:
            status = AttemptStatus.DEAD
        error = outcome.error
        if status == AttemptStatus.DEAD and outcome.retryable:
            error = f"gave up after {attempts} attempts: {error}"
        async with self.tx() as uow:
            stored = "pending" if status == AttemptStatus.RETRYING else status.value
            if not await uow.deliveries.finish(delivery, stored, error=error, retry_at=retry_at):
                log.warning("delivery %s: lease lost before recording %s", delivery.id, status)
                return
            await uow.deliveries.log(_log(delivery, channel_type, status, outcome, ms, error))
        if outcome.ok:
            lag = (self.clock() - delivery.event_time).total_seconds()
            self.metrics.sent(channel_type, max(0.0, lag))
        else:
            self.metrics.failed(
                channel_type, reason=outcome.reason or "error", dead=status == AttemptStatus.DEAD
            )


def _log(
    delivery: Delivery,
    channel_type: str,
    status: AttemptStatus,
    outcome: Outcome,
    ms: int,
    error: str = "",
) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id,
        "channel_id": delivery.channel_id,
        "channel_type": channel_type,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempt": delivery.attempts,
        "status": status,
        "response": outcome.response,
        "error": error or outcome.error,
        "latency_ms": ms,
    }

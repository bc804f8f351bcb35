"""The sender worker: claims due deliveries and sends them, at most one process per delivery.

Claiming sets `sending` with a lease and commits *before* the network call, with
`FOR UPDATE SKIP LOCKED` so replicas never claim the same delivery. The outcome is recorded
in a second transaction. If the process dies between the two, the lease expires and the
outcome is unknown (the receiver may or may not have the message): by default such a
delivery is dead-lettered as "unknown outcome" (at-most-once: never a duplicate, rarely a
loss); with `resend_unknown_outcome` it is sent again (at-least-once: never a loss, rarely a
duplicate, which webhook receivers can drop by X-DataCompass-Delivery)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dckit.db import Database
from notifier_service import telemetry
from notifier_service.adapters.senders import Senders
from notifier_service.application.channels import ChannelUseCases
from notifier_service.config import NotifierSettings
from notifier_service.db.repository import NotifierRepository, Row
from notifier_service.domain import retry
from notifier_service.domain.notices import Notice, digest
from notifier_service.domain.retry import Outcome

log = logging.getLogger(__name__)
UNKNOWN = "unknown outcome: the sending process stopped before recording the result"


class Sender:
    def __init__(
        self, db: Database, senders: Senders, channels: ChannelUseCases,
        settings: NotifierSettings, wake: asyncio.Event,
    ) -> None:  # fmt: skip
        self.db, self.senders, self.channels, self.settings = db, senders, channels, settings
        self.wake = wake
        self.rng = random.Random()
        self.slots = asyncio.Semaphore(max(1, settings.sender_concurrency))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if not self.settings.resend_unknown_outcome:
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
                        self.settings.poll_seconds,
                    )
                finally:
                    for w in waiters:
                        w.cancel()

    async def claim(self) -> list[tuple[Row, Row | None]]:
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            rows = await repo.claim(
                self.settings.sender_batch, self.settings.lease_seconds,
                self.settings.resend_unknown_outcome,
            )  # fmt: skip
            chans = await repo.channels_by_id([r["channel_id"] for r in rows]) if rows else {}
        return [(r, chans.get(r["channel_id"])) for r in rows]

    async def expire_unknown(self) -> None:
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            rows = await repo.claim_expired(self.settings.sender_batch)
            chans = await repo.channels_by_id([r["channel_id"] for r in rows]) if rows else {}
            for row in rows:
                channel_type = chans[row["channel_id"]]["channel_type"]
                if await repo.finish(row, "dead", error=UNKNOWN):
                    await repo.log(_log(row, channel_type, "dead", Outcome(False, "", UNKNOWN), 0))
                    telemetry.FAILED.labels(channel_type, "unknown_outcome").inc()
                    telemetry.DEAD.labels(channel_type, "unknown_outcome").inc()
                    log.warning("delivery %s dead-lettered: %s", row["id"], UNKNOWN)

    async def process(self, delivery: Row, channel: Row | None) -> None:
        async with self.slots:
            try:
                await self._process(delivery, channel)
            except Exception:
                # Left `sending`: the lease expires and the delivery counts as unknown outcome.
                log.exception("delivery %s: recording the outcome failed", delivery["id"])

    async def _process(self, delivery: Row, channel: Row | None) -> None:
        channel_type = channel["channel_type"] if channel else "unknown"
        started = time.monotonic()
        if channel is None or not channel["enabled"]:
            outcome = Outcome(False, "", "channel disabled", "disabled", False)
        else:
            notice = await self._notice(delivery)
            if notice is None:
                outcome = Outcome(False, "", "rule or window deleted", "gone", False)
            else:
                outcome = await self._send(channel, notice, delivery)
        latency = int((time.monotonic() - started) * 1000)
        await self._record(delivery, channel_type, outcome, latency)

    async def _send(self, channel: Row, notice: Notice, delivery: Row) -> Outcome:
        try:
            config = self.channels.full_config(channel)
        except Exception as exc:  # e.g. the encryption key was rotated
            return Outcome(False, "", f"channel secrets: {exc}", "config", False)
        return await self.senders.send(
            channel["channel_type"], config, notice, delivery["event_id"], delivery["id"]
        )

    async def _notice(self, delivery: Row) -> Notice | None:
        if delivery["window_id"] is None:
            return Notice.from_json(delivery["notice"])
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            window = await repo.window(delivery["window_id"])
            rule = await repo.get("rule", delivery["rule_id"])
        if window is None or rule is None or not window["folded"]:
            return None
        first = Notice.from_json(window["folded"][0])
        return digest(rule["name"], window["object_key"], window["folded"], first.link)

    async def _record(self, delivery: Row, channel_type: str, outcome: Outcome, ms: int) -> None:
        attempts = delivery["attempts"]
        retry_at: datetime | None = None
        if outcome.ok:
            status = "sent"
        elif outcome.retryable and attempts < self.settings.max_attempts:
            status = "retrying"
            wait = retry.delay(
                attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds,
                outcome.retry_after, self.rng,
            )  # fmt: skip
            retry_at = datetime.now(UTC) + timedelta(seconds=wait)
        else:
            status = "dead"
        error = outcome.error
        if status == "dead" and outcome.retryable:
            error = f"gave up after {attempts} attempts: {error}"
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            stored = "pending" if status == "retrying" else status
            if not await repo.finish(delivery, stored, error=error, retry_at=retry_at):
                log.warning("delivery %s: lease lost before recording %s", delivery["id"], status)
                return
            await repo.log(_log(delivery, channel_type, status, outcome, ms, error))
        if outcome.ok:
            telemetry.SENT.labels(channel_type).inc()
            lag = (datetime.now(UTC) - delivery["event_time"]).total_seconds()
            telemetry.DELIVERY_SECONDS.observe(max(0.0, lag))
        else:
            telemetry.FAILED.labels(channel_type, outcome.reason or "error").inc()
            if status == "dead":
                telemetry.DEAD.labels(channel_type, outcome.reason or "error").inc()


def _log(
    delivery: Row, channel_type: str, status: str, outcome: Outcome, ms: int, error: str = ""
) -> dict[str, Any]:
    return {
        "delivery_id": delivery["id"],
        "channel_id": delivery["channel_id"],
        "channel_type": channel_type,
        "event_id": delivery["event_id"],
        "event_type": delivery["event_type"],
        "attempt": delivery["attempts"],
        "status": status,
        "response": outcome.response,
        "error": error or outcome.error,
        "latency_ms": ms,
    }

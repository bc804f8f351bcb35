"""Turns a received event's notice into planned deliveries, inside the consumer's transaction.

Nothing is sent here: the consumer records the event id and the deliveries in one commit,
so a redelivered event or a restart never plans twice (also guarded by the unique
(event_id, channel_id)). Per rule and object, the first event of a window is planned at
once; later ones in the window are deduped (same dedupe key) or folded into one digest
delivery due when the window ends."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from dckit.clock import Clock
from notifier_service.application.ports import UnitOfWork
from notifier_service.domain.notices import DIGEST_EVENT, Received
from notifier_service.domain.rules import matches

log = logging.getLogger(__name__)


class Planner:
    def __init__(self, wake: asyncio.Event, clock: Clock) -> None:
        self.wake = wake  # nudges the sender
        self.clock = clock

    async def plan(self, uow: UnitOfWork, event: Received) -> None:
        notice = event.notice
        planned = 0
        for rule in await uow.rules.subscribed(event.event_type):
            if not matches(rule, notice):
                continue
            channel_ids = await uow.channels.enabled(rule.channel_ids)
            if not channel_ids:
                continue
            base: dict[str, Any] = {"event_time": event.time or self.clock(), "rule_id": rule.id}
            if rule.rate_limit_seconds > 0:
                await uow.windows.lock(f"notifier:{rule.id}:{notice.object_key}")
                window = await uow.windows.current(rule.id, notice.object_key)
                if window is not None:
                    if notice.dedupe_key and notice.dedupe_key in window.seen_keys:
                        log.info("event %s deduped by rule %s", event.event_id, rule.id)
                        continue
                    await uow.windows.fold(window.id, notice.dedupe_key, notice.to_json())
                    # One digest per window and channel; its content is read when it is sent.
                    planned += await uow.deliveries.plan(
                        [
                            {**base, "event_id": f"digest-{window.id}",
                             "event_type": DIGEST_EVENT, "channel_id": c,
                             "window_id": window.id, "notice": {},
                             "next_attempt_at": window.ends_at}
                            for c in channel_ids
                        ]
                    )  # fmt: skip
                    continue
                await uow.windows.open(
                    rule.id,
                    object_key=notice.object_key,
                    seconds=rule.rate_limit_seconds,
                    dedupe_key=notice.dedupe_key,
                )
            planned += await uow.deliveries.plan(
                [
                    {**base, "event_id": event.event_id, "event_type": event.event_type,
                     "channel_id": c, "notice": notice.to_json()}
                    for c in channel_ids
                ]
            )  # fmt: skip
        if planned:
            # The sender may look before this commits; its poll interval covers that race.
            self.wake.set()

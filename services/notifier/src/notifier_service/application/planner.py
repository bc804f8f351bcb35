"""Turns a domain event into planned deliveries, inside the consumer's transaction.

Nothing is sent here: the consumer records the event id and the deliveries in one commit,
so a redelivered event or a restart never plans twice (also guarded by the unique
(event_id, channel_id)). Per rule and object, the first event of a window is planned at
once; later ones in the window are deduped (same dedupe key) or folded into one digest
delivery due when the window ends."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import events_pb2
from notifier_service.adapters.events import notice as to_notice
from notifier_service.db.repository import NotifierRepository
from notifier_service.domain.rules import matches

log = logging.getLogger(__name__)
DIGEST_EVENT = "datacompass.notifier.digest"


class Planner:
    def __init__(self, public_url: str, wake: asyncio.Event) -> None:
        self.public_url = public_url
        self.wake = wake

    async def handle(self, session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        notice = to_notice(envelope, self.public_url)
        event_time = envelope.time.ToDatetime(tzinfo=UTC) if envelope.HasField("time") else None
        repo = NotifierRepository(session)
        planned = 0
        for rule in await repo.rules_for(envelope.type):
            if not matches(rule, notice):
                continue
            channel_ids = await repo.enabled_channels(rule["channel_ids"])
            if not channel_ids:
                continue
            base: dict[str, Any] = {
                "event_time": event_time or datetime.now(UTC),
                "rule_id": rule["id"],
            }
            if rule["rate_limit_seconds"] > 0:
                await repo.lock_key(f"notifier:{rule['id']}:{notice.object_key}")
                window = await repo.current_window(rule["id"], notice.object_key)
                if window is not None:
                    if notice.dedupe_key and notice.dedupe_key in window["seen_keys"]:
                        log.info("event %s deduped by rule %s", envelope.id, rule["id"])
                        continue
                    await repo.fold(window["id"], notice.dedupe_key, notice.to_json())
                    # One digest per window and channel; its content is read when it is sent.
                    planned += await repo.plan(
                        [
                            {**base, "event_id": f"digest-{window['id']}",
                             "event_type": DIGEST_EVENT, "channel_id": c,
                             "window_id": window["id"], "notice": {},
                             "next_attempt_at": window["ends_at"]}
                            for c in channel_ids
                        ]
                    )  # fmt: skip
                    continue
                await repo.open_window(
                    rule["id"], notice.object_key, rule["rate_limit_seconds"], notice.dedupe_key
                )
            planned += await repo.plan(
                [
                    {**base, "event_id": envelope.id, "event_type": envelope.type,
                     "channel_id": c, "notice": notice.to_json()}
                    for c in channel_ids
                ]
            )  # fmt: skip
        if planned:
            # The sender may look before this commits; its poll interval covers that race.
            self.wake.set()

"""Use cases for channels: CRUD with validated config and sealed secrets, and test sends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from notifier_service.adapters.senders import Senders
from notifier_service.db.repository import NotifierRepository, Row
from notifier_service.domain import channels as rules
from notifier_service.domain.notices import Notice
from notifier_service.domain.retry import Outcome

TEST_EVENT = "datacompass.notifier.test"


def snapshot(row: Row) -> dict[str, Any]:
    """What the audit trail records: never the secrets, only which are set."""
    keys = ("name", "channel_type", "config", "secret_keys", "enabled")
    return {k: row[k] for k in keys}


@dataclass(frozen=True)
class TestResult:
    outcome: Outcome
    latency_ms: int


class ChannelUseCases:
    def __init__(
        self, db: Database, outbox: Outbox, box: SecretBox, senders: Senders,
        slack_hosts: Sequence[str], public_url: str,
    ) -> None:  # fmt: skip
        self.db, self.outbox, self.box, self.senders = db, outbox, box, senders
        self.slack_hosts, self.public_url = list(slack_hosts), public_url

    async def create(
        self, name: str, channel_type: str, config: dict[str, Any], enabled: bool
    ) -> tuple[Row, str]:
        if not name.strip():
            raise InvalidArgument("name: required")
        checked = rules.validate(channel_type, config, slack_hosts=self.slack_hosts)
        async with self.db.session() as session:
            row = await NotifierRepository(session).insert(
                "channel",
                {
                    "name": name.strip(),
                    "channel_type": channel_type,
                    "config": checked.public,
                    "secrets": self.box.seal(checked.secret),
                    "secret_keys": sorted(checked.secret),
                    "enabled": enabled,
                },
            )
            await self.outbox.audit(
                session, action="notification_channel.create",
                entity_type="notification_channel", entity_id=row["id"],
                changes=diff({}, snapshot(row)),
            )  # fmt: skip
        return row, checked.generated_secret

    async def get(self, channel_id: int) -> Row:
        async with self.db.session() as session:
            return await _channel(NotifierRepository(session), channel_id)

    async def page(self, channel_type: str, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await NotifierRepository(session).list_channels(channel_type, offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def update(
        self, channel_id: int, name: str | None, config: dict[str, Any] | None,
        enabled: bool | None,
    ) -> Row:  # fmt: skip
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            before = await _channel(repo, channel_id, for_update=True)
            values: dict[str, Any] = {}
            if name is not None:
                if not name.strip():
                    raise InvalidArgument("name: must not be empty")
                values["name"] = name.strip()
            if enabled is not None:
                values["enabled"] = enabled
            if config:
                merged = {**before["config"], **self.box.open(before["secrets"]), **config}
                checked = rules.validate(
                    before["channel_type"], merged, slack_hosts=self.slack_hosts,
                    generate_secret=False,
                )  # fmt: skip
                values.update(
                    config=checked.public,
                    secrets=self.box.seal(checked.secret),
                    secret_keys=sorted(checked.secret),
                )
            if not values:
                return before
            row = await repo.update("channel", channel_id, values)
            await self.outbox.audit(
                session, action="notification_channel.update",
                entity_type="notification_channel", entity_id=channel_id,
                changes=diff(snapshot(before), snapshot(row)),
            )  # fmt: skip
            return row

    async def delete(self, channel_id: int) -> None:
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            before = await _channel(repo, channel_id, for_update=True)
            await repo.delete("channel", channel_id)
            await self.outbox.audit(
                session, action="notification_channel.delete",
                entity_type="notification_channel", entity_id=channel_id,
                changes=diff(snapshot(before), {}),
            )  # fmt: skip

    def full_config(self, row: Row) -> dict[str, Any]:
        return {**row["config"], **self.box.open(row["secrets"])}

    async def test(self, channel_id: int) -> TestResult:
        row = await self.get(channel_id)
        notice = Notice(
            event_type=TEST_EVENT,
            title=f"Test notification for channel {row['name']}",
            body="If you can read this, Data Compass can reach this channel.",
            link=self.public_url,
            object_key="test",
            time=datetime.now(UTC).isoformat(),
        )
        event_id = f"test-{uuid.uuid4()}"
        started = time.monotonic()
        outcome = await self.senders.send(
            row["channel_type"], self.full_config(row), notice, event_id, 0
        )
        latency = int((time.monotonic() - started) * 1000)
        async with self.db.session() as session:
            await NotifierRepository(session).log(
                {
                    "delivery_id": None,
                    "channel_id": channel_id,
                    "channel_type": row["channel_type"],
                    "event_id": event_id,
                    "event_type": TEST_EVENT,
                    "attempt": 1,
                    "status": "sent" if outcome.ok else "dead",
                    "response": outcome.response,
                    "error": outcome.error,
                    "latency_ms": latency,
                }
            )
        return TestResult(outcome, latency)

    async def page_log(
        self, channel_id: int, status: str, event_type: str, delivery_id: int, limit: int,
        cursor: str,
    ) -> tuple[list[Row], str]:  # fmt: skip
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await NotifierRepository(session).list_log(
                channel_id, status, event_type, delivery_id, offset, limit + 1
            )
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)


async def _channel(repo: NotifierRepository, channel_id: int, *, for_update: bool = False) -> Row:
    row = await repo.get("channel", channel_id, for_update=for_update)
    if row is None:
        raise NotFound(f"notification channel {channel_id} not found")
    return row

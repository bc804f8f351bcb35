"""Use cases for channels: CRUD with the config validated by its channel type and the secret
keys sealed, and sends (test sends here, deliveries by the sender) with the secrets opened."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dckit.clock import Clock
from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity
from notifier_service.application.ports import (
    ChannelStore,
    ChannelTypes,
    Secrets,
    Transactions,
)
from notifier_service.domain.channels import (
    Channel,
    ChannelConfig,
    check_secrets_follow,
    keep_redacted,
    snapshot,
)
from notifier_service.domain.deliveries import AttemptStatus, Outcome
from notifier_service.domain.notices import TEST_EVENT, Notice


@dataclass(frozen=True)
class TestResult:
    outcome: Outcome
    latency_ms: int


async def require_channel(
    store: ChannelStore, channel_id: int, *, for_update: bool = False
) -> Channel:
    found = await store.get(channel_id, for_update=for_update)
    if found is None:
        raise NotFound(f"notification channel {channel_id} not found")
    return found


def _entity(channel_id: int) -> Entity:
    return Entity("notification_channel", channel_id)


class ChannelUseCases:
    def __init__(
        self,
        tx: Transactions,
        types: ChannelTypes,
        secrets: Secrets,
        *,
        public_url: str,
        clock: Clock,
    ) -> None:
        self.tx, self.types, self.secrets = tx, types, secrets
        self.public_url, self.clock = public_url, clock

    def _stored(self, checked: ChannelConfig) -> dict[str, Any]:
        return {
            "config": checked.public,
            "secrets": self.secrets.seal(checked.secret),
            "secret_keys": checked.secret_names,
        }

    async def create(
        self, *, name: str, channel_type: str, config: Mapping[str, Any], enabled: bool = True
    ) -> tuple[Channel, str]:
        """The channel and the secret the server generated for it ("" when none)."""
        if not name.strip():
            raise InvalidArgument("name: required")
        checked = self.types.validate(channel_type, config)
        values = {"name": name.strip(), "channel_type": channel_type, "enabled": enabled}
        async with self.tx() as uow:
            created = await uow.channels.insert({**values, **self._stored(checked)})
            await uow.record_change(
                "notification_channel.create", _entity(created.id), None, snapshot(created)
            )
        return created, checked.generated_secret

    async def get(self, channel_id: int) -> Channel:
        async with self.tx() as uow:
            return await require_channel(uow.channels, channel_id)

    async def page(
        self, *, channel_type: str, limit: int, cursor: str
    ) -> tuple[list[Channel], str]:
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.channels.page(
                    channel_type=channel_type, offset=offset, limit=count
                ),
            )

    async def update(self, channel_id: int, changes: Mapping[str, Any]) -> Channel:
        """`changes`: new values of domain.channels.UPDATABLE fields; config keys are merged
        into the stored ones (secret keys are write-only: a caller cannot send them all again)."""
        async with self.tx() as uow:
            before = await require_channel(uow.channels, channel_id, for_update=True)
            values: dict[str, Any] = {}
            if "name" in changes:
                if not changes["name"].strip():
                    raise InvalidArgument("name: must not be empty")
                values["name"] = changes["name"].strip()
            if "enabled" in changes:
                values["enabled"] = changes["enabled"]
            if changes.get("config"):
                stored = self.full_config(before)
                given = keep_redacted(stored, changes["config"])
                merged = {**stored, **given}
                checked = self.types.validate(before.channel_type, merged, generate_secret=False)
                check_secrets_follow(stored, changes["config"], given, checked)
                values.update(self._stored(checked))
            if not values:
                return before
            after = await uow.channels.update(channel_id, values)
            await uow.record_change(
                "notification_channel.update",
                _entity(channel_id),
                snapshot(before),
                snapshot(after),
            )
        return after

    async def delete(self, channel_id: int) -> None:
        async with self.tx() as uow:
            before = await require_channel(uow.channels, channel_id, for_update=True)
            await uow.channels.delete(channel_id)
            await uow.record_change(
                "notification_channel.delete", _entity(channel_id), snapshot(before), None
            )

    def full_config(self, channel: Channel) -> dict[str, Any]:
        return {**channel.config, **self.secrets.open(channel.sealed)}

    async def send(
        self, channel: Channel, notice: Notice, *, event_id: str, delivery_id: int
    ) -> Outcome:
        """One attempt through the channel, its secrets opened for it."""
        try:
            config = self.full_config(channel)
        except Exception as exc:  # e.g. the encryption key was rotated
            return Outcome(False, "", f"channel secrets: {exc}", "config", False)
        return await self.types.send(
            channel.channel_type, config, notice, event_id=event_id, delivery_id=delivery_id
        )

    async def test(self, channel_id: int) -> TestResult:
        channel = await self.get(channel_id)
        notice = Notice(
            event_type=TEST_EVENT,
            title=f"Test notification for channel {channel.name}",
            body="If you can read this, Data Compass can reach this channel.",
            link=self.public_url,
            object_key="test",
            time=self.clock().isoformat(),
        )
        event_id = f"test-{uuid.uuid4()}"
        started = time.monotonic()
        config = self.full_config(channel)  # a key that cannot open them: an error, not a send
        outcome = await self.types.send(
            channel.channel_type, config, notice, event_id=event_id, delivery_id=0
        )
        latency = int((time.monotonic() - started) * 1000)
        async with self.tx() as uow:
            await uow.deliveries.log(
                {
                    "delivery_id": None,
                    "channel_id": channel_id,
                    "channel_type": channel.channel_type,
                    "event_id": event_id,
                    "event_type": TEST_EVENT,
                    "attempt": 1,
                    "status": AttemptStatus.SENT if outcome.ok else AttemptStatus.DEAD,
                    "response": outcome.response,
                    "error": outcome.error,
                    "latency_ms": latency,
                }
            )
        return TestResult(outcome, latency)

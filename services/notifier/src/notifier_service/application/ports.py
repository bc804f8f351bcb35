"""What the notifier's use cases need from outside, as protocols: the unit of work (stores of
channels, rules, rate windows and deliveries, plus audit), the channel types (validation and
sending: adapters/channels), the secret box and the delivery metrics. app.py wires them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from dckit.uow import RecordsChanges
from notifier_service.domain.channels import Channel, ChannelConfig
from notifier_service.domain.deliveries import Delivery, LogEntry, Outcome
from notifier_service.domain.notices import Notice, Window
from notifier_service.domain.rules import Rule


class ChannelStore(Protocol):
    async def insert(self, values: Mapping[str, Any]) -> Channel: ...
    async def get(self, channel_id: int, *, for_update: bool = False) -> Channel | None: ...
    async def update(self, channel_id: int, values: Mapping[str, Any]) -> Channel: ...
    async def delete(self, channel_id: int) -> None: ...
    async def page(self, *, channel_type: str, offset: int, limit: int) -> list[Channel]: ...
    async def existing(self, ids: Sequence[int]) -> set[int]: ...
    async def enabled(self, ids: Sequence[int]) -> list[int]: ...
    async def by_id(self, ids: Sequence[int]) -> dict[int, Channel]: ...


class RuleStore(Protocol):
    async def insert(self, values: Mapping[str, Any]) -> Rule: ...
    async def get(self, rule_id: int, *, for_update: bool = False) -> Rule | None: ...
    async def update(self, rule_id: int, values: Mapping[str, Any]) -> Rule: ...
    async def delete(self, rule_id: int) -> None: ...
    async def page(self, *, offset: int, limit: int) -> list[Rule]: ...
    async def subscribed(self, event_type: str) -> list[Rule]:
        """Enabled rules subscribed to `event_type`."""
        ...


class WindowStore(Protocol):
    """Rate-limit windows: per rule and object, later notices are folded into a digest."""

    async def lock(self, key: str) -> None:
        """Serialise planning for one rule and object across consumers and replicas."""
        ...

    async def current(self, rule_id: int, object_key: str) -> Window | None: ...
    async def open(
        self, rule_id: int, *, object_key: str, seconds: int, dedupe_key: str
    ) -> None: ...
    async def fold(self, window_id: int, dedupe_key: str, notice: Mapping[str, Any]) -> None: ...
    async def get(self, window_id: int) -> Window | None: ...


class DeliveryStore(Protocol):
    async def plan(self, values: Sequence[Mapping[str, Any]]) -> int:
        """Insert deliveries; an (event, channel) pair already planned is left alone."""
        ...

    async def claim(
        self, *, limit: int, lease_seconds: float, include_expired: bool
    ) -> list[Delivery]: ...
    async def claim_expired(self, limit: int) -> list[Delivery]: ...
    async def finish(
        self,
        delivery: Delivery,
        status: str,
        *,
        error: str = "",
        retry_at: datetime | None = None,
    ) -> bool:
        """Record the outcome unless the lease was lost (another sender took the delivery)."""
        ...

    async def log(self, values: Mapping[str, Any]) -> None: ...
    async def page_log(
        self,
        *,
        channel_id: int,
        status: str,
        event_type: str,
        delivery_id: int,
        offset: int,
        limit: int,
    ) -> list[LogEntry]: ...


class UnitOfWork(RecordsChanges, Protocol):
    @property
    def channels(self) -> ChannelStore: ...
    @property
    def rules(self) -> RuleStore: ...
    @property
    def windows(self) -> WindowStore: ...
    @property
    def deliveries(self) -> DeliveryStore: ...


Transactions = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


class ChannelTypes(Protocol):
    """The registry of channel types (Slack, email, webhook, ...)."""

    def validate(
        self, channel_type: str, config: Mapping[str, Any], *, generate_secret: bool = True
    ) -> ChannelConfig:
        """The normalised config; InvalidArgument naming every bad key, or an unknown type."""
        ...

    async def send(
        self,
        channel_type: str,
        config: Mapping[str, Any],
        notice: Notice,
        *,
        event_id: str,
        delivery_id: int,
    ) -> Outcome:
        """One attempt; failures (timeouts, refused connections, error answers) are outcomes."""
        ...


class Secrets(Protocol):
    def seal(self, value: Any) -> bytes: ...
    def open(self, token: bytes) -> Any: ...


class DeliveryMetrics(Protocol):
    def sent(self, channel_type: str, lag_seconds: float) -> None: ...
    def failed(self, channel_type: str, *, reason: str, dead: bool) -> None: ...

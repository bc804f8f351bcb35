"""Notification channel types, registered by name. A type is one module here: its config keys
and which are secret, how a config is checked, how a notice is rendered and sent. Adding one
(Teams, PagerDuty, ...) is a module with a `ChannelType` subclass and a line in `TYPES`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from dckit.errors import InvalidArgument
from notifier_service.adapters.channels.base import ChannelType, Env
from notifier_service.adapters.channels.email import Email
from notifier_service.adapters.channels.slack import Slack
from notifier_service.adapters.channels.targets import TargetRefused
from notifier_service.adapters.channels.webhook import Webhook
from notifier_service.domain.channels import ChannelConfig
from notifier_service.domain.deliveries import Outcome
from notifier_service.domain.notices import Notice

TYPES: tuple[type[ChannelType], ...] = (Slack, Email, Webhook)


class ChannelTypes:
    """The registry (application.ports.ChannelTypes)."""

    def __init__(self, env: Env, types: Iterable[type[ChannelType]] = TYPES) -> None:
        self._by_name = {t.name: t(env) for t in types}

    def names(self) -> list[str]:
        return list(self._by_name)

    def validate(
        self, channel_type: str, config: Mapping[str, Any], *, generate_secret: bool = True
    ) -> ChannelConfig:
        kind = self._by_name.get(channel_type)
        if kind is None:
            raise InvalidArgument(f"channel_type: must be one of {', '.join(self._by_name)}")
        return kind.validate(config, generate_secret=generate_secret)

    async def send(
        self,
        channel_type: str,
        config: Mapping[str, Any],
        notice: Notice,
        *,
        event_id: str,
        delivery_id: int,
    ) -> Outcome:
        kind = self._by_name.get(channel_type)
        if kind is None:  # a channel stored before its type was removed
            return Outcome(False, "", f"no channel type {channel_type!r}", "config", False)
        try:
            return await kind.send(config, notice, event_id=event_id, delivery_id=delivery_id)
        except TargetRefused as exc:  # the config must change: retrying cannot help
            return Outcome(False, "", f"target refused: {exc}", "config", False)
        except (httpx.TimeoutException, TimeoutError) as exc:
            return Outcome(False, "", f"timeout: {exc!r}", "timeout", True)
        except (httpx.TransportError, OSError) as exc:
            return Outcome(False, "", f"connection: {exc!r}", "connection", True)

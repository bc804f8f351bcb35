"""What a channel type is, and what every type gets to work with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from notifier_service.adapters.channels.http import Http
from notifier_service.adapters.channels.targets import TargetGuard
from notifier_service.config import NotifierSettings
from notifier_service.domain.channels import ChannelConfig
from notifier_service.domain.deliveries import Outcome
from notifier_service.domain.notices import Notice


@dataclass(frozen=True)
class Env:
    http: Http  # one HTTP client (connection pool) for every HTTP channel type
    settings: NotifierSettings  # each type reads its own (timeouts, allowed hosts)
    guard: TargetGuard  # where sends may go (SSRF guard): every type checks its host


class ChannelType(ABC):
    """One kind of channel: its config keys (`secret_keys` are stored sealed and never
    returned), how a config is checked, and how a notice is rendered and sent."""

    name: ClassVar[str]
    keys: ClassVar[frozenset[str]]
    secret_keys: ClassVar[frozenset[str]]

    def __init__(self, env: Env) -> None:
        self.env = env

    @abstractmethod
    def validate(self, config: Mapping[str, Any], *, generate_secret: bool) -> ChannelConfig:
        """Normalised config, or InvalidArgument listing every problem as `config.<key>: ...`
        (domain.channels.ConfigCheck). `generate_secret`: at creation, not on updates."""

    @abstractmethod
    async def send(
        self, config: Mapping[str, Any], notice: Notice, *, event_id: str, delivery_id: int
    ) -> Outcome:
        """One attempt. Timeouts and connection errors may raise (the registry makes them
        retryable outcomes); what the receiver answered is an Outcome."""

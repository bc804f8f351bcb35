"""A source type: what the catalog, quality and governance need to know about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dcconnectors.config import ConnectionConfig
from dcconnectors.dialect import Dialect
from dcconnectors.interfaces import MetadataReaderFactory, QueryExecutorFactory


@dataclass(frozen=True)
class Connector:
    name: str  # the source_type users give
    config: ConnectionConfig
    dialect: Dialect
    # Factories import the driver on first call, so a Connector loads without it.
    metadata_reader: MetadataReaderFactory
    executor: QueryExecutorFactory | None = None  # None: no queries (no quality runs) here

    def validate(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        """The clean connection settings; InvalidArgument naming the bad setting."""
        return self.config.validate(connection)

    def check_secrets_follow(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """InvalidArgument when `new` moves the endpoint of `old` without its secrets."""
        self.config.check_secrets_follow(old, new)

    @property
    def secrets(self) -> frozenset[str]:
        """The settings that are credentials."""
        return self.config.secrets

"""Source types as the catalog's use cases see them: dcconnectors' registry (one package per
source type, registered by name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.interfaces import MetadataReader
from dcconnectors.registry import get, metadata_reader


class RegistryConnectors:
    def validate(self, source_type: str, connection: Mapping[str, Any]) -> dict[str, Any]:
        return get(source_type).validate(connection)

    def check_secrets_follow(
        self, source_type: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        get(source_type).check_secrets_follow(old, new)

    def reader(
        self,
        source_type: str,
        connection: Mapping[str, Any],
        *,
        statement_timeout_ms: int,
        parallelism: int,
    ) -> MetadataReader:
        return metadata_reader(
            source_type,
            connection,
            statement_timeout_ms=statement_timeout_ms,
            parallelism=parallelism,
        )

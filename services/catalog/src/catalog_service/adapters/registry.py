"""Which adapter scans which source type."""

from __future__ import annotations

from typing import Any

from catalog_service.adapters.base import MetadataAdapter
from catalog_service.adapters.postgres import PostgresAdapter
from dckit.errors import InvalidArgument


def adapter_for(
    source_type: str, connection: dict[str, Any], *, statement_timeout_ms: int
) -> MetadataAdapter:
    if source_type == "postgres":
        return PostgresAdapter(connection, statement_timeout_ms=statement_timeout_ms)
    raise InvalidArgument(f"no metadata adapter for source type {source_type!r}")

"""Which adapter scans which source type."""

from __future__ import annotations

from typing import Any

from catalog_service.adapters.base import MetadataAdapter
from catalog_service.adapters.databricks import DatabricksAdapter
from catalog_service.adapters.postgres import PostgresAdapter
from dckit.errors import InvalidArgument


def adapter_for(
    source_type: str, connection: dict[str, Any], *, statement_timeout_ms: int, parallelism: int = 4
) -> MetadataAdapter:
    if source_type == "postgres":
        return PostgresAdapter(
            connection, statement_timeout_ms=statement_timeout_ms, parallelism=parallelism
        )
    if source_type == "databricks":
        return DatabricksAdapter(
            connection, statement_timeout_ms=statement_timeout_ms, parallelism=parallelism
        )
    raise InvalidArgument(f"no metadata adapter for source type {source_type!r}")

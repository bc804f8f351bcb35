"""The PostgreSQL connector. Importing it loads no driver: asyncpg comes with the reader and
the executor, on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.connector import Connector
from dcconnectors.interfaces import MetadataReader, QueryExecutor
from dcconnectors.postgres.config import CONFIG
from dcconnectors.postgres.dialect import PostgresDialect


def _metadata_reader(
    connection: Mapping[str, Any], *, statement_timeout_ms: int, parallelism: int = 4
) -> MetadataReader:
    from dcconnectors.postgres.metadata import PostgresMetadataReader

    return PostgresMetadataReader(
        connection, statement_timeout_ms=statement_timeout_ms, parallelism=parallelism
    )


def _executor(connection: Mapping[str, Any], *, statement_timeout_ms: int) -> QueryExecutor:
    from dcconnectors.postgres.executor import PostgresExecutor

    return PostgresExecutor(connection, statement_timeout_ms=statement_timeout_ms)


CONNECTOR = Connector("postgres", CONFIG, PostgresDialect(), _metadata_reader, _executor)

"""The Databricks connector (Unity Catalog through a SQL warehouse). Importing it loads no
driver: databricks-sql-connector comes with the first real connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.connector import Connector
from dcconnectors.databricks.config import CONFIG
from dcconnectors.databricks.dialect import DatabricksDialect
from dcconnectors.interfaces import MetadataReader, QueryExecutor


def _metadata_reader(
    connection: Mapping[str, Any], *, statement_timeout_ms: int, parallelism: int = 4
) -> MetadataReader:
    from dcconnectors.databricks.metadata import DatabricksMetadataReader

    return DatabricksMetadataReader(
        connection, statement_timeout_ms=statement_timeout_ms, parallelism=parallelism
    )


def _executor(connection: Mapping[str, Any], *, statement_timeout_ms: int) -> QueryExecutor:
    from dcconnectors.databricks.executor import DatabricksExecutor

    return DatabricksExecutor(connection, statement_timeout_ms=statement_timeout_ms)


CONNECTOR = Connector("databricks", CONFIG, DatabricksDialect(), _metadata_reader, _executor)

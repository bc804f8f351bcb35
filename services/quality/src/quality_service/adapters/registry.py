"""Which executor runs metric queries for which source type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dckit.errors import FailedPrecondition
from quality_service.adapters.databricks import DatabricksExecutor
from quality_service.adapters.postgres import PostgresExecutor
from quality_service.application.ports import Executor, ExecutorFactory


def executors(statement_timeout_ms: int) -> ExecutorFactory:
    def make(source_type: str, connection: Mapping[str, Any]) -> Executor:
        if source_type == "postgres":
            return PostgresExecutor(connection, statement_timeout_ms=statement_timeout_ms)
        if source_type == "databricks":
            return DatabricksExecutor(connection, statement_timeout_ms=statement_timeout_ms)
        raise FailedPrecondition(f"data quality runs are not supported on {source_type} sources")

    return make

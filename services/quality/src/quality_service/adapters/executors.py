"""Query executors on data sources, from the source connectors (dcconnectors) by source type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors import registry
from dckit.errors import FailedPrecondition
from quality_service.application.ports import Executor, ExecutorFactory


def executors(statement_timeout_ms: int) -> ExecutorFactory:
    def make(source_type: str, connection: Mapping[str, Any]) -> Executor:
        try:
            factory = registry.get(source_type).executor
        except registry.UnknownSourceType:
            factory = None
        if factory is None:
            raise FailedPrecondition(
                f"data quality runs are not supported on {source_type} sources"
            )
        return factory(connection, statement_timeout_ms=statement_timeout_ms)

    return make

"""Query executors on data sources, from the source connectors (dcconnectors) by source type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.registry import UnknownSourceType, get
from dckit.errors import FailedPrecondition
from quality_service.application.ports import Executor, ExecutorFactory


def executors(statement_timeout_ms: int) -> ExecutorFactory:
    def make(source_type: str, connection: Mapping[str, Any]) -> Executor:
        try:
            factory = get(source_type).executor
        except UnknownSourceType:
            factory = None
        if factory is None:
            raise FailedPrecondition(
                f"data quality runs are not supported on {source_type} sources"
            )
        return factory(connection, statement_timeout_ms=statement_timeout_ms)

    return make

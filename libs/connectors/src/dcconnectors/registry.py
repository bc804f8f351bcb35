"""Every source type, by name. Adding one: a package beside postgres/ and databricks/ that
defines CONNECTOR, and its line in CONNECTORS below (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors import databricks, postgres
from dcconnectors.connector import Connector
from dcconnectors.dialect import Dialect
from dcconnectors.interfaces import MetadataReader
from dckit.errors import InvalidArgument

__all__ = ["Connector", "UnknownSourceType", "dialect", "get", "metadata_reader", "names"]

CONNECTORS: dict[str, Connector] = {
    c.name: c
    for c in (
        postgres.CONNECTOR,
        databricks.CONNECTOR,
    )
}


class UnknownSourceType(InvalidArgument):
    pass


def names() -> tuple[str, ...]:
    return tuple(sorted(CONNECTORS))


def get(name: str) -> Connector:
    connector = CONNECTORS.get(name)
    if connector is None:
        raise UnknownSourceType(f"unknown source type {name!r}; supported: {', '.join(names())}")
    return connector


def dialect(name: str) -> Dialect:
    return get(name).dialect


def metadata_reader(
    source_type: str,
    connection: Mapping[str, Any],
    *,
    statement_timeout_ms: int,
    parallelism: int = 4,
) -> MetadataReader:
    """The reader that scans a source of `source_type` (UnknownSourceType if none)."""
    return get(source_type).metadata_reader(
        connection, statement_timeout_ms=statement_timeout_ms, parallelism=parallelism
    )

"""What the quality use cases need from the outside world, as protocols: the catalog (object,
columns, source connection) and a query executor on a data source (a connector's, from
dcconnectors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dcconnectors import registry
from dcconnectors.dialect import Dialect
from quality_service.domain.sql import Query


@dataclass(frozen=True)
class CatalogObject:
    ref: str  # source.schema.name
    urn: str
    source_name: str
    source_type: str
    schema: str
    name: str
    columns: dict[str, str]  # name → data_type
    # Read only with `structure=True`: columns that lead a btree index (a range on them is an
    # index range scan) and the primary key's columns (failing-row samples show them).
    range_indexed: frozenset[str] = frozenset()
    primary_key: tuple[str, ...] = ()

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of the object's source; its column types are in that dialect."""
        return registry.dialect(self.source_type)


class Catalog(Protocol):
    async def object(self, ref: str, *, structure: bool = False) -> CatalogObject:
        """The object with its columns (and with `structure`, its indexes and primary key,
        which only runs need); NotFound when the catalog has no such object."""
        ...

    async def connection(self, source_name: str) -> tuple[str, dict[str, Any]]:
        """(source_type, decrypted connection settings)."""
        ...


class Executor(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    def table_path(self, schema: str, name: str) -> tuple[str, ...]: ...

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        """Rows as dicts; raises dcconnectors.errors.SourceError (QueryFailed when the SQL
        itself failed, so the caller may split the batch)."""
        ...

    async def close(self) -> None: ...


ExecutorFactory = Callable[[str, Mapping[str, Any]], Executor]


class SampleMasker(Protocol):
    async def mask(
        self, object_ref: str, role: str, columns: Mapping[str, Sequence[Any]]
    ) -> tuple[dict[str, list[Any]], set[str]]:
        """Each column's values as `role` may see them (same order and length), and which
        columns were masked. Raises dckit.errors.Unavailable when masking cannot be decided:
        callers must then show nothing rather than clear values."""
        ...

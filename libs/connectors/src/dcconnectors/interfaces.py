"""What a connector's metadata reader and query executor provide to the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from dcconnectors.dialect import Dialect
from dcconnectors.scanned import ScannedObject

# progress(done, total): objects read so far of objects found; called often, must be cheap.
Progress = Callable[[int, int], None]


class MetadataReader(Protocol):
    async def scan(self, progress: Progress | None = None) -> list[ScannedObject]:
        """Every wanted object of the source; SourceError when it cannot be read."""
        ...


class Statement(Protocol):
    """SQL built with the connector's dialect, and its parameters as its Params bound them."""

    @property
    def sql(self) -> str: ...

    @property
    def params(self) -> Any: ...


class QueryExecutor(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        """The path of a catalog object's table on this source (for Dialect.table)."""
        ...

    async def fetch(self, statement: Statement) -> list[dict[str, Any]]:
        """Rows as dicts, each statement read-only under the statement timeout; SourceError
        (QueryFailed when the statement itself failed, so a caller may split its batch)."""
        ...

    async def close(self) -> None: ...


class MetadataReaderFactory(Protocol):
    def __call__(
        self, connection: Mapping[str, Any], *, statement_timeout_ms: int, parallelism: int = 4
    ) -> MetadataReader: ...


class QueryExecutorFactory(Protocol):
    def __call__(
        self, connection: Mapping[str, Any], *, statement_timeout_ms: int
    ) -> QueryExecutor: ...

"""The interface every metadata adapter implements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from catalog_service.domain.models import ScannedObject
from dckit.source_postgres import SourceError

__all__ = ["AdapterFactory", "MetadataAdapter", "Progress", "SourceError"]


# progress(done, total): objects read so far of objects found; called often, must be cheap.
Progress = Callable[[int, int], None]


class MetadataAdapter(Protocol):
    async def scan(self, progress: Progress | None = None) -> list[ScannedObject]: ...


class AdapterFactory(Protocol):
    def __call__(
        self, connection: dict[str, Any], *, statement_timeout_ms: int, parallelism: int = 4
    ) -> MetadataAdapter: ...

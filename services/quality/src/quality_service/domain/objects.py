"""A catalog object as the quality service sees it (read from the catalog, never stored whole):
its key (the URN), its display ref, where it lives and its columns."""

from __future__ import annotations

from dataclasses import dataclass

from dcconnectors.dialect import Dialect
from dcconnectors.registry import dialect


@dataclass(frozen=True)
class CatalogObject:
    ref: str  # source.schema.name, for display
    urn: str  # the key every quality table stores
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
        return dialect(self.source_type)


@dataclass(frozen=True)
class ObjectName:
    """How a caller named a catalog object: exactly one of its numeric id, its ref
    (`source.schema.name`) or its URN. Use cases resolve it to the URN once, at the start."""

    id: int = 0
    ref: str = ""
    urn: str = ""

    def __bool__(self) -> bool:
        return bool(self.id or self.ref or self.urn)

    def __str__(self) -> str:
        return self.urn or self.ref or (str(self.id) if self.id else "")

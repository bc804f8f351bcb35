"""What the catalog's use cases need from outside, as protocols: the unit of work with its
repositories (db/), source connectors and the secret box, scan leases, metrics, and the
builders of event payloads (api/). app.py wires the concrete parts in.

Repositories return plain dicts (`Record`): a row's columns by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any, Protocol

from google.protobuf.message import Message

from catalog_service.domain.objects import ObjectLookup
from catalog_service.domain.scans import ExistingObject, ReconcilePlan, ScannedObject
from catalog_service.domain.structure import ObjectIndex, VersionChange
from dcconnectors.interfaces import MetadataReader
from dckit.leases import RunLeases as RunLeases  # the port use cases take (re-exported)
from dckit.uow import RecordsChanges

Record = dict[str, Any]
FieldChanges = dict[str, tuple[Any, Any]]  # field -> (before, after)


# ------------------------------------------------------------ repositories
class SourceStore(Protocol):
    async def get(self, name: str, *, for_update: bool = False) -> Record | None: ...
    async def page(self, offset: int, count: int) -> list[Record]: ...
    async def insert(self, values: Mapping[str, Any]) -> Record: ...
    async def update(self, source_id: int, values: Mapping[str, Any]) -> Record: ...
    async def delete(self, source_id: int) -> int:
        """Delete the source with its objects; returns how many objects went."""
        ...


class ScanStore(Protocol):
    async def insert(
        self, *, source_id: int, source_name: str, triggered_by: str, lease: Mapping[str, Any]
    ) -> Record: ...
    async def finish(self, scan_id: int, values: Mapping[str, Any]) -> Record | None:
        """None when the run is gone (its source was deleted while it ran)."""
        ...

    async def get(self, scan_id: int) -> Record | None: ...
    async def page(self, source_id: int, offset: int, count: int) -> list[Record]: ...
    async def last_of(self, source_ids: Sequence[int]) -> dict[int, Record]: ...
    async def progress(self, scan_id: int, done: int, total: int) -> None: ...
    async def cancel_requested(self, scan_id: int) -> bool: ...
    async def request_cancel(self, scan_id: int) -> None: ...


class ObjectStore(Protocol):
    async def get(self, lookup: ObjectLookup) -> Record | None: ...
    async def columns(
        self, obj: Mapping[str, Any], offset: int = 0, count: int | None = None
    ) -> list[Record]: ...
    async def update(self, object_id: int, values: Mapping[str, Any]) -> None: ...
    async def lock(self, object_id: int) -> None:
        """Hold the object's row until the transaction ends (serializes its new versions)."""
        ...

    async def existing(self, source_id: int) -> dict[tuple[str, str], ExistingObject]: ...
    async def apply_plan(
        self, source: Mapping[str, Any], plan: ReconcilePlan
    ) -> list[tuple[int, ScannedObject]]: ...
    async def index(self, source_id: int) -> ObjectIndex: ...


class SearchIndex(Protocol):
    """Ranked search over catalog objects with facet counts: the one search interface. The
    PostgreSQL implementation (db/search.py) reads the catalog's own tables in the same
    transaction; a search engine for very large deployments would implement these two calls
    (fed by the catalog's object events) and be wired in its place in db/unit_of_work.py.

    Ranking: exact name (or ref/URN) first, then name prefix, then name words, then columns
    and tags, then descriptions, then linked glossary terms, then one typo in a name word."""

    async def search(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        offset: int,
        count: int,
    ) -> list[Record]:
        """Hits `offset`..`offset + count` in rank order (every object by ref for no query)."""
        ...

    async def facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts per source, type, schema and tag over the matches of `query`."""
        ...


class StructureStore(Protocol):
    async def replace_scanned(
        self,
        object_ids: Sequence[int],
        constraints: Sequence[Mapping[str, Any]],
        indexes: Sequence[Mapping[str, Any]],
    ) -> None: ...
    async def constraints(self, obj: Mapping[str, Any]) -> list[Record]: ...
    async def add_constraint(self, obj: Mapping[str, Any], values: Mapping[str, Any]) -> Record: ...
    async def indexes(self, object_id: int) -> list[Record]: ...
    async def current_versions(self, object_ids: Sequence[int]) -> dict[int, Record]: ...
    async def add_versions(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    async def versions(self, object_id: int, offset: int, count: int) -> list[Record]: ...
    async def version(self, object_id: int, version: str) -> Record | None: ...
    async def latest_scanned_code(self, object_ids: Sequence[int]) -> dict[int, str]: ...
    async def add_code(self, rows: Sequence[Mapping[str, Any]]) -> list[Record]: ...
    async def code(self, object_id: int, offset: int, count: int) -> list[Record]: ...


class LineageStore(Protocol):
    async def replace_scanned(
        self,
        object_ids: Sequence[int],
        edges: Sequence[Mapping[str, Any]],
        parses: Sequence[Mapping[str, Any]],
    ) -> None: ...
    async def add_edge(self, values: Mapping[str, Any]) -> Record:
        """The declared edge (as a walk shows it, depth 1), new or already there."""
        ...

    async def walk(
        self, object_id: int, direction: str, depth: int, offset: int, count: int
    ) -> list[Record]: ...
    async def view_parse(self, object_id: int) -> Record | None: ...


class DeprecationStore(Protocol):
    async def get(self, deprecation_id: int) -> Record | None: ...
    async def open_for(self, object_id: int, *, for_update: bool = False) -> Record | None: ...
    async def latest_for(self, object_id: int) -> Record | None: ...
    async def insert(self, values: Mapping[str, Any]) -> Record: ...
    async def update(self, deprecation_id: int, values: Mapping[str, Any]) -> Record: ...
    async def withdraw(self, deprecation_id: int, actor: str) -> Record: ...
    async def page(self, status: str, today: date, offset: int, count: int) -> list[Record]: ...
    async def claim_notices(self, threshold: int, today: date) -> list[int]: ...


# ------------------------------------------------------------ the unit of work
class CatalogUnit(RecordsChanges, Protocol):
    """One transaction: the repositories, and the audit records and events written with it."""

    @property
    def sources(self) -> SourceStore: ...
    @property
    def scans(self) -> ScanStore: ...
    @property
    def objects(self) -> ObjectStore: ...
    @property
    def search(self) -> SearchIndex: ...
    @property
    def structure(self) -> StructureStore: ...
    @property
    def lineage(self) -> LineageStore: ...
    @property
    def deprecations(self) -> DeprecationStore: ...


# `async with tx() as uow:` commits when the block succeeds, rolls everything back otherwise.
Transactions = Callable[[], AbstractAsyncContextManager[CatalogUnit]]


# ------------------------------------------------------------ other parts
class Connectors(Protocol):
    """Source types (dcconnectors' registry): their settings and metadata readers."""

    def validate(self, source_type: str, connection: Mapping[str, Any]) -> dict[str, Any]:
        """The clean settings; InvalidArgument naming an unknown type or a bad setting."""
        ...

    def check_secrets_follow(
        self, source_type: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        """InvalidArgument when `new` (an update) moves the endpoint without the secrets."""
        ...

    def reader(
        self,
        source_type: str,
        connection: Mapping[str, Any],
        *,
        statement_timeout_ms: int,
        parallelism: int,
    ) -> MetadataReader: ...


class Secrets(Protocol):
    """Seals connection settings for storage (dckit.crypto.SecretBox)."""

    def seal(self, value: dict[str, Any]) -> bytes: ...
    def open(self, token: bytes) -> dict[str, Any]: ...


class ScanMetrics(Protocol):
    def finished(self, *, source_type: str, status: str, seconds: float) -> None: ...
    def objects(self, source: str, by_type: Mapping[str, int]) -> None:
        """Live objects per type of `source` as of its latest successful scan."""
        ...


# ------------------------------------------------------------ event payloads (api/)
class ScanPayload(Protocol):
    def __call__(self, run: Mapping[str, Any], source_type: str, /) -> Message: ...


class SchemaChangedPayload(Protocol):
    def __call__(self, change: VersionChange, /) -> Message: ...


class DeadlinePayload(Protocol):
    def __call__(self, deprecation: Mapping[str, Any], threshold: int, /) -> Message: ...

"""What metadata completeness needs from outside: its repository on the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from catalog_service.application.ports import CatalogUnit, Record


class CompletenessStore(Protocol):
    async def refresh(
        self, scope: str, *, urns: Sequence[str] = (), source: str = ""
    ) -> list[int]: ...
    async def change_set(self, urn: str, fact: str, key: str, *, present: bool) -> list[int]: ...
    async def set_domain(self, urn: str, domain: str) -> list[int]: ...
    async def facts(self, object_ids: Sequence[int]) -> list[Record]: ...
    async def all_ids(self) -> list[int]: ...
    async def save_score(self, object_id: int, score: float, missing: Sequence[str]) -> None: ...
    async def of_object(self, object_id: int) -> Record | None: ...
    async def least_complete(
        self, filters: Mapping[str, str], offset: int, count: int
    ) -> list[Record]: ...


class CompletenessUnit(CatalogUnit, Protocol):
    @property
    def completeness(self) -> CompletenessStore: ...


CompletenessTransactions = Callable[[], AbstractAsyncContextManager[CompletenessUnit]]

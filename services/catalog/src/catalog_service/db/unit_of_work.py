"""The catalog's unit of work: one transaction with every repository and the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.completeness import CompletenessRepository
from catalog_service.db.deprecations import DeprecationRepository
from catalog_service.db.glossary import GlossaryRepository
from catalog_service.db.lineage import LineageRepository
from catalog_service.db.objects import ObjectRepository
from catalog_service.db.scans import ScanRepository
from catalog_service.db.search import PostgresSearchIndex
from catalog_service.db.semantics import SemanticsRepository
from catalog_service.db.sources import SourceRepository
from catalog_service.db.structure import StructureRepository
from dckit.outbox import Outbox
from dckit.uow import UnitOfWork


class CatalogUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.sources = SourceRepository(session)
        self.scans = ScanRepository(session)
        self.objects = ObjectRepository(session)
        self.search = PostgresSearchIndex(session)
        self.structure = StructureRepository(session)
        self.lineage = LineageRepository(session)
        self.deprecations = DeprecationRepository(session)
        self.glossary = GlossaryRepository(session)
        self.semantics = SemanticsRepository(session)
        self.completeness = CompletenessRepository(session)

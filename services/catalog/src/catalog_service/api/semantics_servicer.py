"""SemanticsService servicer (the glossary, term links, column meaning, value domains):
translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from catalog_service.api import capsule_code_mappers as cm
from catalog_service.api import glossary_mappers as gm
from catalog_service.api import semantics_mappers as sm
from catalog_service.application.capsule_code import CapsuleCodeUseCases
from catalog_service.application.glossary import GlossaryUseCases
from catalog_service.application.semantics import SemanticsUseCases
from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.catalog.v1 import semantics_pb2_grpc
from datacompass.common.v1 import paging_pb2
from dckit.protoconv import enum_text, ref_text, to_message

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


def _format(value: int) -> str:
    return enum_text(pb.GlossaryFormat, value)


def _status(value: int) -> str:
    return enum_text(pb.BusinessTermStatus, value)


class SemanticsServicer(semantics_pb2_grpc.SemanticsServiceServicer):
    def __init__(
        self,
        *,
        glossary: GlossaryUseCases,
        semantics: SemanticsUseCases,
        capsule_code: CapsuleCodeUseCases,
    ) -> None:
        self.glossary, self.semantics, self.capsule_code = glossary, semantics, capsule_code

    # ------------------------------------------------------------ glossary
    async def CreateBusinessTerm(
        self, request: pb.CreateBusinessTermRequest, context: Ctx
    ) -> pb.BusinessTerm:
        row = await self.glossary.create(gm.term_spec(request), comment=request.comment)
        return gm.business_term(row)

    async def ListBusinessTerms(
        self, request: pb.ListBusinessTermsRequest, context: Ctx
    ) -> pb.ListBusinessTermsResponse:
        rows, cursor = await self.glossary.page(
            query=request.query,
            status=_status(request.status),
            category=request.category,
            domain_name=request.domain,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListBusinessTermsResponse(
            items=[gm.business_term(r) for r in rows], page=_page(cursor)
        )

    async def GetBusinessTerm(
        self, request: pb.GetBusinessTermRequest, context: Ctx
    ) -> pb.BusinessTerm:
        return gm.business_term(await self.glossary.get(gm.term_ref(request.term)))

    async def UpdateBusinessTerm(
        self, request: pb.UpdateBusinessTermRequest, context: Ctx
    ) -> pb.BusinessTerm:
        row = await self.glossary.update(
            gm.term_ref(request.term),
            fields=list(request.update_mask.paths),
            spec=gm.term_spec(request.business_term),
        )
        return gm.business_term(row)

    async def DeleteBusinessTerm(
        self, request: pb.DeleteBusinessTermRequest, context: Ctx
    ) -> pb.DeleteBusinessTermResponse:
        deleted = await self.glossary.delete(gm.term_ref(request.term), force=request.force)
        return pb.DeleteBusinessTermResponse(links_deleted=deleted)

    async def ChangeBusinessTermStatus(
        self, request: pb.ChangeBusinessTermStatusRequest, context: Ctx
    ) -> pb.BusinessTerm:
        row = await self.glossary.change_status(
            gm.term_ref(request.term), status=_status(request.status), comment=request.comment
        )
        return gm.business_term(row)

    async def ImportGlossary(
        self, request: pb.ImportGlossaryRequest, context: Ctx
    ) -> pb.ImportGlossaryResponse:
        result = await self.glossary.import_(
            _format(request.format), request.content, dry_run=request.dry_run
        )
        return pb.ImportGlossaryResponse(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            dry_run=result.dry_run,
        )

    async def ExportGlossary(
        self, request: pb.ExportGlossaryRequest, context: Ctx
    ) -> pb.ExportGlossaryResponse:
        fmt, content, count = await self.glossary.export(_format(request.format))
        return to_message(
            pb.ExportGlossaryResponse, {"format": fmt, "content": content}, term_count=count
        )

    # ------------------------------------------------------------ term links
    async def ListTermLinks(
        self, request: pb.ListTermLinksRequest, context: Ctx
    ) -> pb.ListTermLinksResponse:
        rows, cursor = await self.glossary.links(
            ref=ref_text(request.ref),
            column=request.column,
            term=gm.term_ref(request.term),
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListTermLinksResponse(items=[gm.term_link(r) for r in rows], page=_page(cursor))

    async def CreateTermLink(self, request: pb.CreateTermLinkRequest, context: Ctx) -> pb.TermLink:
        link_type = request.link_type
        row = await self.glossary.link(
            ref=ref_text(request.ref),
            column=request.column,
            term=gm.term_ref(request.term),
            link_type=enum_text(pb.TermLinkType, link_type),
        )
        return gm.term_link(row)

    async def DeleteTermLink(
        self, request: pb.DeleteTermLinkRequest, context: Ctx
    ) -> pb.DeleteTermLinkResponse:
        await self.glossary.unlink(
            ref=ref_text(request.ref), column=request.column, term=gm.term_ref(request.term)
        )
        return pb.DeleteTermLinkResponse()

    # ------------------------------------------------------------ column meaning
    async def ListColumnSemantics(
        self, request: pb.ListColumnSemanticsRequest, context: Ctx
    ) -> pb.ListColumnSemanticsResponse:
        rows = await self.semantics.columns(ref_text(request.ref))
        return pb.ListColumnSemanticsResponse(items=[sm.column_semantics(r) for r in rows])

    async def GetColumnSemantics(
        self, request: pb.GetColumnSemanticsRequest, context: Ctx
    ) -> pb.ColumnSemantics:
        row = await self.semantics.column(ref=ref_text(request.ref), column=request.column)
        return sm.column_semantics(row)

    async def UpdateColumnSemantics(
        self, request: pb.UpdateColumnSemanticsRequest, context: Ctx
    ) -> pb.ColumnSemantics:
        row = await self.semantics.describe(
            ref=ref_text(request.ref),
            column=request.column,
            paths=list(request.update_mask.paths),
            meaning=sm.column_meaning(request.semantics),
        )
        return sm.column_semantics(row)

    # ------------------------------------------------------------ value domains
    async def CreateValueDomain(
        self, request: pb.CreateValueDomainRequest, context: Ctx
    ) -> pb.ValueDomain:
        return sm.value_domain(await self.semantics.create_domain(sm.domain_spec(request)))

    async def ListValueDomains(
        self, request: pb.ListValueDomainsRequest, context: Ctx
    ) -> pb.ListValueDomainsResponse:
        kind = request.domain_type
        rows, cursor = await self.semantics.domains(
            domain_type=enum_text(pb.ValueDomainType, kind),
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListValueDomainsResponse(
            items=[sm.value_domain(r) for r in rows], page=_page(cursor)
        )

    async def GetValueDomain(
        self, request: pb.GetValueDomainRequest, context: Ctx
    ) -> pb.ValueDomain:
        return sm.value_domain(await self.semantics.get_domain(request.name))

    async def UpdateValueDomain(
        self, request: pb.UpdateValueDomainRequest, context: Ctx
    ) -> pb.ValueDomain:
        row = await self.semantics.update_domain(
            request.name,
            paths=list(request.update_mask.paths),
            spec=sm.domain_spec(request.value_domain),
        )
        return sm.value_domain(row)

    async def DeleteValueDomain(
        self, request: pb.DeleteValueDomainRequest, context: Ctx
    ) -> pb.DeleteValueDomainResponse:
        await self.semantics.delete_domain(request.name)
        return pb.DeleteValueDomainResponse()

    # ------------------------------------------------------------ capsule as code
    async def ExportCapsuleCode(
        self, request: pb.ExportCapsuleCodeRequest, context: Ctx
    ) -> pb.ExportCapsuleCodeResponse:
        urn, content = await self.capsule_code.export(ref_text(request.ref))
        return pb.ExportCapsuleCodeResponse(object_urn=urn, content=content)

    async def ApplyCapsuleCode(
        self, request: pb.ApplyCapsuleCodeRequest, context: Ctx
    ) -> pb.ApplyCapsuleCodeResponse:
        result = await self.capsule_code.apply(
            ref=ref_text(request.ref), content=request.content, dry_run=request.dry_run
        )
        return cm.apply_response(result)

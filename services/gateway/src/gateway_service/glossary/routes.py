"""`/business-terms`: the business glossary — terms with their approval workflow (draft →
under_review → approved → deprecated; editors propose, stewards approve, send back and
deprecate), ranked search, import/export as YAML or CSV; and
`/capsules/{urn}/business-terms`: links from a capsule or one of its columns to terms. `{term}`
is a term's id or its name; `{urn}` also accepts a `source.schema.name` ref or a numeric id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.catalog.v1 import semantics_pb2 as pb
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import PageParams, Semantics
from gateway_service.core.patching import changes
from gateway_service.glossary import mappers as m
from gateway_service.glossary import schemas as s

router = APIRouter(tags=["glossary"])

TERMS = "/business-terms"
TERM = "/business-terms/{term}"
LINKS = "/capsules/{urn:path}/business-terms"


@router.get(
    TERMS,
    response_model=s.BusinessTermPage,
    summary="Glossary terms; with `q`, the best matches first",
    description="`q` searches names, abbreviations and synonyms (weighted most) and "
    "definitions, word prefixes with English stemming.",
)
async def list_terms(
    semantics: Semantics,
    page: PageParams,
    q: Annotated[str, Query(description="full-text query")] = "",
    status: Annotated[s.TermStatus | None, Query()] = None,
    category: str = "",
    domain: str = "",
) -> s.BusinessTermPage:
    resp = await semantics.ListBusinessTerms(
        pb.ListBusinessTermsRequest(
            query=q,
            status=m.status(status or ""),
            category=category,
            domain=domain,
            page=page.request(),
        )
    )
    return page_of(s.BusinessTermPage, resp, m.business_term)


@router.post(
    TERMS,
    response_model=s.BusinessTerm,
    status_code=201,
    summary="Create a term (a draft)",
)
async def create_term(body: s.BusinessTermCreate, semantics: Semantics) -> s.BusinessTerm:
    return m.business_term(await semantics.CreateBusinessTerm(m.create_request(body)))


@router.post(
    f"{TERMS}/import",
    response_model=s.GlossaryImported,
    summary="Import a glossary (YAML or CSV): all of it or nothing",
    description="Every entry is validated first (fields, statuses, related terms, cycles); "
    "then all are written in one transaction. Terms are matched by name: an entry replaces "
    "the fields it names. Stewards only (a file may approve terms).",
)
async def import_glossary(body: s.GlossaryImport, semantics: Semantics) -> s.GlossaryImported:
    return m.imported(await semantics.ImportGlossary(m.import_request(body)))


@router.get(
    f"{TERMS}/export",
    response_model=s.GlossaryExport,
    summary="Export the whole glossary as YAML or CSV",
)
async def export_glossary(
    semantics: Semantics, fmt: Annotated[s.GlossaryFormat, Query(alias="format")] = "yaml"
) -> s.GlossaryExport:
    request = pb.ExportGlossaryRequest(format=m.file_format(fmt))
    return m.exported(await semantics.ExportGlossary(request))


@router.get(TERM, response_model=s.BusinessTerm, summary="A term with its workflow history")
async def get_term(term: str, semantics: Semantics) -> s.BusinessTerm:
    got = await semantics.GetBusinessTerm(pb.GetBusinessTermRequest(term=m.term_ref(term)))
    return m.business_term(got)


@router.patch(
    TERM,
    response_model=s.BusinessTerm,
    summary="Edit a term's fields (its status moves through the workflow routes)",
)
async def update_term(
    term: str, body: s.BusinessTermUpdate, semantics: Semantics
) -> s.BusinessTerm:
    sent = changes(body, nullable=set(s.BusinessTermUpdate.model_fields))
    updated = await semantics.UpdateBusinessTerm(m.update_request(sent, m.term_ref(term)))
    return m.business_term(updated)


@router.delete(
    TERM,
    response_model=s.TermDeleted,
    summary="Delete a term (stewards); a linked term only with `force=true`",
    description="Without `force`, a term that capsules or columns link is refused (409, the "
    "links named); with it, the links go too.",
)
async def delete_term(term: str, semantics: Semantics, force: bool = False) -> s.TermDeleted:
    resp = await semantics.DeleteBusinessTerm(
        pb.DeleteBusinessTermRequest(term=m.term_ref(term), force=force)
    )
    return s.TermDeleted(links_deleted=resp.links_deleted)


async def _step(
    semantics: Semantics, term: str, status: str, body: s.WorkflowStep | None
) -> s.BusinessTerm:
    moved = await semantics.ChangeBusinessTermStatus(
        pb.ChangeBusinessTermStatusRequest(
            term=m.term_ref(term),
            status=m.status(status),
            comment=body.comment if body else "",
        )
    )
    return m.business_term(moved)


@router.post(
    f"{TERM}/propose",
    response_model=s.BusinessTerm,
    summary="Propose a draft for approval (draft → under_review)",
)
async def propose_term(
    term: str, semantics: Semantics, body: s.WorkflowStep | None = None
) -> s.BusinessTerm:
    return await _step(semantics, term, "under_review", body)


@router.post(
    f"{TERM}/approve",
    response_model=s.BusinessTerm,
    summary="Approve a proposed term (stewards; under_review → approved)",
)
async def approve_term(
    term: str, semantics: Semantics, body: s.WorkflowStep | None = None
) -> s.BusinessTerm:
    return await _step(semantics, term, "approved", body)


@router.post(
    f"{TERM}/reject",
    response_model=s.BusinessTerm,
    summary="Send a proposed term back to draft (stewards; under_review → draft)",
)
async def reject_term(
    term: str, semantics: Semantics, body: s.WorkflowStep | None = None
) -> s.BusinessTerm:
    return await _step(semantics, term, "draft", body)


@router.post(
    f"{TERM}/deprecate",
    response_model=s.BusinessTerm,
    summary="Deprecate a term (stewards; final)",
)
async def deprecate_term(
    term: str, semantics: Semantics, body: s.WorkflowStep | None = None
) -> s.BusinessTerm:
    return await _step(semantics, term, "deprecated", body)


@router.get(
    f"{TERM}/links",
    response_model=s.TermLinkPage,
    summary="The capsules and columns linking a term",
)
async def term_links(term: str, semantics: Semantics, page: PageParams) -> s.TermLinkPage:
    resp = await semantics.ListTermLinks(
        pb.ListTermLinksRequest(term=m.term_ref(term), page=page.request())
    )
    return page_of(s.TermLinkPage, resp, m.term_link)


# ------------------------------------------------------------ links from a capsule
@router.get(
    LINKS,
    response_model=s.TermLinkPage,
    summary="Terms linked from a capsule and its columns",
)
async def capsule_terms(
    urn: str,
    semantics: Semantics,
    page: PageParams,
    column: Annotated[str | None, Query(description="only this column's links")] = None,
) -> s.TermLinkPage:
    resp = await semantics.ListTermLinks(
        pb.ListTermLinksRequest(ref=object_ref(urn), column=column or "", page=page.request())
    )
    return page_of(s.TermLinkPage, resp, m.term_link)


@router.post(
    LINKS + "/{term_id}",
    response_model=s.TermLink,
    status_code=201,
    summary="Link a capsule (or, with `column`, one of its columns) to a term",
    description="`term_id`: the term's id or name. Linking again changes the link type.",
)
async def link_term(
    urn: str, term_id: str, semantics: Semantics, body: s.TermLinkCreate | None = None
) -> s.TermLink:
    body = body or s.TermLinkCreate()
    link = await semantics.CreateTermLink(
        pb.CreateTermLinkRequest(
            ref=object_ref(urn),
            column=body.column or "",
            term=m.term_ref(term_id),
            link_type=m.link_type(body.link_type),
        )
    )
    return m.term_link(link)


@router.delete(
    LINKS + "/{term_id}",
    status_code=204,
    summary="Unlink a term from a capsule (or, with `column`, from one of its columns)",
)
async def unlink_term(
    urn: str,
    term_id: str,
    semantics: Semantics,
    column: Annotated[str | None, Query()] = None,
) -> Response:
    await semantics.DeleteTermLink(
        pb.DeleteTermLinkRequest(ref=object_ref(urn), column=column or "", term=m.term_ref(term_id))
    )
    return Response(status_code=204)

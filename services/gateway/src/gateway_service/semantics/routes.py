"""`/value-domains`: reusable value domains (enumerated values with labels, ranges, RE2
patterns, reference tables); `/capsules/{urn}/columns`: what a capsule's columns mean —
business definition (kept apart from the source comment scans refresh), semantic type, unit,
value domain, claims on the values, examples — and the claims in effect (the domain's,
overridden by the column's). `{urn}` also accepts a `source.schema.name` ref or an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.catalog.v1 import semantics_pb2 as pb
from gateway_service.core.convert import enum_value, object_ref, page_of
from gateway_service.core.deps import PageParams, Semantics
from gateway_service.core.patching import changes
from gateway_service.semantics import mappers as m
from gateway_service.semantics import schemas as s

router = APIRouter(tags=["semantics"])

COLUMNS = "/capsules/{urn:path}/columns"


@router.get(
    "/value-domains",
    response_model=s.ValueDomainPage,
    summary="Value domains, by name",
)
async def list_domains(
    semantics: Semantics,
    page: PageParams,
    domain_type: Annotated[s.DomainType | None, Query()] = None,
) -> s.ValueDomainPage:
    kind = enum_value(pb.ValueDomainType.DESCRIPTOR, domain_type, "domain_type")
    resp = await semantics.ListValueDomains(
        pb.ListValueDomainsRequest(domain_type=kind, page=page.request())
    )
    return page_of(s.ValueDomainPage, resp, m.value_domain)


@router.post(
    "/value-domains",
    response_model=s.ValueDomain,
    status_code=201,
    summary="Create a value domain",
    description="An enum domain takes `values`, a range `min_value`/`max_value`, a pattern "
    "`pattern` (RE2), a reference domain `reference_object` and `reference_column`.",
)
async def create_domain(body: s.ValueDomainCreate, semantics: Semantics) -> s.ValueDomain:
    return m.value_domain(await semantics.CreateValueDomain(m.create_domain_request(body)))


@router.get("/value-domains/{name}", response_model=s.ValueDomain, summary="A value domain")
async def get_domain(name: str, semantics: Semantics) -> s.ValueDomain:
    return m.value_domain(await semantics.GetValueDomain(pb.GetValueDomainRequest(name=name)))


@router.delete(
    "/value-domains/{name}",
    status_code=204,
    summary="Delete a value domain no column uses (409 naming the columns otherwise)",
)
async def delete_domain(name: str, semantics: Semantics) -> Response:
    await semantics.DeleteValueDomain(pb.DeleteValueDomainRequest(name=name))
    return Response(status_code=204)


@router.get(
    COLUMNS,
    response_model=s.ColumnSemanticsList,
    summary="A capsule's columns with what they mean",
)
async def list_columns(urn: str, semantics: Semantics) -> s.ColumnSemanticsList:
    resp = await semantics.ListColumnSemantics(pb.ListColumnSemanticsRequest(ref=object_ref(urn)))
    return s.ColumnSemanticsList(items=[m.column_semantics(c) for c in resp.items])


@router.get(
    COLUMNS + "/{column}",
    response_model=s.ColumnSemantics,
    summary="What one column means",
)
async def get_column(urn: str, column: str, semantics: Semantics) -> s.ColumnSemantics:
    got = await semantics.GetColumnSemantics(
        pb.GetColumnSemanticsRequest(ref=object_ref(urn), column=column)
    )
    return m.column_semantics(got)


@router.patch(
    COLUMNS + "/{column}",
    response_model=s.ColumnSemantics,
    summary="Describe a column: definition, semantic type, unit, value domain, claims",
    description="Only the fields sent change; null clears one. Rescans never overwrite these.",
)
async def describe_column(
    urn: str, column: str, body: s.ColumnSemanticsUpdate, semantics: Semantics
) -> s.ColumnSemantics:
    sent = changes(body, nullable=set(s.ColumnSemanticsUpdate.model_fields))
    updated = await semantics.UpdateColumnSemantics(m.update_request(object_ref(urn), column, sent))
    return m.column_semantics(updated)

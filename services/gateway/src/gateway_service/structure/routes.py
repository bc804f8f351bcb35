"""`/capsules/{urn}/...`: an object's structure and provenance — constraints (scanned and
declared), indexes, schema versions and diffs, transformation code. `{urn}` also accepts a
`source.schema.name` ref or a numeric id, like `/objects/{ref}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Catalog, PageParams
from gateway_service.structure import mappers as m
from gateway_service.structure import schemas as s

# The structural area keeps its REST name: `/capsules` (and the `capsules` tag).
router = APIRouter(prefix="/capsules", tags=["capsules"])


@router.get(
    "/{urn:path}/constraints",
    response_model=s.ConstraintList,
    summary="Constraints: keys, foreign keys (with target URNs), checks, not null, defaults",
)
async def list_constraints(urn: str, catalog: Catalog) -> s.ConstraintList:
    resp = await catalog.ListConstraints(pb.ListConstraintsRequest(ref=object_ref(urn)))
    return s.ConstraintList(items=[m.constraint(c) for c in resp.items])


@router.post(
    "/{urn:path}/constraints",
    response_model=s.Constraint,
    status_code=201,
    summary="Declare a constraint the source does not enforce",
)
async def add_constraint(urn: str, body: s.ConstraintCreate, catalog: Catalog) -> s.Constraint:
    con = await catalog.AddConstraint(m.add_constraint_request(body, ref=object_ref(urn)))
    return m.constraint(con)


@router.get("/{urn:path}/indexes", response_model=s.IndexList, summary="Indexes")
async def list_indexes(urn: str, catalog: Catalog) -> s.IndexList:
    resp = await catalog.ListIndexes(pb.ListIndexesRequest(ref=object_ref(urn)))
    return s.IndexList(items=[m.index(i) for i in resp.items])


@router.get(
    "/{urn:path}/versions",
    response_model=s.SchemaVersionPage,
    response_model_exclude_none=False,
    summary="Schema versions, newest first",
)
async def list_versions(urn: str, catalog: Catalog, page: PageParams) -> s.SchemaVersionPage:
    resp = await catalog.ListVersions(
        pb.ListVersionsRequest(ref=object_ref(urn), page=page.request())
    )
    return page_of(s.SchemaVersionPage, resp, m.schema_version)


@router.get(
    "/{urn:path}/versions/{version}",
    response_model=s.SchemaVersion,
    response_model_by_alias=True,
    summary="One schema version with its full schema snapshot",
    description="`version`: number (`3`) or name (`2.0.0`).",
)
async def get_version(urn: str, version: str, catalog: Catalog) -> s.SchemaVersion:
    resp = await catalog.GetVersion(pb.GetVersionRequest(ref=object_ref(urn), version=version))
    return m.schema_version(resp)


@router.get(
    "/{urn:path}/diff",
    response_model=s.SchemaDiff,
    summary="Diff two schema versions, each change classified breaking or not",
)
async def diff_versions(
    urn: str,
    catalog: Catalog,
    from_version: Annotated[str, Query(alias="from", description="version number or name")],
    to_version: Annotated[
        str, Query(alias="to", description="version number or name; default: current")
    ] = "",
) -> s.SchemaDiff:
    resp = await catalog.DiffVersions(
        pb.DiffVersionsRequest(
            ref=object_ref(urn), from_version=from_version, to_version=to_version
        )
    )
    return m.schema_diff(resp)


@router.get(
    "/{urn:path}/transformation-code",
    response_model=s.TransformationCodePage,
    summary="Transformation code, newest first (view SQL from scans, code posted by tools)",
)
async def list_code(urn: str, catalog: Catalog, page: PageParams) -> s.TransformationCodePage:
    resp = await catalog.ListTransformationCode(
        pb.ListTransformationCodeRequest(ref=object_ref(urn), page=page.request())
    )
    return page_of(s.TransformationCodePage, resp, m.transformation_code)


@router.post(
    "/{urn:path}/transformation-code",
    response_model=s.TransformationCode,
    status_code=201,
    summary="Record transformation code from elsewhere (dbt, Spark...), with git context",
)
async def add_code(
    urn: str, body: s.TransformationCodeCreate, catalog: Catalog
) -> s.TransformationCode:
    resp = await catalog.AddTransformationCode(m.add_code_request(body, ref=object_ref(urn)))
    return m.transformation_code(resp)

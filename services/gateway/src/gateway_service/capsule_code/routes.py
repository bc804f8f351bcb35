"""`/capsules/{urn}/yaml`: capsule as code (capsule spec Appendix A). GET writes the YAML of
what the catalog holds of a capsule's meaning (description, layer, tags, term links, column
meaning); POST applies such a file: validated whole first (400 naming every bad path), then
all of it in one transaction or nothing; `dry_run=true` answers the plan and writes nothing.
`{urn}` also accepts a `source.schema.name` ref or an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.catalog.v1 import semantics_pb2 as pb
from gateway_service.capsule_code import mappers as m
from gateway_service.capsule_code import schemas as s
from gateway_service.core.convert import object_ref
from gateway_service.core.deps import Semantics

router = APIRouter(tags=["capsule-code"])

YAML = "/capsules/{urn:path}/yaml"
MEDIA_TYPE = "application/yaml"


@router.get(
    YAML,
    summary="A capsule as code: its YAML",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}}},
)
async def export_capsule(urn: str, semantics: Semantics) -> Response:
    got = await semantics.ExportCapsuleCode(pb.ExportCapsuleCodeRequest(ref=object_ref(urn)))
    return Response(got.content, media_type=MEDIA_TYPE)


@router.post(
    YAML,
    response_model=s.CapsuleApplied,
    summary="Apply a capsule's YAML: all of it or nothing",
    description="A section the file names (description, layer, tags, business_terms, "
    "columns) is the whole truth for it; a section left out stays. The answer lists every "
    "change (path, old, new) and the change set naming the apply's audit records.",
)
async def apply_capsule(
    urn: str,
    body: s.CapsuleFile,
    semantics: Semantics,
    dry_run: Annotated[bool, Query(description="report the plan, write nothing")] = False,
) -> s.CapsuleApplied:
    request = pb.ApplyCapsuleCodeRequest(ref=object_ref(urn), content=body.content, dry_run=dry_run)
    return m.applied(await semantics.ApplyCapsuleCode(request))

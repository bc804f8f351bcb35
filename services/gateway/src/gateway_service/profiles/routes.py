"""Column profiles: profile a column or a whole object now (waiting, or polling the run's
progress), the latest profile and a column's history (`/columns/{urn}/profile`,
`/capsules/{urn}/profile`, `/profile-runs/{id}`). A column `{urn}` is `<object urn>.<column>`
or `source.schema.table.column`. Sample values come back masked for the caller's role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from datacompass.quality.v1 import quality_rules_pb2 as pb
from gateway_service.core.convert import object_ref, split_column_ref
from gateway_service.core.deps import Id, QualityRules, Settings
from gateway_service.profiles import mappers as m
from gateway_service.profiles import schemas as s

router = APIRouter(tags=["profiles"])
_STARTED: dict[int | str, dict[str, Any]] = {
    202: {"model": s.ProfileRun, "description": "Started (`wait` false): poll the profile run"}
}


async def _start(
    quality: QualityRules,
    settings: Settings,
    response: Response,
    req: pb.StartProfileRequest,
) -> s.ProfileRun:
    timeout = settings.scan_wait_timeout_seconds if req.wait else settings.rpc_timeout_seconds
    run = await quality.StartProfile(req, timeout=timeout)
    response.status_code = 201 if req.wait else 202
    return m.profile_run(run)


@router.get(
    "/columns/{urn:path}/profile",
    response_model=s.ColumnProfile,
    summary="A column's latest profile (404 before the first)",
)
async def column_profile(urn: str, quality: QualityRules) -> s.ColumnProfile:
    ref, column = split_column_ref(urn)
    return m.column_profile(
        await quality.GetColumnProfile(
            pb.GetColumnProfileRequest(object=object_ref(ref), column=column)
        )
    )


@router.get(
    "/columns/{urn:path}/profile/history",
    response_model=s.ColumnProfileList,
    summary="A column's profiles, newest first",
)
async def column_profile_history(
    urn: str,
    quality: QualityRules,
    limit: Annotated[int, Query(ge=1, le=200, description="at most this many")] = 20,
) -> s.ColumnProfileList:
    ref, column = split_column_ref(urn)
    resp = await quality.ListColumnProfiles(
        pb.ListColumnProfilesRequest(object=object_ref(ref), column=column, limit=limit)
    )
    return s.ColumnProfileList(items=[m.column_profile(p) for p in resp.items])


@router.post(
    "/columns/{urn:path}/profile",
    response_model=s.ProfileRun,
    status_code=201,
    responses=_STARTED,
    summary="Profile one column now",
    description="201 with the finished run when `wait` (the default); else 202 with the "
    "running one: poll `GET /profile-runs/{id}`.",
)
async def profile_column(
    urn: str,
    quality: QualityRules,
    settings: Settings,
    response: Response,
    body: s.ColumnProfileCreate | None = None,
) -> s.ProfileRun:
    ref, column = split_column_ref(urn)
    body = body or s.ColumnProfileCreate()
    req = pb.StartProfileRequest(
        object=object_ref(ref), columns=[column], sample_rows=body.sample_rows or 0, wait=body.wait
    )
    return await _start(quality, settings, response, req)


@router.post(
    "/capsules/{urn:path}/profile",
    response_model=s.ProfileRun,
    status_code=201,
    responses=_STARTED,
    summary="Profile an object's columns now (all, or `columns`)",
    description="201 with the finished run when `wait` (the default); else 202 with the "
    "running one: poll `GET /profile-runs/{id}`.",
)
async def profile_object(
    urn: str,
    quality: QualityRules,
    settings: Settings,
    response: Response,
    body: s.ObjectProfileCreate | None = None,
) -> s.ProfileRun:
    body = body or s.ObjectProfileCreate()
    req = pb.StartProfileRequest(
        object=object_ref(urn),
        columns=body.columns,
        sample_rows=body.sample_rows or 0,
        wait=body.wait,
    )
    return await _start(quality, settings, response, req)


@router.get(
    "/capsules/{urn:path}/profile",
    response_model=s.ProfileRun,
    summary="An object's latest profile (404 before the first)",
)
async def object_profile(urn: str, quality: QualityRules) -> s.ProfileRun:
    req = pb.GetObjectProfileRequest(object=object_ref(urn))
    return m.profile_run(await quality.GetObjectProfile(req))


@router.get(
    "/profile-runs/{run_id}",
    response_model=s.ProfileRun,
    summary="A profile run (with progress: steps_done of steps_total)",
)
async def get_profile_run(run_id: Id, quality: QualityRules) -> s.ProfileRun:
    return m.profile_run(await quality.GetProfileRun(pb.GetProfileRunRequest(id=run_id)))

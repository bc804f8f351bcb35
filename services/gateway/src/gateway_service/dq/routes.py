"""Data quality: configs and expectations per object, runs and backfills, results and trends,
breaches (`/api/v1/dq/...`). Only translates between REST and the quality service."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.quality.v1 import dq_pb2 as pb
from gateway_service.core import convert, patching
from gateway_service.core.convert import INT64_MAX, enum_numbers, page_of
from gateway_service.core.deps import Dq, Id, PageParams, Settings
from gateway_service.core.errors import ApiError
from gateway_service.dq import mappers as m
from gateway_service.dq import schemas as s

router = APIRouter(prefix="/dq", tags=["data quality"])


# ---------------------------------------------------------------- configs
@router.post("/configs", response_model=s.DqConfig, status_code=201, summary="Create a DQ config")
async def create_config(body: s.DqConfigCreate, quality: Dq) -> s.DqConfig:
    req = m.create_config_request(body, object=convert.object_ref(body.object_ref))
    return m.config(await quality.CreateConfig(req))


@router.get("/configs", response_model=s.DqConfigPage, summary="List DQ configs")
async def list_configs(
    quality: Dq,
    page: PageParams,
    object_ref: Annotated[str | None, Query(description="only this object's config")] = None,
) -> s.DqConfigPage:
    resp = await quality.ListConfigs(
        pb.ListConfigsRequest(
            object=convert.object_ref(object_ref) if object_ref else None, page=page.request()
        )
    )
    return page_of(s.DqConfigPage, resp, m.config)


@router.get("/configs/{config_id}", response_model=s.DqConfig, summary="Get a DQ config")
async def get_config(config_id: Id, quality: Dq) -> s.DqConfig:
    return m.config(await quality.GetConfig(pb.GetConfigRequest(id=config_id)))


@router.patch("/configs/{config_id}", response_model=s.DqConfig, summary="Change a DQ config")
async def update_config(config_id: Id, body: s.DqConfigUpdate, quality: Dq) -> s.DqConfig:
    changes = patching.changes(body, nullable={"date_format"})
    return m.config(await quality.UpdateConfig(m.update_config_request(changes, id=config_id)))


@router.delete(
    "/configs/{config_id}",
    status_code=204,
    summary="Delete a DQ config with its expectations, results and breaches",
)
async def delete_config(config_id: Id, quality: Dq) -> Response:
    await quality.DeleteConfig(pb.DeleteConfigRequest(id=config_id))
    return Response(status_code=204)


@router.get(
    "/configs/{config_id}/summary",
    response_model=s.ConfigSummary,
    summary="Latest result, 30-day breach count and 7-day trend per expectation",
)
async def config_summary(config_id: Id, quality: Dq) -> s.ConfigSummary:
    return m.summary(
        await quality.GetConfigSummary(pb.GetConfigSummaryRequest(config_id=config_id))
    )


# ---------------------------------------------------------------- expectations
@router.post(
    "/expectations", response_model=s.Expectation, status_code=201, summary="Add an expectation"
)
async def create_expectation(body: s.ExpectationCreate, quality: Dq) -> s.Expectation:
    return m.expectation(await quality.CreateExpectation(m.create_expectation_request(body)))


@router.get(
    "/expectations", response_model=list[s.Expectation], summary="List a config's expectations"
)
async def list_expectations(
    quality: Dq, config_id: Annotated[int, Query(ge=1, le=INT64_MAX)]
) -> list[s.Expectation]:
    resp = await quality.ListExpectations(pb.ListExpectationsRequest(config_id=config_id))
    return [m.expectation(e) for e in resp.items]


@router.get("/expectations/{expectation_id}", response_model=s.Expectation, summary="Get one")
async def get_expectation(expectation_id: Id, quality: Dq) -> s.Expectation:
    return m.expectation(await quality.GetExpectation(pb.GetExpectationRequest(id=expectation_id)))


@router.patch("/expectations/{expectation_id}", response_model=s.Expectation, summary="Change one")
async def update_expectation(
    expectation_id: Id, body: s.ExpectationUpdate, quality: Dq
) -> s.Expectation:
    req = m.update_expectation_request(patching.changes(body), id=expectation_id)
    return m.expectation(await quality.UpdateExpectation(req))


@router.delete("/expectations/{expectation_id}", status_code=204, summary="Delete one")
async def delete_expectation(expectation_id: Id, quality: Dq) -> Response:
    await quality.DeleteExpectation(pb.DeleteExpectationRequest(id=expectation_id))
    return Response(status_code=204)


@router.get(
    "/expectations/{expectation_id}/results",
    response_model=list[s.DqResult],
    summary="Results over time (value, thresholds, breach flag), oldest first",
)
async def expectation_results(
    expectation_id: Id,
    quality: Dq,
    days: Annotated[int, Query(ge=1, le=3660, description="buckets of the last N days")] = 30,
) -> list[s.DqResult]:
    resp = await quality.ListResults(
        pb.ListResultsRequest(expectation_id=expectation_id, days=days)
    )
    return [m.result(r) for r in resp.items]


# ---------------------------------------------------------------- runs
@router.post(
    "/runs",
    response_model=s.DqRun,
    status_code=202,
    responses={201: {"model": s.DqRun, "description": "Finished run (with `wait`)"}},
    summary="Run an object's expectations for a date, a range or the last N days",
    description="One bucket by default (the last complete one). `days` or `start_date`/"
    "`end_date` make it a backfill. Poll `GET /dq/runs/{id}` for progress.",
)
async def start_run(
    body: s.DqRunCreate,
    quality: Dq,
    settings: Settings,
    response: Response,
    wait: Annotated[bool, Query(description="block until the run has finished")] = False,
) -> s.DqRun:
    if bool(body.object_ref) == bool(body.config_id):
        raise ApiError(400, "INVALID_ARGUMENT", "give exactly one of object_ref and config_id")
    start: date | None = body.date or body.start_date
    end: date | None = body.date or body.end_date
    if body.date and (body.start_date or body.end_date):
        raise ApiError(400, "INVALID_ARGUMENT", "give date or start_date/end_date, not both")
    req = pb.StartRunRequest(
        object=convert.object_ref(body.object_ref) if body.object_ref else None,
        config_id=body.config_id or 0,
        start_date=start.isoformat() if start else "",
        end_date=end.isoformat() if end else "",
        days=body.days or 0,
        parallelism=body.parallelism or 0,
        max_queries_per_second=body.max_queries_per_second or 0.0,
        wait=wait,
    )
    timeout = settings.scan_wait_timeout_seconds if wait else settings.rpc_timeout_seconds
    run = await quality.StartRun(req, timeout=timeout)
    response.status_code = 201 if wait else 202
    return m.run(run)


@router.get("/runs", response_model=s.DqRunPage, summary="List runs (newest first)")
async def list_runs(
    quality: Dq,
    page: PageParams,
    object_ref: Annotated[str | None, Query()] = None,
    config_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
) -> s.DqRunPage:
    resp = await quality.ListRuns(
        pb.ListRunsRequest(
            object=convert.object_ref(object_ref) if object_ref else None,
            config_id=config_id or 0,
            page=page.request(),
        )
    )
    return page_of(s.DqRunPage, resp, m.run)


@router.get("/runs/{run_id}", response_model=s.DqRun, summary="Get a run (with progress)")
async def get_run(run_id: Id, quality: Dq) -> s.DqRun:
    return m.run(await quality.GetRun(pb.GetRunRequest(id=run_id)))


@router.post(
    "/runs/{run_id}/cancel", response_model=s.DqRun, status_code=202, summary="Cancel a run"
)
async def cancel_run(run_id: Id, quality: Dq) -> s.DqRun:
    return m.run(await quality.CancelRun(pb.CancelRunRequest(id=run_id)))


# ---------------------------------------------------------------- breaches
@router.get("/breaches", response_model=s.BreachPage, summary="List breaches (newest first)")
async def list_breaches(
    quality: Dq,
    page: PageParams,
    status: Annotated[list[s.BreachStatus] | None, Query()] = None,
    priority: Annotated[list[s.Priority] | None, Query()] = None,
    object_ref: Annotated[str | None, Query()] = None,
    config_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    expectation_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    since: Annotated[date | None, Query(description="buckets on or after")] = None,
) -> s.BreachPage:
    resp = await quality.ListBreaches(
        pb.ListBreachesRequest(
            status=enum_numbers(pb.BreachStatus, status or []),
            priority=priority or [],
            object=convert.object_ref(object_ref) if object_ref else None,
            config_id=config_id or 0,
            expectation_id=expectation_id or 0,
            since=since.isoformat() if since else "",
            page=page.request(),
        )
    )
    return page_of(s.BreachPage, resp, m.breach)


@router.get("/breaches/{breach_id}", response_model=s.Breach, summary="Get a breach")
async def get_breach(breach_id: Id, quality: Dq) -> s.Breach:
    return m.breach(await quality.GetBreach(pb.GetBreachRequest(id=breach_id)))


@router.patch(
    "/breaches/{breach_id}",
    response_model=s.Breach,
    summary="Acknowledge, resolve, dismiss (with a reason) or reopen a breach",
)
async def update_breach(breach_id: Id, body: s.BreachUpdate, quality: Dq) -> s.Breach:
    req = m.change_breach_status_request(body, id=breach_id)
    return m.breach(await quality.ChangeBreachStatus(req))

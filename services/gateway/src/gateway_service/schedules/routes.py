"""Schedules: cron-driven metadata scans and DQ runs, manual runs, run history
(`/api/v1/schedules`). Only translates between REST and the scheduler service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.convert import INT64_MAX, enum_value, page_of
from gateway_service.core.deps import Id, PageParams, Scheduler
from gateway_service.schedules import mappers as m
from gateway_service.schedules import schemas as s

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.post("", response_model=s.Schedule, status_code=201, summary="Create a schedule")
async def create_schedule(body: s.ScheduleCreate, scheduler: Scheduler) -> s.Schedule:
    return m.schedule(await scheduler.CreateSchedule(m.create_request(body)))


@router.get("", response_model=s.SchedulePage, summary="List schedules")
async def list_schedules(
    scheduler: Scheduler,
    page: PageParams,
    task_type: Annotated[s.TaskType | None, Query()] = None,
) -> s.SchedulePage:
    resp = await scheduler.ListSchedules(
        pb.ListSchedulesRequest(task_type=task_type or "", page=page.request())
    )
    return page_of(s.SchedulePage, resp, m.schedule)


@router.get("/runs", response_model=s.ScheduleRunPage, summary="Run history, newest first")
async def list_runs(
    scheduler: Scheduler,
    page: PageParams,
    schedule_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    status: Annotated[str | None, Query()] = None,
) -> s.ScheduleRunPage:
    resp = await scheduler.ListRuns(
        pb.ListRunsRequest(
            schedule_id=schedule_id or 0,
            status=enum_value(pb.ScheduleRunStatus.DESCRIPTOR, status, "status"),
            page=page.request(),
        )
    )
    return page_of(s.ScheduleRunPage, resp, m.run)


@router.get("/runs/{run_id}", response_model=s.ScheduleRun, summary="Get a run")
async def get_run(run_id: Id, scheduler: Scheduler) -> s.ScheduleRun:
    return m.run(await scheduler.GetRun(pb.GetRunRequest(id=run_id)))


@router.get("/{schedule_id}", response_model=s.Schedule, summary="Get a schedule")
async def get_schedule(schedule_id: Id, scheduler: Scheduler) -> s.Schedule:
    return m.schedule(await scheduler.GetSchedule(pb.GetScheduleRequest(id=schedule_id)))


@router.patch("/{schedule_id}", response_model=s.Schedule, summary="Change a schedule")
async def update_schedule(
    schedule_id: Id, body: s.ScheduleUpdate, scheduler: Scheduler
) -> s.Schedule:
    changes = patching.changes(body)
    req = pb.UpdateScheduleRequest(
        id=schedule_id,
        schedule=m.schedule_changes(changes),
        update_mask=FieldMask(paths=list(changes)),
    )
    return m.schedule(await scheduler.UpdateSchedule(req))


@router.delete("/{schedule_id}", status_code=204, summary="Delete a schedule")
async def delete_schedule(schedule_id: Id, scheduler: Scheduler) -> Response:
    await scheduler.DeleteSchedule(pb.DeleteScheduleRequest(id=schedule_id))
    return Response(status_code=204)


@router.post(
    "/{schedule_id}/run",
    response_model=s.ScheduleRun,
    status_code=202,
    summary="Run a schedule's task now (recorded in its history as a manual run)",
)
async def run_now(
    schedule_id: Id,
    scheduler: Scheduler,
    response: Response,
    wait: Annotated[bool, Query(description="return once the task was dispatched")] = False,
) -> s.ScheduleRun:
    run = await scheduler.RunNow(pb.RunNowRequest(schedule_id=schedule_id, wait=wait))
    response.status_code = 201 if wait else 202
    return m.run(run)


@router.get("/{schedule_id}/runs", response_model=s.ScheduleRunPage, summary="A schedule's runs")
async def schedule_runs(
    schedule_id: Id, scheduler: Scheduler, page: PageParams
) -> s.ScheduleRunPage:
    return await list_runs(scheduler, page, schedule_id=schedule_id)

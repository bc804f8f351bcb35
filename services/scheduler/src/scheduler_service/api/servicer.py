"""SchedulerService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from datacompass.scheduler.v1 import scheduler_pb2_grpc
from dckit.protoconv import from_struct
from scheduler_service.api import mappers as m
from scheduler_service.application.runs import RunUseCases
from scheduler_service.application.schedules import ScheduleChanges, ScheduleUseCases
from scheduler_service.domain import schedules as rules

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(self, schedules: ScheduleUseCases, runs: RunUseCases) -> None:
        self.schedules, self.runs = schedules, runs

    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: Ctx) -> pb.Schedule:
        spec = rules.ScheduleSpec(
            name=request.name,
            cron=request.cron,
            timezone=request.timezone,
            task_type=request.task_type,
            params=from_struct(request.params),
            enabled=request.enabled if request.HasField("enabled") else True,
            misfire_grace_seconds=request.misfire_grace_seconds
            if request.HasField("misfire_grace_seconds")
            else rules.DEFAULT_MISFIRE_GRACE,
            max_attempts=request.max_attempts
            if request.HasField("max_attempts")
            else rules.DEFAULT_MAX_ATTEMPTS,
        )
        return m.schedule(await self.schedules.create(spec))

    async def ListSchedules(
        self, request: pb.ListSchedulesRequest, context: Ctx
    ) -> pb.ListSchedulesResponse:
        rows, cursor = await self.schedules.page(
            request.task_type, request.page.limit, request.page.cursor
        )
        return pb.ListSchedulesResponse(items=[m.schedule(r) for r in rows], page=_page(cursor))

    async def GetSchedule(self, request: pb.GetScheduleRequest, context: Ctx) -> pb.Schedule:
        return m.schedule(await self.schedules.get(request.id))

    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: Ctx) -> pb.Schedule:
        fields = (
            "name", "cron", "timezone", "task_type", "enabled", "misfire_grace_seconds",
            "max_attempts",
        )  # fmt: skip
        given = {f: getattr(request, f) for f in fields if request.HasField(f)}
        if request.HasField("params"):
            given["params"] = from_struct(request.params)
        row = await self.schedules.update(request.id, ScheduleChanges(**given))
        return m.schedule(row)

    async def DeleteSchedule(
        self, request: pb.DeleteScheduleRequest, context: Ctx
    ) -> pb.DeleteScheduleResponse:
        await self.schedules.delete(request.id)
        return pb.DeleteScheduleResponse()

    async def RunNow(self, request: pb.RunNowRequest, context: Ctx) -> pb.ScheduleRun:
        return m.run(await self.runs.run_now(request.schedule_id, wait=request.wait))

    async def ListRuns(self, request: pb.ListRunsRequest, context: Ctx) -> pb.ListRunsResponse:
        rows, cursor = await self.runs.page(
            request.schedule_id, request.status, request.page.limit, request.page.cursor
        )
        return pb.ListRunsResponse(items=[m.run(r) for r in rows], page=_page(cursor))

    async def GetRun(self, request: pb.GetRunRequest, context: Ctx) -> pb.ScheduleRun:
        return m.run(await self.runs.get(request.id))

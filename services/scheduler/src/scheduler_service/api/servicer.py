"""SchedulerService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from datacompass.scheduler.v1 import scheduler_pb2_grpc
from dckit.protoconv import enum_text
from scheduler_service.api import runs_mappers, schedules_mappers
from scheduler_service.application.runs import RunUseCases
from scheduler_service.application.schedules import ScheduleUseCases

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(self, schedules: ScheduleUseCases, runs: RunUseCases) -> None:
        self.schedules, self.runs = schedules, runs

    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: Ctx) -> pb.Schedule:
        created = await self.schedules.create(schedules_mappers.spec(request))
        return schedules_mappers.schedule(created)

    async def ListSchedules(
        self, request: pb.ListSchedulesRequest, context: Ctx
    ) -> pb.ListSchedulesResponse:
        found, cursor = await self.schedules.page(
            task_type=request.task_type, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListSchedulesResponse(
            items=[schedules_mappers.schedule(s) for s in found], page=_page(cursor)
        )

    async def GetSchedule(self, request: pb.GetScheduleRequest, context: Ctx) -> pb.Schedule:
        return schedules_mappers.schedule(await self.schedules.get(request.id))

    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: Ctx) -> pb.Schedule:
        changed = await self.schedules.update(request.id, schedules_mappers.changes(request))
        return schedules_mappers.schedule(changed)

    async def DeleteSchedule(
        self, request: pb.DeleteScheduleRequest, context: Ctx
    ) -> pb.DeleteScheduleResponse:
        await self.schedules.delete(request.id)
        return pb.DeleteScheduleResponse()

    async def RunNow(self, request: pb.RunNowRequest, context: Ctx) -> pb.ScheduleRun:
        return runs_mappers.run(await self.runs.run_now(request.schedule_id, wait=request.wait))

    async def ListRuns(self, request: pb.ListRunsRequest, context: Ctx) -> pb.ListRunsResponse:
        found, cursor = await self.runs.page(
            schedule_id=request.schedule_id,
            status=enum_text(pb.ScheduleRunStatus.DESCRIPTOR, request.status),
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListRunsResponse(items=[runs_mappers.run(r) for r in found], page=_page(cursor))

    async def GetRun(self, request: pb.GetRunRequest, context: Ctx) -> pb.ScheduleRun:
        return runs_mappers.run(await self.runs.get(request.id))

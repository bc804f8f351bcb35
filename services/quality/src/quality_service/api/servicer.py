"""QualityService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.quality.v1 import quality_pb2 as pb
from datacompass.quality.v1 import quality_pb2_grpc
from dckit.protoconv import from_struct
from quality_service.api import mappers as m
from quality_service.api.checks_servicer import ChecksServicerMixin
from quality_service.application.breaches import BreachUseCases, since_date
from quality_service.application.check_runs import CheckRunUseCases
from quality_service.application.configs import ConfigUseCases
from quality_service.application.profile_runs import ProfileUseCases
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.runs import RunRequest, RunUseCases
from quality_service.db.repository import BreachFilter

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


def _enabled(request: pb.CreateConfigRequest | pb.CreateExpectationRequest) -> bool:
    return request.enabled if request.HasField("enabled") else True


class QualityServicer(ChecksServicerMixin, quality_pb2_grpc.QualityServiceServicer):
    def __init__(
        self,
        configs: ConfigUseCases,
        runs: RunUseCases,
        breaches: BreachUseCases,
        rules: QualityRuleUseCases,
        checks: CheckRunUseCases,
        profiles: ProfileUseCases,
    ) -> None:
        self.configs, self.runs, self.breaches = configs, runs, breaches
        self.rules, self.checks, self.profiles = rules, checks, profiles

    # ------------------------------------------------------------ configs
    async def CreateConfig(self, request: pb.CreateConfigRequest, context: Ctx) -> pb.DqConfig:
        row, exps = await self.configs.create_config(
            request.object_ref,
            request.date_column,
            request.date_format,
            request.grain,
            request.timezone,
            _enabled(request),
        )
        return m.config(row, exps)

    async def ListConfigs(
        self, request: pb.ListConfigsRequest, context: Ctx
    ) -> pb.ListConfigsResponse:
        items, cursor = await self.configs.page_configs(
            request.object_ref, request.page.limit, request.page.cursor
        )
        return pb.ListConfigsResponse(items=[m.config(r, e) for r, e in items], page=_page(cursor))

    async def GetConfig(self, request: pb.GetConfigRequest, context: Ctx) -> pb.DqConfig:
        return m.config(*await self.configs.get_config(request.id, request.object_ref))

    async def UpdateConfig(self, request: pb.UpdateConfigRequest, context: Ctx) -> pb.DqConfig:
        fields = ("date_column", "date_format", "grain", "timezone", "enabled")
        changes = {f: getattr(request, f) for f in fields if request.HasField(f)}
        return m.config(*await self.configs.update_config(request.id, changes))

    async def DeleteConfig(
        self, request: pb.DeleteConfigRequest, context: Ctx
    ) -> pb.DeleteConfigResponse:
        await self.configs.delete_config(request.id)
        return pb.DeleteConfigResponse()

    # ------------------------------------------------------------ expectations
    async def CreateExpectation(
        self, request: pb.CreateExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        row = await self.configs.create_expectation(
            request.config_id,
            request.metric_type,
            request.column,
            from_struct(request.threshold),
            request.priority,
            _enabled(request),
        )
        return m.expectation(row)

    async def ListExpectations(
        self, request: pb.ListExpectationsRequest, context: Ctx
    ) -> pb.ListExpectationsResponse:
        rows = await self.configs.list_expectations(request.config_id)
        return pb.ListExpectationsResponse(items=[m.expectation(r) for r in rows])

    async def GetExpectation(
        self, request: pb.GetExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        return m.expectation(await self.configs.get_expectation(request.id))

    async def UpdateExpectation(
        self, request: pb.UpdateExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        changes: dict[str, object] = {}
        if request.HasField("threshold"):
            changes["threshold"] = from_struct(request.threshold)
        if request.HasField("priority"):
            changes["priority"] = request.priority
        if request.HasField("enabled"):
            changes["enabled"] = request.enabled
        return m.expectation(await self.configs.update_expectation(request.id, changes))

    async def DeleteExpectation(
        self, request: pb.DeleteExpectationRequest, context: Ctx
    ) -> pb.DeleteExpectationResponse:
        await self.configs.delete_expectation(request.id)
        return pb.DeleteExpectationResponse()

    # ------------------------------------------------------------ runs
    async def StartRun(self, request: pb.StartRunRequest, context: Ctx) -> pb.DqRun:
        row = await self.runs.start(
            RunRequest(
                config_id=request.config_id,
                object_ref=request.object_ref,
                start_date=request.start_date,
                end_date=request.end_date,
                parallelism=request.parallelism,
                max_queries_per_second=request.max_queries_per_second,
                wait=request.wait,
                days=request.days,
            )
        )
        return await self._run(row)

    async def GetRun(self, request: pb.GetRunRequest, context: Ctx) -> pb.DqRun:
        return await self._run(await self.runs.get(request.id))

    async def ListRuns(self, request: pb.ListRunsRequest, context: Ctx) -> pb.ListRunsResponse:
        rows, cursor = await self.runs.page(
            request.config_id, request.object_ref, request.page.limit, request.page.cursor
        )
        return pb.ListRunsResponse(items=[await self._run(r) for r in rows], page=_page(cursor))

    async def CancelRun(self, request: pb.CancelRunRequest, context: Ctx) -> pb.DqRun:
        return await self._run(await self.runs.cancel(request.id))

    async def _run(self, row: m.Row) -> pb.DqRun:
        config, _ = await self.configs.get_config(row["config_id"])
        return m.run(row, config["object_ref"])

    # ------------------------------------------------------------ results, trends, breaches
    async def ListResults(
        self, request: pb.ListResultsRequest, context: Ctx
    ) -> pb.ListResultsResponse:
        rows = await self.breaches.results(request.expectation_id, request.days)
        return pb.ListResultsResponse(items=[m.result(r) for r in rows])

    async def GetConfigSummary(
        self, request: pb.GetConfigSummaryRequest, context: Ctx
    ) -> pb.ConfigSummary:
        return m.summary(await self.breaches.summary(request.config_id))

    async def ListBreaches(
        self, request: pb.ListBreachesRequest, context: Ctx
    ) -> pb.ListBreachesResponse:
        f = BreachFilter(
            status=list(request.status),
            priority=list(request.priority),
            object_ref=request.object_ref,
            config_id=request.config_id,
            expectation_id=request.expectation_id,
            since=since_date(request.since),
        )
        rows, cursor = await self.breaches.page(f, request.page.limit, request.page.cursor)
        return pb.ListBreachesResponse(items=[m.breach(r) for r in rows], page=_page(cursor))

    async def GetBreach(self, request: pb.GetBreachRequest, context: Ctx) -> pb.Breach:
        return m.breach(await self.breaches.get(request.id))

    async def UpdateBreach(self, request: pb.UpdateBreachRequest, context: Ctx) -> pb.Breach:
        return m.breach(await self.breaches.update(request.id, request.status, request.reason))

"""DqService: the DQ metrics subsystem's RPCs (configs, expectations, runs, results, breaches).
Translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.quality.v1 import dq_pb2 as pb
from datacompass.quality.v1 import dq_pb2_grpc
from dckit import context as request_context
from quality_service.api import dq_breaches_mappers as breaches_m
from quality_service.api import dq_configs_mappers as configs_m
from quality_service.api import dq_results_mappers as results_m
from quality_service.api import dq_runs_mappers as runs_m
from quality_service.api.object_names import named_object
from quality_service.application.dq_breaches import DqBreachUseCases
from quality_service.application.dq_configs import DqConfigUseCases
from quality_service.application.dq_results import DqResultUseCases
from quality_service.application.dq_runs import DqRunUseCases

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class DqServicer(dq_pb2_grpc.DqServiceServicer):
    def __init__(
        self,
        configs: DqConfigUseCases,
        runs: DqRunUseCases,
        results: DqResultUseCases,
        breaches: DqBreachUseCases,
    ) -> None:
        self.configs, self.runs, self.results, self.breaches = configs, runs, results, breaches

    # ------------------------------------------------------------ configs
    async def CreateConfig(self, request: pb.CreateConfigRequest, context: Ctx) -> pb.DqConfig:
        spec = configs_m.config_spec(request)
        return configs_m.config(await self.configs.create_config(named_object(request), spec))

    async def ListConfigs(
        self, request: pb.ListConfigsRequest, context: Ctx
    ) -> pb.ListConfigsResponse:
        rows, cursor = await self.configs.page_configs(
            named_object(request), request.page.limit, request.page.cursor
        )
        return pb.ListConfigsResponse(items=[configs_m.config(r) for r in rows], page=_page(cursor))

    async def GetConfig(self, request: pb.GetConfigRequest, context: Ctx) -> pb.DqConfig:
        return configs_m.config(await self.configs.get_config(request.id, named_object(request)))

    async def UpdateConfig(self, request: pb.UpdateConfigRequest, context: Ctx) -> pb.DqConfig:
        changes = configs_m.config_changes(request)
        return configs_m.config(await self.configs.update_config(request.id, changes))

    async def DeleteConfig(
        self, request: pb.DeleteConfigRequest, context: Ctx
    ) -> pb.DeleteConfigResponse:
        await self.configs.delete_config(request.id)
        return pb.DeleteConfigResponse()

    # ------------------------------------------------------------ expectations
    async def CreateExpectation(
        self, request: pb.CreateExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        spec = configs_m.expectation_spec(request)
        return configs_m.expectation(await self.configs.create_expectation(spec))

    async def ListExpectations(
        self, request: pb.ListExpectationsRequest, context: Ctx
    ) -> pb.ListExpectationsResponse:
        rows = await self.configs.list_expectations(request.config_id)
        return pb.ListExpectationsResponse(items=[configs_m.expectation(r) for r in rows])

    async def GetExpectation(
        self, request: pb.GetExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        return configs_m.expectation(await self.configs.get_expectation(request.id))

    async def UpdateExpectation(
        self, request: pb.UpdateExpectationRequest, context: Ctx
    ) -> pb.Expectation:
        changes = configs_m.expectation_changes(request)
        return configs_m.expectation(await self.configs.update_expectation(request.id, changes))

    async def DeleteExpectation(
        self, request: pb.DeleteExpectationRequest, context: Ctx
    ) -> pb.DeleteExpectationResponse:
        await self.configs.delete_expectation(request.id)
        return pb.DeleteExpectationResponse()

    # ------------------------------------------------------------ runs
    async def StartRun(self, request: pb.StartRunRequest, context: Ctx) -> pb.DqRun:
        row = await self.runs.start(named_object(request), runs_m.run_spec(request))
        return runs_m.run(row)

    async def GetRun(self, request: pb.GetRunRequest, context: Ctx) -> pb.DqRun:
        return runs_m.run(await self.runs.get(request.id))

    async def ListRuns(self, request: pb.ListRunsRequest, context: Ctx) -> pb.ListRunsResponse:
        rows, cursor = await self.runs.page(
            request.config_id, named_object(request), request.page.limit, request.page.cursor
        )
        return pb.ListRunsResponse(items=[runs_m.run(r) for r in rows], page=_page(cursor))

    async def CancelRun(self, request: pb.CancelRunRequest, context: Ctx) -> pb.DqRun:
        return runs_m.run(await self.runs.cancel(request.id))

    # ------------------------------------------------------------ results and trends
    async def ListResults(
        self, request: pb.ListResultsRequest, context: Ctx
    ) -> pb.ListResultsResponse:
        rows = await self.results.results(request.expectation_id, request.days, _role())
        return pb.ListResultsResponse(items=[results_m.result(r) for r in rows])

    async def GetConfigSummary(
        self, request: pb.GetConfigSummaryRequest, context: Ctx
    ) -> pb.ConfigSummary:
        return results_m.summary(await self.results.summary(request.config_id, _role()))

    # ------------------------------------------------------------ breaches
    async def ListBreaches(
        self, request: pb.ListBreachesRequest, context: Ctx
    ) -> pb.ListBreachesResponse:
        rows, cursor = await self.breaches.page(
            breaches_m.breach_filter(request),
            named_object(request),
            request.page.limit,
            request.page.cursor,
            _role(),
        )
        return pb.ListBreachesResponse(
            items=[breaches_m.breach(r) for r in rows], page=_page(cursor)
        )

    async def GetBreach(self, request: pb.GetBreachRequest, context: Ctx) -> pb.Breach:
        return breaches_m.breach(await self.breaches.get(request.id, _role()))

    async def ChangeBreachStatus(
        self, request: pb.ChangeBreachStatusRequest, context: Ctx
    ) -> pb.Breach:
        row = await self.breaches.change_status(
            request.id,
            status=breaches_m.target_status(request),
            reason=request.reason,
            role=_role(),
        )
        return breaches_m.breach(row)


def _role() -> str:
    """The caller's role, from the request context the gateway sends (masking follows it)."""
    return request_context.current().role

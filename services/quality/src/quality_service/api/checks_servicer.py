"""The quality-rule, check, profile and suggestion RPCs of QualityService: translate protobuf ↔
use cases, nothing more. The caller's name and role come from the request context the gateway
sends (role decides masking of sample values and who may manage custom SQL)."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from datacompass.common.v1 import paging_pb2
from datacompass.quality.v1 import checks_pb2 as cpb
from dckit import context
from dckit.protoconv import from_struct
from quality_service.api import check_mappers as m
from quality_service.application.check_runs import CheckRunUseCases
from quality_service.application.profile_runs import ProfileUseCases
from quality_service.application.quality_rules import QualityRuleUseCases

Ctx: TypeAlias = grpc.aio.ServicerContext


def _caller() -> tuple[str, str]:
    ctx = context.current()
    return ctx.actor, ctx.role


class ChecksServicerMixin:
    rules: QualityRuleUseCases
    checks: CheckRunUseCases
    profiles: ProfileUseCases

    # ------------------------------------------------------------ rules
    async def CreateQualityRule(
        self, request: cpb.CreateQualityRuleRequest, context: Ctx
    ) -> cpb.QualityRule:
        actor, role = _caller()
        row = await self.rules.create(
            request.object_ref,
            request.column,
            name=request.name,
            rule_type=request.rule_type,
            config=from_struct(request.config),
            severity=request.severity,
            blocking=request.blocking if request.HasField("blocking") else False,
            enabled=request.enabled if request.HasField("enabled") else True,
            description=request.description,
            actor=actor,
            role=role,
        )
        return m.rule(row)

    async def ListQualityRules(
        self, request: cpb.ListQualityRulesRequest, context: Ctx
    ) -> cpb.ListQualityRulesResponse:
        rows = await self.rules.list(request.object_ref, request.column, _caller()[1])
        return cpb.ListQualityRulesResponse(items=[m.rule(r) for r in rows])

    async def GetQualityRule(
        self, request: cpb.GetQualityRuleRequest, context: Ctx
    ) -> cpb.QualityRule:
        return m.rule(await self.rules.get(request.id, _caller()[1]))

    async def UpdateQualityRule(
        self, request: cpb.UpdateQualityRuleRequest, context: Ctx
    ) -> cpb.QualityRule:
        changes: dict[str, Any] = {
            f: getattr(request, f)
            for f in ("name", "severity", "blocking", "enabled", "description")
            if request.HasField(f)
        }
        if request.HasField("config"):
            changes["config"] = from_struct(request.config)
        return m.rule(await self.rules.update(request.id, changes, _caller()[1]))

    async def DeleteQualityRule(
        self, request: cpb.DeleteQualityRuleRequest, context: Ctx
    ) -> cpb.DeleteQualityRuleResponse:
        await self.rules.delete(request.id, _caller()[1])
        return cpb.DeleteQualityRuleResponse()

    # ------------------------------------------------------------ checks
    async def RunChecks(self, request: cpb.RunChecksRequest, context: Ctx) -> cpb.CheckRun:
        actor, role = _caller()
        view = await self.checks.run(
            request.object_ref,
            list(request.rule_ids),
            execution_context=from_struct(request.execution_context),
            sample_limit=request.sample_limit,
            actor=actor,
            role=role,
        )
        return m.check_run(view)

    async def GetCheckRun(self, request: cpb.GetCheckRunRequest, context: Ctx) -> cpb.CheckRun:
        return m.check_run(await self.checks.get(request.id, _caller()[1]))

    async def ListCheckRuns(
        self, request: cpb.ListCheckRunsRequest, context: Ctx
    ) -> cpb.ListCheckRunsResponse:
        views, cursor = await self.checks.page(
            request.object_ref, request.page.limit, request.page.cursor
        )
        return cpb.ListCheckRunsResponse(
            items=[m.check_run(v) for v in views],
            page=paging_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetQualityScore(
        self, request: cpb.GetQualityScoreRequest, context: Ctx
    ) -> cpb.QualityScore:
        return m.score(await self.checks.score(request.object_ref))

    # ------------------------------------------------------------ profiles
    async def StartProfile(self, request: cpb.StartProfileRequest, context: Ctx) -> cpb.ProfileRun:
        actor, role = _caller()
        view = await self.profiles.start(
            request.object_ref,
            list(request.columns),
            sample_rows=request.sample_rows,
            wait=request.wait,
            actor=actor,
            role=role,
        )
        return m.profile_run(view)

    async def GetProfileRun(
        self, request: cpb.GetProfileRunRequest, context: Ctx
    ) -> cpb.ProfileRun:
        return m.profile_run(await self.profiles.get_run(request.id, _caller()[1]))

    async def GetObjectProfile(
        self, request: cpb.GetObjectProfileRequest, context: Ctx
    ) -> cpb.ProfileRun:
        return m.profile_run(await self.profiles.latest(request.object_ref, _caller()[1]))

    async def GetColumnProfile(
        self, request: cpb.GetColumnProfileRequest, context: Ctx
    ) -> cpb.ColumnProfile:
        view = await self.profiles.column(request.object_ref, request.column, _caller()[1])
        return m.column_profile(view.columns[0], view.masked)

    async def ListColumnProfiles(
        self, request: cpb.ListColumnProfilesRequest, context: Ctx
    ) -> cpb.ListColumnProfilesResponse:
        view = await self.profiles.column(
            request.object_ref, request.column, _caller()[1], limit=request.limit or 20
        )
        return cpb.ListColumnProfilesResponse(
            items=[m.column_profile(c, view.masked) for c in view.columns]
        )

    # ------------------------------------------------------------ suggestions
    async def SuggestRules(
        self, request: cpb.SuggestRulesRequest, context: Ctx
    ) -> cpb.SuggestRulesResponse:
        items, run_id = await self.profiles.suggestions(request.object_ref, _caller()[1])
        return cpb.SuggestRulesResponse(
            items=[m.suggestion(i) for i in items], profile_run_id=run_id
        )

    async def AcceptSuggestions(
        self, request: cpb.AcceptSuggestionsRequest, context: Ctx
    ) -> cpb.AcceptSuggestionsResponse:
        actor, role = _caller()
        created, skipped = await self.profiles.accept(
            request.object_ref, list(request.keys), actor=actor, role=role
        )
        return cpb.AcceptSuggestionsResponse(created=[m.rule(r) for r in created], skipped=skipped)
